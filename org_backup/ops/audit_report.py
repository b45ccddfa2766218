"""``org-backup report --stack prod --output-dir DIR``: evidence that the organization is protected.

Writes ``report.html`` (self-contained: inline CSS and SVG charts, nothing fetched), ``report.md`` and
``report.csv``: coverage per account and Region, Vault Lock status, backup job success over the last 7 and
30 days, copies to the central vaults, Audit Manager frameworks and compliance reports, and the open
findings of verify (whose checks it runs as they are). Each report is dated and names the organization and
the config revision (the last commit of the stack file) so that it can be filed as evidence. Read-only.
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from org_backup.ops.audit_render import (
    WINDOWS,
    AuditData,
    ComplianceReport,
    Framework,
    JobStats,
    render_csv,
    render_html,
    render_markdown,
)
from org_backup.ops.aws import AccountAccess, Aws, fan_out, paginate
from org_backup.ops.checks.base import Coverage
from org_backup.ops.checks.jobs import list_jobs
from org_backup.ops.checks.restore_tests import RestoreTest, restore_test_findings, restore_tests
from org_backup.ops.common import Report, Stack, attempt, command_parser, run_command, unreachable, utc_now
from org_backup.ops.coverage.run import Aggregator
from org_backup.ops.coverage.section import add_coverage_arguments, aggregator
from org_backup.ops.verify import DEFAULT_HOURS, coverage_table, verify
from policies.backup_rules.arns import parse_vault_arn
from policies.backup_rules.findings import Finding

__all__ = ["collect", "config_revision", "main", "write_reports"]

COMMAND = "audit_report"
COMPLIANCE_TEMPLATES = ("CONTROL_COMPLIANCE_REPORT", "RESOURCE_COMPLIANCE_REPORT")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def config_revision(stack_file: Path) -> str:
    """The last commit of the stack file, or ``uncommitted``; local edits on top of it are said too."""

    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args, "--", stack_file.name],
            cwd=stack_file.parent,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    try:
        commit = git("log", "-1", "--format=%H").stdout.strip()
        if not commit:
            return "uncommitted"
        return commit if git("diff", "--quiet", "HEAD").returncode == 0 else f"{commit} + uncommitted changes"
    except (OSError, subprocess.SubprocessError):
        return "uncommitted"


def _windows(created: datetime, now: datetime) -> list[int]:
    return [days for days in WINDOWS if created >= now - timedelta(days=days)]


@dataclass
class _UnitJobs:
    backups: dict[int, JobStats]
    copies: dict[int, JobStats]
    daily_backups: dict[date, JobStats]
    daily_copies: dict[date, JobStats]
    central: dict[str, dict[int, JobStats]]
    frameworks: list[Framework]
    findings: list[Finding]


def _unit(stack: Stack, aws: Aws, admin: AccountAccess | None, now: datetime, row: Coverage) -> _UnitJobs:
    """Jobs of one member account and Region over the longest window, and its Audit Manager frameworks."""
    result = _UnitJobs({d: JobStats() for d in WINDOWS}, {d: JobStats() for d in WINDOWS}, {}, {}, {}, [], [])
    since = now - timedelta(days=WINDOWS[-1])
    central = stack.config.organization.central_vault_account_id

    def jobs() -> list[Finding]:
        if admin is None:
            return []
        client = admin.client("backup", row.region)
        for job in list_jobs(client, "backup", ByAccountId=row.account_id, ByCreatedAfter=since):
            for days in _windows(job["CreationDate"], now):
                result.backups[days].add(job["State"])
            result.daily_backups.setdefault(job["CreationDate"].date(), JobStats()).add(job["State"])
        for job in list_jobs(client, "copy", ByAccountId=row.account_id, ByCreatedAfter=since):
            destination = parse_vault_arn(job.get("DestinationBackupVaultArn"))
            for days in _windows(job["CreationDate"], now):
                result.copies[days].add(job["State"])
                if destination is not None and destination.account == central:
                    per_region = result.central.setdefault(destination.region, {d: JobStats() for d in WINDOWS})
                    per_region[days].add(job["State"])
            result.daily_copies.setdefault(job["CreationDate"].date(), JobStats()).add(job["State"])
        return []

    result.findings += attempt("jobs", row.account_id, row.region, jobs)
    audit = stack.config.audit
    if audit.enabled and audit.frameworks_in_member_accounts:
        access = aws.account(row.account_id, stack.role_arn(row.account_id), stack.home_region)
        result.findings += attempt(
            "frameworks", row.account_id, row.region, partial(_frameworks, access, row.region, result.frameworks)
        )
    return result


def _frameworks(access: AccountAccess, region: str, out: list[Framework]) -> list[Finding]:
    backup = access.client("backup", region)
    for summary in paginate(backup, "list_frameworks", "Frameworks"):
        framework = backup.describe_framework(FrameworkName=summary["FrameworkName"])
        out.append(
            Framework(
                access.account_id,
                region,
                framework["FrameworkName"],
                framework.get("FrameworkStatus", "-"),
                framework.get("DeploymentStatus", "-"),
                len(framework.get("FrameworkControls", [])),
            )
        )
    return []


def _compliance_reports(admin: AccountAccess, region: str, out: list[ComplianceReport]) -> list[Finding]:
    """The latest completed compliance report per report plan: AWS Backup publishes control compliance
    only through these reports (CSV in S3), not through an API that returns per-control results."""
    backup = admin.client("backup", region)
    for plan in paginate(backup, "list_report_plans", "ReportPlans"):
        template = plan.get("ReportSetting", {}).get("ReportTemplate", "")
        if template not in COMPLIANCE_TEMPLATES:
            continue
        jobs = sorted(
            paginate(backup, "list_report_jobs", "ReportJobs", ByReportPlanName=plan["ReportPlanName"]),
            key=lambda j: j.get("CreationTime", EPOCH),
        )
        latest = jobs[-1] if jobs else {}
        destination = latest.get("ReportDestination", {})
        keys = destination.get("S3Keys", [])
        out.append(
            ComplianceReport(
                plan["ReportPlanName"],
                template,
                latest.get("Status", "no report yet"),
                latest["CompletionTime"].strftime("%Y-%m-%d %H:%M UTC") if latest.get("CompletionTime") else "-",
                f"s3://{destination['S3BucketName']}/{keys[0]}" if keys else "-",
            )
        )
    return []


def _restore_tests(admin: AccountAccess, region: str, since: datetime, out: list[RestoreTest]) -> list[Finding]:
    out += restore_tests(admin, region, since)
    return []


def _merge(target: dict[Any, JobStats], source: dict[Any, JobStats]) -> None:
    for key, stats in source.items():
        merged = target.setdefault(key, JobStats())
        merged.completed += stats.completed
        merged.failed += stats.failed


def collect(stack: Stack, aws: Aws, *, hours: int, workers: int, aggregator: Aggregator | None = None) -> AuditData:
    """verify's checks with resource-level coverage, then 30 days of jobs per member account and Region, then
    Audit Manager."""
    verification = verify(stack, aws, hours=hours, workers=workers, with_coverage=True, aggregator=aggregator)
    now = utc_now()
    data = AuditData(
        stack.name,
        verification.org.description["Id"],
        now,
        config_revision(stack.file),
        verification,
        findings=list(verification.findings),
    )
    admin_id = stack.config.organization.backup_admin_account_id
    admin = verification.admin
    units = [
        row
        for row in verification.coverage
        if row.kind == "member" and row.checked and row.region_enabled and row.reachable
    ]
    for outcome in fan_out(units, partial(_unit, stack, aws, admin, now), workers=workers, label=f"{COMMAND}: jobs"):
        row = outcome.item
        if outcome.error is not None:
            data.findings.append(unreachable(row.account_id, stack.role_arn(row.account_id), outcome.error))
            continue
        unit = outcome.unwrap()
        data.backups[(row.account_id, row.region)] = unit.backups
        data.copies[(row.account_id, row.region)] = unit.copies
        _merge(data.daily_backups, unit.daily_backups)
        _merge(data.daily_copies, unit.daily_copies)
        for region, stats in unit.central.items():
            _merge(data.central_copies.setdefault(region, {}), stats)
        data.frameworks += unit.frameworks
        data.findings += unit.findings
    if admin is not None and stack.config.audit.enabled:
        home = stack.home_region
        data.findings += attempt("frameworks", admin_id, home, partial(_frameworks, admin, home, data.frameworks))
        data.findings += attempt(
            "compliance-reports", admin_id, home, partial(_compliance_reports, admin, home, data.compliance_reports)
        )
    if verification.resources is not None:
        data.findings += verification.resources.findings  # what coverage could not read; resources have a section
    if admin is not None:
        since = now - timedelta(days=WINDOWS[-1])
        regions = sorted({row.region for row in units})
        checked = [
            attempt(
                "restore-tests", admin_id, region, partial(_restore_tests, admin, region, since, data.restore_tests)
            )
            for region in regions
        ]
        data.restore_tests_checked = not any(checked)
        data.findings += [f for found in checked for f in found]
        data.findings += restore_test_findings(data.restore_tests)
    data.findings = list(dict.fromkeys(data.findings))  # each finding once
    data.frameworks = sorted(
        set(data.frameworks), key=lambda f: (f.account_id != admin_id, f.account_id, f.region, f.name)
    )
    return data


def write_reports(data: AuditData, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    outputs = {"report.html": render_html(data), "report.md": render_markdown(data), "report.csv": render_csv(data)}
    paths = []
    for name, text in outputs.items():
        path = directory / name
        path.write_text(text, encoding="utf-8", newline="")
        paths.append(path)
    return paths


def run(args: argparse.Namespace, stack: Stack, aws: Aws) -> Report:
    data = collect(stack, aws, hours=args.hours, workers=args.workers, aggregator=aggregator(args, stack))
    paths = write_reports(data, Path(args.output_dir))
    table = coverage_table(data.coverage)
    table = replace(table, title=f"{table.title}; wrote {', '.join(str(p) for p in paths)}")
    return Report(
        COMMAND,
        stack.name,
        data.organization_id,
        data.findings,
        [table],
        {"revision": data.revision, "outputs": [str(p) for p in paths]},
        data.generated_at,
    )


def main(argv: Sequence[str] | None = None, *, aws: Aws | None = None) -> int:
    parser = command_parser("report", "Evidence that every account and Region is protected (HTML, Markdown, CSV)")
    parser.add_argument("--output-dir", required=True, metavar="DIR", help="writes report.html, report.md, report.csv")
    parser.add_argument(
        "--hours", type=int, default=DEFAULT_HOURS, help=f"verify's window for failed jobs (default {DEFAULT_HOURS})"
    )
    add_coverage_arguments(parser)  # --coverage is accepted for symmetry with verify: the report always has it
    return run_command(COMMAND, parser, run, argv, aws)
