"""The rules of Plans and BACKUP_POLICY documents read into one shape (``RuleView``), for every rule domain.

A Plan's properties may be unknown during a preview: each view records which ones, so that a rule can fail
closed on exactly those. A document is validated once per text, however many rules ask.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from backup_rules.backup_policy import validate_backup_policy
from backup_rules.backup_policy.parse import ParsedBackupPolicy, ParsedPlan
from backup_rules.findings import Finding, join
from backup_rules.lifecycle import KEEP_FOREVER

from .adapter import as_int, is_unknown
from .resources import (
    BACKUP_POLICY_TYPE,
    ORG_POLICY,
    PLAN,
    Resource,
    parsed_backup_policy,
)

PREVIEW_UNKNOWN = "could not be verified during preview (its value is not known yet)"


@lru_cache(maxsize=1024)
def _validated(content: str) -> tuple[Finding, ...]:
    return tuple(validate_backup_policy(content))


def document_findings(content: Any) -> tuple[Finding, ...]:
    """Every finding of one document; the text is validated once however many rules ask."""
    return _validated(content) if isinstance(content, str) else tuple(validate_backup_policy(content))


def is_backup_policy(resource: Resource) -> bool:
    return resource.type == ORG_POLICY and resource.get("type") == BACKUP_POLICY_TYPE


@dataclass(frozen=True)
class LifecycleView:
    """A rule's or copy's lifecycle; ``unknown`` names the properties a preview does not know yet."""

    where: str
    cold_after_days: int | None
    delete_after_days: int | None
    unknown: tuple[str, ...] = ()

    @property
    def keeps_forever(self) -> bool:
        return self.delete_after_days is None or self.delete_after_days == KEEP_FOREVER

    @property
    def is_empty(self) -> bool:
        """No values: a copy without a lifecycle keeps its source rule's lifecycle."""
        return self.cold_after_days is None and self.delete_after_days is None and not self.unknown


@dataclass(frozen=True)
class CopyView:
    where: str
    destination: str | None
    lifecycle: LifecycleView
    destination_unknown: bool = False


@dataclass(frozen=True)
class RuleView:
    """One backup rule of a Plan or of a BACKUP_POLICY plan, in the units the AWS rules take."""

    where: str
    name: str
    target_vault_name: str | None
    lag_vault_arn: str | None
    schedule: str | None
    start_minutes: int | None
    completion_minutes: int | None
    continuous: bool
    lifecycle: LifecycleView
    copies: tuple[CopyView, ...]
    target_unknown: tuple[str, ...] = ()
    schedule_unknown: tuple[str, ...] = ()
    windows_unknown: tuple[str, ...] = ()
    continuous_unknown: tuple[str, ...] = ()
    copies_unknown: tuple[str, ...] = ()

    def copy_retention(self, copy: CopyView) -> int | None:
        """Days a copy is kept (None = forever); without a lifecycle it inherits the rule's."""
        source = self.lifecycle if copy.lifecycle.is_empty else copy.lifecycle
        return None if source.keeps_forever else source.delete_after_days


