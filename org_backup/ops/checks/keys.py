"""The vault is encrypted with its own key (``alias/<vault name>``), and that key is enabled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from org_backup.ops.aws import AccountAccess, error_code
from org_backup.ops.checks.base import REDEPLOY, Coverage, Target
from policies.backup_rules.findings import Finding


def key_findings(
    access: AccountAccess, target: Target, region: str, vault: Mapping[str, Any], row: Coverage
) -> list[Finding]:
    alias = f"alias/{target.vault_name}"
    try:
        key = access.client("kms", region).describe_key(KeyId=alias)["KeyMetadata"]
    except ClientError as exc:
        if error_code(exc) != "NotFoundException":
            raise
        return [
            Finding.observed(
                "vault-key", f"{alias} does not exist", REDEPLOY, target.account_id, region, vault["BackupVaultArn"]
            )
        ]
    out = []
    if key["Arn"] != vault.get("EncryptionKeyArn"):
        out.append(
            Finding.observed(
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
            Finding.observed(
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
