"""No backup or copy job failed, aborted, expired or ended partial in the last hours (seen from the backup
administrator account, which lists every member's jobs).

One call per job kind, state and Region for the whole organization: ``ByAccountId='*'`` ("If used from an AWS
Organizations management account, passing * returns all jobs across the organization",
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupJobs.html#Backup-ListBackupJobs-request-ByAccountId;
the same for ListCopyJobs and ListRestoreJobs, .../API_ListCopyJobs.html, .../API_ListRestoreJobs.html). AWS
writes "management account"; the delegated administrator of AWS Backup is documented to monitor the
organization's jobs too (https://docs.aws.amazon.com/aws-backup/latest/devguide/manage-cross-account.html). Where
the organization-wide listing is refused (AccessDenied, or an invalid-parameter answer from an account that is
neither), ``OrgJobs`` falls back to one listing per account, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from org_backup.ops.aws import AccountAccess, error_code, paginate
from org_backup.ops.common import iso
from policies.backup_rules.events import BACKUP_JOB_FAILURE_STATES, COPY_JOB_FAILURE_STATES
from policies.backup_rules.findings import Finding

ORGANIZATION_WIDE = "*"
REFUSED_PREFIXES = ("AccessDenied", "InvalidParameterValue", "InvalidRequest")
"""Answers that mean "not for this caller": fall back to per-account listings (AWS names no exact code)."""

JobKind = Literal["backup", "copy"]
FAILURE_STATES: dict[JobKind, tuple[str, ...]] = {
    "backup": BACKUP_JOB_FAILURE_STATES,
    "copy": COPY_JOB_FAILURE_STATES,
}
"""Job states that mean no recovery point (or no copy); copy jobs are never aborted or expired."""
_JOB_LISTS: dict[JobKind, tuple[str, str]] = {
    "backup": ("list_backup_jobs", "BackupJobs"),
    "copy": ("list_copy_jobs", "CopyJobs"),
}


def list_jobs(client: Any, kind: JobKind, **filters: Any) -> Iterator[dict[str, Any]]:
    """Backup or copy jobs (every page), filtered server-side (``ByAccountId``, ``ByState``, ...)."""
    operation, key = _JOB_LISTS[kind]
    return paginate(client, operation, key, **filters)


class OrgJobs:
    """The failed jobs of every account of a Region, listed once per kind and state with ``ByAccountId='*'``.

    Thread-safe: the first caller of a Region lists it; ``None`` from ``failed`` means the organization-wide
    listing was refused there and the caller must list the account's own jobs.
    """

    def __init__(self, admin: AccountAccess, since: datetime) -> None:
        self._admin = admin
        self._since = since
        self._regions: dict[str, dict[str, list[tuple[JobKind, dict[str, Any]]]] | None] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def failed(self, account_id: str, region: str) -> list[tuple[JobKind, dict[str, Any]]] | None:
        with self._lock:
            lock = self._locks.setdefault(region, threading.Lock())
        with lock:
            if region not in self._regions:
                self._regions[region] = self._list(region)
        listed = self._regions[region]
        return None if listed is None else listed.get(account_id, [])

    def _list(self, region: str) -> dict[str, list[tuple[JobKind, dict[str, Any]]]] | None:
        client = self._admin.client("backup", region)
        out: dict[str, list[tuple[JobKind, dict[str, Any]]]] = {}
        try:
            for kind, failure_states in FAILURE_STATES.items():
                for state in failure_states:
                    for job in list_jobs(
                        client, kind, ByAccountId=ORGANIZATION_WIDE, ByState=state, ByCreatedAfter=self._since
                    ):
                        out.setdefault(str(job.get("AccountId", "")), []).append((kind, job))
        except ClientError as exc:
            if error_code(exc).startswith(REFUSED_PREFIXES):
                return None
            raise
        return out


def _own_failures(
    admin: AccountAccess, account_id: str, region: str, since: datetime
) -> list[tuple[JobKind, dict[str, Any]]]:
    client = admin.client("backup", region)
    return [
        (kind, job)
        for kind, failure_states in FAILURE_STATES.items()
        for state in failure_states
        for job in list_jobs(client, kind, ByAccountId=account_id, ByState=state, ByCreatedAfter=since)
    ]


def job_findings(
    admin: AccountAccess, account_id: str, region: str, since: datetime, hours: int, org_jobs: OrgJobs | None = None
) -> list[Finding]:
    """Failed, aborted, expired or partial jobs of one account, seen from the backup admin account."""
    listed = org_jobs.failed(account_id, region) if org_jobs is not None else None
    failures: dict[tuple[JobKind, str], list[dict[str, Any]]] = {}
    for kind, job in listed if listed is not None else _own_failures(admin, account_id, region, since):
        failures.setdefault((kind, job.get("ResourceArn", "?")), []).append(job)
    out = []
    for (kind, resource), jobs in sorted(failures.items()):
        latest = max(jobs, key=lambda j: j.get("CreationDate", since))
        states = sorted({j["State"] for j in jobs})
        action = (
            "read the status message; common causes: the backup role cannot use the resource's KMS key, the vault "
            "is missing, or the rule's retention is outside the vault lock's range"
            if kind == "backup"
            else "check that the destination vault's access policy and key admit this account, and that the "
            "resource's key is a customer managed key shared with the destination account"
        )
        out.append(
            Finding.observed(
                rule=f"{kind}-jobs",
                message=f"{len(jobs)} {kind} job(s) {'/'.join(states)} in the last {hours} h; latest "
                f"{iso(latest.get('CreationDate', since))}: {latest.get('StatusMessage', 'no status message')}",
                remediation=action,
                account=account_id,
                region=region,
                resource=resource,
            )
        )
    return out
