"""``org-backup verify --stack prod``: is every targeted account and Region protected as configured?

Run after ``pulumi up`` and on a schedule. For every member account: the effective backup policy holds our
plans and rules as the program renders them; the backup role exists with its trust and managed policies;
and, in every Region, the vault exists with its own key, its Vault Lock matches the config, its access
policy denies deletion, no backup or copy job failed, aborted, expired or ended partial in the last
``--hours``, and no resource a plan copies to another account is encrypted with an AWS managed key (AWS
refuses those copies). The central vaults get the same vault checks and must accept copies from the organization.
Nothing is changed in AWS.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Literal

from botocore.exceptions import ClientError

from components.documents.iam import BACKUP_POLICY_TYPE, BACKUP_SERVICE_PRINCIPAL, backup_role_managed_policy_arns
from org_backup.ops.aws import AccessError, AccountAccess, Aws, error_code, fan_out, paginate
from org_backup.ops.checks.copy_paths import CopySources, copy_path_findings, copy_sources
from org_backup.ops.checks.guardrail import account_findings as guardrail_account_findings
from org_backup.ops.checks.guardrail import organization_findings as guardrail_organization_findings
from org_backup.ops.checks.managed_keys import managed_key_findings
from org_backup.ops.common import (
    OpsFinding,
    Report,
    Stack,
    Table,
    attempt,
    command_parser,
    iso,
    run_command,
    unreachable,
    utc_now,
)
from org_backup.ops.organization import Org, connect, layout_for, org_tree, usable_regions
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER
from policies.backup_rules.backup_policy import (
    ASSIGN,
    VALUE_OPERATORS,
    ParsedPlan,
    ParsedRule,
    parse_backup_policy,
)
from policies.backup_rules.events import BACKUP_JOB_FAILURE_STATES, COPY_JOB_FAILURE_STATES
from policies.backup_rules.iam import vault_policy_denies_deletion
from stackconfig.inventory import OrgTree
from stackconfig.layout import Layout
from stackconfig.model import StackConfig, VaultLock

__all__ = ["Coverage", "Verification", "as_assigned", "compare_effective_policy", "list_jobs", "main", "verify"]

COMMAND = "verify"
DEFAULT_HOURS = 24
REDEPLOY = "run `pulumi up` for the stack"

JobKind = Literal["backup", "copy"]
FAILURE_STATES: dict[JobKind, tuple[str, ...]] = {
    "backup": BACKUP_JOB_FAILURE_STATES,
    "copy": COPY_JOB_FAILURE_STATES,
}
"""Job states that mean no recovery point (or no copy); copy jobs are never aborted or expired."""
_JOB_LISTS: dict[JobKind, tuple[str, str]] = {
    "backup": ("list_backup_jobs", "BackupJobs"),
    "copy": ("list_copy_jobs", "CopyJobs"),
}


def list_jobs(client: Any, kind: JobKind, **filters: Any) -> Iterator[dict[str, Any]]:
    """Backup or copy jobs (every page), filtered server-side (``ByAccountId``, ``ByState``, ...)."""
    operation, key = _JOB_LISTS[kind]
    return paginate(client, operation, key, **filters)


@dataclass(frozen=True)
class Target:
    """An account and the vault the program keeps in each of its Regions."""

    account_id: str
    name: str
    kind: Literal["member", "central"]
    regions: tuple[str, ...]
    vault_name: str
    lock: VaultLock | None
    copy_sources: CopySources | None = None


@dataclass
class Coverage:
    """One account and Region as verify saw it: the evidence rows of the audit report."""

    account_id: str
    name: str
    region: str
    kind: str
    reachable: bool = True
    region_enabled: bool = True
    checked: bool = True
    vault: bool = False
    key: bool = False
    locked: bool = False
    lock_mode: str = "-"
    min_retention_days: int | None = None
    max_retention_days: int | None = None
    lock_date: str | None = None
    denies_deletion: bool = False
    plans: list[str] = field(default_factory=list)
    failed_jobs: int = 0
    findings: int = 0

    @property
    def why_unchecked(self) -> str | None:
        """Why this account-Region could not be checked, if it could not."""
        if not self.reachable:
            return "unreachable"
        if not self.region_enabled:
            return "Region disabled"
        return None if self.checked else "unchecked"

    @property
    def protected(self) -> bool:
        return self.reachable and self.region_enabled and self.checked and self.vault and self.key and not self.findings


@dataclass
class Verification:
    """Everything verify found, for its own output and for the audit report."""

    org: Org
    findings: list[OpsFinding]
    coverage: list[Coverage]
    hours: int
    admin: AccountAccess | None


# --------------------------------------------------------------------------- effective backup policy


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
) -> tuple[list[OpsFinding], dict[str, tuple[str, ...]]]:
    """Our plans as rendered versus the account's effective policy; also the effective plans' Regions."""
    actual = _plans(as_assigned(json.loads(effective))) if effective else {}
    action = (
        f"{REDEPLOY}; if it is already up to date, look for a policy attached elsewhere that overrides ours "
        "(inherited operators) or a detached policy"
    )
    out: list[OpsFinding] = []
    for name, plan in sorted(expected.items()):
        got = actual.get(name)
        if got is None:
            out.append(
                OpsFinding(
                    check="effective-policy",
                    message=f"plan {plan.name} is not in the account's effective backup policy: nothing it selects is "
                    "backed up here",
                    action=action,
                    account=account_id,
                    resource=plan.name,
                )
            )
            continue
        out.extend(
            OpsFinding(
                check="effective-policy",
                message=f"plan {plan.name} does not run in {region}",
                action=action,
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
                OpsFinding(
                    check="effective-policy",
                    message=f"plan {plan.name} differs from the configuration: " + "; ".join(differences),
                    action=action,
                    account=account_id,
                    resource=plan.name,
                )
            )
    return out, {name: plan.regions for name, plan in actual.items() if name in expected}


def effective_policy(org: Org, account_id: str) -> str | None:
    try:
        response = org.organizations().describe_effective_policy(PolicyType=BACKUP_POLICY_TYPE, TargetId=account_id)
    except ClientError as exc:
        if error_code(exc) == "EffectivePolicyNotFoundException":
            return None
        raise
    return str(response["EffectivePolicy"]["PolicyContent"])


# --------------------------------------------------------------------------- backup role


def _trusts_backup(document: Any) -> bool:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        services = statement.get("Principal", {}).get("Service", [])
        actions = statement.get("Action", [])
        if (
            statement.get("Effect") == "Allow"
            and BACKUP_SERVICE_PRINCIPAL in ([services] if isinstance(services, str) else services)
            and "sts:AssumeRole" in ([actions] if isinstance(actions, str) else actions)
        ):
            return True
    return False


def check_backup_role(access: AccountAccess, config: StackConfig, region: str) -> list[OpsFinding]:
    """The role every backup policy names (``$account``): without it, every job in the account fails."""
    name = config.vaults.backup_role_name
    iam = access.client("iam", region)
    account_id = access.account_id
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return [
            OpsFinding(
                check="backup-role",
                message=f"the backup role {name} does not exist: every backup job in this account fails",
                action=REDEPLOY,
                account=account_id,
                resource=name,
            )
        ]
    out = []
    if not _trusts_backup(role.get("AssumeRolePolicyDocument", {})):
        out.append(
            OpsFinding(
                check="backup-role",
                message=f"{name} does not let {BACKUP_SERVICE_PRINCIPAL} assume it",
                action=REDEPLOY,
                account=account_id,
                resource=role["Arn"],
            )
        )
    attached = {p["PolicyArn"] for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)}
    missing = [arn for arn in backup_role_managed_policy_arns(config.organization.partition) if arn not in attached]
    if missing:
        out.append(
            OpsFinding(
                check="backup-role",
                message=f"{name} lacks the managed policies {', '.join(missing)}: some backups or restores fail",
                action=REDEPLOY,
                account=account_id,
                resource=role["Arn"],
            )
        )
    return out


# --------------------------------------------------------------------------- vault, key, lock, access policy


def _lock_findings(target: Target, region: str, vault: Mapping[str, Any], now: datetime) -> list[OpsFinding]:
    def finding(message: str, action: str, severity: Literal["error", "warning", "info"] = "error") -> OpsFinding:
        return OpsFinding(
            "vault-lock", message, action, target.account_id, region, target.vault_name, severity=severity
        )

    lock = target.lock
    locked = bool(vault.get("Locked"))
    lock_date = vault.get("LockDate")
    if lock is None:
        return (
            [finding("the vault is locked although the config has no lock", "add the lock to vaults.*.lock", "info")]
            if locked
            else []
        )
    if not locked:
        return [finding(f"no Vault Lock (config: {lock.mode}): recovery points can be deleted", REDEPLOY)]
    out = []
    got = (vault.get("MinRetentionDays"), vault.get("MaxRetentionDays"))
    if got != (lock.min_retention_days, lock.max_retention_days):
        out.append(
            finding(
                f"lock retention is {got[0]}-{got[1]} days, the config says "
                f"{lock.min_retention_days}-{lock.max_retention_days}",
                REDEPLOY
                if lock_date is None or lock_date > now
                else "the compliance lock is immutable: change the config to match it",
            )
        )
    if lock.mode == "compliance" and lock_date is None:
        out.append(finding("the lock is in governance mode, the config says compliance", REDEPLOY))
    elif lock.mode == "governance" and lock_date is not None:
        out.append(
            finding(
                f"the lock is in compliance mode (lock date {iso(lock_date)}), the config says governance",
                "set the config to compliance; before the lock date the lock can still be removed",
            )
        )
    elif lock.mode == "compliance" and lock_date is not None and lock_date > now:
        out.append(
            finding(
                f"compliance lock in its grace period: it becomes immutable on {iso(lock_date)}",
                "nothing, unless the lock settings are wrong: after that date they can never change",
                "info",
            )
        )
    return out


def check_vault(access: AccountAccess, target: Target, region: str, now: datetime) -> tuple[Coverage, list[OpsFinding]]:
    """Vault, key (``alias/<vault name>``), Vault Lock and access policy in one account and Region."""
    row = Coverage(target.account_id, target.name, region, target.kind)
    backup = access.client("backup", region)
    name = target.vault_name
    account_id = target.account_id
    try:
        vault = backup.describe_backup_vault(BackupVaultName=name)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return row, [
            OpsFinding(
                "vault",
                f"vault {name} does not exist: every backup job here fails",
                REDEPLOY,
                account_id,
                region,
                name,
            )
        ]
    row.vault = True
    row.locked = bool(vault.get("Locked"))
    row.lock_mode = ("compliance" if vault.get("LockDate") else "governance") if row.locked else "-"
    row.min_retention_days = vault.get("MinRetentionDays")
    row.max_retention_days = vault.get("MaxRetentionDays")
    row.lock_date = iso(vault["LockDate"]) if vault.get("LockDate") else None
    out = attempt("vault-key", account_id, region, partial(_key_findings, access, target, region, vault, row))
    out += _lock_findings(target, region, vault, now)
    out += attempt(
        "vault-policy", account_id, region, partial(_policy_findings, backup, target, region, row, access, vault)
    )
    return row, out


def _key_findings(
    access: AccountAccess, target: Target, region: str, vault: Mapping[str, Any], row: Coverage
) -> list[OpsFinding]:
    alias = f"alias/{target.vault_name}"
    try:
        key = access.client("kms", region).describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        return [
            OpsFinding(
                "vault-key", f"{alias} does not exist", REDEPLOY, target.account_id, region, vault["BackupVaultArn"]
            )
        ]
    out = []
    if key["Arn"] != vault.get("EncryptionKeyArn"):
        out.append(
            OpsFinding(
                "vault-key",
                f"the vault is encrypted with {vault.get('EncryptionKeyArn')}, not with our key {alias} ({key['Arn']})",
                "a vault's key cannot change: recreate the vault (it must be empty), or point the alias at its key",
                target.account_id,
                region,
                vault["BackupVaultArn"],
            )
        )
    if key.get("KeyState") != "Enabled":
        out.append(
            OpsFinding(
                "vault-key",
                f"the vault key is {key.get('KeyState')}: backups into the vault fail",
                "enable the key (or cancel its deletion)",
                target.account_id,
                region,
                key["Arn"],
            )
        )
    row.key = not out
    return out


def _policy_findings(
    backup: Any, target: Target, region: str, row: Coverage, access: AccountAccess, vault: Mapping[str, Any]
) -> list[OpsFinding]:
    def finding(message: str) -> OpsFinding:
        return OpsFinding("vault-policy", message, REDEPLOY, target.account_id, region, target.vault_name)

    try:
        policy = backup.get_backup_vault_access_policy(BackupVaultName=target.vault_name)["Policy"]
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return [finding("the vault has no access policy: recovery points can be deleted by any administrator")]
    out = [
        finding(f"the access policy does not protect recovery points: {f.message}")
        for f in vault_policy_denies_deletion(policy)
    ]
    row.denies_deletion = not out
    out += copy_path_findings(target.copy_sources, access, region, policy, vault)
    return out


# --------------------------------------------------------------------------- jobs


def job_findings(admin: AccountAccess, account_id: str, region: str, since: datetime, hours: int) -> list[OpsFinding]:
    """Failed, aborted, expired or partial jobs of one account, seen from the backup admin account."""
    client = admin.client("backup", region)
    failures: dict[tuple[JobKind, str], list[dict[str, Any]]] = {}
    for kind, failure_states in FAILURE_STATES.items():
        for state in failure_states:
            for job in list_jobs(client, kind, ByAccountId=account_id, ByState=state, ByCreatedAfter=since):
                failures.setdefault((kind, job.get("ResourceArn", "?")), []).append(job)
    out = []
    for (kind, resource), jobs in sorted(failures.items()):
        latest = max(jobs, key=lambda j: j.get("CreationDate", since))
        states = sorted({j["State"] for j in jobs})
        action = (
            "read the status message; common causes: the backup role cannot use the resource's KMS key, the vault "
            "is missing, or the rule's retention is outside the vault lock's range"
            if kind == "backup"
            else "check that the destination vault's access policy and key admit this account, and that the "
            "resource's key is a customer managed key shared with the destination account"
        )
        out.append(
            OpsFinding(
                check=f"{kind}-jobs",
                message=f"{len(jobs)} {kind} job(s) {'/'.join(states)} in the last {hours} h; latest "
                f"{iso(latest.get('CreationDate', since))}: {latest.get('StatusMessage', 'no status message')}",
                action=action,
                account=account_id,
                region=region,
                resource=resource,
            )
        )
    return out


# --------------------------------------------------------------------------- orchestration


def targets(stack: Stack, layout: Layout, tree: OrgTree) -> list[Target]:
    config = stack.config
    vaults = config.vaults
    out = [
        Target(
            m.id,
            m.name,
            "member",
            tuple(layout.member_regions),
            vaults.member.name,
            vaults.member.lock,
        )
        for m in layout.members
    ]
    central = config.organization.central_vault_account_id
    account = tree.accounts.get(central)
    out.append(
        Target(
            central,
            account.name if account else central,
            "central",
            tuple(layout.central_regions),
            vaults.central.name,
            vaults.central.lock,
            copy_sources(stack, layout, tree),
        )
    )
    return out


@dataclass
class _AccountState:
    access: AccountAccess
    regions: list[str]
    expected: dict[str, ParsedPlan]
    effective_plans: dict[str, tuple[str, ...]]
    findings: list[OpsFinding]


def _check_account(
    stack: Stack, aws: Aws, org: Org, expected: Mapping[str, dict[str, ParsedPlan]], target: Target
) -> _AccountState:
    home = stack.home_region
    access = aws.account(target.account_id, stack.role_arn(target.account_id), home)
    regions, findings = usable_regions(access, home, target.regions)
    plans = expected.get(target.account_id, {})
    effective: dict[str, tuple[str, ...]] = {}
    findings += guardrail_account_findings(stack, access)
    if target.kind == "member":
        findings += attempt(
            "backup-role", target.account_id, None, partial(check_backup_role, access, stack.config, home)
        )

        def policy() -> list[OpsFinding]:
            found, in_effect = compare_effective_policy(
                target.account_id, plans, effective_policy(org, target.account_id)
            )
            effective.update(in_effect)
            return found

        findings += attempt("effective-policy", target.account_id, None, policy)
    return _AccountState(access, regions, plans, effective, findings)


def _check_region(
    stack: Stack, admin: AccountAccess | None, since: datetime, hours: int, unit: tuple[Target, _AccountState, str]
) -> tuple[Coverage, list[OpsFinding]]:
    target, state, region = unit
    row, findings = check_vault(state.access, target, region, utc_now())
    if target.kind == "member":
        row.plans = sorted(name for name, regions in state.effective_plans.items() if region in regions)
        findings += attempt(
            "aws-managed-key",
            target.account_id,
            region,
            partial(
                managed_key_findings, state.access, stack.config.organization.partition, state.expected.values(), region
            ),
        )
        if admin is not None:
            jobs = attempt(
                "jobs", target.account_id, region, partial(job_findings, admin, target.account_id, region, since, hours)
            )
            row.failed_jobs = sum(f.check.endswith("-jobs") for f in jobs)
            findings += jobs
    return row, findings


def verify(stack: Stack, aws: Aws, *, hours: int, workers: int) -> Verification:
    """Every check, over every target account and Region, on a bounded thread pool."""
    org = connect(stack, aws)
    tree = org_tree(stack, org)
    layout = layout_for(stack, tree)
    documents: dict[str, list[str]] = {}
    for policy in layout.policies:
        for account_id in policy.reaches:
            documents.setdefault(account_id, []).append(policy.document.content)
    expected = {account_id: expected_plans(contents) for account_id, contents in documents.items()}
    all_targets = targets(stack, layout, tree)
    findings: list[OpsFinding] = guardrail_organization_findings(stack, org, tree)
    coverage: list[Coverage] = []
    accounts = fan_out(
        all_targets, partial(_check_account, stack, aws, org, expected), workers=workers, label=f"{COMMAND}: accounts"
    )
    units: list[tuple[Target, _AccountState, str]] = []
    for outcome in accounts:
        target, state = outcome.item, outcome.value
        if state is None:
            findings.append(
                unreachable(target.account_id, stack.role_arn(target.account_id), outcome.error or AccessError())
            )
            coverage += [
                Coverage(target.account_id, target.name, r, target.kind, reachable=False) for r in target.regions
            ]
            continue
        findings += state.findings
        coverage += [
            Coverage(target.account_id, target.name, r, target.kind, region_enabled=False)
            for r in target.regions
            if r not in state.regions
        ]
        units += [(target, state, region) for region in state.regions]
    admin_id = stack.config.organization.backup_admin_account_id
    admin: AccountAccess | None = None
    try:
        admin = aws.account(admin_id, stack.role_arn(admin_id), stack.home_region)
    except AccessError as exc:
        findings.append(unreachable(admin_id, stack.role_arn(admin_id), exc))
    since = utc_now() - timedelta(hours=hours)
    regions = fan_out(
        units, partial(_check_region, stack, admin, since, hours), workers=workers, label=f"{COMMAND}: Regions"
    )
    for done in regions:
        target, _, region = done.item
        if done.error is not None:
            findings.append(
                OpsFinding(
                    "region",
                    f"could not check the Region: {error_code(done.error)}: {done.error}",
                    "check that the Region is enabled and the role may read AWS Backup",
                    target.account_id,
                    region,
                )
            )
            coverage.append(Coverage(target.account_id, target.name, region, target.kind, checked=False))
            continue
        row, found = done.unwrap()
        row.findings = sum(f.counts for f in found)
        coverage.append(row)
        findings += found
    coverage.sort(key=lambda c: (c.kind != "member", c.account_id, c.region))
    return Verification(org, findings, coverage, hours, admin)


def coverage_table(coverage: Sequence[Coverage]) -> Table:
    def yes(flag: bool) -> str:
        return "yes" if flag else "NO"

    rows = [
        (
            c.account_id,
            c.name,
            c.region,
            c.kind,
            c.why_unchecked or yes(c.vault),
            yes(c.key),
            f"{c.lock_mode} {c.min_retention_days}-{c.max_retention_days}" if c.locked else "NO",
            yes(c.denies_deletion),
            ",".join(c.plans) or "-",
            str(c.failed_jobs),
        )
        for c in coverage
    ]
    protected = sum(c.protected for c in coverage)
    return Table(
        f"{protected}/{len(coverage)} account-Regions fully protected",
        ("ACCOUNT", "NAME", "REGION", "KIND", "VAULT", "KEY", "LOCK", "DENIES DELETE", "PLANS", "FAILING"),
        rows,
    )


def run(args: argparse.Namespace, stack: Stack, aws: Aws) -> Report:
    result = verify(stack, aws, hours=args.hours, workers=args.workers)
    return Report(
        COMMAND,
        stack.name,
        result.org.description["Id"],
        result.findings,
        [coverage_table(result.coverage)],
        {"hours": args.hours, "coverage": [vars(c) | {"protected": c.protected} for c in result.coverage]},
    )


def main(argv: Sequence[str] | None = None, *, aws: Aws | None = None) -> int:
    parser = command_parser(COMMAND, "Is every targeted account and Region protected as configured?")
    parser.add_argument(
        "--hours", type=int, default=DEFAULT_HOURS, help=f"look for failed jobs this far back (default {DEFAULT_HOURS})"
    )
    return run_command(COMMAND, parser, run, argv, aws)
