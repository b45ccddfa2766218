"""Malware scanning: the roles a backup policy's scan settings need exist wherever the policy lands.

The syntax of ``scan_settings``/``scan_actions`` (scanner, resource types, scan modes, actions without settings) is
the backup-policy validator's (``backup_rules.backup_policy``). What it cannot see is the stack: GuardDuty assumes
the ``scanner_role_arn`` of the account the plan runs in, and AWS Backup starts the scan with the selection's role,
so a reached account without them has recovery points that are never scanned. Facts and sources:
``backup_rules.scanning``.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import ACCOUNT_PLACEHOLDER, role_arn_account, role_name
from backup_rules.iam import trusts_service
from backup_rules.scanning import (
    BACKUP_ROLE_SCAN_MANAGED_POLICY,
    MALWARE_PROTECTION_SERVICE,
    SCANNER_MANAGED_POLICY,
    PlanScanning,
    plan_scanning,
)

from .adapter import is_unknown, json_value
from .base import MANDATORY, Rule, stack_policy
from .coverage import (
    ELSEWHERE_CONFIG,
    OU_ACCOUNTS_CONFIG,
    REACHED_ACCOUNTS,
    _attachment_targets,
    _DeployedRole,
    _listed,
    _policy_name,
    _reached,
    _stack_role,
    _StackSets,
)
from .resources import Resource, StackIndex

DOMAIN = "coverage"
SYNTAX_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html"
TEMPLATE_URL = "https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-cfn.html"

SCANNER_ROLE = Rule(
    name="backup-scanner-role-in-every-target",
    description=(
        "For each Organizations BACKUP_POLICY whose plans scan recovery points (scan_settings.GUARDDUTY."
        "scanner_role_arn, $account substituted), the scanner role exists in each account the policy reaches "
        "(created in the stack, or deployed by a StackSet instance to the account or to the OUs the policy is "
        f"attached to), trusts {MALWARE_PROTECTION_SERVICE} and has the AWS managed policy {SCANNER_MANAGED_POLICY} "
        f"({SYNTAX_URL}, scan settings; {TEMPLATE_URL}). GuardDuty reads the recovery points of the account the "
        "plan runs in, so the role must be that account's ($account). Reached accounts are resolved as for "
        "backup-vault-in-every-target. Fails closed: a trust policy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: every member account gets vaults.scanner_role_name when a plan sets malware_scanning. "
        "Hand-written policies: create the role (assume_role_policy trusting the GuardDuty Malware Protection "
        "principal) with the managed policy in each reached account, write scanner_role_arn with $account, or list "
        "accounts whose roles another stack creates in accountsManagedElsewhere."
    ),
    config={"ouAccounts": OU_ACCOUNTS_CONFIG, "accountsManagedElsewhere": ELSEWHERE_CONFIG},
    domain=DOMAIN,
)

BACKUP_ROLE_SCANS = Rule(
    name="backup-role-can-start-scans",
    description=(
        "For each BACKUP_POLICY plan with scanning rules, the role of every selection (iam_role_arn) has the AWS "
        f"managed policy {BACKUP_ROLE_SCAN_MANAGED_POLICY} in each reached account where the stack (or a StackSet "
        "template) creates that role: AWS Backup starts the GuardDuty scan and passes the scanner role with it "
        f"({TEMPLATE_URL}). Roles the stack does not create are backup-role-in-every-target's to report."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup adds the policy to vaults.backup_role_name whenever a plan scans. Hand-written stacks: attach "
        f"arn:aws:iam::aws:policy/{BACKUP_ROLE_SCAN_MANAGED_POLICY} to the selection's role."
    ),
    config={"ouAccounts": OU_ACCOUNTS_CONFIG, "accountsManagedElsewhere": ELSEWHERE_CONFIG},
    domain=DOMAIN,
)


@functools.lru_cache(maxsize=64)
def _trusts_scanner_text(trust: str) -> bool:
    return trusts_service(trust, MALWARE_PROTECTION_SERVICE)


def _trusts_scanner(trust: Any) -> bool:
    if isinstance(trust, str):
        return _trusts_scanner_text(trust)
    return isinstance(trust, Mapping) and trusts_service(trust, MALWARE_PROTECTION_SERVICE)


def _scanning(policy: Resource) -> list[PlanScanning]:
    content = json_value(policy.get("content"))
    return plan_scanning(content.get("plans")) if isinstance(content, Mapping) else []


def _deployed(
    index: StackIndex, stack_sets: _StackSets, account: str, ous: list[str], explicit: set[str], name: str
) -> _DeployedRole | None:
    """The role as the stack or a StackSet deploys it to ``account`` (None: nowhere)."""
    role = _stack_role(index, account, name) or stack_sets.roles.get(account, {}).get(name)
    if role is None and account not in explicit:
        role = next((stack_sets.roles[ou][name] for ou in ous if name in stack_sets.roles.get(ou, {})), None)
    return role


def _scanner_problems(role: _DeployedRole | None) -> list[str]:
    if role is None:
        return ["does not exist"]
    problems = []
    if is_unknown(role.trust):
        problems.append("has a trust policy not known during preview (treated as a violation)")
    elif not _trusts_scanner(role.trust):
        problems.append(f"does not trust {MALWARE_PROTECTION_SERVICE}")
    if SCANNER_MANAGED_POLICY not in role.managed_policies:
        problems.append(f"lacks the managed policy {SCANNER_MANAGED_POLICY}")
    return problems


def check_scanner_role(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    stack_sets = _StackSets(index)
    for policy, _parsed, accounts, _unresolved in _reached(index, config):
        scanning = [plan for plan in _scanning(policy) if plan.rules and plan.scanner_role_arn is not None]
        if not scanning:
            continue
        explicit, ous = _attachment_targets(index, policy)
        places: dict[tuple[str, str], set[str]] = defaultdict(set)
        plans: dict[tuple[str, str], set[str]] = defaultdict(set)
        for plan in scanning:
            arn = plan.scanner_role_arn or ""
            name, role_account = role_name(arn), role_arn_account(arn)
            if name is None or role_account is None:
                continue  # not a role ARN: the syntax validator reports it
            for account in accounts:
                if role_account not in (ACCOUNT_PLACEHOLDER, account):
                    problems = [f"is named in account {role_account} (write $account: GuardDuty uses the local role)"]
                else:
                    problems = _scanner_problems(_deployed(index, stack_sets, account, ous, explicit, name))
                for problem in problems:
                    places[(name, problem)].add(account)
                    plans[(name, problem)].add(plan.plan)
        for (name, problem), where in sorted(places.items()):
            yield (
                policy.urn,
                f"policy {_policy_name(policy)}: scanner role {name} of plan(s) {_listed(plans[(name, problem)])} "
                f"{problem} in {len(where)} {REACHED_ACCOUNTS}: {_listed(where)}; their recovery points are not scanned",
            )


def check_backup_role_scans(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    stack_sets = _StackSets(index)
    for policy, parsed, accounts, _unresolved in _reached(index, config):
        scanning = {plan.plan.lower() for plan in _scanning(policy) if plan.rules}
        if not scanning:
            continue
        explicit, ous = _attachment_targets(index, policy)
        lacking: dict[str, set[str]] = defaultdict(set)
        for plan in parsed.plans:
            if plan.name.lower() not in scanning:
                continue
            for selection in plan.selections:
                name = role_name(selection.iam_role_arn or "")
                if name is None:
                    continue
                for account in accounts:
                    role = _deployed(index, stack_sets, account, ous, explicit, name)
                    if role is not None and BACKUP_ROLE_SCAN_MANAGED_POLICY not in role.managed_policies:
                        lacking[name].add(account)
        for name, where in sorted(lacking.items()):
            yield (
                policy.urn,
                f"policy {_policy_name(policy)}: backup role {name} of scanning plans lacks the managed policy "
                f"{BACKUP_ROLE_SCAN_MANAGED_POLICY} in {len(where)} {REACHED_ACCOUNTS}: {_listed(where)}; "
                "AWS Backup cannot start their scans",
            )


POLICIES: list[Policy] = [
    stack_policy(SCANNER_ROLE, check_scanner_role),
    stack_policy(BACKUP_ROLE_SCANS, check_backup_role_scans),
]
