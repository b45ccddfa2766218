"""The audit report: its content, and its HTML (self-contained: inline CSS and SVG, no script, nothing
fetched), Markdown and CSV forms.

Each section is built once as a table (headers and rows) and then formatted for HTML and Markdown, so the
two always say the same thing; the CSV is the per-account-and-Region evidence, one row each.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from html import escape

from org_backup.ops.audit_coverage import (
    COULD_NOT_CHECK,
    coverage_chart,
    restore_rows,
    rpo_rows,
    status_rows,
    unprotected_table,
)
from org_backup.ops.checks.base import Coverage
from org_backup.ops.checks.jobs import FAILURE_STATES
from org_backup.ops.checks.restore_tests import RestoreTest
from org_backup.ops.common import iso
from org_backup.ops.coverage.status import rate
from org_backup.ops.scan_report import TITLE as SCAN_TITLE
from org_backup.ops.scan_report import scan_rows
from org_backup.ops.verify import Verification
from org_backup.tables import markdown_table
from policies.backup_rules.findings import Finding

__all__ = [
    "FAILED",
    "WINDOWS",
    "AuditData",
    "ComplianceReport",
    "Framework",
    "JobStats",
    "bar_chart",
    "render_csv",
    "render_html",
    "render_markdown",
]

WINDOWS = (7, 30)
FAILED = frozenset(FAILURE_STATES["backup"]) | frozenset(FAILURE_STATES["copy"])
SUCCEEDED = frozenset({"COMPLETED"})


@dataclass
class JobStats:
    """Finished jobs: completed, and failed (failed, aborted, expired or partial); running ones do not count."""

    completed: int = 0
    failed: int = 0

    def add(self, state: str) -> None:
        if state in SUCCEEDED:
            self.completed += 1
        elif state in FAILED:
            self.failed += 1

    @property
    def total(self) -> int:
        return self.completed + self.failed

    def rate(self) -> str:
        return f"{100 * self.completed / self.total:.1f}%" if self.total else "-"


@dataclass(frozen=True)
class Framework:
    account_id: str
    region: str
    name: str
    status: str
    deployment: str
    controls: int


@dataclass(frozen=True)
class ComplianceReport:
    plan: str
    template: str
    status: str
    completed: str
    location: str


@dataclass
class AuditData:
    """Everything the report shows; the renderers only format it."""

    stack: str
    organization_id: str
    generated_at: datetime
    revision: str
    verification: Verification
    backups: dict[tuple[str, str], dict[int, JobStats]] = field(default_factory=dict)
    copies: dict[tuple[str, str], dict[int, JobStats]] = field(default_factory=dict)
    daily_backups: dict[date, JobStats] = field(default_factory=dict)
    daily_copies: dict[date, JobStats] = field(default_factory=dict)
    central_copies: dict[str, dict[int, JobStats]] = field(default_factory=dict)
    frameworks: list[Framework] = field(default_factory=list)
    compliance_reports: list[ComplianceReport] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    restore_tests: list[RestoreTest] = field(default_factory=list)
    restore_tests_checked: bool = False

    @property
    def coverage(self) -> list[Coverage]:
        return self.verification.coverage

    def days(self) -> list[date]:
        today = self.generated_at.date()
        return [today - timedelta(days=n) for n in range(WINDOWS[-1] - 1, -1, -1)]


Rows = list[tuple[str, ...]]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:1200px;color:#1a1a1a;
padding:0 1rem;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2.2rem;border-bottom:1px solid #ddd}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dl.meta dt{font-weight:600}
dl.meta dd{margin:0;font-family:ui-monospace,monospace}
.cards{display:flex;flex-wrap:wrap;gap:1rem;margin:1.2rem 0}
.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem;min-width:10rem}
.card b{display:block;font-size:1.4rem}
table{border-collapse:collapse;width:100%;font-size:.86rem;margin:.6rem 0}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}tr.bad td{background:#fdecea}
svg{display:block;max-width:900px}.ok{fill:#2e7d32}.fail{fill:#c62828}.axis{stroke:#888}.label{font-size:11px;fill:#444}
.grid{stroke:#e3e3e3;stroke-width:1}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem;vertical-align:middle}
.note{color:#555;font-size:.9rem}
@media print{body{margin:0;max-width:none}h2{break-after:avoid}}
"""


