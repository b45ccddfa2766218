"""The documented key tree of a backup policy (AWS_SYNTAX): which keys exist, which are blocks, lists or ARNs,
which are required. The shape pass and the inheritance checks walk the same tree.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ..limits import (
    CONDITION_OPERATORS,
    PLAN_NAME_RE,
    RULE_NAME_RE,
)

# Rule ids (one home each: the loader, the pack and the tests import them).
OBJECT_EXPECTED = "object-expected"
REQUIRED_KEY = "required-key"
UNKNOWN_KEY = "unknown-key"

OLD_WINDOWS_VSS = "WindowsVSS"


@dataclass(frozen=True)
class _Setting:
    """A leaf: its value must sit under an inheritance operator."""

    is_list: bool = False
    holds_arn: bool = False


@dataclass(frozen=True)
class _Block:
    """An object whose keys AWS documents."""

    what: str
    fields: Mapping[str, _Node]
    required: frozenset[str] = frozenset()
    unknown_rule: str = UNKNOWN_KEY
    inheritable: bool = True
    """Whether a parent policy can supply a missing required key (everything below ``plans`` merges by key)."""


@dataclass(frozen=True)
class _Named:
    """An object whose keys the author chooses: plan, rule, selection, tag and condition names, copy ARNs."""

    what: str
    item: _Node
    name_pattern: re.Pattern[str] | None = None
    type_rule: str = OBJECT_EXPECTED
    type_hint: str = ""


_Node = _Setting | _Block | _Named


_SCALAR = _Setting()


_LIST = _Setting(is_list=True)


_ARN = _Setting(holds_arn=True)


_ARN_LIST = _Setting(is_list=True, holds_arn=True)


_LIFECYCLE = _Block(
    "lifecycle",
    {
        "move_to_cold_storage_after_days": _SCALAR,
        "delete_after_days": _SCALAR,
        "opt_in_to_archive_for_supported_resources": _SCALAR,
    },
)


_TAG = _Block("tag", {"tag_key": _SCALAR, "tag_value": _SCALAR}, required=frozenset({"tag_key", "tag_value"}))


_COPY_ACTION = _Block("copy action", {"target_backup_vault_arn": _ARN, "lifecycle": _LIFECYCLE})
"""``target_backup_vault_arn`` is optional: the key then names the destination (see ``_copy_destination``)."""


_CONDITION = _Block(
    "condition",
    {"condition_key": _SCALAR, "condition_value": _SCALAR},
    required=frozenset({"condition_key", "condition_value"}),
)


_CONDITIONS = _Block(
    "conditions",
    {operator: _Named("condition", _CONDITION) for operator in sorted(CONDITION_OPERATORS)},
    unknown_rule="condition-operator",
)


_RULE = _Block(
    "rule",
    {
        "schedule_expression": _SCALAR,
        "schedule_expression_timezone": _SCALAR,
        "target_backup_vault_name": _SCALAR,
        "target_logically_air_gapped_backup_vault_arn": _ARN,
        "start_backup_window_minutes": _SCALAR,
        "complete_backup_window_minutes": _SCALAR,
        "enable_continuous_backup": _SCALAR,
        "lifecycle": _LIFECYCLE,
        "copy_actions": _Named(
            "copy action",
            _COPY_ACTION,
            type_rule="copy-actions-shape",
            type_hint=" keyed by the destination vault ARN (a list is the AWS Backup API's shape)",
        ),
        "recovery_point_tags": _Named("recovery point tag", _TAG),
        "index_actions": _Block("index_actions", {"resource_types": _LIST}),
        "scan_actions": _Named("scanner", _Block("scan action", {"scan_mode": _SCALAR})),
    },
    required=frozenset({"target_backup_vault_name"}),
)


_TAG_SELECTION = _Block(
    "tag selection",
    {"iam_role_arn": _ARN, "tag_key": _SCALAR, "tag_value": _LIST, "conditions": _CONDITIONS},
    required=frozenset({"iam_role_arn", "tag_key", "tag_value"}),
)


_RESOURCE_SELECTION = _Block(
    "resource selection",
    {
        "iam_role_arn": _ARN,
        "resource_types": _ARN_LIST,
        "not_resource_types": _ARN_LIST,
        "conditions": _CONDITIONS,
    },
    required=frozenset({"iam_role_arn", "resource_types"}),
)


_SELECTIONS = _Block(
    "selections",
    {
        "tags": _Named("tag selection", _TAG_SELECTION, name_pattern=RULE_NAME_RE),
        "resources": _Named("resource selection", _RESOURCE_SELECTION, name_pattern=RULE_NAME_RE),
    },
)


_ADVANCED_SETTINGS = _Block(
    "advanced_backup_settings",
    {
        "ec2": _Block("ec2 settings", {"windows_vss": _SCALAR, OLD_WINDOWS_VSS: _SCALAR}),
        "s3": _Block("s3 settings", {"backup_acls": _SCALAR, "backup_object_tags": _SCALAR}),
    },
)


_PLAN = _Block(
    "plan",
    {
        "regions": _LIST,
        "rules": _Named("rule", _RULE, name_pattern=RULE_NAME_RE),
        "selections": _SELECTIONS,
        "advanced_backup_settings": _ADVANCED_SETTINGS,
        "backup_plan_tags": _Named("plan tag", _TAG),
        "scan_settings": _Named(
            "scanner", _Block("scan settings", {"resource_types": _LIST, "scanner_role_arn": _ARN})
        ),
    },
    required=frozenset({"regions", "rules", "selections"}),
)


_POLICY = _Block(
    "policy",
    {"plans": _Named("plan", _PLAN, name_pattern=PLAN_NAME_RE)},
    required=frozenset({"plans"}),
    inheritable=False,
)
"""A backup policy "must always start with" ``plans`` (archived S1 text, AWS_SYNTAX_ARCHIVE)."""