class _Reader:
    """Reads Plan inputs, recording each property the preview does not know instead of guessing it."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def value(self, block: Any, key: str, where: str) -> Any:
        if is_unknown(block):
            self.unknown.append(where)
            return None
        value = block.get(key) if isinstance(block, Mapping) else None
        if is_unknown(value):
            self.unknown.append(join(where, key))
            return None
        return value

    def take(self) -> tuple[str, ...]:
        taken, self.unknown = tuple(dict.fromkeys(self.unknown)), []
        return taken


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _plan_lifecycle(block: Any, where: str, reader: _Reader) -> LifecycleView:
    cold = as_int(reader.value(block, "coldStorageAfter", where))
    delete = as_int(reader.value(block, "deleteAfter", where))
    return LifecycleView(where, cold, delete, reader.take())


def plan_rule_views(plan: Resource) -> tuple[list[RuleView], tuple[str, ...]]:
    """The rules of an ``aws:backup/plan:Plan``, and the rule entries a preview does not know at all."""
    rules = plan.get("rules")
    if is_unknown(rules):
        return [], ("rules",)
    views: list[RuleView] = []
    unknown_rules: list[str] = []
    reader = _Reader()
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        where = join("rules", index)
        if is_unknown(rule):
            unknown_rules.append(where)
            continue
        if not isinstance(rule, Mapping):
            continue
        target = _text(reader.value(rule, "targetVaultName", where))
        lag = _text(reader.value(rule, "targetLogicallyAirGappedBackupVaultArn", where))
        target_unknown = reader.take()
        start = as_int(reader.value(rule, "startWindow", where))
        completion = as_int(reader.value(rule, "completionWindow", where))
        windows_unknown = reader.take()
        continuous = reader.value(rule, "enableContinuousBackup", where) is True
        continuous_unknown = reader.take()
        schedule = _text(reader.value(rule, "schedule", where))
        schedule_unknown = reader.take()
        lifecycle = _plan_lifecycle(reader.value(rule, "lifecycle", where), join(where, "lifecycle"), reader)
        copies_node = reader.value(rule, "copyActions", where)
        copies_unknown = reader.take()
        copies: list[CopyView] = []
        for copy_index, action in enumerate(copies_node if isinstance(copies_node, list) else []):
            copy_where = join(where, "copyActions", copy_index)
            if is_unknown(action):
                copies_unknown += (copy_where,)
                continue
            destination = _text(reader.value(action, "destinationVaultArn", copy_where))
            destination_unknown = bool(reader.take())
            copy_lifecycle = _plan_lifecycle(
                reader.value(action, "lifecycle", copy_where), join(copy_where, "lifecycle"), reader
            )
            copies.append(CopyView(copy_where, destination, copy_lifecycle, destination_unknown))
        name = rule.get("ruleName")
        views.append(
            RuleView(
                where=where,
                name=name if isinstance(name, str) else where,
                target_vault_name=target,
                lag_vault_arn=lag,
                schedule=schedule,
                start_minutes=start,
                completion_minutes=completion,
                continuous=continuous,
                lifecycle=lifecycle,
                copies=tuple(copies),
                target_unknown=target_unknown,
                schedule_unknown=schedule_unknown,
                windows_unknown=windows_unknown,
                continuous_unknown=continuous_unknown,
                copies_unknown=copies_unknown,
            )
        )
    return views, tuple(unknown_rules)


def document_rule_views(parsed: ParsedBackupPolicy) -> list[tuple[ParsedPlan, list[RuleView]]]:
    """The rules of each plan of a parsed BACKUP_POLICY, with document paths (``plans.<plan>.rules.<rule>``)."""
    out: list[tuple[ParsedPlan, list[RuleView]]] = []
    for plan in parsed.plans:
        views: list[RuleView] = []
        for rule in plan.rules:
            where = join("plans", plan.name, "rules", rule.name)
            copies = tuple(
                CopyView(
                    join(where, "copy_actions", copy.destination_arn),
                    copy.destination_arn,
                    LifecycleView(
                        join(where, "copy_actions", copy.destination_arn, "lifecycle"),
                        copy.cold_after_days,
                        copy.delete_after_days,
                    ),
                )
                for copy in rule.copy_actions
            )
            views.append(
                RuleView(
                    where=where,
                    name=rule.name,
                    target_vault_name=rule.target_vault_name,
                    lag_vault_arn=rule.lag_vault_arn,
                    schedule=rule.schedule,
                    start_minutes=rule.start_minutes,
                    completion_minutes=rule.completion_minutes,
                    continuous=rule.continuous,
                    lifecycle=LifecycleView(join(where, "lifecycle"), rule.cold_after_days, rule.delete_after_days),
                    copies=copies,
                )
            )
        out.append((plan, views))
    return out


def resource_rule_views(resource: Resource) -> list[RuleView]:
    """Rule views of a Plan or a BACKUP_POLICY (empty when unknown or unreadable: advisory rules skip those)."""
    if resource.type == PLAN:
        return plan_rule_views(resource)[0]
    if not is_backup_policy(resource):
        return []
    parsed = parsed_backup_policy(resource.get("content"))
    return [view for _, views in document_rule_views(parsed) for view in views] if parsed else []


def unverified(what: str | Iterable[str]) -> str:
    names = [what] if isinstance(what, str) else list(what)
    return f"{', '.join(names)} {PREVIEW_UNKNOWN}; the rule fails closed until it is known"
