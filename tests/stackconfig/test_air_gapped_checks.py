"""Air-gapped rules, the member air-gapped vault and Multi-party approval: each mistake at its path, all at once."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.documents.global_settings import backup_global_settings
from deployment.load import load_config
from stackconfig.load import ConfigError, read_stack_file, sections_from_pulumi_config

PROJECT_DIR = Path(__file__).resolve().parents[2]
TEAM = "arn:aws:mpa:us-east-1:700000000099:approval-team/staging-recovery"


@pytest.fixture
def staging_raw() -> dict[str, Any]:
    return copy.deepcopy(sections_from_pulumi_config(read_stack_file(PROJECT_DIR / "Pulumi.staging.yaml")))


def _findings(raw: dict[str, Any]) -> list[Any]:
    try:
        return load_config(raw).warnings
    except ConfigError as exc:
        return exc.findings


def _rules(raw: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f.path, f.rule, f.severity) for f in _findings(raw)}


def test_staging_uses_the_air_gapped_primary_target_cleanly(staging_raw):
    config = load_config(staging_raw).config
    assert config.plans["daily"].air_gapped and config.vaults.member.air_gapped is not None
    assert not [f for f in _findings(staging_raw) if "air" in f.rule or "mpa" in f.rule]


def test_an_air_gapped_rule_without_a_member_air_gapped_vault(staging_raw):
    del staging_raw["vaults"]["member"]["air_gapped"]
    assert ("plans.daily.air_gapped", "air-gapped-vault-missing", "error") in _rules(staging_raw)
    staging_raw["plans"]["daily"]["air_gapped"] = False
    staging_raw["plans"]["daily"]["rules"]["daily"]["air_gapped"] = True
    assert ("plans.daily.rules.daily.air_gapped", "air-gapped-vault-missing", "error") in _rules(staging_raw)


def test_a_rule_can_opt_out_of_its_air_gapped_plan(staging_raw):
    del staging_raw["vaults"]["member"]["air_gapped"]
    rules = staging_raw["plans"]["daily"]["rules"]
    for name in rules:
        rules[name]["air_gapped"] = False
    assert not [f for f in _findings(staging_raw) if f.rule == "air-gapped-vault-missing"]
    rules[next(iter(rules))]["air_gapped"] = None  # back to the plan's true
    assert [f.rule for f in _findings(staging_raw) if f.rule == "air-gapped-vault-missing"] == [
        "air-gapped-vault-missing"
    ]


@pytest.mark.parametrize(
    ("retention", "word"), [(3, "below min_retention_days 7"), (36, "above max_retention_days 35")]
)
def test_retention_outside_the_air_gapped_vault_bounds(staging_raw, retention, word):
    staging_raw["plans"]["daily"]["rules"]["daily"]["retention_days"] = retention
    (finding,) = [f for f in _findings(staging_raw) if f.rule == "air-gapped-retention"]
    assert finding.path == "plans.daily.rules.daily.retention_days" and finding.value == retention
    assert word in finding.message and "vaults.member.air_gapped" in finding.message


def test_kept_forever_exceeds_the_air_gapped_vault(staging_raw):
    staging_raw["plans"]["daily"]["rules"]["daily"]["retention_days"] = -1
    assert ("plans.daily.rules.daily.retention_days", "air-gapped-retention", "error") in _rules(staging_raw)


def test_regions_without_air_gapped_vaults(staging_raw):
    staging_raw["plans"]["daily"]["regions"] = ["eu-west-1", "ca-west-1"]
    assert ("plans.daily.regions[1]", "lag-region", "error") in _rules(staging_raw)
    del staging_raw["plans"]["daily"]["regions"]
    staging_raw["organization"]["workload_regions"] = ["eu-west-1", "mx-central-1"]
    assert ("organization.workload_regions[1]", "lag-region", "error") in _rules(staging_raw)


def test_the_member_air_gapped_vault_bounds_and_name(staging_raw):
    lag = staging_raw["vaults"]["member"]["air_gapped"]
    lag.update(min_retention_days=3, max_retention_days=2, name="org-backup")
    rules = _rules(staging_raw)
    assert ("vaults.member.air_gapped.min_retention_days", "lag-min-retention", "error") in rules
    assert ("vaults.member.air_gapped.max_retention_days", "lag-max-retention", "error") in rules
    assert ("vaults.member.air_gapped.name", "vault-names-differ", "error") in rules


def test_the_member_air_gapped_vault_cannot_take_the_central_one_s_name(staging_raw):
    staging_raw["vaults"]["member"]["air_gapped"]["name"] = "org-backup-air-gapped"
    assert ("vaults.member.air_gapped.name", "vault-names-differ", "error") in _rules(staging_raw)


def test_stackset_mode_has_no_member_air_gapped_vault_yet(staging_raw):
    staging_raw["member_deployment"] = {"mode": "stackset"}
    assert ("plans.daily.air_gapped", "air-gapped-stackset", "error") in _rules(staging_raw)


def test_an_approval_team_with_mpa_turned_off_is_an_error(staging_raw):
    staging_raw["organization"]["enable_mpa"] = False
    (finding,) = [f for f in _findings(staging_raw) if f.rule == "mpa-disabled"]
    assert finding.path == "organization.enable_mpa" and finding.severity == "error"


def test_an_approval_team_with_mpa_left_as_it_is_is_a_warning(staging_raw):
    del staging_raw["organization"]["enable_mpa"]
    assert ("organization.enable_mpa", "mpa-not-set", "warning") in _rules(staging_raw)
    assert "isMpaEnabled" not in backup_global_settings(load_config(staging_raw).config.organization)
    staging_raw["organization"]["enable_mpa"] = True
    assert backup_global_settings(load_config(staging_raw).config.organization)["isMpaEnabled"] == "true"


def test_an_approval_team_inside_the_organization_it_protects_is_a_warning(staging_raw):
    staging_raw["vaults"]["central"]["air_gapped"]["mpa_approval_team_arn"] = TEAM.replace(
        "700000000099", "700000000002"
    )
    assert ("vaults.central.air_gapped.mpa_approval_team_arn", "mpa-team-same-organization", "warning") in _rules(
        staging_raw
    )


@pytest.mark.parametrize("arn", ["arn:aws:iam::700000000099:role/x", "approval-team/x", TEAM + "/extra"])
def test_an_approval_team_arn_of_another_shape_is_refused(staging_raw, arn):
    staging_raw["vaults"]["member"]["air_gapped"]["mpa_approval_team_arn"] = arn
    paths = {f.path for f in _findings(staging_raw)}
    assert "vaults.member.air_gapped.mpa_approval_team_arn" in paths


def test_every_mistake_at_once(staging_raw):
    staging_raw["plans"]["daily"]["rules"]["daily"]["retention_days"] = 60
    staging_raw["plans"]["daily"]["regions"] = ["ca-west-1"]
    staging_raw["organization"]["enable_mpa"] = False
    rules = {f.rule for f in _findings(staging_raw)}
    assert {"air-gapped-retention", "lag-region", "mpa-disabled"} <= rules
