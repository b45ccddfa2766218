"""A backup vault with its own KMS key, Vault Lock and access policy, in one account and Region."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from policies.backup_rules.names import BACKUP_KEY_TAG, LOCKED_VAULT_TYPE
from stackconfig.model import KeySettings, VaultLock


def policy_json(document: Mapping[str, Any]) -> str:
    """Minified, key-sorted JSON: the same document always yields the same bytes (no spurious diffs)."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


class LockedVault(pulumi.ComponentResource):
    """Key, alias, vault, lock and access policy: the unit both member and central accounts repeat.

    The key, vault and lock are protected and retained on delete, so neither a config mistake nor
    ``pulumi destroy`` can remove a vault that holds recovery points.
    """

    def __init__(
        self,
        name: str,
        *,
        vault_name: str,
        region: str,
        provider: aws.Provider,
        key_policy: Mapping[str, Any],
        vault_policy: Mapping[str, Any],
        lock: VaultLock | None,
        key_settings: KeySettings,
        force_destroy: bool,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(LOCKED_VAULT_TYPE, name, None, opts)
        keep = pulumi.ResourceOptions(parent=self, provider=provider, protect=True, retain_on_delete=True)
        self.key = aws.kms.Key(
            f"{name}-key",
            region=region,
            description=f"org-backup: encrypts recovery points in vault {vault_name}",
            policy=policy_json(key_policy),
            enable_key_rotation=True,
            rotation_period_in_days=key_settings.rotation_period_days,
            deletion_window_in_days=key_settings.deletion_window_days,
            bypass_policy_lockout_safety_check=False,
            tags={**tags, BACKUP_KEY_TAG: "true"},
            opts=keep,
        )
        self.alias = aws.kms.Alias(
            f"{name}-key-alias",
            region=region,
            name=f"alias/{vault_name}",
            target_key_id=self.key.key_id,
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.vault = aws.backup.Vault(
            f"{name}-vault",
            region=region,
            name=vault_name,
            kms_key_arn=self.key.arn,
            force_destroy=force_destroy,
            tags=dict(tags),
            opts=keep,
        )
        self.lock: aws.backup.VaultLockConfiguration | None = None
        if lock is not None:
            self.lock = aws.backup.VaultLockConfiguration(
                f"{name}-lock",
                region=region,
                backup_vault_name=self.vault.name,
                min_retention_days=lock.min_retention_days,
                max_retention_days=lock.max_retention_days,
                changeable_for_days=lock.changeable_for_days if lock.mode == "compliance" else None,
                opts=keep,
            )
        self.policy = aws.backup.VaultPolicy(
            f"{name}-policy",
            region=region,
            backup_vault_name=self.vault.name,
            policy=policy_json(vault_policy),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        self.register_outputs({"vault_arn": self.vault.arn, "key_arn": self.key.arn})
