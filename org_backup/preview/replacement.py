"""Which input changes make Pulumi replace a resource (delete and create) rather than update it in place.

pulumi-aws bridges the Terraform AWS provider, whose schemas mark such arguments ``ForceNew`` (SDK resources)
or ``RequiresReplace`` (framework resources). The installed ``pulumi_aws`` Python package ships neither the
schema nor ``replaceOnChanges`` (it holds only the generated SDK; the schema lives in the provider plugin,
which the offline preview does not have), so the arguments are listed here, per resource type, from the
provider's source. Types and arguments not listed are treated as updates; the list covers every resource the
program registers that is ``protect``-ed, and the ones whose replacement would break what depends on them.

Sources (hashicorp/terraform-provider-aws, ``internal/service/...``):
- backup/vault.go: ``name``, ``kms_key_arn`` ForceNew
  https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/backup/vault.go
- backup/vault_lock_configuration.go: every argument ForceNew (the resource has no Update)
  https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/backup/vault_lock_configuration.go
- backup/logically_air_gapped_vault.go: ``name``, ``min_retention_days``, ``max_retention_days`` RequiresReplace
  https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/backup/logically_air_gapped_vault.go
- kms/key.go: ``customer_master_key_spec``, ``key_usage``, ``custom_key_store_id``, ``multi_region``,
  ``xks_key_id`` ForceNew  https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/kms/key.go
- Pulumi registry pages of each type list the same arguments ("Changing this forces a new resource"):
  https://www.pulumi.com/registry/packages/aws/api-docs/backup/vault/
Where the source was not at hand (alias, vault policy, attachments, delegated administrator, role, bucket,
framework, report plan), the identifying arguments are listed: the safe side, since a replacement reported
that turns out to be an update costs a second look, while the opposite could delete a protected resource.
"""

from __future__ import annotations

REGION = "region"
"""pulumi-aws 7 takes a per-resource ``region``; a resource cannot move between Regions, so it is replaced."""

FORCE_NEW: dict[str, frozenset[str]] = {
    "aws:backup/vault:Vault": frozenset({"name", "kmsKeyArn"}),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": frozenset(
        {"backupVaultName", "changeableForDays", "maxRetentionDays", "minRetentionDays"}
    ),
    "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault": frozenset(
        {"name", "minRetentionDays", "maxRetentionDays"}
    ),
    "aws:backup/vaultPolicy:VaultPolicy": frozenset({"backupVaultName"}),
    "aws:backup/framework:Framework": frozenset({"name"}),
    "aws:backup/reportPlan:ReportPlan": frozenset({"name"}),
    "aws:kms/key:Key": frozenset({"customerMasterKeySpec", "keyUsage", "customKeyStoreId", "multiRegion", "xksKeyId"}),
    "aws:kms/alias:Alias": frozenset({"name", "namePrefix"}),
    "aws:iam/role:Role": frozenset({"name", "namePrefix", "path"}),
    "aws:s3/bucket:Bucket": frozenset({"bucket", "bucketPrefix"}),
    "aws:organizations/policy:Policy": frozenset({"type"}),
    "aws:organizations/policyAttachment:PolicyAttachment": frozenset({"policyId", "targetId"}),
    "aws:organizations/delegatedAdministrator:DelegatedAdministrator": frozenset({"accountId", "servicePrincipal"}),
    # The program's own dynamic providers: components/policy_type.py replaces on another root or policy type.
    "pulumi-python:dynamic:Resource": frozenset({"root_id", "policy_type"}),
}


def forcing_replacement(type_token: str, changed_inputs: set[str] | frozenset[str]) -> list[str]:
    """The changed inputs that make Pulumi replace a resource of ``type_token``, sorted."""
    forcing = FORCE_NEW.get(type_token, frozenset())
    if not type_token.startswith("pulumi:"):
        forcing = forcing | {REGION}
    return sorted(changed_inputs & forcing)
