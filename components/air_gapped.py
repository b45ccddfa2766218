"""Logically air-gapped (LAG) vaults: each with its access policy, its Multi-party approval team, and for the
central ones a RAM share with the organization.

How each piece is deployed:

- the vault: pulumi-aws ``aws.backup.LogicallyAirGappedVault`` (``encryption_key_arn`` included, 7.51); protected
  and retained, since AWS locks it in compliance mode and a replacement would orphan its recovery points;
- its access policy: ``aws.backup.VaultPolicy`` on the LAG vault's name (CloudFormation's ``AccessPolicy`` of
  ``AWS::Backup::LogicallyAirGappedBackupVault`` is the same vault access policy);
- the approval team: ``components.mpa_association`` (a dynamic provider: pulumi-aws 7.51 has no resource for
  AssociateBackupVaultMpaApprovalTeam);
- the RAM share: ``aws.ram.ResourceShare`` (``allow_external_principals`` false), one per Region since RAM
  shares are regional, with a ``ResourceAssociation`` per vault and a ``PrincipalAssociation`` of the
  organization's ARN (https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing-create.html; sharing
  LAG vaults: https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html).
  Organization principals need RAM sharing with AWS Organizations enabled in the management account
  (https://docs.aws.amazon.com/ram/latest/userguide/getting-started-sharing.html#getting-started-sharing-orgs).

pulumi-aws-native (AWS Cloud Control) has ``MpaApprovalTeamArn`` on its LogicallyAirGappedBackupVault, but it is a
second provider plugin every ``pulumi`` run would download and configure per account (its own assume-role), for
one property; the dynamic provider needs nothing more than boto3, which the program already uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.documents.air_gapped import (
    air_gapped_vault_policy,
    central_air_gapped_vault_policy,
    member_air_gapped_regions,
    organization_arn,
)
from components.mpa_association import MpaApprovalTeamAssociation
from components.vault import policy_json
from policies.backup_rules.names import AIR_GAPPED_SHARE_ROLE, BACKUP_KEY_TAG, MEMBER_AIR_GAPPED_VAULT_ROLE, ROLE_TAG
from stackconfig.model import AirGappedVault, MemberAirGappedVault, StackConfig

__all__ = ["AirGappedVaultSet", "member_air_gapped", "share_with_organization"]

# AWS: a LAG vault is CREATING for minutes before it is AVAILABLE (aws-backup-rules.md §4.6).
CREATE_TIMEOUT = "15m"


class AirGappedVaultSet:
    """The LAG vaults of one account, one per Region, with their policies and approval-team associations.

    Not a component of its own: the vaults keep the URNs they had as direct children of ``parent``.
    """

    def __init__(
        self,
        name: str,
        *,
        parent: pulumi.Resource,
        vault: AirGappedVault | MemberAirGappedVault,
        regions: Sequence[str],
        provider: aws.Provider,
        tags: Mapping[str, str],
        admin_role_arns: Sequence[str],
        key_arns: Mapping[str, pulumi.Input[str]],
        deploy_role_arn: str | None,
        account_id: str,
        mpa_prerequisites: Sequence[pulumi.Resource] = (),
    ) -> None:
        self.vaults: dict[str, aws.backup.LogicallyAirGappedVault] = {}
        self.policies: dict[str, aws.backup.VaultPolicy] = {}
        self.approval_teams: dict[str, MpaApprovalTeamAssociation] = {}
        build = central_air_gapped_vault_policy if isinstance(vault, AirGappedVault) else air_gapped_vault_policy
        document = policy_json(build(break_glass_role_arns=admin_role_arns))
        for region in regions:
            lag = aws.backup.LogicallyAirGappedVault(
                f"{name}-{region}-air-gapped",
                region=region,
                name=vault.name,
                min_retention_days=vault.min_retention_days,
                max_retention_days=vault.max_retention_days,
                encryption_key_arn=key_arns[region] if vault.encryption == "vault_key" else None,
                tags={**tags, BACKUP_KEY_TAG: "false"},
                opts=pulumi.ResourceOptions(
                    parent=parent,
                    provider=provider,
                    protect=True,
                    retain_on_delete=True,
                    custom_timeouts=pulumi.CustomTimeouts(create=CREATE_TIMEOUT),
                ),
            )
            self.vaults[region] = lag
            self.policies[region] = aws.backup.VaultPolicy(
                f"{name}-{region}-air-gapped-policy",
                region=region,
                backup_vault_name=lag.name,
                policy=document,
                opts=pulumi.ResourceOptions(parent=lag, provider=provider),
            )
            if vault.mpa_approval_team_arn:
                self.approval_teams[region] = MpaApprovalTeamAssociation(
                    f"{name}-{region}-air-gapped-approval-team",
                    backup_vault_name=lag.name,
                    mpa_approval_team_arn=vault.mpa_approval_team_arn,
                    region=region,
                    role_arn=deploy_role_arn,
                    account_id=account_id,
                    # AWS refuses an approval team until Multi-party approval is on in the organization's
                    # Backup global settings (isMpaEnabled):
                    # https://docs.aws.amazon.com/aws-backup/latest/devguide/multipartyapproval.html
                    opts=pulumi.ResourceOptions(parent=lag, depends_on=[lag, *mpa_prerequisites]),
                )


def share_with_organization(
    name: str,
    *,
    parent: pulumi.Resource,
    config: StackConfig,
    vaults: Mapping[str, aws.backup.LogicallyAirGappedVault],
    provider: aws.Provider,
) -> dict[str, aws.ram.ResourceShare]:
    """One RAM share per Region of ``vaults``, holding that Region's vault, shared with the organization only."""
    shares: dict[str, aws.ram.ResourceShare] = {}
    principal = organization_arn(config)
    for region, vault in vaults.items():
        share = aws.ram.ResourceShare(
            f"{name}-{region}-air-gapped-share",
            region=region,
            name=f"org-backup-air-gapped-{region}",
            allow_external_principals=False,
            tags={ROLE_TAG: AIR_GAPPED_SHARE_ROLE},
            opts=pulumi.ResourceOptions(parent=parent, provider=provider),
        )
        aws.ram.ResourceAssociation(
            f"{name}-{region}-air-gapped-share-vault",
            region=region,
            resource_share_arn=share.arn,
            resource_arn=vault.arn,
            opts=pulumi.ResourceOptions(parent=share, provider=provider),
        )
        aws.ram.PrincipalAssociation(
            f"{name}-{region}-air-gapped-share-organization",
            region=region,
            resource_share_arn=share.arn,
            principal=principal,
            opts=pulumi.ResourceOptions(parent=share, provider=provider),
        )
        shares[region] = share
    return shares


def member_air_gapped(
    name: str,
    *,
    parent: pulumi.Resource,
    config: StackConfig,
    account_id: str,
    regions: Sequence[str],
    provider: aws.Provider,
    admin_role_arns: Sequence[str],
    key_arns: Mapping[str, pulumi.Input[str]],
    mpa_prerequisites: Sequence[pulumi.Resource] = (),
) -> AirGappedVaultSet | None:
    """The member account's LAG vaults, in the Regions of ``regions`` where an air-gapped rule runs."""
    vault = config.vaults.member.air_gapped
    wanted = [r for r in member_air_gapped_regions(config) if r in regions]
    if vault is None or not wanted:
        return None
    return AirGappedVaultSet(
        name,
        parent=parent,
        vault=vault,
        regions=wanted,
        provider=provider,
        tags={ROLE_TAG: MEMBER_AIR_GAPPED_VAULT_ROLE},
        admin_role_arns=admin_role_arns,
        key_arns=key_arns,
        deploy_role_arn=config.organization.deploy_role_arn(account_id),
        account_id=account_id,
        mpa_prerequisites=mpa_prerequisites,
    )
