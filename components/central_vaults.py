"""Copy destinations in the central vault account: one locked vault per DR Region."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.air_gapped import AirGappedVaultSet, share_with_organization
from components.documents.air_gapped import central_air_gapped_regions
from components.documents.central_vault import central_access_policy
from components.documents.kms import central_backup_key_policy
from components.key_alerting import central_key_alerts
from components.vault import LockedVault
from policies.backup_rules.names import CENTRAL_COPY_DESTINATION_ROLE, CENTRAL_VAULTS_TYPE, ROLE_TAG
from stackconfig.model import StackConfig


class CentralVaults(pulumi.ComponentResource):
    """Vaults that accept copies from the organization's backup role (in the given OU paths, if any) and refuse
    deletion.

    Each vault has a key of its own in its Region (KMS keys are regional); the key policy admits the
    organization for AWS Backup use only and denies key deletion to all but the break-glass roles.
    """

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        provider: aws.Provider,
        mpa_prerequisites: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``mpa_prerequisites``: what must exist before an approval team is associated (the global settings)."""
        super().__init__(CENTRAL_VAULTS_TYPE, name, None, opts)
        org = config.organization
        central = config.vaults.central
        self.vaults: dict[str, LockedVault] = {}
        self.air_gapped: dict[str, aws.backup.LogicallyAirGappedVault] = {}
        tags = {ROLE_TAG: CENTRAL_COPY_DESTINATION_ROLE, "DestinationBackupVault": "true"}
        admins = org.vault_admin_role_arns(org.central_vault_account_id, central.break_glass_role_names)
        for region in org.dr_regions:
            self.vaults[region] = LockedVault(
                f"{name}-{region}",
                vault_name=central.name,
                region=region,
                provider=provider,
                key_policy=central_backup_key_policy(
                    account_id=org.central_vault_account_id,
                    region=region,
                    organization_id=org.id,
                    organization_paths=central.allowed_organization_paths,
                    break_glass_role_arns=admins,
                    compliance_locked=central.lock is not None and central.lock.mode == "compliance",
                    partition=org.partition,
                ),
                vault_policy=central_access_policy(config, admin_role_arns=admins),
                lock=central.lock,
                key_settings=central.key,
                force_destroy=central.force_destroy,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.key_alerts = central_key_alerts(
            name, config=config, regions=list(self.vaults), provider=provider, parent=self
        )
        lag = central.air_gapped
        self.air_gapped_set: AirGappedVaultSet | None = None
        self.shares: dict[str, aws.ram.ResourceShare] = {}
        if lag is not None:
            self.air_gapped_set = AirGappedVaultSet(
                name,
                parent=self,
                vault=lag,
                regions=central_air_gapped_regions(config),
                provider=provider,
                tags=tags,
                admin_role_arns=admins,
                key_arns={r: v.key.arn for r, v in self.vaults.items()},
                deploy_role_arn=org.deploy_role_arn(org.central_vault_account_id),
                account_id=org.central_vault_account_id,
                mpa_prerequisites=mpa_prerequisites,
            )
            self.air_gapped = self.air_gapped_set.vaults
            if lag.share_with_organization:
                self.shares = share_with_organization(
                    name, parent=self, config=config, vaults=self.air_gapped, provider=provider
                )
        self.register_outputs({"vault_arns": {r: v.vault.arn for r, v in self.vaults.items()}})
