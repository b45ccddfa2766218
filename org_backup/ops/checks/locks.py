"""The vault's Vault Lock is in the mode and retention range the config says (compliance locks are immutable)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from org_backup.ops.checks.base import REDEPLOY, Target
from org_backup.ops.common import iso
from policies.backup_rules.findings import Finding, Severity


def lock_findings(target: Target, region: str, vault: Mapping[str, Any], now: datetime) -> list[Finding]:
    def finding(message: str, action: str, severity: Severity = "error") -> Finding:
        return Finding.observed(
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
