"""verify's malware-scanning checks against Stubber: ListScanJobs and IAM answers in botocore's own shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import pytest

from org_backup.ops.checks import scans
from org_backup.ops.scan_report import scan_rows
from policies.backup_rules.findings import Finding
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import make_config
from tests.org_backup.ops.test_verify_answers import ACCOUNT, REGION, StubAccess

SINCE = datetime(2026, 1, 1, tzinfo=UTC)
POINT = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:abcd1234-5678-abcd-9012-abcdef123456"
OTHER_POINT = f"arn:aws:ec2:{REGION}::snapshot/snap-03fef858bad24c7a6"
SCANNER_ARN = f"arn:aws:iam::{ACCOUNT}:role/OrgBackupMalwareScannerRole"
BACKUP_ARN = f"arn:aws:iam::{ACCOUNT}:role/OrgBackupServiceRole"
GUARDDUTY_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "malware-protection.guardduty.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture
def access() -> Iterator[StubAccess]:
    """Every queued answer must be consumed: a check that skips a call fails the test."""
    fake = StubAccess()
    with ExitStack() as stack:
        for stub in fake.stubs.values():
            stack.enter_context(stub)
        yield fake
        for stub in fake.stubs.values():
            stub.assert_no_pending_responses()


def scanning() -> StackConfig:
    return make_config(
        plans={
            "daily": {
                "malware_scanning": {"mode": "full"},
                "rules": {"daily": {"schedule": "daily", "retention_days": 35}},
                "selections": {"tags": {"b": {"key": "backup", "values": ["daily"]}}},
            }
        }
    )


def scan_job(state: str, result: str | None = None, point: str = POINT, **extra: Any) -> dict[str, Any]:
    """A ScanJob with every member the model marks required (values from the AWS EventBridge examples)."""
    job: dict[str, Any] = {
        "AccountId": ACCOUNT,
        "BackupVaultArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:org-backup",
        "BackupVaultName": "org-backup",
        "CreatedBy": {
            "BackupPlanArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-plan:orgs/5d5a14cc",
            "BackupPlanId": "orgs/5d5a14cc",
            "BackupPlanVersion": "Mjc4ZTRh",
            "BackupRuleId": "256ad167",
        },
        "CreationDate": datetime(2026, 1, 2, 5, tzinfo=UTC),
        "CompletionDate": datetime(2026, 1, 2, 6, tzinfo=UTC),
        "IamRoleArn": BACKUP_ARN,
        "MalwareScanner": "GUARDDUTY",
        "RecoveryPointArn": point,
        "ResourceArn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0515aee7de03f58e1",
        "ResourceName": "web",
        "ResourceType": "EC2",
        "ScanJobId": "4d5fc12e",
        "ScanId": "43bc14a6",
        "ScanMode": "FULL_SCAN",
        "ScannerRoleArn": SCANNER_ARN,
        "State": state,
        **extra,
    }
    if result is not None:
        job["ScanResult"] = {"ScanResultStatus": result}
    return job


def answer_jobs(access: StubAccess, infected: list[dict[str, Any]], by_state: dict[str, list[dict[str, Any]]]) -> None:
    backup = access.stubs["backup"]
    backup.add_response(
        "list_scan_jobs", {"ScanJobs": infected}, {"ByScanResultStatus": "THREATS_FOUND", "ByCompleteAfter": SINCE}
    )
    for state in ("FAILED", "CANCELED", "COMPLETED_WITH_ISSUES"):
        backup.add_response(
            "list_scan_jobs", {"ScanJobs": by_state.get(state, [])}, {"ByState": state, "ByCompleteAfter": SINCE}
        )


def findings(access: StubAccess, config: StackConfig | None = None) -> list[Finding]:
    return scans.scan_job_findings(access, config or scanning(), REGION, SINCE, 24)  # type: ignore[arg-type]


def test_malware_found_is_an_error_naming_the_recovery_point(access: StubAccess) -> None:
    answer_jobs(access, [scan_job("COMPLETED", "THREATS_FOUND")], {})
    [found] = findings(access)
    assert (found.rule, found.severity, found.resource, found.region) == ("malware-found", "error", POINT, REGION)
    assert found.message == (
        f"GuardDuty found malware in recovery point {POINT} of arn:aws:ec2:{REGION}:{ACCOUNT}:instance/"
        "i-0515aee7de03f58e1 (FULL_SCAN, scan 43bc14a6, completed 2026-01-02T06:00:00Z)"
    )
    assert "do not restore" in found.remediation


def test_failed_and_canceled_scans_of_one_point_are_one_finding_partial_ones_a_warning(access: StubAccess) -> None:
    answer_jobs(
        access,
        [],
        {
            "FAILED": [scan_job("FAILED", StatusMessage="Access denied to snapshot")],
            "CANCELED": [scan_job("CANCELED")],
            "COMPLETED_WITH_ISSUES": [scan_job("COMPLETED_WITH_ISSUES", "NO_THREATS_FOUND", point=OTHER_POINT)],
        },
    )
    found = findings(access)
    assert [(f.rule, f.severity, f.resource) for f in found] == [
        ("scan-jobs", "error", POINT),
        ("scan-jobs", "warning", OTHER_POINT),
    ]
    assert found[0].message.startswith(f"2 scan job(s) CANCELED/FAILED in the last 24 h for recovery point {POINT}")


def test_clean_scans_give_no_finding(access: StubAccess) -> None:
    answer_jobs(access, [], {})
    assert findings(access) == []


def test_denied_listing_is_a_finding_not_a_traceback(access: StubAccess) -> None:
    access.stubs["backup"].add_client_error("list_scan_jobs", "AccessDeniedException", "not authorized", 400)
    [found] = findings(access)
    assert (found.rule, found.region) == ("scan-jobs", REGION)
    assert found.message.startswith("could not check: AccessDeniedException")


def test_no_scanning_plan_makes_no_call(access: StubAccess) -> None:
    assert findings(access, make_config()) == []
    assert scans.scanner_role_findings(access, make_config(), REGION) == []  # type: ignore[arg-type]


def role(name: str, arn: str, trust: dict[str, Any]) -> dict[str, Any]:
    return {
        "Role": {
            "Path": "/",
            "RoleName": name,
            "RoleId": "AROAEXAMPLE123456789",
            "Arn": arn,
            "CreateDate": datetime(2026, 1, 1, tzinfo=UTC),
            "AssumeRolePolicyDocument": json.dumps(trust),
        }
    }


def attached(*arns: str) -> dict[str, Any]:
    return {"AttachedPolicies": [{"PolicyName": a.rsplit("/", 1)[-1], "PolicyArn": a} for a in arns]}


def answer_roles(access: StubAccess, trust: dict[str, Any], scanner: tuple[str, ...], backup: tuple[str, ...]) -> None:
    iam = access.stubs["iam"]
    iam.add_response("get_role", role("OrgBackupMalwareScannerRole", SCANNER_ARN, trust))
    iam.add_response("list_attached_role_policies", attached(*scanner))
    iam.add_response("get_role", role("OrgBackupServiceRole", BACKUP_ARN, {}))
    iam.add_response("list_attached_role_policies", attached(*backup))


GD = "arn:aws:iam::aws:policy/AWSBackupGuardDutyRolePolicyForScans"
SCANS = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForScans"


def role_findings(access: StubAccess) -> list[tuple[str, str]]:
    found = scans.scanner_role_findings(access, scanning(), REGION)  # type: ignore[arg-type]
    return [(f.resource or "", f.message) for f in found]


def test_scanner_and_backup_roles_as_deployed_pass(access: StubAccess) -> None:
    answer_roles(access, GUARDDUTY_TRUST, (GD,), (SCANS,))
    assert role_findings(access) == []


def test_scanner_role_an_administrator_retrusted_and_stripped(access: StubAccess) -> None:
    attacker = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    answer_roles(access, attacker, (), ())
    assert role_findings(access) == [
        (SCANNER_ARN, "OrgBackupMalwareScannerRole does not let malware-protection.guardduty.amazonaws.com assume it"),
        (SCANNER_ARN, f"OrgBackupMalwareScannerRole lacks the managed policies {GD}: scans fail"),
        (BACKUP_ARN, f"OrgBackupServiceRole lacks the managed policies {SCANS}: AWS Backup starts no scan"),
    ]


def test_deleted_scanner_role(access: StubAccess) -> None:
    access.stubs["iam"].add_client_error("get_role", "NoSuchEntity", "The role cannot be found.", 404)
    assert role_findings(access) == [
        (
            "OrgBackupMalwareScannerRole",
            "the scanner role OrgBackupMalwareScannerRole does not exist: no recovery point is scanned",
        )
    ]


def test_report_section_puts_malware_first() -> None:
    failed = Finding.observed("scan-jobs", "failed", "x", ACCOUNT, REGION, POINT)
    malware = Finding.observed("malware-found", "malware", "y", ACCOUNT, REGION, OTHER_POINT)
    other = Finding.observed("backup-jobs", "job failed", "z", ACCOUNT, REGION)
    headers, rows = scan_rows([failed, other, malware])
    assert headers[1] == "Check"
    assert [row[1] for row in rows] == ["malware-found", "scan-jobs"]
