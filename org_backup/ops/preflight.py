"""``org-backup preflight --stack prod``: can the first ``pulumi up`` succeed?

Checks what the program cannot fix itself, before it runs: the organization has all features; the caller
is in the account the program must run from; every account the program deploys to can be reached through
the configured role, has its Regions enabled, has AWS Config recording where Audit Manager frameworks will
run, and holds nothing that would collide with what ``pulumi up`` creates (a vault, key alias or backup role
of the same name, Control Tower-managed backup resources). Trusted access for AWS Backup and the
BACKUP_POLICY type are reported for information: the program enables them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from components.documents.iam import BACKUP_POLICY_TYPE
from deployment.layout import Layout
from org_backup.ops.aws import AccountAccess, Aws, error_code, fan_out, paginate
from org_backup.ops.common import Report, Stack, Table, attempt, command_parser, run_command, unreachable
from org_backup.ops.inventory import diff_inventories
from org_backup.ops.organization import Org, connect, layout_for, org_tree, read_organization, usable_regions
from org_backup.ops.preflight_delegation import delegation_policy_findings
from org_backup.ops.preflight_roles import account_findings as guardrail_account_findings
from org_backup.ops.preflight_roles import organization_findings as guardrail_organization_findings
from org_backup.ops.preflight_stacksets import CHECK as STACKSETS_CHECK
from org_backup.ops.preflight_stacksets import stacksets_admin_findings
from policies.backup_rules.findings import Finding
from policies.backup_rules.names import BACKUP_SERVICE_PRINCIPAL
from stackconfig.inventory import InventoryError, OrgTree, load_inventory

__all__ = ["AccountPlan", "main", "plan_accounts", "run"]

COMMAND = "preflight"
CONTROL_TOWER_PREFIX = "aws-controltower"
CONTROL_TOWER_TAG = "aws-control-tower"
BACKUP_CONFIG_TYPE_PREFIX = "AWS::Backup::"


@dataclass
class AccountPlan:
    """What ``pulumi up`` will create in one account: vaults per Region, the backup role, frameworks."""

    account_id: str
    name: str
    roles: list[str] = field(default_factory=list)
    vaults: dict[str, list[str]] = field(default_factory=dict)
    recorder_regions: set[str] = field(default_factory=set)
    backup_role: bool = False

    @property
    def regions(self) -> list[str]:
        return sorted(set(self.vaults) | self.recorder_regions)


def plan_accounts(stack: Stack, layout: Layout, tree: OrgTree) -> list[AccountPlan]:
    """Member accounts, the central vault account and the backup admin account, each once."""
    config = stack.config
    org = config.organization
    plans: dict[str, AccountPlan] = {}

    def plan(account_id: str, role: str) -> AccountPlan:
        account = tree.accounts.get(account_id)
        entry = plans.setdefault(account_id, AccountPlan(account_id, account.name if account else account_id))
        entry.roles.append(role)
        return entry

    audit = config.audit
    for member in layout.members:
        entry = plan(member.id, "member")
        entry.backup_role = True
        for region in layout.member_regions:
            entry.vaults.setdefault(region, []).append(config.vaults.member.name)
        if audit.enabled and audit.frameworks_in_member_accounts:
            entry.recorder_regions.update(layout.member_regions)
    central = plan(org.central_vault_account_id, "central")
    for region in layout.central_regions:
        central.vaults.setdefault(region, []).append(config.vaults.central.name)
    admin = plan(org.backup_admin_account_id, "admin")
    if audit.enabled:
        admin.recorder_regions.add(org.primary_region)
    return sorted(plans.values(), key=lambda p: p.account_id)


def organization_findings(stack: Stack, org: Org) -> list[Finding]:
    config = stack.config.organization
    out: list[Finding] = []
    description = org.description
    if description.get("FeatureSet") != "ALL":
        out.append(
            Finding.observed(
                rule="all-features",
                message=f"the organization has feature set {description.get('FeatureSet')}: backup policies need ALL",
                remediation="enable all features in the Organizations console (Settings), then approve in every account",
            )
        )
    if description["MasterAccountId"] != config.management_account_id:
        out.append(
            Finding.observed(
                rule="management-account",
                message=f"the management account is {description['MasterAccountId']}, the config says "
                f"{config.management_account_id}",
                remediation="fix organization.management_account_id",
            )
        )
    if config.management_role_name is None and org.caller_account != config.management_account_id:
        out.append(
            Finding.observed(
                rule="caller",
                message=f"the caller {org.caller_arn} is in account {org.caller_account}; the program uses the "
                f"caller's own credentials in the management account {config.management_account_id}",
                remediation="run pulumi up with management-account credentials, or set organization.management_role_name",
                account=org.caller_account,
            )
        )
    management = config.management_account_id
    out += attempt("trusted-access", management, None, partial(_trusted_access, org))
    out += attempt("backup-policy-type", management, None, partial(_policy_type, org, config.root_id))
    out += attempt("delegation-policy", management, None, partial(delegation_policy_findings, stack, org))
    out += attempt(STACKSETS_CHECK, management, None, partial(stacksets_admin_findings, stack, org))
    return out


def _trusted_access(org: Org) -> list[Finding]:
    organizations = org.organizations()
    enabled = {
        entry["ServicePrincipal"]
        for entry in paginate(organizations, "list_aws_service_access_for_organization", "EnabledServicePrincipals")
    }
    state = "enabled" if BACKUP_SERVICE_PRINCIPAL in enabled else "not enabled yet"
    return [
        Finding.observed(
            rule="trusted-access",
            message=f"trusted access for {BACKUP_SERVICE_PRINCIPAL} is {state}",
            remediation="nothing: pulumi up enables it",
            account=org.management.account_id,
            severity="info",
        )
    ]


def _policy_type(org: Org, root_id: str) -> list[Finding]:
    roots = list(paginate(org.organizations(), "list_roots", "Roots"))
    types = {t["Type"]: t["Status"] for root in roots for t in root.get("PolicyTypes", [])}
    return [
        Finding.observed(
            rule="backup-policy-type",
            message=f"the {BACKUP_POLICY_TYPE} policy type is {types.get(BACKUP_POLICY_TYPE, 'not enabled')} on the root",
            remediation="nothing: pulumi up enables it",
            account=org.management.account_id,
            resource=root_id,
            severity="info",
        )
    ]


def inventory_findings(stack: Stack, org: Org) -> list[Finding]:
    """The program deploys from the inventory file: a stale one misses new accounts."""
    if stack.config.accounts.source != "inventory":
        return []
    path = stack.inventory_file()
    try:
        recorded = load_inventory(path)
    except InventoryError:
        return []
    changes = diff_inventories(
        stack.config, recorded, read_organization(org.organizations()), severity="warning", action=""
    )
    if not changes:
        return []
    examples = "; ".join(f"{c.account or c.resource}: {c.message}" for c in changes[:3])
    return [
        Finding.observed(
            rule="inventory-stale",
            message=f"{path.name} differs from Organizations in {len(changes)} place(s), e.g. {examples}",
            remediation=f"run `org-backup inventory --stack {stack.name}` and commit the file",
            resource=str(path),
            severity="warning",
        )
    ]


def _exists(call: Any, missing: str, **params: Any) -> bool:
    try:
        call(**params)
    except ClientError as exc:
        if error_code(exc) == missing:
            return False
        raise
    return True


def _collisions(access: AccountAccess, plan: AccountPlan, region: str) -> list[Finding]:
    backup = access.client("backup", region)
    kms = access.client("kms", region)
    out: list[Finding] = []
    for name in plan.vaults.get(region, []):
        if _exists(backup.describe_backup_vault, "ResourceNotFoundException", BackupVaultName=name):
            out.append(
                Finding.observed(
                    rule="vault-exists",
                    message=f"a backup vault named {name} already exists: creating ours would fail",
                    remediation="import it into the stack (pulumi import), or choose another vaults.*.name",
                    account=plan.account_id,
                    region=region,
                    resource=name,
                )
            )
        if _exists(kms.describe_key, "NotFoundException", KeyId=f"alias/{name}"):
            out.append(
                Finding.observed(
                    rule="key-alias-exists",
                    message=f"the KMS alias alias/{name} already exists: creating our vault key's alias would fail",
                    remediation="import it into the stack, or delete the unused alias",
                    account=plan.account_id,
                    region=region,
                    resource=f"alias/{name}",
                )
            )
    return out


def _control_tower(access: AccountAccess, plan: AccountPlan, region: str) -> list[Finding]:
    """Control Tower's own backup plans and vaults: they overlap with ours and count toward AWS's limits."""
    backup = access.client("backup", region)
    resources = [
        (vault["BackupVaultName"], vault["BackupVaultArn"], "vault")
        for vault in paginate(backup, "list_backup_vaults", "BackupVaultList")
    ] + [
        (plan["BackupPlanName"], plan["BackupPlanArn"], "plan")
        for plan in paginate(backup, "list_backup_plans", "BackupPlansList")
    ]
    out: list[Finding] = []
    for name, arn, kind in resources:
        managed = name.lower().startswith(CONTROL_TOWER_PREFIX) or any(
            key.lower() == CONTROL_TOWER_TAG for key in backup.list_tags(ResourceArn=arn).get("Tags", {})
        )
        if managed:
            out.append(
                Finding.observed(
                    rule="control-tower",
                    message=f"backup {kind} {name} is managed by AWS Control Tower: its backup policy also reaches "
                    "this account, so resources may be backed up twice and its policy counts toward the "
                    "10 backup policies per target",
                    remediation="turn off AWS Backup in Control Tower for this OU, or make sure its plans select other "
                    "resources",
                    account=plan.account_id,
                    region=region,
                    resource=arn,
                    severity="warning",
                )
            )
    return out


def _config_recorder(access: AccountAccess, plan: AccountPlan, region: str) -> list[Finding]:
    """Audit Manager frameworks evaluate nothing without an AWS Config recorder that records Backup types."""
    config = access.client("config", region)
    recorders = config.describe_configuration_recorders().get("ConfigurationRecorders", [])
    statuses = config.describe_configuration_recorder_status().get("ConfigurationRecordersStatus", [])
    recording = any(s.get("recording") for s in statuses)
    action = "turn on AWS Config recording in this Region (all resource types, or at least AWS::Backup::*)"
    if not recorders or not recording:
        what = "no AWS Config recorder" if not recorders else "the AWS Config recorder is stopped"
        return [
            Finding.observed(
                rule="config-recorder",
                message=f"{what}: the Audit Manager framework deployed here would evaluate nothing",
                remediation=action,
                account=plan.account_id,
                region=region,
            )
        ]
    groups = [r.get("recordingGroup", {}) for r in recorders]
    records_backup = any(
        g.get("allSupported") or any(t.startswith(BACKUP_CONFIG_TYPE_PREFIX) for t in g.get("resourceTypes", []))
        for g in groups
    )
    if records_backup:
        return []
    return [
        Finding.observed(
            rule="config-recorder",
            message="AWS Config does not record AWS::Backup::* resource types: backup controls evaluate nothing",
            remediation=action,
            account=plan.account_id,
            region=region,
            severity="warning",
        )
    ]


def _backup_role(access: AccountAccess, stack: Stack, plan: AccountPlan) -> list[Finding]:
    name = stack.config.vaults.backup_role_name
    iam = access.client("iam", stack.home_region)
    if not _exists(iam.get_role, "NoSuchEntity", RoleName=name):
        return []
    return [
        Finding.observed(
            rule="backup-role-exists",
            message=f"an IAM role named {name} already exists: creating the backup role would fail",
            remediation="import it into the stack (pulumi import), or choose another vaults.backup_role_name",
            account=plan.account_id,
            resource=name,
        )
    ]


def check_account(stack: Stack, aws: Aws, plan: AccountPlan) -> list[Finding]:
    """Reach the account, then check each Region it gets resources in; one failing check never hides another."""
    home = stack.home_region
    access = aws.account(plan.account_id, stack.role_arn(plan.account_id), home)
    regions, out = usable_regions(access, home, plan.regions)
    if plan.backup_role:
        out += attempt("backup-role-exists", plan.account_id, None, partial(_backup_role, access, stack, plan))
    out += guardrail_account_findings(stack, access, plan.roles)
    for region in regions:
        checks = [("vault-exists", _collisions), ("control-tower", _control_tower)] if region in plan.vaults else []
        if region in plan.recorder_regions:
            checks.append(("config-recorder", _config_recorder))
        for check, function in checks:
            out += attempt(check, plan.account_id, region, partial(function, access, plan, region))
    return out


def run(args: argparse.Namespace, stack: Stack, aws: Aws) -> Report:
    org = connect(stack, aws)
    tree = org_tree(stack, org)
    layout = layout_for(stack, tree)
    findings = organization_findings(stack, org)
    findings += attempt("inventory-stale", None, None, partial(inventory_findings, stack, org))
    findings += guardrail_organization_findings(stack, org, tree)
    accounts = plan_accounts(stack, layout, tree)
    outcomes = fan_out(accounts, lambda p: check_account(stack, aws, p), workers=args.workers, label=COMMAND)
    rows = []
    for outcome in outcomes:
        plan = outcome.item
        if outcome.error is not None:
            findings.append(unreachable(plan.account_id, stack.role_arn(plan.account_id), outcome.error))
        own = outcome.value or []
        findings += own
        disabled = sum(f.rule == "region-enabled" and f.region is not None for f in own)
        rows.append(
            (
                plan.account_id,
                plan.name,
                ",".join(plan.roles),
                "no" if outcome.error else "yes",
                "-" if outcome.error else f"{len(plan.regions) - disabled}/{len(plan.regions)}",
                str(sum(f.counts for f in own)),
            )
        )
    table = Table(
        f"{len(accounts)} accounts pulumi up deploys to",
        ("ACCOUNT", "NAME", "ROLE", "REACHABLE", "REGIONS ENABLED", "FINDINGS"),
        rows,
    )
    return Report(COMMAND, stack.name, org.description["Id"], findings, [table], {"accounts": len(accounts)})


def main(argv: Sequence[str] | None = None, *, aws: Aws | None = None) -> int:
    return run_command(COMMAND, command_parser(COMMAND, "Can the first pulumi up succeed?"), run, argv, aws)
