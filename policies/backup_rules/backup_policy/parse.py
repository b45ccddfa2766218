"""A backup policy read into plain dataclasses for the stack-wide checks (``parse_backup_policy``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..limits import (
    CONDITION_OPERATORS,
)
from .document import _load
from .values import _child, _children, _setting_value, _text, _texts, _to_bool, _to_int


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
