"""Each account and Region has the vault the program keeps there: its key, its lock, and an access policy that
denies deleting recovery points (central vaults: and admits the organization's copies)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from org_backup.ops.aws import AccountAccess, error_code
from org_backup.ops.checks.base import REDEPLOY, Coverage, Target
from org_backup.ops.checks.copy_paths import copy_path_findings
from org_backup.ops.checks.keys import key_findings
from org_backup.ops.checks.locks import lock_findings
from org_backup.ops.common import attempt, iso
from policies.backup_rules.findings import Finding
from policies.backup_rules.iam import vault_policy_denies_deletion


def check_vault(access: AccountAccess, target: Target, region: str, now: datetime) -> tuple[Coverage, list[Finding]]:
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
            Finding.observed(
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
    out = attempt("vault-key", account_id, region, partial(key_findings, access, target, region, vault, row))
    out += lock_findings(target, region, vault, now)
    out += attempt(
        "vault-policy", account_id, region, partial(access_policy_findings, backup, target, region, row, access, vault)
    )
    return row, out


def access_policy_findings(
    backup: Any, target: Target, region: str, row: Coverage, access: AccountAccess, vault: Mapping[str, Any]
) -> list[Finding]:
    def finding(message: str) -> Finding:
        return Finding.observed("vault-policy", message, REDEPLOY, target.account_id, region, target.vault_name)

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
