"""One resource's coverage status, the evidence behind it, and the summaries by OU, account and type.

Statuses, worst first (a resource gets the first that applies):

- ``could-not-check``: an answer coverage needed was refused (its tags, its recovery points);
- ``not-selected``: no plan of the account's effective backup policy selects it in its Region;
- ``no-recovery-point``: selected, but no completed recovery point in a vault its plans back up into;
- ``stale``: the newest recovery point is older than the schedule allows (``selection.max_age``);
- ``key-blocks-copy``: a plan copies it to another account but it is encrypted with an AWS managed key, which
  AWS refuses to copy across accounts (``org_backup.ops.checks.managed_keys``);
- ``copy-missing``: a plan copies it to the central vault, which holds no copy as recent as the schedule allows;
- ``protected``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from org_backup.ops.common import iso

__all__ = ["STATUSES", "UNPROTECTED", "CoverageSummary", "ResourceCoverage", "Status", "checked", "rate"]

Status = Literal[
    "protected", "not-selected", "no-recovery-point", "stale", "key-blocks-copy", "copy-missing", "could-not-check"
]
STATUSES: tuple[Status, ...] = (
    "protected",
    "stale",
    "copy-missing",
    "key-blocks-copy",
    "no-recovery-point",
    "not-selected",
    "could-not-check",
)
UNPROTECTED = frozenset(STATUSES) - {"protected", "could-not-check"}


@dataclass(frozen=True)
class ResourceCoverage:
    """What coverage says about one resource; ``to_json`` is one entry of ``--json``'s ``resources``."""

    account: str
    account_name: str
    ou: str
    region: str
    type: str
    arn: str
    status: Status
    reason: str
    plans: tuple[str, ...] = ()
    latest_recovery_point: datetime | None = None
    max_age: timedelta | None = None
    copy_in_central: bool | None = None
    key: str | None = None

    def to_json(self, now: datetime) -> dict[str, Any]:
        out = asdict(self)
        out["plans"] = list(self.plans)
        out["latest_recovery_point"] = iso(self.latest_recovery_point) if self.latest_recovery_point else None
        out["age_hours"] = (
            round((now - self.latest_recovery_point).total_seconds() / 3600, 1) if self.latest_recovery_point else None
        )
        out["max_age_hours"] = round(self.max_age.total_seconds() / 3600, 1) if self.max_age else None
        del out["max_age"]
        return out


@dataclass
class CoverageSummary:
    """Status counts by OU, account and resource type; the only per-resource state kept is the unprotected list."""

    by_ou: dict[str, Counter[str]] = field(default_factory=dict)
    by_account: dict[tuple[str, str], Counter[str]] = field(default_factory=dict)
    by_type: dict[str, Counter[str]] = field(default_factory=dict)
    by_region: dict[str, Counter[str]] = field(default_factory=dict)
    unprotected: list[ResourceCoverage] = field(default_factory=list)
    unchecked: list[ResourceCoverage] = field(default_factory=list)

    def add(self, row: ResourceCoverage) -> None:
        self.by_ou.setdefault(row.ou, Counter())[row.status] += 1
        self.by_account.setdefault((row.account, row.account_name), Counter())[row.status] += 1
        self.by_type.setdefault(row.type, Counter())[row.status] += 1
        self.by_region.setdefault(row.region, Counter())[row.status] += 1
        if row.status in UNPROTECTED:
            self.unprotected.append(row)
        elif row.status == "could-not-check":
            self.unchecked.append(row)

    def total(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for counts in self.by_type.values():
            out.update(counts)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "total": dict(self.total()),
            "by_ou": {k: dict(v) for k, v in sorted(self.by_ou.items())},
            "by_account": {f"{a} ({n})": dict(v) for (a, n), v in sorted(self.by_account.items())},
            "by_type": {k: dict(v) for k, v in sorted(self.by_type.items())},
        }


def checked(counts: Counter[str]) -> int:
    """Resources whose status is known (``could-not-check`` excluded): the denominator of a coverage rate."""
    return sum(n for status, n in counts.items() if status != "could-not-check")


def rate(counts: Counter[str]) -> str:
    """``protected/checked (p%)``, or ``could not check`` when nothing was checked (never ``0/0``)."""
    known = checked(counts)
    if not known:
        return "could not check" if counts else "no resources"
    return f"{counts['protected']}/{known} ({100 * counts['protected'] / known:.0f}%)"
