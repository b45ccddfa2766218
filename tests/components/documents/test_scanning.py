"""Malware scanning builders: the backup-policy nodes, the scanner role, the alert pattern, reports, StackSet."""

from __future__ import annotations

import json
from typing import Any

from components.documents.backup_policy import render_backup_policies, render_plan
from components.documents.member_template import member_template
from components.documents.scanning import (
    SCANNER_ROLE_RESOURCE,
    report_templates,
    scan_alert_event_pattern,
    scanner_role_managed_policy_arns,
    scanner_role_trust_policy,
)
from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.events import pattern_matches
from policies.backup_rules.scanning import plan_scanning
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import OU_ID, make_config

TAGS = {"tags": {"backup-daily": {"key": "backup", "values": ["daily"]}}}


def scanning_config(**plan: Any) -> StackConfig:
    return make_config(
        backup_policies={"lock_against_child_policies": False},
        plans={
            "daily": {
                "malware_scanning": {"resource_types": ["EBS", "S3"]},
                "rules": {
                    "daily": {"schedule": "daily", "retention_days": 35},
                    "monthly": {"schedule": "monthly", "retention_days": 365, "malware_scanning": {"mode": "full"}},
                    "hourly": {"schedule": "hourly", "retention_days": 2, "malware_scanning": {"enabled": False}},
                },
                "selections": TAGS,
                **plan,
            }
        },
    )


def test_plan_with_scanning_renders_the_documented_keys_exactly() -> None:
    node = render_plan(scanning_config(), "daily")
    assert node["scan_settings"] == {
        "GUARDDUTY": {
            "resource_types": {"@@assign": ["EBS", "S3"]},
            "scanner_role_arn": {"@@assign": "arn:aws:iam::$account:role/OrgBackupMalwareScannerRole"},
        }
    }
    assert node["rules"]["daily"]["scan_actions"] == {"GUARDDUTY": {"scan_mode": {"@@assign": "INCREMENTAL_SCAN"}}}
    assert node["rules"]["monthly"]["scan_actions"] == {"GUARDDUTY": {"scan_mode": {"@@assign": "FULL_SCAN"}}}
    assert "scan_actions" not in node["rules"]["hourly"]


def test_rendered_policy_passes_the_backup_policy_validator_and_reads_back() -> None:
    config = scanning_config()
    (document,) = render_backup_policies(config, {"daily": [OU_ID]})
    assert [f for f in validate_backup_policy(document.content) if f.severity == "error"] == []
    (plan,) = plan_scanning(json.loads(document.content)["plans"])
    assert plan.scanner_role_arn == "arn:aws:iam::$account:role/OrgBackupMalwareScannerRole"
    assert plan.resource_types == ("EBS", "S3")
    assert sorted(plan.rules) == [("daily", "INCREMENTAL_SCAN"), ("monthly", "FULL_SCAN")]


def test_locked_plan_locks_the_scan_nodes_too() -> None:
    config = scanning_config(lock_against_child_policies=True)
    node = render_plan(config, "daily")
    assert node["scan_settings"]["@@operators_allowed_for_child_policies"] == ["@@none"]
    assert node["scan_settings"]["GUARDDUTY"]["scanner_role_arn"]["@@operators_allowed_for_child_policies"] == [
        "@@none"
    ]


def test_plan_without_scanning_renders_no_scan_keys() -> None:
    config = make_config()
    content = render_backup_policies(config, {"daily": [OU_ID]})[0].content
    assert "scan_" not in content
    assert plan_scanning(json.loads(content)["plans"]) == []


def test_plan_with_scanning_turned_off_renders_none() -> None:
    node = render_plan(scanning_config(malware_scanning={"enabled": False}), "daily")
    assert "scan_settings" not in node
    assert all("scan_actions" not in rule for rule in node["rules"].values())


def test_scanner_role_trusts_guardduty_malware_protection_only() -> None:
    assert scanner_role_trust_policy() == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowGuardDutyMalwareProtectionAssumeRole",
                "Effect": "Allow",
                "Principal": {"Service": "malware-protection.guardduty.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    assert scanner_role_managed_policy_arns("aws-us-gov") == [
        "arn:aws-us-gov:iam::aws:policy/AWSBackupGuardDutyRolePolicyForScans"
    ]


