"""Logically air-gapped (LAG) vaults from the configuration: the primary target of backup policies, where the
member vaults go, their access policy, and the RAM share of the central ones. Pure: no Pulumi import.

- A rule (or every rule of a plan) with ``air_gapped`` backs up straight into the member account's LAG vault of
  the Region it runs in: ``target_logically_air_gapped_backup_vault_arn``, the one backup-policy key that takes
  both ``$account`` and ``$region``
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html;
  https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html). ``target_backup_vault_name``
  stays: the policy syntax requires it, and resource types a LAG vault does not take back up there.
- A LAG vault has an access policy like a standard vault (CloudFormation's ``AccessPolicy`` property of
  ``AWS::Backup::LogicallyAirGappedBackupVault``:
  https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-backup-logicallyairgappedbackupvault.html):
  the same Deny of the protected actions as every other vault, and nothing allowed across accounts (restores
  from other accounts go through RAM or Multi-party approval, not the access policy).
- Sharing with the organization through AWS RAM (principal: the organization's ARN) lets any account of the
  organization restore, or restore-test, from the central LAG vaults
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html, "Share a logically
  air-gapped vault"; https://docs.aws.amazon.com/ram/latest/userguide/working-with-sharing-create.html).
"""

from __future__ import annotations

from collections.abc import Sequence

from components.documents.iam import Document, policy_document
from components.documents.vault_policy import member_vault_policy
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER, VaultArn
from stackconfig.model import Plan, Rule, StackConfig

__all__ = [
    "LAG_TARGET_KEY",
    "air_gapped_rule_paths",
    "air_gapped_target_arn",
    "air_gapped_vault_policy",
    "central_air_gapped_regions",
    "central_air_gapped_vault_policy",
    "member_air_gapped_regions",
    "organization_arn",
    "rule_is_air_gapped",
]

LAG_TARGET_KEY = "target_logically_air_gapped_backup_vault_arn"


def rule_is_air_gapped(plan: Plan, rule: Rule) -> bool:
    """The rule's own ``air_gapped`` when set, else its plan's."""
    return plan.air_gapped if rule.air_gapped is None else rule.air_gapped


def air_gapped_target_arn(config: StackConfig, plan: Plan, rule: Rule) -> str | None:
    """The rule's LAG primary target, ``arn:<partition>:backup:$region:$account:backup-vault:<name>``, or None
    when the rule is not air-gapped or no member LAG vault is configured (the loader reports that case)."""
    vault = config.vaults.member.air_gapped
    if vault is None or not rule_is_air_gapped(plan, rule):
        return None
    return str(VaultArn(config.organization.partition, REGION_PLACEHOLDER, ACCOUNT_PLACEHOLDER, vault.name))


def plan_regions(config: StackConfig, plan: Plan) -> list[str]:
    return list(config.organization.workload_regions if plan.regions is None else plan.regions)


def air_gapped_rule_paths(config: StackConfig) -> list[tuple[str, str, Plan, Rule]]:
    """``(plan name, rule name, plan, rule)`` of every air-gapped rule, in config order."""
    return [
        (plan_name, rule_name, plan, rule)
        for plan_name, plan in config.plans.items()
        for rule_name, rule in plan.rules.items()
        if rule_is_air_gapped(plan, rule)
    ]


def member_air_gapped_regions(config: StackConfig) -> list[str]:
    """Every Region where an air-gapped rule runs (sorted): each member account needs its LAG vault there."""
    return sorted({r for _, _, plan, _ in air_gapped_rule_paths(config) for r in plan_regions(config, plan)})


def central_air_gapped_regions(config: StackConfig) -> list[str]:
    """Where the central LAG vaults are: ``vaults.central.air_gapped.regions``, by default every DR Region."""
    lag = config.vaults.central.air_gapped
    if lag is None:
        return []
    return list(lag.regions if lag.regions is not None else config.organization.dr_regions)


def air_gapped_vault_policy(*, break_glass_role_arns: Sequence[str]) -> Document:
    """The access policy of a LAG vault: the protected actions denied to all but ``break_glass_role_arns``, no
    cross-account Allow (nothing copies into it: member LAG vaults are primary targets, written in-account)."""
    return member_vault_policy(break_glass_role_arns=break_glass_role_arns)


def central_air_gapped_vault_policy(*, break_glass_role_arns: Sequence[str]) -> Document:
    """A central LAG vault's policy: :func:`air_gapped_vault_policy`, and ``backup:CopyIntoBackupVault`` denied to
    all but ``break_glass_role_arns``. No plan copies into it (copies go to the standard central vault), and a copy
    into a compliance-locked vault stays, and is billed, for its minimum retention: in the central account
    identity policies alone would otherwise let any administrator fill it. Not on member LAG vaults: for resource
    types a LAG vault does not back up directly, AWS Backup copies a temporary snapshot into them
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html)."""
    document = air_gapped_vault_policy(break_glass_role_arns=break_glass_role_arns)
    deny = dict(document["Statement"][0])
    deny.update(Sid="DenyCopyIntoAirGappedVaultExceptBreakGlass", Action=["backup:CopyIntoBackupVault"])
    return policy_document(*document["Statement"], deny)


def organization_arn(config: StackConfig) -> str:
    """``arn:<partition>:organizations::<management account>:organization/<id>``: RAM's principal for "the whole
    organization" (https://docs.aws.amazon.com/ram/latest/APIReference/API_AssociateResourceShare.html)."""
    org = config.organization
    return f"arn:{org.partition}:organizations::{org.management_account_id}:organization/{org.id}"
