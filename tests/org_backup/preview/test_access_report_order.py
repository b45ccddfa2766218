""" "Who can destroy backups" lists its targets, SCPs and cells in one order whatever order the program registered
its resources in (it varies between runs): two previews of one stack give the same JSON."""

from __future__ import annotations

import dataclasses
import random
import sys
from types import SimpleNamespace

import pytest

from org_backup.preview import access_report
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from policies.access import AccessMatrix


@pytest.fixture(scope="module")
def run() -> ProgramRun:
    return run_program(load_stack_config("prod"), stack="prod")


def _shuffled(run: ProgramRun, seed: int) -> ProgramRun:
    resources = list(run.resources)
    random.Random(seed).shuffle(resources)
    return dataclasses.replace(run, resources=resources)


def test_the_section_does_not_depend_on_the_registration_order(run: ProgramRun):
    sections = [access_report.json_section(access_report.access_matrix(_shuffled(run, seed))) for seed in (1, 2)]
    first, second = sections
    assert first["targets"], "the stack has targets"
    assert first == second
    assert first["targets"] == sorted(first["targets"])
    assert first["scps"] == sorted(first["scps"])
    order = [c["target"] for c in first["cells"]]
    assert order == sorted(order, key=first["targets"].index), "cells grouped by target, in the targets' order"


def _raw(monkeypatch: pytest.MonkeyPatch, run: ProgramRun) -> AccessMatrix:
    """The matrix as the analysis lists it."""
    with monkeypatch.context() as patch:
        patch.setattr(access_report, "ordered", lambda matrix: matrix)
        return access_report.access_matrix(run)


def test_the_order_is_that_of_the_names_not_of_the_analysis(monkeypatch: pytest.MonkeyPatch, run: ProgramRun):
    """The analysis lists targets as registered, so the two shuffles differ there; ``ordered`` makes them one."""
    raw = [_raw(monkeypatch, _shuffled(run, seed)) for seed in (1, 2)]
    assert [t.label for t in raw[0].targets] != [t.label for t in raw[1].targets]
    assert access_report.ordered(raw[0]) == access_report.ordered(raw[1])


def test_the_pack_matrix_is_ordered_too(monkeypatch: pytest.MonkeyPatch, run: ProgramRun):
    """The preview shows the matrix the pack's access rules judged (``pack_matrix``): in the same order."""
    judged = _raw(monkeypatch, _shuffled(run, 3))
    monkeypatch.setitem(sys.modules, access_report.PACK_ACCESS_RULES, SimpleNamespace(last_analysed=lambda: judged))
    assert access_report.pack_matrix() == access_report.access_matrix(_shuffled(run, 4))