def _event(state: str, result: str | None = None, detail_type: str = "Scan Job State Change") -> dict[str, Any]:
    """Shaped like the "Malware scan job events" examples of the AWS Backup EventBridge page."""
    detail: dict[str, Any] = {"state": state, "malwareScanner": "GUARDDUTY", "resourceType": "EC2"}
    if result is not None:
        detail["scanResult"] = {"scanResultStatus": result}
    return {"source": "aws.backup", "detail-type": detail_type, "detail": detail}


def test_alert_pattern_selects_malware_and_failed_scans_only() -> None:
    pattern = scan_alert_event_pattern()
    assert pattern_matches(pattern, _event("COMPLETED", "THREATS_FOUND"))
    assert pattern_matches(pattern, _event("COMPLETED_WITH_ISSUES", "NO_THREATS_FOUND"))
    assert pattern_matches(pattern, _event("FAILED"))
    assert pattern_matches(pattern, _event("CANCELED"))
    assert not pattern_matches(pattern, _event("COMPLETED", "NO_THREATS_FOUND"))
    assert not pattern_matches(pattern, _event("RUNNING"))
    assert not pattern_matches(pattern, _event("CREATED"))
    assert not pattern_matches(pattern, _event("FAILED", detail_type="Backup Job State Change"))


def test_scan_job_report_joins_the_audit_reports_once_when_a_plan_scans() -> None:
    assert report_templates(scanning_config()).count("SCAN_JOB_REPORT") == 1
    listed = scanning_config().model_copy(
        update={"audit": scanning_config().audit.model_copy(update={"reports": ["SCAN_JOB_REPORT"]})}
    )
    assert report_templates(listed) == ["SCAN_JOB_REPORT"]
    assert "SCAN_JOB_REPORT" not in report_templates(make_config())


def test_member_template_gets_the_scanner_role_and_the_backup_role_scan_policy() -> None:
    template = member_template(scanning_config())
    resources = template["Resources"]
    scanner = resources[SCANNER_ROLE_RESOURCE]
    assert scanner["Condition"] == "IsHomeRegion"
    assert scanner["Properties"]["RoleName"] == "OrgBackupMalwareScannerRole"
    assert scanner["Properties"]["AssumeRolePolicyDocument"] == scanner_role_trust_policy()
    assert scanner["Properties"]["ManagedPolicyArns"] == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSBackupGuardDutyRolePolicyForScans"}
    ]
    assert resources["BackupRole"]["Properties"]["ManagedPolicyArns"][-1] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSBackupServiceRolePolicyForScans"
    }
    rule = resources["MalwareScansRule"]["Properties"]
    assert rule["EventPattern"] == scan_alert_event_pattern()
    assert rule["Targets"][0]["RoleArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/org-backup-event-forwarding-stackset"
    }


def test_member_template_without_scanning_is_unchanged() -> None:
    resources = member_template(make_config())["Resources"]
    assert SCANNER_ROLE_RESOURCE not in resources
    assert "MalwareScansRule" not in resources
    assert "Scans" not in json.dumps(resources["BackupRole"]["Properties"]["ManagedPolicyArns"])


def _program_role_resources(config: StackConfig) -> list[str]:
    from components.documents.guardrail_scp import guardrail_policies

    out: list[str] = []
    for policy in guardrail_policies(config):
        for statement in policy.document["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if statement["Effect"] == "Deny" and "iam:UpdateAssumeRolePolicy" in actions:
                resource = statement["Resource"]
                out += [resource] if isinstance(resource, str) else resource
    return out


def test_guardrail_keeps_member_administrators_away_from_the_scanner_role() -> None:
    """An administrator who re-trusts, detaches or deletes the scanner role silently ends scanning: the SCP
    denies it to everyone but the deploying roles, as for the backup role."""
    assert "arn:aws:iam::*:role/OrgBackupMalwareScannerRole" in _program_role_resources(scanning_config())
    assert not [r for r in _program_role_resources(make_config()) if "Scanner" in r]
