"""Audit Manager controls, report settings and vault notification events (aws-backup-rules.md §6, §7)."""

from __future__ import annotations

import pytest

from policies.backup_rules.audit import (
    check_framework_control,
    check_report_setting,
    check_vault_events,
    list_parameter,
)

ROLES = ",".join(f"arn:aws:iam::444455556666:role/BreakGlass{i}" for i in range(6))


def rules(findings: list) -> list[tuple[str, str, str]]:
    return [(f.path, f.rule, f.severity) for f in findings]


def test_known_control_with_its_parameters_passes() -> None:
    parameters = {"requiredFrequencyUnit": "days", "requiredFrequencyValue": "1", "requiredRetentionDays": "35"}
    assert check_framework_control("controls[0]", "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK", parameters) == []


def test_unknown_control_name() -> None:
    [finding] = check_framework_control("controls[1]", "BACKUP_RECOVERY_POINTS_ENCRYPTED", {})
    assert (finding.path, finding.rule) == ("controls[1].name", "audit-control")
    assert "BACKUP_RECOVERY_POINT_ENCRYPTED" in finding.message


def test_parameter_the_control_does_not_take() -> None:
    [finding] = check_framework_control(
        "controls[0]", "BACKUP_RECOVERY_POINT_ENCRYPTED", {"requiredRetentionDays": "35"}
    )
    assert finding.rule == "audit-parameter"
    assert "(known: none)" in finding.message


@pytest.mark.parametrize(
    ("control", "parameter"),
    [
        ("BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED", "principalArnList"),
        ("BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT", "crossAccountList"),
    ],
)
def test_list_parameters_take_at_most_five(control: str, parameter: str) -> None:
    assert check_framework_control("c", control, {parameter: ROLES.rsplit(",", 1)[0]}) == []
    [finding] = check_framework_control("c", control, {parameter: ROLES})
    assert (finding.path, finding.rule) == (f"c.inputParameters.{parameter}", "audit-list-max")
    assert "6 entries" in finding.message


def test_one_scope_tag_at_most() -> None:
    assert check_framework_control("c", "BACKUP_RECOVERY_POINT_ENCRYPTED", {}, {"env": "prod"}) == []
    [finding] = check_framework_control("c", "BACKUP_RECOVERY_POINT_ENCRYPTED", {}, {"env": "prod", "tier": "1"})
    assert (finding.path, finding.rule) == ("c.scope.tags", "audit-scope-tags")


def test_list_parameter_splits_on_commas() -> None:
    assert list_parameter(" a, b ,,c ") == ["a", "b", "c"]
    assert list_parameter(None) == []


def test_vault_events() -> None:
    findings = check_vault_events("events", ["BACKUP_JOB_COMPLETED", "BACKUP_JOB_FAILED", "BACKUP_JOB_FAILURE"])
    assert rules(findings) == [
        ("events[1]", "vault-event-unsupported", "warning"),
        ("events[2]", "vault-event", "error"),
    ]
    assert "may never notify" in findings[0].message


def test_report_setting_valid_organization_report() -> None:
    assert (
        check_report_setting(
            "plan", template="CONTROL_COMPLIANCE_REPORT", formats=["CSV"], organization_wide=True, cross_region=True
        )
        == []
    )


def test_report_setting_findings() -> None:
    findings = check_report_setting(
        "plan", template="BACKUP_JOBS_REPORT", formats=["JSON", "XML"], organization_wide=False, cross_region=True
    )
    assert rules(findings) == [
        ("plan.reportSetting.reportTemplate", "report-template", "error"),
        ("plan.reportDeliveryChannel.formats", "report-format", "error"),
        ("plan.reportDeliveryChannel.formats", "report-format-csv-only", "error"),
    ]
    assert "cross-Region reports are delivered as CSV only" in findings[2].message


def test_report_setting_json_allowed_for_a_single_account_and_region() -> None:
    assert (
        check_report_setting(
            "plan", template=None, formats=["CSV", "JSON"], organization_wide=False, cross_region=False
        )
        == []
    )
