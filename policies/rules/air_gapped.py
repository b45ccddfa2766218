"""Logically air-gapped (LAG) vaults as primary targets: the Regions a policy sends to them, and their access policy.

The rest of the LAG rules live where their kind does: the target's placeholders in the backup-policy syntax
(``backup_rules.backup_policy``), retention within the vault's bounds (copies.backup-plan-retention-within-lock),
the vault in every account the policy reaches (coverage.backup-vault-in-every-target), the vault's own bounds and
Region (vaults.backup-air-gapped-vault-retention).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import REGION_PLACEHOLDER, parse_vault_arn
from backup_rules.findings import join
from backup_rules.limits import LAG_UNSUPPORTED_REGIONS

from .adapter import is_unknown
from .base import MANDATORY, Rule, stack_policy
from .plan_views import document_rule_views
from .resources import AIR_GAPPED_VAULT, VAULT_POLICY, StackIndex
from .vaults import DOMAIN as VAULTS_DOMAIN

DOMAIN = VAULTS_DOMAIN  # one domain with the other vault rules
LAG_URL = "https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html"
PRIMARY_URL = "https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html"

TARGET_REGION = Rule(
    name="backup-air-gapped-target-region",
    description=(
        "Each BACKUP_POLICY rule with target_logically_air_gapped_backup_vault_arn runs only in Regions that offer "
        "logically air-gapped vaults: the target is the vault of the account and Region the plan runs in "
        f"({PRIMARY_URL}), and AWS lists the Regions without them ({LAG_URL}); jobs there would fail."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "For org-backup users: drop those Regions from plans.<plan>.regions (or organization.workload_regions) of "
        "air-gapped plans, or set air_gapped false on the rule. For a hand-written policy: the plan's regions or "
        "the rule's target_logically_air_gapped_backup_vault_arn at the path named."
    ),
    domain=DOMAIN,
)

HAS_POLICY = Rule(
    name="backup-air-gapped-vault-has-access-policy",
    description=(
        "Every logically air-gapped vault (aws.backup.LogicallyAirGappedVault) has an access policy "
        "(aws.backup.VaultPolicy) naming it in the same account and Region, or referencing its output: its "
        "compliance lock does not stop an administrator from changing the vault's policy or its approval team, "
        "and the policy's Deny of the protected actions is what backup-vault-policy-denies-deletion then checks. "
        "Fails closed: a vault whose name is not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup creates a policy for every air-gapped vault it makes. Hand-written vaults: add an "
        "aws.backup.VaultPolicy with backup_vault_name=vault.name that denies recovery-point deletion."
    ),
    domain=DOMAIN,
)


def check_target_region(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for policy, parsed, _, _ in index.backup_policies():
        for plan, views in document_rule_views(parsed):
            for view in views:
                arn = parse_vault_arn(view.lag_vault_arn)
                if arn is None:
                    continue
                regions = plan.regions if arn.region == REGION_PLACEHOLDER else (arn.region,)
                for region in sorted(set(regions) & LAG_UNSUPPORTED_REGIONS):
                    yield (
                        policy.urn,
                        f"{join(view.where, 'target_logically_air_gapped_backup_vault_arn')}: Region {region} does "
                        f"not offer logically air-gapped vaults ({LAG_URL}), so the rule's jobs there would fail",
                    )


def check_has_policy(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for vault in index.of_type(AIR_GAPPED_VAULT):
        referenced = index.property_dependents.get((vault.urn, "backupVaultName"), ())
        if any(r.type == VAULT_POLICY for r in referenced):
            continue
        name = vault.get("name")
        if is_unknown(name) or not isinstance(name, str):
            yield vault.urn, f"air-gapped vault {vault.name}: its name is not known, so no access policy can be matched"
        elif (vault.account, vault.region, name) not in index.vault_policies:
            where = f"account {vault.account or 'unknown'}, Region {vault.region or 'unknown'}"
            yield vault.urn, f"air-gapped vault {name} ({where}) has no access policy"


POLICIES: list[Policy] = [
    stack_policy(TARGET_REGION, check_target_region),
    stack_policy(HAS_POLICY, check_has_policy),
]
