"""The logically air-gapped (LAG) vault the config wants in an account and Region: it exists as a LAG vault with
the configured bounds and key type, has its Multi-party approval team, is shared (central vaults, when asked)
with the organization and nobody else, and which restore access vaults are open on it.

- DescribeBackupVault answers VaultType, EncryptionKeyType, Min/MaxRetentionDays, MpaApprovalTeamArn and the
  pending team change (LatestMpaApprovalTeamUpdate):
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html
- ListPrincipals of the vault's ARN (resourceOwner SELF) answers whom RAM shares it with, ``external`` marking
  principals outside the organization: https://docs.aws.amazon.com/ram/latest/APIReference/API_ListPrincipals.html
- ListRestoreAccessBackupVaults: the access an approval team granted and nobody revoked yet:
  https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRestoreAccessBackupVaults.html
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from components.documents.air_gapped import central_air_gapped_regions, member_air_gapped_regions, organization_arn
from org_backup.ops.aws import AccountAccess, error_code
from org_backup.ops.checks.base import REDEPLOY, Target
from policies.backup_rules.findings import Finding, Severity
from stackconfig.model import AirGappedVault, MemberAirGappedVault, StackConfig

CHECK = "air-gapped"
LAG_TYPE = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT"
KEY_TYPES = {"aws_owned": "AWS_OWNED_KMS_KEY", "vault_key": "CUSTOMER_MANAGED_KMS_KEY"}
RUNBOOK = "see docs/recovery-runbook.md"


def wanted_vault(config: StackConfig, target: Target, region: str) -> AirGappedVault | MemberAirGappedVault | None:
    """The LAG vault the config puts in this account and Region, if any."""
    if target.kind == "member":
        lag = config.vaults.member.air_gapped
        return lag if lag is not None and region in member_air_gapped_regions(config) else None
    central = config.vaults.central.air_gapped
    return central if central is not None and region in central_air_gapped_regions(config) else None


def air_gapped_findings(access: AccountAccess, config: StackConfig, target: Target, region: str) -> list[Finding]:
    lag = wanted_vault(config, target, region)
    if lag is None:
        return []
    account = target.account_id

    def finding(message: str, action: str = REDEPLOY, severity: Severity = "error") -> Finding:
        return Finding.observed(CHECK, message, action, account, region, lag.name, severity=severity)

    backup = access.client("backup", region)
    try:
        vault = backup.describe_backup_vault(BackupVaultName=lag.name)
    except ClientError as exc:
        if error_code(exc) != "ResourceNotFoundException":
            raise
        return [finding(f"logically air-gapped vault {lag.name} does not exist: air-gapped backup jobs here fail")]
    if vault.get("VaultType") != LAG_TYPE:
        return [
            finding(
                f"{lag.name} is a {vault.get('VaultType')}, not a logically air-gapped vault: someone created a vault "
                "under its name first; delete or rename it, then redeploy"
            )
        ]
    out: list[Finding] = []
    if vault.get("VaultState") != "AVAILABLE":
        out.append(finding(f"the vault is {vault.get('VaultState')}, not AVAILABLE", severity="warning"))
    bounds = (vault.get("MinRetentionDays"), vault.get("MaxRetentionDays"))
    if bounds != (lag.min_retention_days, lag.max_retention_days):
        out.append(
            finding(
                f"retention bounds {bounds[0]}..{bounds[1]} days differ from the config's "
                f"{lag.min_retention_days}..{lag.max_retention_days} (AWS fixes them at creation)",
                severity="warning",
            )
        )
    if vault.get("EncryptionKeyType") not in (None, KEY_TYPES[lag.encryption]):
        out.append(
            finding(
                f"encrypted with a {vault.get('EncryptionKeyType')}, the config says {lag.encryption}",
                severity="warning",
            )
        )
    out += _approval_team(lag, vault, finding)
    if isinstance(lag, AirGappedVault) and lag.share_with_organization:
        out += _share(access, config, region, str(vault.get("BackupVaultArn")), finding)
    out += _restore_access(backup, lag.name, finding)
    return out


def _approval_team(lag: AirGappedVault | MemberAirGappedVault, vault: dict[str, Any], finding: Any) -> list[Finding]:
    wanted, current = lag.mpa_approval_team_arn, vault.get("MpaApprovalTeamArn")
    if not wanted or wanted == current:
        return []
    pending = (vault.get("LatestMpaApprovalTeamUpdate") or {}).get("Status")
    if current and pending == "PENDING":
        return [finding(f"the change of approval team from {current} awaits its approvers", RUNBOOK, "warning")]
    return [
        finding(
            f"approval team {current or 'none'}, the config says {wanted}: without it nobody can reach the vault's "
            "backups if this account is lost"
        )
    ]


def _share(access: AccountAccess, config: StackConfig, region: str, vault_arn: str, finding: Any) -> list[Finding]:
    ram = access.client("ram", region)
    principals: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"resourceOwner": "SELF", "resourceArn": vault_arn}
    while True:
        page = ram.list_principals(**kwargs)
        principals += page.get("principals", [])
        if not page.get("nextToken"):
            break
        kwargs["nextToken"] = page["nextToken"]
    out = [
        finding(f"shared through RAM with {p.get('id')}, outside the organization: remove it from the share")
        for p in principals
        if p.get("external")
    ]
    if organization_arn(config) not in {p.get("id") for p in principals}:
        out.append(finding("not shared with the organization through RAM: restores from other accounts fail"))
    return out


def _restore_access(backup: Any, name: str, finding: Any) -> list[Finding]:
    vaults = backup.list_restore_access_backup_vaults(BackupVaultName=name).get("RestoreAccessBackupVaults", [])
    return [
        finding(
            f"restore access vault {v.get('RestoreAccessBackupVaultArn')} ({v.get('VaultState')}) is open on this "
            "vault: revoke it when the recovery is over",
            f"aws backup revoke-restore-access-backup-vault; {RUNBOOK}",
            "warning",
        )
        for v in vaults
        if v.get("VaultState") != "FAILED"
    ]
