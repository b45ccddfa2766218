"""Malware scanning as deployed and as it runs: the scanner role of each member account, and its scan jobs.

Read in the member account itself (``ListScanJobs`` "returns a list of existing scan jobs for an authenticated
account for the last 30 days", botocore backup 2018-11-15; AWS documents cross-account listing of scan jobs only
from the management account). A scan that found malware is the most urgent finding verify can make; a failed,
canceled or partial scan leaves recovery points unverified. Facts and sources: policies/backup_rules/scanning.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from components.documents.scanning import backup_role_scan_policy_arns, scanner_role_managed_policy_arns
from org_backup.ops.aws import AccountAccess, error_code, paginate
from org_backup.ops.checks.base import REDEPLOY
from org_backup.ops.common import attempt, iso
from policies.backup_rules.findings import Finding
from policies.backup_rules.iam import trusts_service
from policies.backup_rules.scanning import MALWARE_PROTECTION_SERVICE, SCAN_JOB_FAILURE_STATES, THREATS_FOUND
from stackconfig.model import StackConfig
from stackconfig.scanning import scanning_used

MALWARE_ACTION = (
    "do not restore these recovery points: read the GuardDuty scan result (console: GuardDuty, Malware scans, "
    "by scan id), contain the source resource, and restore from the last recovery point scanned clean"
)
FAILED_SCAN_ACTION = (
    "read the status message; SKIPPED/ACCESS_DENIED means the scanner role lacks AWSBackupGuardDutyRolePolicyForScans "
    "or cannot use the vault's KMS key; see "
    "https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-backup-scans.html"
)


def scanner_role_findings(access: AccountAccess, config: StackConfig, region: str) -> list[Finding]:
    """The scanner role the policies name exists, trusts GuardDuty Malware Protection and holds its managed
    policy; the backup role holds the scan policy. Nothing to check when no plan scans."""
    if not scanning_used(config):
        return []
    return attempt("scanner-role", access.account_id, None, lambda: _roles(access, config, region))


def _roles(access: AccountAccess, config: StackConfig, region: str) -> list[Finding]:
    iam = access.client("iam", region)
    name = config.vaults.scanner_role_name
    out: list[Finding] = []
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return [_role_finding(access, name, f"the scanner role {name} does not exist: no recovery point is scanned")]
    if not trusts_service(role.get("AssumeRolePolicyDocument", {}), MALWARE_PROTECTION_SERVICE):
        out.append(_role_finding(access, role["Arn"], f"{name} does not let {MALWARE_PROTECTION_SERVICE} assume it"))
    partition = config.organization.partition
    out += _missing(access, iam, name, role["Arn"], scanner_role_managed_policy_arns(partition), "scans fail")
    backup = config.vaults.backup_role_name
    try:
        backup_arn = iam.get_role(RoleName=backup)["Role"]["Arn"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return out  # the backup-role check reports the missing role
    out += _missing(access, iam, backup, backup_arn, backup_role_scan_policy_arns(config), "AWS Backup starts no scan")
    return out


def _missing(
    access: AccountAccess, iam: Any, name: str, arn: str, required: Iterable[str], consequence: str
) -> list[Finding]:
    attached = {p["PolicyArn"] for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)}
    missing = [policy for policy in required if policy not in attached]
    if not missing:
        return []
    return [_role_finding(access, arn, f"{name} lacks the managed policies {', '.join(missing)}: {consequence}")]


def _role_finding(access: AccountAccess, resource: str, message: str) -> Finding:
    return Finding.observed(
        rule="scanner-role", message=message, remediation=REDEPLOY, account=access.account_id, resource=resource
    )


def scan_job_findings(
    access: AccountAccess, config: StackConfig, region: str, since: datetime, hours: int
) -> list[Finding]:
    """Scans of this account and Region completed since ``since`` that found malware, failed, were canceled or
    scanned only part of a recovery point; one finding per recovery point and kind."""
    if not scanning_used(config):
        return []
    return attempt("scan-jobs", access.account_id, region, lambda: _jobs(access, region, since, hours))


def _jobs(access: AccountAccess, region: str, since: datetime, hours: int) -> list[Finding]:
    client = access.client("backup", region)
    out: list[Finding] = []
    infected = list(
        paginate(client, "list_scan_jobs", "ScanJobs", ByScanResultStatus=THREATS_FOUND, ByCompleteAfter=since)
    )
    for point, jobs in _by_recovery_point(infected).items():
        latest = _latest(jobs, since)
        out.append(
            Finding.observed(
                rule="malware-found",
                message=f"GuardDuty found malware in recovery point {point} of {latest.get('ResourceArn', '?')} "
                f"({latest.get('ScanMode', '?')}, scan {latest.get('ScanId', '?')}, completed "
                f"{iso(latest.get('CompletionDate', since))})",
                remediation=MALWARE_ACTION,
                account=access.account_id,
                region=region,
                resource=point,
            )
        )
    failed = [
        job
        for state in SCAN_JOB_FAILURE_STATES
        for job in paginate(client, "list_scan_jobs", "ScanJobs", ByState=state, ByCompleteAfter=since)
    ]
    for point, jobs in _by_recovery_point(failed).items():
        latest = _latest(jobs, since)
        states = "/".join(sorted({str(j.get("State")) for j in jobs}))
        out.append(
            Finding.observed(
                rule="scan-jobs",
                message=f"{len(jobs)} scan job(s) {states} in the last {hours} h for recovery point {point}: "
                f"{latest.get('StatusMessage', 'no status message')}",
                remediation=FAILED_SCAN_ACTION,
                account=access.account_id,
                region=region,
                resource=point,
                severity="warning" if states == "COMPLETED_WITH_ISSUES" else "error",
            )
        )
    return out


def _by_recovery_point(jobs: Iterable[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for job in jobs:
        out.setdefault(str(job.get("RecoveryPointArn", "?")), []).append(job)
    return dict(sorted(out.items()))


def _latest(jobs: list[dict[str, Any]], since: datetime) -> dict[str, Any]:
    return max(jobs, key=lambda j: j.get("CompletionDate") or j.get("CreationDate") or since)
