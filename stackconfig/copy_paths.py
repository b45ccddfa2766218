"""The configuration's copy paths, judged by the shared rules of ``policies.backup_rules.copy_paths``.

Two phases, because the organization tree is known only after loading, and the second needs the documents:

- ``check(parsed)`` (hooked into ``checks.check_config``): rules that need no accounts: RDS/Aurora copies in
  one step, disaster-recovery copies that stay in their Region, and extra vault-policy statements that would
  lock out the deploying role or the break-glass roles (issue 10 item 7);
- ``deployment.copy_admission.check_in_organization`` (hooked into ``deployment.layout.build_layout``), a
  layer above, because it judges the documents the program deploys: for every member account, workload
  Region and central copy, the destination vault's access policy and both keys admit the copy. This module
  gives it the enumeration (``copy_paths``) and the accounts' organization paths.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from policies.backup_rules import copy_paths as rules
from policies.backup_rules.access import denials, principal_request
from policies.backup_rules.arns import arn_partition, role_arn
from policies.backup_rules.findings import Finding, join
from policies.backup_rules.limits import RDS_AURORA_RESOURCE_TYPES

from .central_copy import check_central_copy
from .inventory import OrgTree
from .model import Organization, Plan, ResourceSelection, StackConfig, Vaults

LOCKOUT = "vault-policy-lockout"
# Stands for "any member account" when judging the member vault's extra statements, which every member vault
# carries: an exemption that names one account's roles locks the others out.
SAMPLE_MEMBER_ACCOUNT = "000000000000"

# What ``pulumi up`` does to a vault it manages (create/read/update of the vault, its access policy, lock,
# tags and notifications), as the pulumi-aws backup resources call AWS Backup. Deletion is not needed.
DEPLOY_ACTIONS = (
    "backup:CreateBackupVault",
    "backup:DescribeBackupVault",
    "backup:GetBackupVaultAccessPolicy",
    "backup:PutBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
    "backup:ListTags",
    "backup:TagResource",
    "backup:UntagResource",
    "backup:GetBackupVaultNotifications",
    "backup:PutBackupVaultNotifications",
)
# What a recovery needs from the vault: find and read recovery points, restore them, copy them out (restores
# are never cross-account: create-cross-account-backup.html), and repair the access policy.
RECOVERY_ACTIONS = (
    "backup:DescribeRecoveryPoint",
    "backup:ListRecoveryPointsByBackupVault",
    "backup:GetRecoveryPointRestoreMetadata",
    "backup:StartRestoreJob",
    "backup:StartCopyJob",
    "backup:PutBackupVaultAccessPolicy",
)


# --------------------------------------------------------------------------- enumeration


def rds_scope(plan: Plan) -> rules.RdsScope:
    """``selected``: RDS/Aurora explicitly or by ``*``; ``maybe``: a tag selection; ``no``: excluded."""
    if plan.selections.tags:
        return "maybe"
    if any(_selection_has_rds(s) for s in plan.selections.resources.values()):
        return "selected"
    return "no"


def _selection_has_rds(selection: ResourceSelection) -> bool:
    types = {_in_aws_partition(t) for t in selection.resource_types}
    if "*" in types:
        return not {_in_aws_partition(t) for t in selection.not_resource_types} >= RDS_AURORA_RESOURCE_TYPES
    return bool(types & RDS_AURORA_RESOURCE_TYPES)


def _in_aws_partition(resource_type: str) -> str:
    """``arn:aws-us-gov:rds:*:*:db:*`` as ``arn:aws:rds:*:*:db:*``: RDS is RDS in every partition."""
    partition = arn_partition(resource_type)
    return resource_type.replace(f"arn:{partition}:", "arn:aws:", 1) if partition else resource_type


def copy_paths(
    plans: Mapping[str, Plan],
    org: Organization,
    vaults: Vaults,
    sources: Mapping[str, Sequence[str | None]] | None = None,
) -> list[rules.CopyPath]:
    """Every (source account, workload Region, rule, copy) of the plans. ``sources`` maps a plan to the
    accounts it reaches; without it each path has ``source_account`` None (any reached account)."""
    out: list[rules.CopyPath] = []
    for plan_name, plan in plans.items():
        regions = plan.regions if plan.regions is not None else org.workload_regions
        accounts: Sequence[str | None] = sources.get(plan_name, ()) if sources is not None else (None,)
        scope = rds_scope(plan)
        for rule_name, rule in plan.rules.items():
            for i, copy in enumerate(rule.copies):
                central = copy.destination == "central"
                retention = copy.retention_days if copy.retention_days is not None else rule.retention_days
                for account in accounts:
                    for region in regions:
                        out.append(
                            rules.CopyPath(
                                where=join("plans", plan_name, "rules", rule_name, "copies", i),
                                plan=plan_name,
                                rule=rule_name,
                                source_account=account,
                                source_region=region,
                                destination_account=org.central_vault_account_id if central else account,
                                destination_region=copy.region,
                                destination_vault=vaults.central.name if central else vaults.member.name,
                                retention_days=retention,
                                rds=scope,
                                disaster_recovery=central,
                            )
                        )
    return out


# --------------------------------------------------------------------------- phase 1: the config alone


def check(parsed: Mapping[str, Any]) -> list[Finding]:
    """The copy-path and lock-out rules that need no organization tree."""
    org: Organization | None = parsed.get("organization")
    vaults: Vaults | None = parsed.get("vaults")
    plans: dict[str, Plan] | None = parsed.get("plans")
    out: list[Finding] = []
    if org is not None and vaults is not None:
        out += check_lockout(org, vaults)
    if vaults is not None:
        out += check_central_copy(vaults)
    if org is None or vaults is None or plans is None:
        return out
    pairs: list[tuple[rules.CopyPath, Finding]] = []
    for path in copy_paths(plans, org, vaults):
        pairs += [(path, f) for f in rules.check_rds_one_step(path) + rules.check_leaves_region(path)]
    return out + _once_per_place(pairs)


def _once_per_place(pairs: Iterable[tuple[rules.CopyPath, Finding]]) -> list[Finding]:
    """Without accounts every source Region yields the same finding: keep one per (path, rule)."""
    seen: set[tuple[str, str]] = set()
    out: list[Finding] = []
    for _, finding in pairs:
        if (finding.path, finding.rule) not in seen:
            seen.add((finding.path, finding.rule))
            out.append(finding)
    return out


def _lockout_findings(
    where: str, statements: Sequence[Mapping[str, Any]], principals: Sequence[tuple[str, str, Sequence[str]]]
) -> list[Finding]:
    out: list[Finding] = []
    for i, entry in enumerate(statements):
        denied: dict[str, list[str]] = {}
        maybe: dict[str, list[str]] = {}
        for who, arn, actions in principals:
            for action in actions:
                request = principal_request(action, arn, organization_id=None, organization_path=None)
                for _, certain in denials([entry], request):
                    (denied if certain else maybe).setdefault(f"{who} {arn}", []).append(action)
        hint = (
            ' (a NotPrincipal Deny does not exempt a role\'s sessions: use Principal "*" with '
            "ArnNotLike aws:PrincipalArn)"
            if "NotPrincipal" in entry
            else ""
        )
        for found, certainty, severity in ((denied, "denies", "error"), (maybe, "may deny", "warning")):
            if not found:
                continue
            who = "; ".join(f"{name}: {', '.join(sorted(set(actions)))}" for name, actions in found.items())
            out.append(
                Finding(
                    join(where, i),
                    entry.get("Sid"),
                    LOCKOUT,
                    f"this statement {certainty} what `pulumi up` and recovery need to {who}; exempt these roles "
                    f"(ArnNotLike aws:PrincipalArn) or they can no longer manage the vault{hint}",
                    severity,  # type: ignore[arg-type]
                )
            )
    return out


def _admins(org: Organization, account: str, break_glass: Sequence[str]) -> list[tuple[str, str, Sequence[str]]]:
    deploy = org.deploy_role_arn(account)
    out: list[tuple[str, str, Sequence[str]]] = []
    if deploy is not None:
        out.append(("the deploying role", deploy, DEPLOY_ACTIONS + RECOVERY_ACTIONS))
    for name in break_glass:
        arn = role_arn(account, name, org.partition)
        if arn != deploy:
            out.append(("the break-glass role", arn, RECOVERY_ACTIONS))
    return out


def check_lockout(org: Organization, vaults: Vaults) -> list[Finding]:
    """Extra vault-policy statements must leave the deploying role and the break-glass roles what they need:
    a Deny that catches them makes the vault unmanageable (and, once locked, possibly for good)."""
    central = org.central_vault_account_id
    return _lockout_findings(
        "vaults.central.extra_access_policy_statements",
        vaults.central.extra_access_policy_statements,
        _admins(org, central, vaults.central.break_glass_role_names),
    ) + _lockout_findings(
        "vaults.member.extra_access_policy_statements",
        vaults.member.extra_access_policy_statements,
        _admins(org, SAMPLE_MEMBER_ACCOUNT, vaults.member.break_glass_role_names),
    )


# --------------------------------------------------------------------------- phase 2: with the organization


def account_path(tree: OrgTree, organization_id: str, account_id: str) -> str:
    """The account's ``aws:PrincipalOrgPaths`` value, from the root down to its parent OU."""
    ancestors = list(reversed(tree.ancestors(account_id)))
    if not ancestors or ancestors[0] != tree.root_id:
        ancestors = [tree.root_id, *[a for a in ancestors if a != tree.root_id]]
    return rules.organization_path(organization_id, ancestors)


def organization_paths(tree: OrgTree, organization_id: str) -> dict[str, str]:
    """Every account's path: what verify and the pack's copy-path rules (policy config ``organizationPaths``,
    filled by ``org_backup.preview.access_report.pack_config``) evaluate vault and key policies with."""
    return {account: account_path(tree, organization_id, account) for account in tree.accounts}


def account_org_path(config: StackConfig, tree: OrgTree, account_id: str) -> str:
    return account_path(tree, config.organization.id, account_id)
