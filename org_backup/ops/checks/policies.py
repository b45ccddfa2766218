"""The effective backup policy of each member account holds our plans and rules as the program renders them."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from typing import Any

from botocore.exceptions import ClientError

from components.documents.iam import BACKUP_POLICY_TYPE
from org_backup.ops.aws import error_code
from org_backup.ops.checks.base import REDEPLOY
from org_backup.ops.organization import Org
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER
from policies.backup_rules.backup_policy.operators import ASSIGN, VALUE_OPERATORS
from policies.backup_rules.backup_policy.parse import ParsedPlan, ParsedRule, parse_backup_policy
from policies.backup_rules.findings import Finding


def as_assigned(node: Any) -> Any:
    """Effective policies carry resolved values, without inheritance operators: reading each value as its
    ``@@assign`` lets ``parse_backup_policy`` read them like the documents the program renders."""
    if isinstance(node, Mapping):
        if any(operator in node for operator in VALUE_OPERATORS):
            return node
        return {key: as_assigned(value) for key, value in node.items()}
    return {ASSIGN: node}


def _plans(content: str | Mapping[str, Any]) -> dict[str, ParsedPlan]:
    """Plans by lower-cased name: effective policies lower-case identifiers (aws-backup-rules.md §1.1)."""
    parsed = parse_backup_policy(content)
    return {plan.name.lower(): plan for plan in parsed.plans} if parsed else {}


def _arn(arn: str, account_id: str) -> str:
    return arn.replace(ACCOUNT_PLACEHOLDER, account_id)


def _rule_differences(expected: ParsedRule, actual: ParsedRule, account_id: str) -> list[str]:
    out = []
    for what, want, got in (
        ("schedule", expected.schedule, actual.schedule),
        ("target vault", expected.target_vault_name, actual.target_vault_name),
        ("retention days", expected.delete_after_days, actual.delete_after_days),
        ("cold storage after days", expected.cold_after_days, actual.cold_after_days),
        ("continuous backup", expected.continuous, actual.continuous),
    ):
        if want != got:
            out.append(f"{what} is {got}, expected {want}")
    copies_expected = {(_arn(c.destination_arn, account_id), c.delete_after_days) for c in expected.copy_actions}
    copies_actual = {(_arn(c.destination_arn, account_id), c.delete_after_days) for c in actual.copy_actions}
    out += [f"copy to {arn} ({days} days) missing" for arn, days in sorted(copies_expected - copies_actual, key=str)]
    out += [f"unexpected copy to {arn} ({days} days)" for arn, days in sorted(copies_actual - copies_expected, key=str)]
    return [f"rule {expected.name}: {text}" for text in out]


def expected_plans(documents: Sequence[str]) -> dict[str, ParsedPlan]:
    """Our plans reaching an account, by lower-cased name, from the documents the program renders."""
    plans: dict[str, ParsedPlan] = {}
    for content in documents:
        plans.update(_plans(content))
    return plans


def compare_effective_policy(
    account_id: str, expected: Mapping[str, ParsedPlan], effective: str | None
) -> tuple[list[Finding], dict[str, tuple[str, ...]]]:
    """Our plans as rendered versus the account's effective policy; also the effective plans' Regions."""
    actual = _plans(as_assigned(json.loads(effective))) if effective else {}
    action = (
        f"{REDEPLOY}; if it is already up to date, look for a policy attached elsewhere that overrides ours "
        "(inherited operators) or a detached policy"
    )
    out: list[Finding] = []
    for name, plan in sorted(expected.items()):
        got = actual.get(name)
        if got is None:
            out.append(
                Finding.observed(
                    rule="effective-policy",
                    message=f"plan {plan.name} is not in the account's effective backup policy: nothing it selects is "
                    "backed up here",
                    remediation=action,
                    account=account_id,
                    resource=plan.name,
                )
            )
            continue
        out.extend(
            Finding.observed(
                rule="effective-policy",
                message=f"plan {plan.name} does not run in {region}",
                remediation=action,
                account=account_id,
                region=region,
                resource=plan.name,
            )
            for region in sorted(set(plan.regions) - set(got.regions))
        )
        rules = {rule.name.lower(): rule for rule in got.rules}
        differences = (
            [f"unexpected Regions {sorted(set(got.regions) - set(plan.regions))}"]
            if set(got.regions) - set(plan.regions)
            else []
        )
        for rule in plan.rules:
            other = rules.get(rule.name.lower())
            differences += (
                [f"rule {rule.name} missing"] if other is None else _rule_differences(rule, other, account_id)
            )
        if differences:
            out.append(
                Finding.observed(
                    rule="effective-policy",
                    message=f"plan {plan.name} differs from the configuration: " + "; ".join(differences),
                    remediation=action,
                    account=account_id,
                    resource=plan.name,
                )
            )
    return out, {name: plan.regions for name, plan in actual.items() if name in expected}


_CACHE_LOCK = threading.Lock()


def effective_policy(org: Org, account_id: str) -> str | None:
    """The account's effective backup policy (once per run: ``Org.effective_policies``); None if it has none."""
    cache: dict[str, Future[str | None]] | None = getattr(org, "effective_policies", None)
    if cache is None:
        return _describe_effective_policy(org, account_id)
    with _CACHE_LOCK:
        pending = cache.get(account_id)
        reader = pending is None
        if pending is None:
            pending = cache[account_id] = Future()
    if reader:
        try:
            pending.set_result(_describe_effective_policy(org, account_id))
        except BaseException as exc:
            with _CACHE_LOCK:
                del cache[account_id]  # the next caller asks again
            pending.set_exception(exc)
    return pending.result()


def _describe_effective_policy(org: Org, account_id: str) -> str | None:
    try:
        response = org.organizations().describe_effective_policy(PolicyType=BACKUP_POLICY_TYPE, TargetId=account_id)
    except ClientError as exc:
        if error_code(exc) == "EffectivePolicyNotFoundException":
            return None
        raise
    return str(response["EffectivePolicy"]["PolicyContent"])
