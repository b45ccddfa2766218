"""Recoverability evidence: the restore jobs AWS Backup restore testing ran, their validation and time to restore.

Restore testing starts restore jobs that carry the testing plan in ``CreatedBy.RestoreTestingPlanArn`` and a
``ValidationStatus`` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreJobsListMember.html;
https://docs.aws.amazon.com/aws-backup/latest/devguide/restore-testing.html). They are listed once per Region
for the whole organization from the backup administrator account with ``ListRestoreJobs`` and
``ByAccountId='*'`` (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRestoreJobs.html, same
wording as ListBackupJobs). Time to restore is ``CompletionDate - CreationDate`` of the job.

Audit Manager per-control compliance: a framework's controls are evaluated by AWS Config rules that AWS Backup
deploys, but AWS documents no way to tell which Config rule belongs to which control (DescribeFramework returns
the controls without rule names, https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeFramework.html),
so the report shows each framework's deployment and status and points to the CONTROL_COMPLIANCE_REPORT report
jobs, AWS's own per-control evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from org_backup.ops.aws import AccountAccess, paginate
from org_backup.ops.checks.jobs import ORGANIZATION_WIDE
from org_backup.ops.common import iso
from policies.backup_rules.findings import Finding

__all__ = ["VERIFY_DAYS", "RestoreTest", "region_restore_findings", "restore_test_findings", "restore_tests"]

VERIFY_DAYS = 7
"""verify --coverage looks this far back for failed restore tests (restore testing often runs weekly)."""

FAILED_RESTORES = frozenset({"FAILED", "ABORTED"})
FAILED_VALIDATIONS = frozenset({"FAILED", "TIMED_OUT"})


@dataclass(frozen=True)
class RestoreTest:
    account: str
    region: str
    plan: str
    resource_type: str
    recovery_point: str
    status: str
    validation: str
    started: datetime | None
    time_to_restore: timedelta | None
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "COMPLETED" and self.validation not in FAILED_VALIDATIONS


def _test(region: str, job: dict[str, Any]) -> RestoreTest | None:
    plan = (job.get("CreatedBy") or {}).get("RestoreTestingPlanArn")
    if not plan:
        return None
    started, completed = job.get("CreationDate"), job.get("CompletionDate")
    return RestoreTest(
        str(job.get("AccountId", "?")),
        region,
        str(plan).rsplit(":", 1)[-1],
        str(job.get("ResourceType", "?")),
        str(job.get("RecoveryPointArn", "?")),
        str(job.get("Status", "?")),
        str(job.get("ValidationStatus") or "not validated"),
        started,
        completed - started if started and completed else None,
        str(job.get("ValidationStatusMessage") or job.get("StatusMessage") or ""),
    )


def restore_tests(admin: AccountAccess, region: str, since: datetime) -> list[RestoreTest]:
    """The organization's restore-testing jobs of one Region since ``since``, newest first."""
    jobs = paginate(
        admin.client("backup", region),
        "list_restore_jobs",
        "RestoreJobs",
        ByAccountId=ORGANIZATION_WIDE,
        ByCreatedAfter=since,
    )
    tests = [test for job in jobs if (test := _test(region, job)) is not None]
    return sorted(tests, key=lambda t: t.started or since, reverse=True)


def restore_test_findings(tests: list[RestoreTest]) -> list[Finding]:
    """A restore test whose restore failed or whose validation failed: a backup that may not restore."""
    return [
        Finding.observed(
            rule="restore-test",
            message=f"restore test of {t.resource_type} ({t.plan}) {t.status}, validation {t.validation}"
            f"{' at ' + iso(t.started) if t.started else ''}: {t.message or 'no message'}",
            remediation="read the restore job's message; restore the recovery point by hand to confirm it is usable",
            account=t.account,
            region=t.region,
            resource=t.recovery_point,
            severity="warning",
        )
        for t in tests
        if not t.passed
    ]


def region_restore_findings(admin: AccountAccess, region: str, since: datetime) -> list[Finding]:
    """verify's check: the failed restore tests of one Region, organization-wide."""
    return restore_test_findings(restore_tests(admin, region, since))
