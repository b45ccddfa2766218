"""Which plans of an account's effective backup policy select a resource, and how old its backup may be.

The effective policy (Organizations DescribeEffectivePolicy,
https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeEffectivePolicy.html) is read with the
pack's own parser (``policies.backup_rules.backup_policy.parse``) after verify's ``as_assigned``, and each
selection is judged by ``policies.backup_rules.selections.policy_selection_selects``: tag selections, resource
types, not_resource_types and conditions, exactly as the pack evaluates them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import timedelta

from org_backup.ops.checks.policies import as_assigned
from policies.backup_rules.arns import REGION_PLACEHOLDER, parse_vault_arn
from policies.backup_rules.backup_policy.parse import ParsedPlan, parse_backup_policy
from policies.backup_rules.limits import DEFAULT_COMPLETION_WINDOW_MINUTES, DEFAULT_START_WINDOW_MINUTES
from policies.backup_rules.schedule import max_interval_minutes
from policies.backup_rules.selections import policy_selection_selects

__all__ = ["central_copy_regions", "effective_plans", "max_age", "selecting_plans", "target_vaults"]


def effective_plans(content: str | None) -> tuple[ParsedPlan, ...]:
    """The plans of an effective policy (``PolicyContent``); none when the account has no backup policy."""
    if not content:
        return ()
    parsed = parse_backup_policy(as_assigned(json.loads(content)))
    return parsed.plans if parsed else ()


def selecting_plans(plans: Iterable[ParsedPlan], region: str, arn: str, tags: Mapping[str, str]) -> list[ParsedPlan]:
    """The plans running in ``region`` with a selection that picks the resource (may raise ``TagsUnavailableError``)."""
    return [
        plan
        for plan in plans
        if region in plan.regions and any(policy_selection_selects(s, arn, tags) for s in plan.selections)
    ]


def max_age(plans: Iterable[ParsedPlan]) -> timedelta | None:
    """How old the newest recovery point may be: the longest gap between runs of the most frequent rule, plus
    its start and completion windows (AWS defaults 8 hours and 7 days when a rule sets none:
    https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupRule.html). None: no rule has a schedule
    the pack's cron reader understands, so staleness cannot be judged."""
    allowances = [
        gap
        + (rule.start_minutes or DEFAULT_START_WINDOW_MINUTES)
        + (rule.completion_minutes or DEFAULT_COMPLETION_WINDOW_MINUTES)
        for plan in plans
        for rule in plan.rules
        if (gap := max_interval_minutes(rule.schedule)) is not None
    ]
    return timedelta(minutes=min(allowances)) if allowances else None


def target_vaults(plans: Iterable[ParsedPlan]) -> frozenset[str]:
    """The vault names the plans' rules back up into."""
    return frozenset(rule.target_vault_name for plan in plans for rule in plan.rules if rule.target_vault_name)


def central_copy_regions(plans: Iterable[ParsedPlan], central_account: str, region: str) -> frozenset[str]:
    """The Regions of the central account the plans copy into (``$region``: the source's own)."""
    out = set()
    for plan in plans:
        for rule in plan.rules:
            for copy in rule.copy_actions:
                vault = parse_vault_arn(copy.destination_arn)
                if vault is not None and vault.account == central_account:
                    out.add(region if vault.region == REGION_PLACEHOLDER else vault.region)
    return frozenset(out)
