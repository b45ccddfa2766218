"""The program registers the air-gapped vaults, their policies, approval teams and RAM shares with exactly the
inputs the configuration implies (staging uses every option)."""

from __future__ import annotations

import copy
import json

from components.documents.air_gapped import air_gapped_vault_policy, central_air_gapped_vault_policy
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program

LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
DYNAMIC = "pulumi-python:dynamic:Resource"
TEAM = "arn:aws:mpa:us-east-1:700000000099:approval-team/staging-recovery"
MEMBERS = ("700000000011", "700000000012")
CENTRAL = "700000000002"


def _admin(account: str) -> list[str]:
    return [f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"]


def test_every_member_gets_its_air_gapped_vault_in_the_region_the_rule_runs(staging_run: ProgramRun) -> None:
    members = [v for v in staging_run.of_type(LAG) if v.account in MEMBERS]
    assert sorted((v.account, v.region) for v in members) == [(a, "eu-west-1") for a in MEMBERS]
    for vault in members:
        assert vault.inputs["name"] == "org-backup-member-air-gapped"
        assert (vault.inputs["minRetentionDays"], vault.inputs["maxRetentionDays"]) == (7, 35)
        assert "encryptionKeyArn" not in vault.inputs, "aws_owned by default"
        assert vault.protect and vault.retain_on_delete
        assert vault.inputs["tags"]["org-backup:role"] == "member-air-gapped-vault"


def test_each_air_gapped_vault_has_the_deny_policy_of_its_account(staging_run: ProgramRun) -> None:
    vaults = staging_run.of_type(LAG)
    policies = {(p.account, p.region, p.inputs["backupVaultName"]): p for p in staging_run.of_type(VAULT_POLICY)}
    assert len(vaults) == 3
    for vault in vaults:
        policy = policies[(vault.account, vault.region, vault.inputs["name"])]
        build = central_air_gapped_vault_policy if vault.account == CENTRAL else air_gapped_vault_policy
        assert json.loads(policy.inputs["policy"]) == build(break_glass_role_arns=_admin(str(vault.account)))


def test_the_policy_names_the_member_vault_as_primary_target(staging_run: ProgramRun) -> None:
    (policy,) = [
        p for p in staging_run.of_type("aws:organizations/policy:Policy") if p.inputs["type"] == "BACKUP_POLICY"
    ]
    rule = json.loads(policy.inputs["content"])["plans"]["daily"]["rules"]["daily"]
    assert rule["target_logically_air_gapped_backup_vault_arn"]["@@assign"] == (
        "arn:aws:backup:$region:$account:backup-vault:org-backup-member-air-gapped"
    )


def test_approval_teams_are_associated_in_each_vault_s_account_and_region(staging_run: ProgramRun) -> None:
    associations = [r for r in staging_run.of_type(DYNAMIC) if "mpa_approval_team_arn" in r.inputs]
    assert sorted(
        (r.inputs["account_id"], r.inputs["region"], r.inputs["backup_vault_name"]) for r in associations
    ) == [
        (CENTRAL, "eu-central-1", "org-backup-air-gapped"),
        *[(a, "eu-west-1", "org-backup-member-air-gapped") for a in MEMBERS],
    ]
    for r in associations:
        assert r.inputs["mpa_approval_team_arn"] == TEAM
        assert r.inputs["role_arn"] == _admin(r.inputs["account_id"])[0]
        assert r.account == r.inputs["account_id"]


def test_approval_teams_wait_for_the_global_settings_that_turn_multi_party_approval_on(
    staging_run: ProgramRun,
) -> None:
    """AWS refuses an approval team while isMpaEnabled is off: each association depends on GlobalSettings."""
    [settings] = staging_run.of_type("aws:backup/globalSettings:GlobalSettings")
    assert settings.inputs["globalSettings"]["isMpaEnabled"] == "true"
    associations = [r for r in staging_run.of_type(DYNAMIC) if "mpa_approval_team_arn" in r.inputs]
    assert len(associations) == 3
    for association in associations:
        assert settings.urn in association.dependencies, association.urn


def test_the_central_vault_is_shared_with_the_organization_only(staging_run: ProgramRun) -> None:
    (share,) = staging_run.of_type("aws:ram/resourceShare:ResourceShare")
    assert share.inputs["allowExternalPrincipals"] is False
    assert (share.account, share.region) == (CENTRAL, "eu-central-1")
    (principal,) = staging_run.of_type("aws:ram/principalAssociation:PrincipalAssociation")
    assert principal.inputs["principal"] == "arn:aws:organizations::700000000001:organization/o-f6g7h8i9j0"
    (association,) = staging_run.of_type("aws:ram/resourceAssociation:ResourceAssociation")
    (central,) = [v for v in staging_run.of_type(LAG) if v.account == CENTRAL]
    assert association.property_dependencies["resourceArn"] == [central.urn]
    assert principal.region == association.region == "eu-central-1"


def test_vault_key_encryption_passes_the_vault_key_and_nothing_is_shared_unless_asked() -> None:
    config = copy.deepcopy(load_stack_config("staging"))
    config["org-backup:vaults"]["member"]["air_gapped"]["encryption"] = "vault_key"
    config["org-backup:vaults"]["central"]["air_gapped"]["share_with_organization"] = False
    del config["org-backup:vaults"]["member"]["air_gapped"]["mpa_approval_team_arn"]
    run = run_program(config, stack="staging")
    keys = {
        (k.account, k.region): k
        for k in run.of_type("aws:kms/key:Key")
        if k.inputs.get("tags", {}).get("org-backup:backup-key") == "true"
    }
    for vault in (v for v in run.of_type(LAG) if v.account in MEMBERS):
        assert vault.property_dependencies["encryptionKeyArn"] == [keys[(vault.account, vault.region)].urn]
    assert run.of_type("aws:ram/resourceShare:ResourceShare") == []
    teams = [r for r in run.of_type(DYNAMIC) if "mpa_approval_team_arn" in r.inputs]
    assert [r.inputs["account_id"] for r in teams] == [CENTRAL]


def test_no_air_gapped_rule_no_member_air_gapped_vault() -> None:
    config = copy.deepcopy(load_stack_config("staging"))
    config["org-backup:plans"]["daily"]["air_gapped"] = False
    run = run_program(config, stack="staging")
    assert [v.account for v in run.of_type(LAG)] == [CENTRAL]
