"""Judge any Organizations ``BACKUP_POLICY`` document by the AWS rules (aws-backup-rules.md §1, checklist).

The document may be hand-written, so every finding is reported (never only the first) and no input raises.
Two passes keep the ideas apart: the *shape* pass walks the document against the documented key tree
(inheritance operators, unknown keys, list versus single-value settings); the *meaning* pass reads the values
and applies the schedule, window, lifecycle, copy and selection rules. ``parse_backup_policy`` reads the same
documents into plain dataclasses for the stack-wide checks.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from enum import IntEnum
from typing import Any, Literal, TypeVar

from .arns import ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER, VaultArn, parse_vault_arn, role_arn_account
from .copy_paths import CopyPath, check_rds_one_step
from .findings import Finding, join
from .lifecycle import check_lifecycle, check_windows
from .limits import (
    CONDITION_OPERATORS,
    ENABLED_DISABLED,
    INDEX_RESOURCE_TYPES,
    MALWARE_SCANNERS,
    MAX_BACKUP_POLICY_CHARS,
    MAX_CONDITIONS_PER_SELECTION,
    MAX_COPY_ACTIONS_PER_RULE,
    MAX_RECOVERY_POINT_TAGS,
    MAX_RULES_PER_PLAN,
    MAX_TAG_SELECTIONS_PER_PLAN,
    PLAN_NAME_RE,
    RDS_AURORA_RESOURCE_TYPES,
    REGION_RE,
    RULE_NAME_RE,
    SCAN_MODES,
    SCAN_RESOURCE_TYPES,
    SUPPORTED_RESOURCE_TYPES,
    VAULT_NAME_RE,
)
from .schedule import check_schedule_expression

_T = TypeVar("_T")

DOCUMENT = "policy"
ASSIGN = "@@assign"
APPEND = "@@append"
REMOVE = "@@remove"
CHILD_OPERATORS = "@@operators_allowed_for_child_policies"
VALUE_OPERATORS = (ASSIGN, APPEND, REMOVE)
CHILD_OPERATOR_VALUES = frozenset({"@@all", "@@none", ASSIGN, APPEND, REMOVE})
DEFAULT_VAULT = "Default"
OLD_WINDOWS_VSS = "WindowsVSS"

AWS_SYNTAX = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html"
"""The current backup-policy syntax page: element tables ("Required" columns) and examples 1-8."""
AWS_SYNTAX_ARCHIVE = (
    "https://github.com/awsdocs/aws-organizations-docs/blob/main/doc_source/orgs_manage_policies_backup_syntax.md"
)
"""The previous text of the same page, which still says what the current one leaves out about copy_actions keys."""
AWS_OPERATORS = "https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html"
AWS_CROSS_ACCOUNT_COPY = "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html"

_INTEGER_RE = re.compile(r"^\s*-?\d{1,18}\s*$")
_PARTITION_PREFIX_RE = re.compile(r"^arn:aws-[a-z-]+:")
_CAMEL_BOUNDARY_RE = re.compile(r"(?<!^)(?=[A-Z])")


# --------------------------------------------------------------------------- loading


class _JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers the keys it met twice (Organizations rejects duplicate keys)."""

    duplicates: tuple[str, ...] = ()


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    seen: set[str] = set()
    duplicates: list[str] = []
    for key, _ in pairs:
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    obj.duplicates = tuple(duplicates)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _load(content: object) -> tuple[Any, list[Finding]]:
    """The parsed document (None when unusable) and the document-level findings: JSON, size, duplicates."""
    if isinstance(content, str):
        text = content
    elif isinstance(content, Mapping):
        try:
            text = json.dumps(content, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain)
        except (TypeError, ValueError, RecursionError) as exc:
            return None, [Finding(DOCUMENT, None, "policy-json", f"content cannot be written as JSON: {exc}")]
    else:
        return None, [
            Finding(DOCUMENT, type(content).__name__, "policy-json", "content must be a JSON string or a mapping")
        ]
    try:
        document = json.loads(text, object_pairs_hook=_object_from_pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [*_size_findings(text, None), _json_error(text, exc)]
    except (ValueError, RecursionError) as exc:
        return None, [
            *_size_findings(text, None),
            Finding(DOCUMENT, None, "policy-json", f"invalid JSON: {exc}"),
        ]
    return document, [*_size_findings(text, document), *_duplicate_keys(document)]


def _json_error(text: str, exc: json.JSONDecodeError) -> Finding:
    comma = _trailing_comma(text, exc.pos)
    if comma is None:
        message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    else:
        line = text.count("\n", 0, comma) + 1
        column = comma - (text.rfind("\n", 0, comma) + 1) + 1
        message = (
            f"invalid JSON: trailing comma at line {line} column {column} (JSON allows no comma before '}}' or ']')"
        )
    return Finding(DOCUMENT, None, "policy-json", message)


def _trailing_comma(text: str, position: int) -> int | None:
    """Where the comma sits when the parser stopped at a closing bracket right after one."""
    if position >= len(text) or text[position] not in "}]":
        return None
    before = len(text[:position].rstrip()) - 1
    return before if before >= 0 and text[before] == "," else None


def _size_findings(text: str, document: Any) -> list[Finding]:
    if len(text) <= MAX_BACKUP_POLICY_CHARS:
        return []
    message = f"the policy is {len(text)} characters; Organizations allows {MAX_BACKUP_POLICY_CHARS}"
    if document is not None:
        minified = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
        if minified <= MAX_BACKUP_POLICY_CHARS:
            message += f" (minified it is {minified}: send it minified, IaC saves exactly what it is given)"
        else:
            message += _size_advice(document)
    return [Finding(DOCUMENT, len(text), "policy-size", message)]


def _minified_plans(plans: Mapping[str, Any]) -> int:
    return len(json.dumps({"plans": dict(plans)}, separators=(",", ":"), ensure_ascii=False))


def _size_advice(document: Any) -> str:
    """Which plans to put in separate policies, only when that helps: a plan that does not fit alone must
    shrink, whatever the grouping (a plan cannot be spread over policies)."""
    plans = document.get("plans") if isinstance(document, Mapping) else None
    if not isinstance(plans, Mapping) or not plans:
        return ""
    sizes = {str(name): _minified_plans({name: node}) for name, node in plans.items()}
    shown = ", ".join(f"{name} {size}" for name, size in sizes.items())
    too_big = [name for name, size in sizes.items() if size > MAX_BACKUP_POLICY_CHARS]
    if too_big:
        return (
            f"; plan sizes minified: {shown}; {', '.join(too_big)} alone exceeds the limit, so separating plans "
            "cannot help: shrink it (fewer rules, copy actions, Regions, selections or tags)"
        )
    groups: list[dict[str, Any]] = []
    for name in sorted(plans, key=lambda n: -sizes[str(n)]):
        fit = next((g for g in groups if _minified_plans({**g, name: plans[name]}) <= MAX_BACKUP_POLICY_CHARS), None)
        if fit is None:
            groups.append({name: plans[name]})
        else:
            fit[name] = plans[name]
    split = " | ".join(", ".join(group) for group in groups)
    return f"; plan sizes minified: {shown}; separate them into {len(groups)} policies, e.g. {split}"


def _duplicate_keys(document: Any) -> list[Finding]:
    """Walk the whole tree without recursion: a parsed document may nest deeper than the call stack allows."""
    out: list[Finding] = []
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, _JsonObject):
            out.extend(
                Finding(
                    join(path, key),
                    key,
                    "duplicate-key",
                    f"key {key!r} appears more than once; Organizations rejects duplicate keys",
                )
                for key in node.duplicates
            )
        if isinstance(node, dict):
            pending.extend((join(path, key), value) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            pending.extend((join(path, index), value) for index, value in reversed(list(enumerate(node))))
    return out


# --------------------------------------------------------------------------- the documented key tree


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
    unknown_rule: str = "unknown-key"
    inheritable: bool = True
    """Whether a parent policy can supply a missing required key (everything below ``plans`` merges by key)."""


@dataclass(frozen=True)
class _Named:
    """An object whose keys the author chooses: plan, rule, selection, tag and condition names, copy ARNs."""

    what: str
    item: _Node
    name_pattern: re.Pattern[str] | None = None
    type_rule: str = "object-expected"
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


# --------------------------------------------------------------------------- shape pass


def _check_shape(node: Any, schema: _Node, path: str) -> list[Finding]:
    """Check one node against the documented key tree, then its children."""
    if isinstance(schema, _Setting):
        return _check_setting(node, schema, path)
    if not isinstance(node, Mapping):
        return [
            Finding(
                path,
                node,
                schema.type_rule if isinstance(schema, _Named) else "object-expected",
                f"must be a JSON object{schema.type_hint if isinstance(schema, _Named) else ''}, "
                f"not {_json_type(node)}",
            )
        ]
    out = _check_block_operators(node, schema.what, path)
    if not node:
        out.append(Finding(path, node, "empty-object", "empty object: leave it out", "warning"))
    if isinstance(schema, _Block):
        out += _check_block(node, schema, path)
    else:
        out += _check_named(node, schema, path)
    return out


def _check_block(node: Mapping[str, Any], schema: _Block, path: str) -> list[Finding]:
    out: list[Finding] = []
    for key, value in node.items():
        if key.startswith("@@"):
            continue
        child = schema.fields.get(key)
        if child is None:
            out.append(_unknown_key(join(path, key), key, [*schema.fields, CHILD_OPERATORS], schema))
        else:
            out += _check_shape(value, child, join(path, key))
    out.extend(_missing_key(path, key, schema) for key in sorted(schema.required) if key not in node)
    return out


def _missing_key(path: str, key: str, schema: _Block) -> Finding:
    """AWS lists the plan, rule and selection keys as required *in the effective policy* (AWS_SYNTAX, "Required"
    columns) and documents child policies that omit them because a parent supplies them (AWS_SYNTAX example 5,
    child policy): one document alone can only be warned about."""
    if not schema.inheritable:
        return Finding(join(path, key), None, "required-key", f"a {schema.what} needs {key}")
    return Finding(
        join(path, key),
        None,
        "required-key",
        f"a {schema.what} needs {key} in the effective policy: unless a parent policy supplies it, the plan "
        "is invalid and backs up nothing",
        "warning",
    )


def _check_named(node: Mapping[str, Any], schema: _Named, path: str) -> list[Finding]:
    out: list[Finding] = []
    for key, value in node.items():
        if key.startswith("@@"):
            continue
        if schema.name_pattern is not None and not schema.name_pattern.match(key):
            out.append(
                Finding(
                    join(path, key),
                    key,
                    "name-pattern",
                    f"{schema.what} name {key!r} must match {schema.name_pattern.pattern}",
                )
            )
        out += _check_shape(value, schema.item, join(path, key))
    return out


def _check_block_operators(node: Mapping[str, Any], what: str, path: str) -> list[Finding]:
    """Operator keys on an object that holds settings: only the child-control operator belongs there."""
    out: list[Finding] = []
    for key, value in node.items():
        if not key.startswith("@@"):
            continue
        if key == CHILD_OPERATORS:
            out += _check_child_operators(value, join(path, key))
        elif key in VALUE_OPERATORS:
            out.append(
                Finding(
                    join(path, key),
                    value,
                    "leaf-operator",
                    f"{key} sets one setting's value, but this {what} holds settings: put operators on its leaves",
                )
            )
        else:
            out.append(
                Finding(
                    join(path, key),
                    key,
                    "unknown-key",
                    f"unknown operator {key!r}{_suggest(key, [*VALUE_OPERATORS, CHILD_OPERATORS])}",
                )
            )
    return out


def _check_setting(node: Any, schema: _Setting, path: str) -> list[Finding]:
    example = '["value"]' if schema.is_list else '"value"'
    if not isinstance(node, Mapping):
        return [
            Finding(
                path,
                node,
                "leaf-operator",
                f'a setting\'s value must sit under an inheritance operator, e.g. {{"{ASSIGN}": {example}}}',
            )
        ]
    out: list[Finding] = []
    if not node:
        out.append(Finding(path, node, "empty-object", "empty setting: give it a value or leave it out", "warning"))
    for key, value in node.items():
        if key == CHILD_OPERATORS:
            out += _check_child_operators(value, join(path, key))
        elif key in VALUE_OPERATORS:
            out += _check_operator_value(key, value, schema, path)
        else:
            out.append(
                Finding(
                    join(path, key),
                    key,
                    "unknown-key",
                    f'{key!r} is not an inheritance operator; write e.g. {{"{ASSIGN}": {example}}}'
                    f"{_suggest(key, [*VALUE_OPERATORS, CHILD_OPERATORS])}",
                )
            )
    return out


def _check_operator_value(operator: str, value: Any, schema: _Setting, path: str) -> list[Finding]:
    if operator != ASSIGN and not schema.is_list:
        return [
            Finding(
                path,
                operator,
                "list-operator",
                f"{operator} only works on list settings; this setting holds one value: use {ASSIGN}",
            )
        ]
    if schema.is_list:
        if not isinstance(value, list) or not all(_is_scalar(item) for item in value):
            return [
                Finding(
                    path,
                    value,
                    "leaf-value-type",
                    f'this is a list setting: write {operator} as ["value", ...]',
                )
            ]
        values = value
    else:
        if not _is_scalar(value):
            return [Finding(path, value, "leaf-value-type", f"holds one value (a string), not {_json_type(value)}")]
        values = [value]
    if schema.holds_arn:
        return []
    return [
        Finding(
            path,
            item,
            "placeholder-outside-arn",
            f"{placeholder} is only substituted inside ARN values (vault and role ARNs), not in this setting",
        )
        for item in values
        if isinstance(item, str)
        for placeholder in (ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER)
        if placeholder in item
    ]


def _check_child_operators(value: Any, path: str) -> list[Finding]:
    allowed = ", ".join(sorted(CHILD_OPERATOR_VALUES))
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        return [Finding(path, value, "child-operators", f"{CHILD_OPERATORS} takes a non-empty list from {allowed}")]
    out = [
        Finding(
            path,
            item,
            "child-operators",
            f"{item!r} is not a child-policy operator{_suggest(item, CHILD_OPERATOR_VALUES)}",
        )
        for item in value
        if item not in CHILD_OPERATOR_VALUES
    ]
    exclusive = [item for item in value if item in ("@@all", "@@none")]
    if exclusive and len(value) > 1:
        out.append(Finding(path, value, "child-operators", f"{exclusive[0]} must stand alone in {CHILD_OPERATORS}"))
    return out


def _unknown_key(path: str, key: str, known: Iterable[str], schema: _Block) -> Finding:
    return Finding(path, key, schema.unknown_rule, f"unknown key {key!r} in {schema.what}{_suggest(key, known)}")


def _suggest(word: str, known: Iterable[str]) -> str:
    """A difflib hint, also trying the snake_case form so ``StringEquals`` finds ``string_equals``."""
    candidates = sorted(known)
    snake = _CAMEL_BOUNDARY_RE.sub("_", word).lower()
    for attempt in (word, snake, word.lower()):
        close = difflib.get_close_matches(attempt, candidates, n=1, cutoff=0.6)
        if close:
            return f"; did you mean {close[0]!r}?"
    return f"; expected one of {', '.join(candidates)}"


def _json_type(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}"


def _is_scalar(value: Any) -> bool:
    """Strings, and the bare numbers/booleans Organizations also stores as-is (corpus README evidence)."""
    return isinstance(value, str | int | float | bool)


# --------------------------------------------------------------------------- reading values


def _child(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, Mapping) else None


def _children(node: Any) -> list[tuple[str, Any]]:
    """Named entries of an object, without operator keys."""
    if not isinstance(node, Mapping):
        return []
    return [(key, value) for key, value in node.items() if isinstance(key, str) and not key.startswith("@@")]


def _setting_value(node: Any) -> Any:
    """What one policy contributes to a setting: its ``@@assign``, else its ``@@append``."""
    if isinstance(node, Mapping):
        for operator in (ASSIGN, APPEND):
            if operator in node:
                return node[operator]
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _text(node: Any) -> str | None:
    return _as_text(_setting_value(node))


def _texts(node: Any) -> tuple[str, ...]:
    value = _setting_value(node)
    items = value if isinstance(value, list) else []
    return tuple(text for text in (_as_text(item) for item in items) if text is not None)


def _all_operator_texts(node: Any) -> list[str]:
    """Every string a list setting names, under any value operator (``@@remove`` values must be valid too)."""
    if not isinstance(node, Mapping):
        return []
    return [
        item
        for operator in VALUE_OPERATORS
        if isinstance(node.get(operator), list)
        for item in node[operator]
        if isinstance(item, str)
    ]


def _to_int(value: Any) -> int | None:
    """Numbers may be written bare or quoted; booleans and fractions are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER_RE.match(value):
        return int(value)
    return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _read_setting(
    block: Any, key: str, path: str, out: list[Finding], convert: Callable[[Any], _T | None], rule: str, expected: str
) -> _T | None:
    """The value of setting ``key`` of ``block`` through ``convert``; a scalar it cannot convert is a finding."""
    value = _setting_value(_child(block, key))
    converted = convert(value)
    if converted is None and _is_scalar(value):
        out.append(Finding(join(path, key), value, rule, f"{key} must be {expected}, got {value!r}"))
    return converted


def _read_int(block: Any, key: str, path: str, out: list[Finding]) -> int | None:
    return _read_setting(block, key, path, out, _to_int, "number-value", "a whole number")


def _read_bool(block: Any, key: str, path: str, out: list[Finding]) -> bool | None:
    return _read_setting(block, key, path, out, _to_bool, "boolean-value", "true or false")


# --------------------------------------------------------------------------- meaning pass


class _RdsScope(IntEnum):
    """Whether a plan's selections back up RDS/Aurora: for the cross-account-and-Region copy rule (§4.4)."""

    NO = 0
    MAYBE = 1
    SELECTED = 2


def _check_plan(plan: Any, path: str) -> list[Finding]:
    if not isinstance(plan, Mapping):
        return []
    out: list[Finding] = []
    regions, region_findings = _check_regions(_child(plan, "regions"), join(path, "regions"))
    out += region_findings
    rds_scope, selection_findings = _check_selections(_child(plan, "selections"), join(path, "selections"))
    out += selection_findings
    rules_node = _child(plan, "rules")
    rules = _children(rules_node)
    if isinstance(rules_node, Mapping) and not rules:
        out.append(
            Finding(
                join(path, "rules"),
                rules_node,
                "required-key",
                "a plan needs at least one rule in the effective policy (unless a parent policy supplies one)",
                "warning",
            )
        )
    out += _too_many(join(path, "rules"), len(rules), MAX_RULES_PER_PLAN, "rule-count", "rules in a plan")
    for name, rule in rules:
        out += _check_rule(rule, join(path, "rules", name), regions, rds_scope)
    out += _check_advanced_settings(_child(plan, "advanced_backup_settings"), join(path, "advanced_backup_settings"))
    out += _check_scan_settings(plan, path, rules)
    return out


def _too_many(path: str, count: int, limit: int, rule: str, what: str) -> list[Finding]:
    """The count quotas of §1.8 (rules, copy actions, tags, selections, conditions)."""
    if count <= limit:
        return []
    return [Finding(path, count, rule, f"{count} {what}; AWS allows at most {limit}")]


def _check_regions(node: Any, path: str) -> tuple[tuple[str, ...], list[Finding]]:
    """The valid Region codes the plan runs in, and a finding for each invalid code."""
    findings = [
        Finding(path, code, "region-code", f"{code!r} is not an AWS Region code such as us-east-1")
        for code in _all_operator_texts(node)
        if not REGION_RE.match(code)
    ]
    return tuple(code for code in _texts(node) if REGION_RE.match(code)), findings


def _check_rule(rule: Any, path: str, plan_regions: tuple[str, ...], rds_scope: _RdsScope) -> list[Finding]:
    if not isinstance(rule, Mapping):
        return []
    out: list[Finding] = []
    out += _check_schedule(rule, path)
    vault = _text(_child(rule, "target_backup_vault_name"))
    if vault is not None and not VAULT_NAME_RE.match(vault):
        out.append(
            Finding(
                join(path, "target_backup_vault_name"),
                vault,
                "vault-name",
                f"vault name {vault!r} must match {VAULT_NAME_RE.pattern}",
            )
        )
    out += _check_lag_target(_child(rule, "target_logically_air_gapped_backup_vault_arn"), path)
    start = _read_int(rule, "start_backup_window_minutes", path, out)
    completion = _read_int(rule, "complete_backup_window_minutes", path, out)
    out += check_windows(path, start_minutes=start, completion_minutes=completion)
    continuous = bool(_read_bool(rule, "enable_continuous_backup", path, out))
    out += _check_lifecycle(_child(rule, "lifecycle"), join(path, "lifecycle"), continuous=continuous)
    out += _check_copy_actions(_child(rule, "copy_actions"), join(path, "copy_actions"), plan_regions, rds_scope)
    out += _too_many(
        join(path, "recovery_point_tags"),
        len(_children(_child(rule, "recovery_point_tags"))),
        MAX_RECOVERY_POINT_TAGS,
        "recovery-point-tag-count",
        "recovery point tags on a rule",
    )
    index_path = join(path, "index_actions", "resource_types")
    out += _check_enum(
        _all_operator_texts(_child(_child(rule, "index_actions"), "resource_types")),
        INDEX_RESOURCE_TYPES,
        index_path,
    )
    for scanner, action in _children(_child(rule, "scan_actions")):
        out += _check_scanner_name(scanner, join(path, "scan_actions", scanner))
        mode = _text(_child(action, "scan_mode"))
        if mode is not None:
            out += _check_enum([mode], SCAN_MODES, join(path, "scan_actions", scanner, "scan_mode"))
    return out


def _check_schedule(rule: Mapping[str, Any], path: str) -> list[Finding]:
    out: list[Finding] = []
    schedule_path = join(path, "schedule_expression")
    if "schedule_expression" not in rule:
        out.append(
            Finding(
                schedule_path,
                None,
                "schedule-missing",
                "no schedule_expression: AWS documents it as required; the Backup API would default to "
                "cron(0 5 ? * * *) (daily 05:00 UTC); set it explicitly",
                "warning",
            )
        )
    else:
        schedule = _setting_value(rule["schedule_expression"])
        if schedule is not None:
            out += check_schedule_expression(schedule_path, schedule)
    if "schedule_expression_timezone" in rule:
        out.append(
            Finding(
                join(path, "schedule_expression_timezone"),
                _setting_value(rule["schedule_expression_timezone"]),
                "schedule-timezone",
                "schedule_expression_timezone is not documented for backup policies, whose schedules are UTC",
                "warning",
            )
        )
    return out


def _check_lag_target(node: Any, rule_path: str) -> list[Finding]:
    arn_text = _text(node)
    if arn_text is None:
        return []
    path = join(rule_path, "target_logically_air_gapped_backup_vault_arn")
    arn = parse_vault_arn(arn_text)
    if arn is None or not arn.uses_placeholders:
        return [
            Finding(
                path,
                arn_text,
                "lag-arn",
                "a logically air-gapped target must be written "
                "arn:aws:backup:$region:$account:backup-vault:<name> (same account and Region as each plan)",
            )
        ]
    return _check_vault_name(arn, path)


def _check_vault_name(arn: VaultArn, path: str) -> list[Finding]:
    if VAULT_NAME_RE.match(arn.name):
        return []
    return [Finding(path, arn.name, "vault-name", f"vault name {arn.name!r} must match {VAULT_NAME_RE.pattern}")]


def _check_lifecycle(node: Any, path: str, *, continuous: bool) -> list[Finding]:
    out: list[Finding] = []
    cold = _read_int(node, "move_to_cold_storage_after_days", path, out)
    delete = _read_int(node, "delete_after_days", path, out)
    _read_bool(node, "opt_in_to_archive_for_supported_resources", path, out)
    out += check_lifecycle(path, cold_after_days=cold, delete_after_days=delete, continuous=continuous)
    return out


def _check_copy_actions(node: Any, path: str, plan_regions: tuple[str, ...], rds_scope: _RdsScope) -> list[Finding]:
    actions = _children(node)
    out = _too_many(path, len(actions), MAX_COPY_ACTIONS_PER_RULE, "copy-action-count", "copy actions in a rule")
    for key, action in actions:
        action_path = join(path, key)
        destination, destination_findings = _copy_destination(key, action, action_path)
        out += destination_findings
        if destination is not None:
            out += _check_destination(destination, action_path, plan_regions, rds_scope)
        out += _check_lifecycle(_child(action, "lifecycle"), join(action_path, "lifecycle"), continuous=False)
    return out


def _copy_destination(key: str, action: Any, path: str) -> tuple[VaultArn | None, list[Finding]]:
    """The destination vault of one copy action (§1.5).

    AWS_SYNTAX_ARCHIVE: the key "must be the Amazon Resource Name (ARN) of the backup vault";
    ``target_backup_vault_arn`` is "(Optional)", and when it "is missing, then an all lower-case version of the
    ARN in the parent key name is used" so an upper-case letter in the key points the copy at a vault that
    does not exist. The same page's first example keys a copy by a ``$account`` ARN whose target names a literal
    account: a key that differs from the target is legal, the target decides, and the key only identifies the
    copy action when policies merge.
    """
    key_arn = parse_vault_arn(key)
    if key_arn is None:
        return None, [
            Finding(
                path,
                key,
                "copy-action-key",
                f"copy_actions key {key!r} is not a backup vault ARN; key each copy action by its "
                "destination vault ARN, the same value as its target_backup_vault_arn",
            )
        ]
    target_text = _text(_child(action, "target_backup_vault_arn"))
    if target_text is None:
        if key == key.lower():
            return key_arn, []
        return key_arn, [
            Finding(
                path,
                key,
                "copy-action-key-case",
                "without target_backup_vault_arn AWS uses the lower-cased key "
                f"{key.lower()} as the destination, which is not the vault {key_arn.name}: "
                "add target_backup_vault_arn with the exact ARN",
            )
        ]
    target_path = join(path, "target_backup_vault_arn")
    target = parse_vault_arn(target_text)
    if target is None:
        return key_arn, [
            Finding(target_path, target_text, "copy-action-arn", f"{target_text!r} is not a backup vault ARN")
        ]
    if target_text.lower() != key.lower():
        return target, [
            Finding(
                target_path,
                target_text,
                "copy-action-key",
                f"target_backup_vault_arn {target_text} differs from its copy_actions key {key}: the copy goes to "
                "the target, and a child policy that changes this key's copy action changes it; key it by the "
                "target's ARN",
                "warning",
            )
        ]
    return target, []


def _check_destination(
    destination: VaultArn, path: str, plan_regions: tuple[str, ...], rds_scope: _RdsScope
) -> list[Finding]:
    out = _check_vault_name(destination, path)
    if destination.name == DEFAULT_VAULT and destination.account != ACCOUNT_PLACEHOLDER:
        # AWS_CROSS_ACCOUNT_COPY: cross-account copies need a destination vault other than the Default vault.
        # Same-account copies into Default are fine (AWS_SYNTAX example 2, child policy, copies to
        # arn:aws:backup:us-east-1:$account:backup-vault:Default).
        out.append(
            Finding(
                path,
                str(destination),
                "copy-default-vault",
                f"copies cannot go to the Default vault of account {destination.account}: the copy is "
                "cross-account for every other account the policy reaches, and AWS refuses cross-account copies "
                "into a Default vault; use a named vault (or $account for a same-account copy)",
            )
        )
    # One home for the RDS/Aurora one-step rule (copy_paths): a $account destination is the source account, a
    # $region destination the source Region; any plan Region other than the destination's is cross-Region.
    source_region = next((r for r in plan_regions if r != destination.region), destination.region)
    path_of_copy = CopyPath(
        where=path,
        plan="",
        rule="",
        source_account=ACCOUNT_PLACEHOLDER,
        source_region=source_region if destination.region != REGION_PLACEHOLDER else REGION_PLACEHOLDER,
        destination_account=destination.account,
        destination_region=destination.region,
        destination_vault=destination.name,
        rds=("no", "maybe", "selected")[rds_scope],
    )
    out += [replace(f, value=str(destination)) for f in check_rds_one_step(path_of_copy)]
    return out


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
                "selection-kind",
                "selections has both tags and resources; give exactly one",
            )
        )
    elif "tags" not in node and "resources" not in node:
        out.append(
            Finding(
                path,
                sorted(key for key, _ in _children(node)),
                "selection-kind",
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
                "selection-kind",
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
                "iam-role-arn",
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
                "resource-type",
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


def _check_advanced_settings(node: Any, path: str) -> list[Finding]:
    out: list[Finding] = []
    ec2 = _child(node, "ec2")
    if isinstance(ec2, Mapping) and OLD_WINDOWS_VSS in ec2:
        out.append(
            Finding(
                join(path, "ec2", OLD_WINDOWS_VSS),
                _setting_value(ec2[OLD_WINDOWS_VSS]),
                "windows-vss-spelling",
                "WindowsVSS is the old spelling; current backup policies use windows_vss",
                "warning",
            )
        )
    for block, keys in (
        ("ec2", ("windows_vss", OLD_WINDOWS_VSS)),
        ("s3", ("backup_acls", "backup_object_tags")),
    ):
        for key in keys:
            value = _text(_child(_child(node, block), key))
            if value is not None:
                out += _check_enum([value], ENABLED_DISABLED, join(path, block, key))
    return out


def _check_scan_settings(plan: Mapping[str, Any], path: str, rules: list[tuple[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    settings = _children(_child(plan, "scan_settings"))
    for scanner, setting in settings:
        setting_path = join(path, "scan_settings", scanner)
        out += _check_scanner_name(scanner, setting_path)
        out += _check_enum(
            _all_operator_texts(_child(setting, "resource_types")),
            SCAN_RESOURCE_TYPES,
            join(setting_path, "resource_types"),
        )
        role = _text(_child(setting, "scanner_role_arn"))
        if role is not None and role_arn_account(role) is None:
            out.append(
                Finding(
                    join(setting_path, "scanner_role_arn"),
                    role,
                    "iam-role-arn",
                    f"{role!r} is not an IAM role ARN",
                )
            )
    if not settings:
        out.extend(
            Finding(
                join(path, "rules", name, "scan_actions"),
                None,
                "scan-settings-missing",
                "scan_actions need plan-level scan_settings (unless a parent policy supplies them)",
                "warning",
            )
            for name, rule in rules
            if _children(_child(rule, "scan_actions"))
        )
    return out


def _check_scanner_name(scanner: str, path: str) -> list[Finding]:
    if scanner.upper() in MALWARE_SCANNERS:
        return []
    return [Finding(path, scanner, "enum-value", f"unknown malware scanner {scanner!r}; expected GUARDDUTY")]


def _check_enum(values: Iterable[str], allowed: frozenset[str], path: str) -> list[Finding]:
    return [
        Finding(path, value, "enum-value", f"{value!r} is not one of {', '.join(sorted(allowed))}")
        for value in values
        if value not in allowed
    ]


# --------------------------------------------------------------------------- public API


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
            Finding(DOCUMENT, document, "object-expected", "a backup policy is a JSON object with plans"),
        ]
    out += _check_shape(document, _POLICY, "")
    for name, plan in _children(document.get("plans")):
        out += _check_plan(plan, join("plans", name))
    return [finding if finding.path else replace(finding, path=DOCUMENT) for finding in out]


@dataclass(frozen=True)
class ParsedCopyAction:
    destination_arn: str
    cold_after_days: int | None
    delete_after_days: int | None


@dataclass(frozen=True)
class ParsedRule:
    name: str
    schedule: str | None
    target_vault_name: str | None
    lag_vault_arn: str | None
    start_minutes: int | None
    completion_minutes: int | None
    cold_after_days: int | None
    delete_after_days: int | None
    continuous: bool
    copy_actions: tuple[ParsedCopyAction, ...]


SelectionKind = Literal["tags", "resources"]
_SELECTION_KINDS: tuple[SelectionKind, ...] = ("tags", "resources")


@dataclass(frozen=True)
class ParsedCondition:
    """One named selection condition: ``operator`` is one of ``limits.CONDITION_OPERATORS``."""

    operator: str
    key: str
    value: str


@dataclass(frozen=True)
class ParsedSelection:
    kind: SelectionKind
    name: str
    iam_role_arn: str | None
    resource_types: tuple[str, ...]
    not_resource_types: tuple[str, ...]
    tag_key: str | None
    tag_values: tuple[str, ...]
    conditions: tuple[ParsedCondition, ...] = ()


@dataclass(frozen=True)
class ParsedPlan:
    name: str
    regions: tuple[str, ...]
    rules: tuple[ParsedRule, ...]
    selections: tuple[ParsedSelection, ...]


@dataclass(frozen=True)
class ParsedBackupPolicy:
    """The values stack-wide checks need (vaults per Region, roles, copy targets), without operator syntax."""

    plans: tuple[ParsedPlan, ...]


def parse_backup_policy(content: str | Mapping[str, Any]) -> ParsedBackupPolicy | None:
    """Read a policy leniently (values of ``@@assign``/``@@append``, numbers as int); None if not a policy."""
    document, _ = _load(content)
    plans = _child(document, "plans")
    if not isinstance(plans, Mapping):
        return None
    return ParsedBackupPolicy(
        tuple(_parse_plan(name, plan) for name, plan in _children(plans) if isinstance(plan, Mapping))
    )


def _parse_plan(name: str, plan: Mapping[str, Any]) -> ParsedPlan:
    rules = tuple(
        _parse_rule(rule_name, rule) for rule_name, rule in _children(plan.get("rules")) if isinstance(rule, Mapping)
    )
    selections = _child(plan, "selections")
    parsed_selections = tuple(
        _parse_selection(kind, selection_name, selection)
        for kind in _SELECTION_KINDS
        for selection_name, selection in _children(_child(selections, kind))
        if isinstance(selection, Mapping)
    )
    return ParsedPlan(name, _texts(plan.get("regions")), rules, parsed_selections)


def _parse_rule(name: str, rule: Mapping[str, Any]) -> ParsedRule:
    lifecycle = rule.get("lifecycle")
    return ParsedRule(
        name=name,
        schedule=_text(rule.get("schedule_expression")),
        target_vault_name=_text(rule.get("target_backup_vault_name")),
        lag_vault_arn=_text(rule.get("target_logically_air_gapped_backup_vault_arn")),
        start_minutes=_to_int(_setting_value(rule.get("start_backup_window_minutes"))),
        completion_minutes=_to_int(_setting_value(rule.get("complete_backup_window_minutes"))),
        cold_after_days=_to_int(_setting_value(_child(lifecycle, "move_to_cold_storage_after_days"))),
        delete_after_days=_to_int(_setting_value(_child(lifecycle, "delete_after_days"))),
        continuous=bool(_to_bool(_setting_value(rule.get("enable_continuous_backup")))),
        copy_actions=_parse_copy_actions(rule.get("copy_actions")),
    )


def _parse_copy_actions(node: Any) -> tuple[ParsedCopyAction, ...]:
    """Keyed by ARN as documented; a list (the API shape) is read too so stack checks still see the copy."""
    entries: list[tuple[str | None, Mapping[str, Any]]]
    if isinstance(node, list):
        entries = [(None, item) for item in node if isinstance(item, Mapping)]
    else:
        entries = [(key, action) for key, action in _children(node) if isinstance(action, Mapping)]
    out: list[ParsedCopyAction] = []
    for key, action in entries:
        destination = _text(action.get("target_backup_vault_arn")) or key
        if destination is None:
            continue
        lifecycle = action.get("lifecycle")
        out.append(
            ParsedCopyAction(
                destination_arn=destination,
                cold_after_days=_to_int(_setting_value(_child(lifecycle, "move_to_cold_storage_after_days"))),
                delete_after_days=_to_int(_setting_value(_child(lifecycle, "delete_after_days"))),
            )
        )
    return tuple(out)


def _parse_selection(kind: SelectionKind, name: str, selection: Mapping[str, Any]) -> ParsedSelection:
    return ParsedSelection(
        kind=kind,
        name=name,
        iam_role_arn=_text(selection.get("iam_role_arn")),
        resource_types=_texts(selection.get("resource_types")),
        not_resource_types=_texts(selection.get("not_resource_types")),
        tag_key=_text(selection.get("tag_key")),
        tag_values=_texts(selection.get("tag_value")),
        conditions=_parse_conditions(selection.get("conditions")),
    )


def _parse_conditions(node: Any) -> tuple[ParsedCondition, ...]:
    """Conditions with a known operator and both key and value; the validator reports the rest."""
    out: list[ParsedCondition] = []
    for operator, named in _children(node):
        if operator not in CONDITION_OPERATORS:
            continue
        for _, condition in _children(named):
            key = _text(_child(condition, "condition_key"))
            value = _text(_child(condition, "condition_value"))
            if key is not None and value is not None:
                out.append(ParsedCondition(operator, key, value))
    return tuple(out)
