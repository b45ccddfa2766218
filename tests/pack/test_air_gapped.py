"""The air-gapped pack rules on the staging stack (which uses the air-gapped primary target): it passes, and
each attack or mistake on it is reported; the access analysis covers the air-gapped vaults."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pulumi_policy import EnforcementLevel, Severity

from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from rules import ALL_POLICIES, air_gapped
from rules import access as access_rules
from tests.pack.harness import Spec, assert_rule_metadata, by_name, fired, run_stack, specs_from_run

REGION_RULE = by_name(air_gapped.POLICIES, "backup-air-gapped-target-region")
POLICY_RULE = by_name(air_gapped.POLICIES, "backup-air-gapped-vault-has-access-policy")
LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
STAGING_OUS = {"ou-cd34-77777777": ["700000000011", "700000000012"]}


@pytest.fixture(scope="module")
def staging_specs() -> list[Spec]:
    run: ProgramRun = run_program(load_stack_config("staging"), stack="staging")
    return specs_from_run(run.resources)


def _backup_policy(specs: list[Spec]) -> Spec:
    (policy,) = [s for s in specs if s.props.get("type") == "BACKUP_POLICY"]
    return policy


def test_metadata_and_registration() -> None:
    for rule in (REGION_RULE, POLICY_RULE):
        assert_rule_metadata(ALL_POLICIES, rule.name, EnforcementLevel.MANDATORY, Severity.HIGH)
    assert "logicallyairgappedvault.html" in REGION_RULE.description


def test_staging_passes_every_rule_on_its_air_gapped_vaults(staging_specs: list[Spec]) -> None:
    """Other rules may advise on staging's own choices (governance locks, short retention); none on the air-gapped
    vaults, their policies, approval teams or share."""
    found = fired(staging_specs, ALL_POLICIES, {"ouAccounts": STAGING_OUS})
    assert REGION_RULE.name not in found and POLICY_RULE.name not in found
    lag_urns = {
        s.urn for s in staging_specs if s.type == LAG or s.parent in {x.urn for x in staging_specs if x.type == LAG}
    }
    assert [(rule, m) for rule, reports in found.items() for urn, m in reports if urn in lag_urns] == []


def test_a_policy_sending_rules_to_air_gapped_vaults_where_there_are_none(staging_specs: list[Spec]) -> None:
    policy = _backup_policy(staging_specs)
    content = json.loads(policy.props["content"])
    content["plans"]["daily"]["regions"]["@@assign"] = ["eu-west-1", "ca-west-1"]
    changed = [
        replace(s, props={**s.props, "content": json.dumps(content)}) if s is policy else s for s in staging_specs
    ]
    found = run_stack(REGION_RULE, changed)
    rules = [n for n in json.loads(policy.props["content"])["plans"]["daily"]["rules"] if not n.startswith("@@")]
    assert [urn for urn, _ in found] == [policy.urn] * len(rules)
    assert sorted(m.split(": Region ")[0] for _, m in found) == sorted(
        f"plans.daily.rules.{name}.target_logically_air_gapped_backup_vault_arn" for name in rules
    )
    assert all(" ca-west-1 does not offer" in m for _, m in found)


def test_a_literal_air_gapped_target_in_a_region_without_them(staging_specs: list[Spec]) -> None:
    policy = _backup_policy(staging_specs)
    content = json.loads(policy.props["content"])
    rule = content["plans"]["daily"]["rules"]["daily"]
    rule["target_logically_air_gapped_backup_vault_arn"]["@@assign"] = (
        "arn:aws:backup:mx-central-1:$account:backup-vault:lag"
    )
    changed = [
        replace(s, props={**s.props, "content": json.dumps(content)}) if s is policy else s for s in staging_specs
    ]
    assert [m for _, m in run_stack(REGION_RULE, changed)] == [
        "plans.daily.rules.daily.target_logically_air_gapped_backup_vault_arn: Region mx-central-1 does not offer "
        "logically air-gapped vaults (https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault"
        ".html), so the rule's jobs there would fail"
    ]


def test_an_air_gapped_vault_without_its_access_policy(staging_specs: list[Spec]) -> None:
    lag_urns = {s.urn for s in staging_specs if s.type == LAG}
    stripped = [
        s
        for s in staging_specs
        if not (s.type == VAULT_POLICY and set(s.property_dependencies.get("backupVaultName", ())) & lag_urns)
    ]
    found = run_stack(POLICY_RULE, stripped)
    assert sorted(str(urn) for urn, _ in found) == sorted(lag_urns)
    assert all("has no access policy" in m for _, m in found)
    assert run_stack(POLICY_RULE, staging_specs) == []


def test_a_policy_naming_the_vault_without_referencing_it_counts(staging_specs: list[Spec]) -> None:
    lag_urns = {s.urn for s in staging_specs if s.type == LAG}
    by_name_only = [
        replace(s, property_dependencies={})
        if s.type == VAULT_POLICY and set(s.property_dependencies.get("backupVaultName", ())) & lag_urns
        else s
        for s in staging_specs
    ]
    assert run_stack(POLICY_RULE, by_name_only) == []


def test_the_access_analysis_fails_when_an_air_gapped_vault_s_deny_is_stripped(staging_specs: list[Spec]) -> None:
    """The attack: a member administrator's own policy on the air-gapped vault, without the Deny."""
    rule = by_name(access_rules.POLICIES, "backup-destructive-access-exempt-only")
    assert run_stack(rule, staging_specs, {"ouAccounts": STAGING_OUS}) == []
    member_lag = next(s for s in staging_specs if s.type == LAG and s.account == "700000000011")
    opened = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "backup:*", "Resource": "*"}],
        }
    )
    attacked = [
        replace(s, props={**s.props, "policy": opened})
        if s.type == VAULT_POLICY and member_lag.urn in s.property_dependencies.get("backupVaultName", ())
        else s
        for s in staging_specs
    ]
    found = run_stack(rule, attacked, {"ouAccounts": STAGING_OUS})
    assert found and any("air-gapped vault org-backup-member-air-gapped" in m for _, m in found)