def _coverage(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = (
        "Account",
        "Name",
        "Region",
        "Kind",
        "Vault",
        "Own key",
        "Denies deletion",
        "Plans in effect",
        "Failing jobs",
        "Open findings",
        "Protected",
    )
    rows: Rows = [
        (
            c.account_id,
            c.name,
            c.region,
            c.kind,
            c.why_unchecked or _yes(c.vault),
            _yes(c.key),
            _yes(c.denies_deletion),
            ", ".join(c.plans) or "-",
            c.why_unchecked or str(c.failed_jobs),
            str(c.findings),
            _yes(c.protected),
        )
        for c in data.coverage
    ]
    return headers, rows


def _locks(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = (
        "Account",
        "Name",
        "Region",
        "Kind",
        "Locked",
        "Mode",
        "Min days",
        "Max days",
        "Lock date (immutable from)",
    )
    rows: Rows = [
        (
            c.account_id,
            c.name,
            c.region,
            c.kind,
            _yes(c.locked),
            c.lock_mode,
            str(c.min_retention_days or "-"),
            str(c.max_retention_days or "-"),
            c.lock_date or "-",
        )
        for c in data.coverage
        if c.vault
    ]
    return headers, rows


def _jobs(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = (
        "Account",
        "Region",
        "Backups 7 d",
        "Success 7 d",
        "Backups 30 d",
        "Success 30 d",
        "Copies 7 d",
        "Success 7 d",
        "Copies 30 d",
        "Success 30 d",
    )
    rows: Rows = []
    for (account, region), backups in sorted(data.backups.items()):
        copies = data.copies[(account, region)]
        rows.append(
            (
                account,
                region,
                *_window_cells(backups[7]),
                *_window_cells(backups[30]),
                *_window_cells(copies[7]),
                *_window_cells(copies[30]),
            )
        )
    return headers, rows


def _central(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = ("Central vault Region", "Copies 7 d", "Success 7 d", "Copies 30 d", "Success 30 d")
    rows: Rows = [
        (region, *_window_cells(stats[7]), *_window_cells(stats[30]))
        for region, stats in sorted(data.central_copies.items())
    ]
    return headers, rows


def _frameworks(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = ("Account", "Region", "Framework", "Status", "Deployment", "Controls")
    rows: Rows = [(f.account_id, f.region, f.name, f.status, f.deployment, str(f.controls)) for f in data.frameworks]
    return headers, rows


def _compliance(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = ("Report plan", "Template", "Latest status", "Completed", "Report")
    rows: Rows = [(r.plan, r.template, r.status, r.completed, r.location) for r in data.compliance_reports]
    return headers, rows


def _findings(data: AuditData) -> tuple[tuple[str, ...], Rows]:
    headers: tuple[str, ...] = ("Severity", "Check", "Account", "Region", "Resource", "Finding", "What to do")
    rows: Rows = [
        (f.severity, f.rule, f.account or "-", f.region or "-", f.resource or "-", f.message, f.remediation)
        for f in sorted(data.findings, key=lambda f: f.sort_key())
    ]
    return headers, rows


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def _window_cells(stats: JobStats) -> tuple[str, str]:
    if not stats.total:
        return "no jobs", "-"
    return f"{stats.completed}/{stats.total}", stats.rate()


def _totals(stats: Mapping[tuple[str, str], Mapping[int, JobStats]], days: int) -> JobStats:
    total = JobStats()
    for per_window in stats.values():
        total.completed += per_window[days].completed
        total.failed += per_window[days].failed
    return total


def _meta(data: AuditData) -> list[tuple[str, str]]:
    return [
        ("Stack", data.stack),
        ("Organization", data.organization_id),
        ("Generated (UTC)", iso(data.generated_at)),
        ("Config revision", data.revision),
        ("Failed-job window of the findings", f"{data.verification.hours} hours"),
    ]


def _cards(data: AuditData) -> list[tuple[str, str]]:
    coverage = data.coverage
    backups7 = _totals(data.backups, 7)
    copies7 = _totals(data.copies, 7)
    jobs_known = data.verification.admin is not None or bool(data.backups)
    resources = data.verification.resources
    return [
        ("account-Regions protected", f"{sum(c.protected for c in coverage)}/{len(coverage)}"),
        ("resources protected", rate(resources.summary.total()) if resources else COULD_NOT_CHECK),
        ("vaults locked", f"{sum(c.locked for c in coverage)}/{sum(c.vault for c in coverage)}"),
        ("backup success, 7 days", _card_rate(backups7, jobs_known)),
        ("copy success, 7 days", _card_rate(copies7, jobs_known)),
        ("restore tests passed", _restore_card(data)),
        ("open findings", str(sum(f.counts for f in data.findings))),
    ]


def _card_rate(stats: JobStats, known: bool) -> str:
    if not known:
        return COULD_NOT_CHECK
    return f"{stats.rate()} of {stats.total}" if stats.total else "no jobs"


def _restore_card(data: AuditData) -> str:
    if not data.restore_tests_checked:
        return COULD_NOT_CHECK
    tests = data.restore_tests
    return f"{sum(t.passed for t in tests)}/{len(tests)}" if tests else "no restore tests"


# --------------------------------------------------------------------------- HTML

CONTROL_NOTE = (
    "Per-control compliance: AWS Backup evaluates each control with an AWS Config rule it deploys, but AWS "
    "documents no way to map a control to its rule (DescribeFramework returns no rule names), so this report "
    "shows each framework's status and AWS's own per-control evidence, the CONTROL_COMPLIANCE_REPORT report jobs."
)


def _jobs_empty(data: AuditData) -> str:
    if data.verification.admin is None:
        return f"{COULD_NOT_CHECK}: the backup administrator account could not be reached"
    return "No jobs in the window."


def _restore_empty(data: AuditData) -> str:
    return "No restore tests ran in the last 30 days." if data.restore_tests_checked else COULD_NOT_CHECK


def _resources_html(data: AuditData) -> str:
    resources = data.verification.resources
    if resources is None:
        return f'<p class="note">{COULD_NOT_CHECK}</p>'
    summary = resources.summary
    return (
        f'<p class="note">Source: {escape(resources.source)}. Excluded OUs and accounts are not read.</p>'
        "<h3>By OU</h3>"
        + coverage_chart("Resources by OU", summary.by_ou)
        + _html_table(*status_rows(summary.by_ou, "OU"), empty="No resources.")
        + "<h3>By resource type</h3>"
        + coverage_chart("Resources by type", summary.by_type)
        + _html_table(*status_rows(summary.by_type, "Type"), empty="No resources.")
        + "<h3>RPO compliance</h3>"
        + _html_table(*rpo_rows(resources), empty="No resources.")
        + "<h3>Unprotected resources, and those that could not be checked</h3>"
        + _html_table(*unprotected_table(resources), empty="None: every resource checked is protected.")
    )


def _html_table(headers: Sequence[str], rows: Rows, *, bad_column: int | None = None, empty: str = "Nothing.") -> str:
    if not rows:
        return f'<p class="note">{escape(empty)}</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = []
    for row in rows:
        bad = bad_column is not None and row[bad_column] in ("NO", "error")
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in row)
        body.append(f'<tr class="bad">{cells}</tr>' if bad else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


GRIDLINES = 4
DATE_LABEL_EVERY = 3


def bar_chart(title: str, days: Sequence[date], series: Mapping[date, JobStats]) -> str:
    """Stacked bars per day (completed below, failed above), scaled to the busiest day; no script."""
    width, height, left, bottom, top = 760, 220, 40, 28, 12
    plot_height = height - bottom - top
    busiest = max((series[d].total for d in days if d in series), default=0) or 1
    highest = GRIDLINES * math.ceil(busiest / GRIDLINES)  # whole-number gridlines
    step = (width - left - 10) / len(days)
    parts = []
    for tick in range(1, GRIDLINES + 1):
        y = height - bottom - plot_height * tick / GRIDLINES
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}"/>')
        label = highest * tick // GRIDLINES
        parts.append(f'<text class="label" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    parts += [
        f'<line class="axis" x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}"/>',
        f'<text class="label" x="{left - 6}" y="{height - bottom}" text-anchor="end">0</text>',
    ]
    for index, day in enumerate(days):
        stats = series.get(day)
        x = left + index * step + 1
        if stats is not None and stats.total:
            ok = plot_height * stats.completed / highest
            failed = plot_height * stats.failed / highest
            y_ok = height - bottom - ok
            tip = f"{day.isoformat()}: {stats.completed} completed, {stats.failed} failed"
            parts.append(
                f"<g><title>{escape(tip)}</title>"
                f'<rect class="ok" x="{x:.1f}" y="{y_ok:.1f}" width="{step - 2:.1f}" height="{ok:.1f}"/>'
                f'<rect class="fail" x="{x:.1f}" y="{y_ok - failed:.1f}" width="{step - 2:.1f}" height="{failed:.1f}"/></g>'
            )
        if (len(days) - 1 - index) % DATE_LABEL_EVERY == 0:
            parts.append(
                f'<text class="label" x="{x + step / 2:.1f}" y="{height - 8}" text-anchor="middle">'
                f"{day.strftime('%m-%d')}</text>"
            )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
        '<p class="legend"><span style="background:#2e7d32"></span>completed'
        '<span style="background:#c62828"></span>failed, aborted, expired or partial</p>'
    )


def render_html(data: AuditData) -> str:
    days = data.days()
    meta = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in _meta(data))
    cards = "".join(f'<div class="card"><b>{escape(v)}</b>{escape(k)}</div>' for k, v in _cards(data))
    sections = [
        (
            "coverage",
            "Coverage per account and Region",
            _html_table(*_coverage(data), bad_column=10),
        ),
        ("resources", "Resource coverage", _resources_html(data)),
        (
            "restore-tests",
            "Restore tests (recoverability)",
            _html_table(*restore_rows(data.restore_tests), empty=_restore_empty(data)),
        ),
        ("locks", "Vault Lock status", _html_table(*_locks(data), bad_column=4)),
        (
            "jobs",
            "Backup jobs (last 7 and 30 days)",
            bar_chart("Backup jobs per day, last 30 days", days, data.daily_backups)
            + _html_table(*_jobs(data), empty=_jobs_empty(data)),
        ),
        (
            "copies",
            "Copies to the central vaults",
            bar_chart("Copy jobs per day, last 30 days", days, data.daily_copies)
            + _html_table(*_central(data), empty=_jobs_empty(data)),
        ),
        (
            "audit-manager",
            "Audit Manager",
            "<h3>Frameworks</h3>"
            + _html_table(*_frameworks(data))
            + "<h3>Compliance reports</h3>"
            + _html_table(*_compliance(data))
            + f'<p class="note">{escape(CONTROL_NOTE)}</p>',
        ),
        ("malware-scans", SCAN_TITLE, _html_table(*scan_rows(data.findings), bad_column=0)),
        ("findings", "Open findings (verify)", _html_table(*_findings(data), bad_column=0)),
    ]
    body = "".join(
        f'<section id="{sid}"><h2>{escape(title)}</h2>{content}</section>' for sid, title, content in sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>AWS Backup evidence: {escape(data.stack)} ({escape(data.organization_id)})</title>"
        f"<style>{CSS}</style></head><body>"
        f'<header id="summary"><h1>AWS Backup evidence report</h1><dl class="meta">{meta}</dl>'
        f'<div class="cards">{cards}</div></header>{body}'
        '<footer><p class="note">Generated by <code>org-backup report</code> (org-backup), which only '
        "reads from AWS.</p></footer></body></html>\n"
    )


# --------------------------------------------------------------------------- Markdown and CSV


def _md_table(headers: Sequence[str], rows: Rows, empty: str = "Nothing.") -> str:
    return "\n".join(markdown_table(headers, rows)) if rows else empty


def render_markdown(data: AuditData) -> str:
    parts = ["# AWS Backup evidence report", ""]
    parts += [f"- **{k}:** {v}" for k, v in _meta(data)]
    parts += ["", *[f"- {k}: **{v}**" for k, v in _cards(data)]]
    resources = data.verification.resources
    for title, table, empty in (
        ("Coverage per account and Region", _coverage(data), "Nothing."),
        *(
            [
                ("Resource coverage by OU", status_rows(resources.summary.by_ou, "OU"), "No resources."),
                ("Resource coverage by type", status_rows(resources.summary.by_type, "Type"), "No resources."),
                ("RPO compliance", rpo_rows(resources), "No resources."),
                (
                    "Unprotected resources, and those that could not be checked",
                    unprotected_table(resources),
                    "None: every resource checked is protected.",
                ),
            ]
            if resources is not None
            else [("Resource coverage", ((), []), COULD_NOT_CHECK)]
        ),
        ("Restore tests (recoverability)", restore_rows(data.restore_tests), _restore_empty(data)),
        ("Vault Lock status", _locks(data), "Nothing."),
        ("Backup jobs (last 7 and 30 days)", _jobs(data), _jobs_empty(data)),
        ("Copies to the central vaults", _central(data), _jobs_empty(data)),
        ("Audit Manager frameworks", _frameworks(data), "Nothing."),
        ("Audit Manager compliance reports", _compliance(data), "Nothing."),
        (SCAN_TITLE, scan_rows(data.findings), "Nothing."),
        ("Open findings (verify)", _findings(data), "None."),
    ):
        parts += ["", f"## {title}", "", _md_table(*table, empty=empty)]
        if title == "Audit Manager compliance reports":
            parts += ["", CONTROL_NOTE]
    return "\n".join(parts) + "\n"


CSV_HEADERS = (
    "account_id",
    "account_name",
    "region",
    "kind",
    "reachable",
    "region_enabled",
    "vault",
    "own_key",
    "locked",
    "lock_mode",
    "min_retention_days",
    "max_retention_days",
    "lock_date",
    "denies_deletion",
    "plans",
    "backup_jobs_completed_7d",
    "backup_jobs_failed_7d",
    "backup_jobs_completed_30d",
    "backup_jobs_failed_30d",
    "copy_jobs_completed_7d",
    "copy_jobs_failed_7d",
    "copy_jobs_completed_30d",
    "copy_jobs_failed_30d",
    "open_findings",
    "protected",
)


def render_csv(data: AuditData) -> str:
    """One row per account and Region, every column a plain value (for spreadsheets and evidence stores)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for c in data.coverage:
        backups = data.backups.get((c.account_id, c.region), {})
        copies = data.copies.get((c.account_id, c.region), {})
        counts: list[int | str] = []
        for per_window in (backups, copies):
            for days in (7, 30):
                stats = per_window.get(days)
                counts += [stats.completed, stats.failed] if stats else ["", ""]
        writer.writerow(
            [
                c.account_id,
                c.name,
                c.region,
                c.kind,
                c.reachable,
                c.region_enabled,
                c.vault,
                c.key,
                c.locked,
                c.lock_mode,
                c.min_retention_days or "",
                c.max_retention_days or "",
                c.lock_date or "",
                c.denies_deletion,
                " ".join(c.plans),
                *counts,
                c.findings,
                c.protected,
            ]
        )
    return out.getvalue()
