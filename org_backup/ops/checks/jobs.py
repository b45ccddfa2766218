"""No backup or copy job failed, aborted, expired or ended partial in the last hours (seen from the backup
administrator account, which lists every member's jobs)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

from org_backup.ops.aws import AccountAccess, paginate
from org_backup.ops.common import OpsFinding, iso
from policies.backup_rules.events import BACKUP_JOB_FAILURE_STATES, COPY_JOB_FAILURE_STATES

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


def job_findings(admin: AccountAccess, account_id: str, region: str, since: datetime, hours: int) -> list[OpsFinding]:
    """Failed, aborted, expired or partial jobs of one account, seen from the backup admin account."""
    client = admin.client("backup", region)
    failures: dict[tuple[JobKind, str], list[dict[str, Any]]] = {}
    for kind, failure_states in FAILURE_STATES.items():
        for state in failure_states:
            for job in list_jobs(client, kind, ByAccountId=account_id, ByState=state, ByCreatedAfter=since):
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
            OpsFinding(
                check=f"{kind}-jobs",
                message=f"{len(jobs)} {kind} job(s) {'/'.join(states)} in the last {hours} h; latest "
                f"{iso(latest.get('CreationDate', since))}: {latest.get('StatusMessage', 'no status message')}",
                action=action,
                account=account_id,
                region=region,
                resource=resource,
            )
        )
    return out
