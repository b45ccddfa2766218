"""The preview analyses the stack's access once: "Who can destroy backups" shows the matrix the pack's access rules
judged, and analyses the stack itself only when those rules did not run in this evaluation."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from org_backup.preview import access_report
from org_backup.preview.command import build_preview
from org_backup.preview.model import Preview
from org_backup.preview.policy_eval import load_pack
from policies.access import AccessMatrix

ACCESS_RULES = {access_report.RULE, access_report.WEAKENING_RULE}
PROD_CELLS = 2362
PROD_DIGEST = "87349eff1525fbb658f9ff5ef1e8b002abeaef5f030181807d650dd3a7482b68"
"""Taken at 6cd7e99, before the analysis was made to scale (the matrix did not change); retaken when prod went
from 2 backup policies to one per plan (4): the same 6 cells per policy, every other cell unchanged."""


def _digest(matrix: AccessMatrix) -> str:
    """The cells as a set (their order follows the order in which the program registers resources)."""
    cells = sorted(
        json.dumps({**c.as_dict(), "decided_by": sorted(c.decided_by)}, sort_keys=True) for c in matrix.cells
    )
    return hashlib.sha256("\n".join(cells).encode()).hexdigest()


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    analyse = access_report.analyse

    def counted(*args: Any, **kwargs: Any) -> AccessMatrix:
        calls.append(args)
        return analyse(*args, **kwargs)

    monkeypatch.setattr(access_report, "analyse", counted)
    return calls


def test_the_section_shows_the_matrix_the_pack_judged_without_analysing_again(monkeypatch: pytest.MonkeyPatch):
    calls = _counting(monkeypatch)
    result = build_preview("prod")
    assert isinstance(result, Preview) and result.access is not None
    assert calls == []
    assert type(result.access) is AccessMatrix
    assert len(result.access.cells) == PROD_CELLS


def test_without_the_pack_access_rules_the_preview_analyses_the_stack_itself(monkeypatch: pytest.MonkeyPatch):
    """Not the matrix a previous evaluation in this process left behind."""
    full = build_preview("prod")
    assert isinstance(full, Preview) and full.access is not None
    calls = _counting(monkeypatch)
    others = [p for p in load_pack() if p.name not in ACCESS_RULES]
    result = build_preview("prod", policies=others)
    assert isinstance(result, Preview) and result.access is not None
    assert len(calls) == 1
    assert _digest(result.access) == _digest(full.access)


def test_the_prod_matrix_is_pinned(prod_preview: Preview):
    """Every cell of prod's access matrix, as a digest: a change to a vault, key, SCP or role document, or to the
    analysis, that changes an answer fails here. When the change is intended, say so in the commit and put the new
    digest here."""
    assert prod_preview.access is not None
    assert len(prod_preview.access.cells) == PROD_CELLS
    assert _digest(prod_preview.access) == PROD_DIGEST
