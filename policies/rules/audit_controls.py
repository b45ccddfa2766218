"""Audit Manager controls against the stack's backup plans (``backup_rules.control_parameters``).

A control the plans can never meet is permanently non-compliant: its report lists compliant backups every day,
and real findings drown in it. Served with the audit domain (``audit.POLICIES``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Severity

from backup_rules.control_parameters import RuleCadence, check_control_against_plans
from backup_rules.schedule import EXAMPLE_SCHEDULE

from .adapter import is_unknown
from .base import ADVISORY, Rule
from .plan_views import RuleView, document_rule_views, plan_rule_views
from .resources import FRAMEWORK, PLAN, StackIndex

DOMAIN = "audit-and-alerting"

CONTROLS_MATCH_PLANS = Rule(
    name="backup-audit-controls-match-plans",
    description=(
        "Every Audit Manager framework (aws.backup.Framework) asks only what the stack's backup plans "
        "(aws.backup.Plan and the plans of its BACKUP_POLICY documents) can deliver: "
        "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK no more days than the shortest-kept rule or copy, "
        "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK a frequency and retention some rule of every plan "
        "meets, BACKUP_LAST_RECOVERY_POINT_CREATED an age no shorter than the least frequent plan's most frequent "
        "rule (a parameter left out counts as AWS's default). A stricter control is permanently non-compliant. "
        "A rule's frequency is the longest gap between two runs of its schedule. Values not known during "
        "preview are given the benefit of the doubt."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup users: the program already loosens these parameters to what the plans meet; a finding "
        "means a hand-written framework or plan. Set the control's parameters to the values the message names, "
        "or change the plans (e.g. keep the short-lived rule's points longer)."
    ),
    domain=DOMAIN,
)


def _cadence(view: RuleView) -> RuleCadence:
    """A rule as the control sees it; an unknown schedule or lifecycle constrains nothing."""
    schedule = None if view.schedule_unknown else view.schedule or EXAMPLE_SCHEDULE
    lifecycle = view.lifecycle
    retention = None if lifecycle.unknown or lifecycle.keeps_forever else lifecycle.delete_after_days
    copies = (
        () if lifecycle.unknown else tuple(None if c.lifecycle.unknown else view.copy_retention(c) for c in view.copies)
    )
    return RuleCadence(schedule=schedule, retention_days=retention, copy_retention_days=copies)


def stack_plan_cadences(index: StackIndex) -> list[list[RuleCadence]]:
    """Every plan the stack deploys: Plan resources and the plans of its BACKUP_POLICY documents."""
    plans = [[_cadence(view) for view in plan_rule_views(plan)[0]] for plan in index.of_type(PLAN)]
    for _, parsed, _, _ in index.backup_policies():
        plans.extend([_cadence(view) for view in views] for _, views in document_rule_views(parsed))
    return [plan for plan in plans if plan]


def _parameters(raw: Any) -> dict[str, Any] | None:
    """``inputParameters`` as a mapping; None when a preview does not know one of them."""
    entries = [e for e in (raw if isinstance(raw, list) else []) if isinstance(e, Mapping)]
    if is_unknown(raw) or any(is_unknown(e.get("name")) or is_unknown(e.get("value")) for e in entries):
        return None
    return {e["name"]: e.get("value") for e in entries if isinstance(e.get("name"), str)}


def check_controls_match_plans(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    plans = stack_plan_cadences(index)
    if not plans:
        return
    for framework in index.of_type(FRAMEWORK):
        controls = framework.get("controls")
        label = framework.get("name") if isinstance(framework.get("name"), str) else framework.name
        for position, control in enumerate(controls if isinstance(controls, list) else []):
            parameters = _parameters(control.get("inputParameters")) if isinstance(control, Mapping) else None
            if parameters is None or not isinstance(control, Mapping):
                continue
            for finding in check_control_against_plans(f"controls[{position}]", control.get("name"), parameters, plans):
                where = f"{framework.account or '(unknown)'} {framework.region or '(unknown)'}"
                yield framework.urn, f"framework {label} in {where}: {finding}"
