"""Judge any Organizations ``BACKUP_POLICY`` document by the AWS rules (aws-backup-rules.md §1, checklist).

The document may be hand-written, so every finding is reported (never only the first) and no input raises.
Two passes keep the ideas apart: the *shape* pass walks the document against the documented key tree
(inheritance operators, unknown keys, list versus single-value settings); the *meaning* pass reads the values
and applies the schedule, window, lifecycle, copy and selection rules. ``parse_backup_policy`` reads the same
documents into plain dataclasses for the stack-wide checks.

One module per job: ``document`` (loading, size), ``keytree`` (the documented keys), ``shape`` (the shape pass),
``values`` (reading values under operators), ``plans``, ``copies`` and ``selections`` (the meaning pass),
``parse`` (dataclasses), ``operators`` (the ``@@`` operators). Names with a leading underscore are private to
this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..findings import Finding, join
from .document import DOCUMENT, _load
from .keytree import _POLICY, OBJECT_EXPECTED
from .plans import _check_plan
from .shape import _check_shape
from .values import _children


def validate_backup_policy(content: str | Mapping[str, Any]) -> list[Finding]:
    """Every finding for one backup policy document, hand-written or rendered.

    Findings about the document as a whole (the top level has the empty path) are reported at ``policy``.
    """
    document, out = _load(content)
    if document is None:
        return out
    if not isinstance(document, Mapping):
        return [
            *out,
            Finding(DOCUMENT, document, OBJECT_EXPECTED, "a backup policy is a JSON object with plans"),
        ]
    out += _check_shape(document, _POLICY, "")
    for name, plan in _children(document.get("plans")):
        out += _check_plan(plan, join("plans", name))
    return [finding if finding.path else replace(finding, path=DOCUMENT) for finding in out]
