"""The ``guardrail`` section: AWS's SCP limits are checked at load time, each mistake at its path."""

from __future__ import annotations

from typing import Any

import pytest

from components.documents.guardrail_scp import guardrail_scp_documents
from deployment.load import load_config
from stackconfig.load import ConfigError


def _findings(raw: dict[str, Any]) -> list[Any]:
    try:
        loaded = load_config(raw)
    except ConfigError as exc:
        return exc.findings
    return loaded.warnings


def _rules(raw: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f.path, f.rule, f.severity) for f in _findings(raw)}


def test_prod_has_the_guardrail_on_by_default(prod_raw):
    prod_raw.pop("guardrail", None)
    config = load_config(prod_raw).config
    assert config.guardrail.enabled and config.guardrail.protect_central_account


def test_turning_it_off_is_a_warning_not_silence(prod_raw):
    prod_raw["guardrail"] = {"enabled": False}
    assert ("guardrail.enabled", "guardrail-disabled", "warning") in _rules(prod_raw)


@pytest.mark.parametrize(
    ("elsewhere", "expected"),
    [
        ({}, set()),
        ({"ou-ab12-22222222": 4}, set()),  # 4 + the guardrail's 1 = 5: allowed
        ({"ou-ab12-22222222": 5}, {("guardrail.policies_attached_elsewhere", "scps-per-target", "error")}),
    ],
)
def test_five_scps_per_target_counting_what_is_already_there(prod_raw, elsewhere, expected):
    prod_raw["guardrail"] = {"policies_attached_elsewhere": elsewhere}
    assert {r for r in _rules(prod_raw) if r[0].startswith("guardrail")} == expected


def test_a_split_guardrail_counts_every_part_against_the_limit(prod_raw):
    # three SCPs: every deny statement of the guardrail repeats the exemption list (see test_guardrail_scp.py)
    names = [f"BreakGlass{i:03d}".ljust(40, "x") for i in range(12)]
    prod_raw["guardrail"] = {"extra_exempt_role_names": names}
    parts = len(guardrail_scp_documents(load_config(prod_raw).config))
    assert parts > 1
    prod_raw["guardrail"]["policies_attached_elsewhere"] = {"ou-ab12-22222222": 5 - parts}
    assert not [f for f in _findings(prod_raw) if f.rule == "scps-per-target"]
    prod_raw["guardrail"]["policies_attached_elsewhere"] = {"ou-ab12-22222222": 6 - parts}
    findings = [f for f in _findings(prod_raw) if f.rule == "scps-per-target"]
    assert [f.value for f in findings] == ["ou-ab12-22222222"]
    assert f"{parts} guardrail" in findings[0].message and "AWS allows 5" in findings[0].message


def test_an_exemption_list_no_scp_can_hold_is_one_error_at_the_section(prod_raw):
    prod_raw["guardrail"] = {"extra_exempt_role_names": [f"Automation{i:03d}".ljust(64, "x") for i in range(90)]}
    findings = [f for f in _findings(prod_raw) if f.path.startswith("guardrail")]
    assert [(f.path, f.rule) for f in findings] == [("guardrail", "guardrail-size")]
    assert "5120" in findings[0].message


def test_target_ids_and_counts_are_checked(prod_raw):
    prod_raw["guardrail"] = {"policies_attached_elsewhere": {"prod": 1, "ou-ab12-22222222": 6}}
    assert {
        ("guardrail.policies_attached_elsewhere.prod", "guardrail-target-id", "error"),
        ("guardrail.policies_attached_elsewhere.ou-ab12-22222222", "scps-per-target", "error"),
    } <= _rules(prod_raw)


def test_the_backup_role_cannot_be_made_exempt(prod_raw):
    prod_raw["guardrail"] = {"extra_exempt_role_names": ["OrgBackupServiceRole"]}
    assert ("guardrail.extra_exempt_role_names", "guardrail-exempt-backup-role", "error") in _rules(prod_raw)


def test_a_targeted_management_account_is_named_as_unguarded(prod_raw):
    prod_raw["targets"]["accounts"] = ["111111111111"]
    prod_raw["vaults"]["member"]["break_glass_role_names"] = ["BackupBreakGlass"]
    prod_raw["organization"]["management_role_name"] = "OrgBackupDeploy"
    assert ("targets.accounts", "guardrail-management-account", "warning") in _rules(prod_raw)


def test_unknown_keys_are_refused(prod_raw):
    prod_raw["guardrail"] = {"enabeld": True}
    assert any(f.path.startswith("guardrail") for f in _findings(prod_raw))
