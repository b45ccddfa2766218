"""Hand-written (and any other) backup policies that leave a required key to a parent policy: mandatory when no
policy of the stack that applies to the same account supplies it (``backup_rules.inheritance``), advice where the
pack cannot tell which policies apply (an account whose OU path nobody gives)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.inheritance import INHERITANCE_URL, SYNTAX_URL, Gap, gaps, supplies

from .adapter import is_unknown
from .base import ADVISORY, MANDATORY, Rule, stack_policy
from .copy_paths import ORGANIZATION_PATHS, ORGANIZATION_PATHS_SCHEMA
from .org_policies import OU_ACCOUNTS_SCHEMA
from .plan_views import is_backup_policy
from .resources import ORG_POLICY, Resource, StackIndex

DOMAIN = "organization-backup-policies"
SHOWN = 3


def _listed(accounts: list[str]) -> str:
    more = f" and {len(accounts) - SHOWN} more" if len(accounts) > SHOWN else ""
    return ", ".join(accounts[:SHOWN]) + more


def _targets(index: StackIndex, policy: Resource) -> set[str]:
    return {t for a in index.attachments_by_policy.get(policy.urn, ()) if isinstance(t := a.get("targetId"), str)}


def _judged(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str, Gap, str, list[str]]]:
    """(policy URN, gap, verdict, accounts): verdict ``missing`` (no applying policy supplies it), ``unknown``
    (some applying policy's content is not known yet) or ``unverified`` (the accounts' OU paths are not known)."""
    paths = index.organization_paths(config.get(ORGANIZATION_PATHS))
    policies = [(r, _targets(index, r)) for r in index.of_type(ORG_POLICY) if is_backup_policy(r)]
    for policy, _parsed, reached, unresolved in index.backup_policies(config.get("ouAccounts")):
        content = policy.get("content")
        found = gaps(content) if isinstance(content, str | Mapping) else []
        if not found:
            continue
        # Accounts grouped by the other policies that apply to them (root, OUs above, the account itself).
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        unverified: list[str] = sorted(unresolved)
        for account in sorted(reached):
            path = paths.get(account)
            if path is None:
                unverified.append(account)
                continue
            ids = {account, *path.strip("/").split("/")[1:]}
            others = tuple(sorted(r.urn for r, targets in policies if r.urn != policy.urn and targets & ids))
            groups[others].append(account)
        by_urn = {r.urn: r for r, _ in policies}
        for gap in found:
            missing: list[str] = []
            unknown: list[str] = []
            for others, accounts in groups.items():
                contents = [by_urn[u].get("content") for u in others]
                if any(isinstance(c, str | Mapping) and supplies(c, gap) for c in contents):
                    continue
                (unknown if any(is_unknown(c) for c in contents) else missing).extend(accounts)
            if missing:
                yield policy.urn, gap, "missing", sorted(missing)
            if unknown:
                yield policy.urn, gap, "unknown", sorted(unknown)
            if unverified:
                yield policy.urn, gap, "unverified", unverified


def check_effective_complete(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for urn, gap, verdict, accounts in _judged(index, config):
        if verdict == "missing":
            yield (
                urn,
                f"{gap.path}: {gap.what}, and no other backup policy of this stack that applies to "
                f"{len(accounts)} account(s) it reaches ({_listed(accounts)}) supplies it: their effective policy "
                f"is incomplete and AWS Backup cannot run the plan there ({SYNTAX_URL}, {INHERITANCE_URL})",
            )
        elif verdict == "unknown":
            yield (
                urn,
                f"{gap.path}: {gap.what}; whether another policy supplies it for {_listed(accounts)} could not be "
                "verified during preview (a policy's content is not known yet)",
            )


def check_effective_unverified(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for urn, gap, verdict, accounts in _judged(index, config):
        if verdict == "unverified":
            yield (
                urn,
                f"{gap.path}: {gap.what}; whether a parent policy supplies it cannot be told for "
                f"{_listed(accounts)}: the pack does not know which OUs they are under (no OrganizationView output "
                "of the stack, no organizationPaths or ouAccounts in the policy config), so this stays advice",
            )


CONFIG = {"ouAccounts": OU_ACCOUNTS_SCHEMA, ORGANIZATION_PATHS: ORGANIZATION_PATHS_SCHEMA}
EFFECTIVE_COMPLETE = Rule(
    name="backup-policy-effective-complete",
    description=(
        "A BACKUP_POLICY may leave a plan's regions, rules or selections, a rule's target_backup_vault_name or a "
        "selection's role and criteria to a parent policy, since AWS requires them in the effective policy only "
        f"({SYNTAX_URL}); the effective policy of an account merges the policies attached to the root, the OUs "
        f"above it and the account ({INHERITANCE_URL}). Checks, for every account the policy reaches, that another "
        "backup policy of this stack applying to that account supplies each such key; otherwise the plan is "
        "incomplete there and AWS Backup cannot run it. OU membership comes from the stack's OrganizationView "
        "output (policy config overrides). Fails closed on policy content not known during preview."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Give the key in the policy itself (backup_policies.custom.<name>.content), or attach a policy that "
        "supplies it to the same target or an OU above it."
    ),
    config=CONFIG,
    domain=DOMAIN,
)
EFFECTIVE_UNVERIFIED = Rule(
    name="backup-policy-effective-unverified",
    description=(
        "The advisory half of backup-policy-effective-complete: a key left to a parent policy for accounts whose "
        "OU path the pack does not know (a stack without the OrganizationView output and without organizationPaths "
        "in the policy config), where it cannot tell which policies apply, so it cannot refuse."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Publish the OrganizationView (org-backup does) or give organizationPaths in the policy config.",
    config=CONFIG,
    domain=DOMAIN,
)

POLICIES: list[Policy] = [
    stack_policy(EFFECTIVE_COMPLETE, check_effective_complete),
    stack_policy(EFFECTIVE_UNVERIFIED, check_effective_unverified),
]
