"""The meaning pass over selections: tags or resources (not both), resource types, conditions, and how far a
plan may select RDS/Aurora (what the copy rules need to know).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from ..arns import role_arn_account
from ..findings import Finding, join
from ..limits import (
    MAX_CONDITIONS_PER_SELECTION,
    MAX_TAG_SELECTIONS_PER_PLAN,
    RDS_AURORA_RESOURCE_TYPES,
    SUPPORTED_RESOURCE_TYPES,
)
from .shape import _suggest
from .values import _all_operator_texts, _child, _children, _text, _texts, _too_many

# Rule ids (one home each: the loader, the pack and the tests import them).
IAM_ROLE_ARN = "iam-role-arn"
RESOURCE_TYPE = "resource-type"
SELECTION_KIND = "selection-kind"

_PARTITION_PREFIX_RE = re.compile(r"^arn:aws-[a-z-]+:")


class _RdsScope(IntEnum):
    """Whether a plan's selections back up RDS/Aurora: for the cross-account-and-Region copy rule (§4.4)."""

    NO = 0
    MAYBE = 1
    SELECTED = 2


def _check_selections(node: Any, path: str) -> tuple[_RdsScope, list[Finding]]:
    if not isinstance(node, Mapping):
        return _RdsScope.NO, []
    out: list[Finding] = []
    tag_selections = _children(node.get("tags"))
    resource_selections = _children(node.get("resources"))
    # AWS_SYNTAX, selections: "two mutually exclusive elements: tags and resources. An effective policy must
    # have either": both in one document is an error; neither (or empty ones) a parent policy may still fill.
    if "tags" in node and "resources" in node:
        out.append(
            Finding(
                path,
                sorted(key for key, _ in _children(node)),
                SELECTION_KIND,
                "selections has both tags and resources; give exactly one",
            )
        )
    elif "tags" not in node and "resources" not in node:
        out.append(
            Finding(
                path,
                sorted(key for key, _ in _children(node)),
                SELECTION_KIND,
                "selections has neither tags and resources: unless a parent policy supplies one, the plan "
                "selects nothing",
                "warning",
            )
        )
    elif not tag_selections and not resource_selections:
        out.append(
            Finding(
                path,
                None,
                SELECTION_KIND,
                "selections selects nothing (unless a parent policy adds a selection)",
                "warning",
            )
        )
    out += _too_many(
        join(path, "tags"),
        len(tag_selections),
        MAX_TAG_SELECTIONS_PER_PLAN,
        "tag-selection-count",
        "tag selections in a plan",
    )
    scope = _RdsScope.MAYBE if tag_selections else _RdsScope.NO
    for name, selection in tag_selections:
        out += _check_selection_common(selection, join(path, "tags", name))
    for name, selection in resource_selections:
        selection_path = join(path, "resources", name)
        out += _check_selection_common(selection, selection_path)
        out += _check_resource_types(selection, selection_path)
        scope = max(scope, _rds_scope(selection))
    return scope, out


def _check_selection_common(selection: Any, path: str) -> list[Finding]:
    out: list[Finding] = []
    role = _text(_child(selection, "iam_role_arn"))
    if role is not None and role_arn_account(role) is None:
        out.append(
            Finding(
                join(path, "iam_role_arn"),
                role,
                IAM_ROLE_ARN,
                f"{role!r} is not an IAM role ARN like arn:aws:iam::$account:role/BackupRole",
            )
        )
    conditions = sum(len(_children(named)) for _, named in _children(_child(selection, "conditions")))
    out += _too_many(
        join(path, "conditions"),
        conditions,
        MAX_CONDITIONS_PER_SELECTION,
        "condition-count",
        "conditions in a selection",
    )
    return out


def _check_resource_types(selection: Any, path: str) -> list[Finding]:
    out: list[Finding] = []
    for key in ("resource_types", "not_resource_types"):
        out.extend(
            Finding(
                join(path, key),
                value,
                RESOURCE_TYPE,
                f"{value!r} is not a resource type backup policies support{_suggest(value, SUPPORTED_RESOURCE_TYPES)}",
            )
            for value in _all_operator_texts(_child(selection, key))
            if _without_partition(value) not in SUPPORTED_RESOURCE_TYPES
        )
    return out


def _without_partition(resource_type: str) -> str:
    """GovCloud and China write ``arn:aws-us-gov:``/``arn:aws-cn:``; compare against the ``arn:aws:`` list."""
    return _PARTITION_PREFIX_RE.sub("arn:aws:", resource_type)


def _rds_scope(selection: Any) -> _RdsScope:
    """Explicit RDS types select RDS; ``*`` does too unless excluded, but conditions make it only a maybe."""
    types = {_without_partition(value) for value in _texts(_child(selection, "resource_types"))}
    excluded = {_without_partition(value) for value in _texts(_child(selection, "not_resource_types"))}
    if types & RDS_AURORA_RESOURCE_TYPES:
        return _RdsScope.SELECTED
    if "*" not in types or excluded >= RDS_AURORA_RESOURCE_TYPES:
        return _RdsScope.NO
    has_conditions = any(_children(named) for _, named in _children(_child(selection, "conditions")))
    return _RdsScope.MAYBE if has_conditions else _RdsScope.SELECTED
