"""Coverage as tables (terminal, verify's section, the audit report) and as findings (one per unprotected resource)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from org_backup.ops.common import Table, iso
from org_backup.ops.coverage.run import CoverageResult
from org_backup.ops.coverage.status import STATUSES, ResourceCoverage, rate
from policies.backup_rules.findings import Finding

__all__ = ["ACTIONS", "findings", "summary_rows", "tables", "unprotected_rows"]

ACTIONS: dict[str, str] = {
    "not-selected": "tag it for a plan (or widen a plan's selection) if it holds data worth keeping",
    "no-recovery-point": "look at its backup jobs (org-backup verify, jobs check): the backup role, the vault and "
    "the resource type's opt-in (Backup settings) must all allow it",
    "stale": "look at its recent backup jobs: the schedule ran but no backup completed in time",
    "key-blocks-copy": "re-encrypt it with a customer managed key shared with the central account",
    "copy-missing": "look at its copy jobs: the central vault's access policy and key must admit the account",
    "could-not-check": "give the role read access (see README, Operations, coverage permissions) and run again",
}


def summary_rows(counts: Mapping[str, Counter[str]]) -> list[tuple[str, ...]]:
    """One row per key: protected rate, then the count of each status (never ``0/0``: ``could not check``)."""
    return [(key, rate(c), *(str(c.get(s, 0)) for s in STATUSES)) for key, c in sorted(counts.items())]


SUMMARY_HEADERS = ("PROTECTED", *(s.upper() for s in STATUSES))


def unprotected_rows(rows: Iterable[ResourceCoverage]) -> list[tuple[str, ...]]:
    return [
        (
            r.account,
            r.account_name,
            r.ou,
            r.region,
            r.type,
            r.arn,
            r.status,
            r.reason,
            iso(r.latest_recovery_point) if r.latest_recovery_point else "none",
        )
        for r in sorted(rows, key=lambda r: (r.ou, r.account, r.region, r.type, r.arn))
    ]


UNPROTECTED_HEADERS = ("ACCOUNT", "NAME", "OU", "REGION", "TYPE", "RESOURCE", "STATUS", "WHY", "NEWEST RECOVERY POINT")


def tables(result: CoverageResult) -> list[Table]:
    summary = result.summary
    total = summary.total()
    accounts = {f"{account} ({name})": counts for (account, name), counts in summary.by_account.items()}
    return [
        Table(
            f"Resource coverage ({result.source}): {rate(total)} protected",
            ("OU", *SUMMARY_HEADERS),
            summary_rows(summary.by_ou),
        ),
        Table("Coverage by resource type", ("TYPE", *SUMMARY_HEADERS), summary_rows(summary.by_type)),
        Table("Coverage by account", ("ACCOUNT", *SUMMARY_HEADERS), summary_rows(accounts)),
    ]


def findings(result: CoverageResult) -> list[Finding]:
    """Each unprotected resource once (warning), each unchecked one once, and what could not be read."""
    out = list(result.findings)
    for row in [*result.summary.unprotected, *result.summary.unchecked]:
        out.append(
            Finding.observed(
                rule=f"coverage-{row.status}",
                message=f"{row.type} {row.status}: {row.reason}",
                remediation=ACTIONS[row.status],
                account=row.account,
                region=row.region,
                resource=row.arn,
                severity="warning",
            )
        )
    return out
