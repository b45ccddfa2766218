"""org_backup.ops.audit_report: the evidence files from a moto organization, the config revision, and the HTML in Chromium."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from org_backup.demo.seed import job
from org_backup.demo.standin import now
from org_backup.ops import audit_report
from org_backup.ops.audit_render import CSV_HEADERS, AuditData, Framework, JobStats, bar_chart, render_html
from org_backup.ops.aws import AccountAccess, Aws
from org_backup.ops.checks.base import Coverage
from org_backup.ops.common import EXIT_FINDINGS
from org_backup.ops.organization import Org
from org_backup.ops.verify import Verification
from policies.backup_rules.findings import Finding
from tests.org_backup.ops.fakes import DR_REGIONS, FakeOrg, StubbedApis, deploy

SECTIONS = ("summary", "coverage", "locks", "jobs", "copies", "audit-manager", "findings")


def framework(account: str, region: str, status: str = "ACTIVE") -> dict[str, object]:
    """A DescribeFramework response."""
    return {
        "FrameworkName": "org_backup_controls",
        "FrameworkArn": f"arn:aws:backup:{region}:{account}:framework:org_backup_controls-1",
        "FrameworkDescription": "org-backup",
        "FrameworkControls": [{"ControlName": "BACKUP_RECOVERY_POINT_ENCRYPTED"}] * 9,
        "CreationTime": now(),
        "DeploymentStatus": "COMPLETED",
        "FrameworkStatus": status,
    }


def test_writes_dated_html_markdown_and_csv_evidence(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect, tmp_path: Path
) -> None:
    deploy(org, stack_file, stubs)
    prod_01 = org.in_ou("prod")[0]
    volume = f"arn:aws:ec2:us-east-1:{prod_01}:volume/vol-1"
    central = f"arn:aws:backup:{DR_REGIONS[0]}:{org.central}:backup-vault:org-backup-central"
    stubs.backup_jobs += [
        job(prod_01, "us-east-1", "COMPLETED", resource=volume, hours_ago=hours) for hours in (30, 60, 24 * 20)
    ] + [
        job(prod_01, "us-east-1", "FAILED", resource=volume, hours_ago=2),
        job(prod_01, "us-east-1", "RUNNING", resource=volume, hours_ago=0.5),
        job(prod_01, "us-east-1", "COMPLETED", resource=volume, hours_ago=24 * 40),
    ]
    stubs.copy_jobs += [
        job(prod_01, "us-east-1", "COMPLETED", resource=volume, kind="copy", DestinationBackupVaultArn=central),
        job(
            prod_01,
            "us-east-1",
            "FAILED",
            resource=volume,
            kind="copy",
            hours_ago=24 * 10,
            DestinationBackupVaultArn=central,
        ),
    ]
    stubs.frameworks[(org.admin, "us-east-1")] = [framework(org.admin, "us-east-1")]
    stubs.frameworks[(prod_01, "eu-west-1")] = [framework(prod_01, "eu-west-1", "PARTIALLY_ACTIVE")]
    org.client("backup", org.admin).create_report_plan(
        ReportPlanName="org_backup_control_compliance_report",
        ReportDeliveryChannel={"S3BucketName": "reports", "Formats": ["CSV"]},
        ReportSetting={"ReportTemplate": "CONTROL_COMPLIANCE_REPORT", "FrameworkArns": [], "NumberOfFrameworks": 1},
    )
    stubs.report_jobs.append(
        {
            "Region": "us-east-1",
            "ReportJobId": "r-1",
            "ReportPlanArn": f"arn:aws:backup:us-east-1:{org.admin}:report-plan:org_backup_control_compliance_report",
            "ReportTemplate": "CONTROL_COMPLIANCE_REPORT",
            "CreationTime": now() - timedelta(hours=5),
            "CompletionTime": now() - timedelta(hours=4),
            "Status": "COMPLETED",
            "ReportDestination": {"S3BucketName": "reports", "S3Keys": ["Backup/report.csv"]},
        }
    )
    out_dir = tmp_path / "evidence"

    code = audit_report.main(
        ["--config", str(stack_file), "--output-dir", str(out_dir), "--json", str(tmp_path / "out.json")],
        aws=connect("audit_report"),
    )

    assert code == EXIT_FINDINGS, "the failed job of the last 24 hours is an open finding"
    result = json.loads((tmp_path / "out.json").read_text())
    assert result["revision"] == "uncommitted"
    assert [Path(p).name for p in result["outputs"]] == ["report.html", "report.md", "report.csv"]

    rows = list(csv.DictReader(io.StringIO((out_dir / "report.csv").read_text())))
    assert tuple(rows[0]) == CSV_HEADERS
    assert len(rows) == 3 * 2 + 1
    first = next(r for r in rows if r["account_id"] == prod_01 and r["region"] == "us-east-1")
    assert (first["backup_jobs_completed_7d"], first["backup_jobs_failed_7d"]) == ("2", "1")
    assert (first["backup_jobs_completed_30d"], first["backup_jobs_failed_30d"]) == ("3", "1")
    assert (first["copy_jobs_completed_7d"], first["copy_jobs_failed_30d"]) == ("1", "1")
    assert first["locked"] == "True"
    assert first["protected"] == "False"

    markdown = (out_dir / "report.md").read_text()
    assert org.id in markdown
    assert "## Copies to the central vaults" in markdown
    assert f"| {DR_REGIONS[0]} | 1/1 | 100.0% | 1/2 | 50.0% |" in markdown
    assert "| org_backup_control_compliance_report | CONTROL_COMPLIANCE_REPORT | COMPLETED |" in markdown
    assert "s3://reports/Backup/report.csv" in markdown
    assert f"| {prod_01} | eu-west-1 | org_backup_controls | PARTIALLY_ACTIVE |" in markdown

    html = (out_dir / "report.html").read_text()
    assert all(f'id="{section}"' in html for section in SECTIONS)
    assert html.count("<svg") == 2
    assert_self_contained(html)
    assert stubs.mutating_calls() == []


def assert_self_contained(html: str) -> None:
    """Nothing to fetch: no scripts, stylesheets, images or links to anywhere, only the SVG namespace."""
    assert not re.search(r"<(script|link|img|iframe|object)\b", html)
    assert not re.search(r"\b(src|href)\s*=", html)
    assert re.findall(r"https?://[^\s\"'<]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")


def git(repo: Path, *args: str) -> str:
    identity = ["-c", "user.name=test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    return subprocess.run(
        ["git", *identity, *args], cwd=repo, capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()


def test_config_revision_is_the_last_commit_of_the_stack_file(tmp_path: Path) -> None:
    stack_file = tmp_path / "Pulumi.ops.yaml"
    stack_file.write_text("config: {}\n")
    assert audit_report.config_revision(stack_file) == "uncommitted", "not a repository"
    git(tmp_path, "init", "-q")
    assert audit_report.config_revision(stack_file) == "uncommitted", "never committed"
    git(tmp_path, "add", stack_file.name)
    git(tmp_path, "commit", "-q", "-m", "stack")
    commit = git(tmp_path, "rev-parse", "HEAD")
    assert audit_report.config_revision(stack_file) == commit
    stack_file.write_text("config: {changed: true}\n")
    assert audit_report.config_revision(stack_file) == f"{commit} + uncommitted changes"


def sample_report() -> AuditData:
    """Report content without AWS: enough of every section to render them all."""
    aws = Aws(session=boto3.Session(region_name="us-east-1"), endpoint_url=None, session_name="test")
    org = Org(
        "111111111111", "arn:aws:iam::111111111111:root", AccountAccess(aws, "111111111111", None), {}, "us-east-1"
    )
    coverage = [
        Coverage(
            "222222222222", "prod-01", "us-east-1", "member", vault=True, key=True, locked=True, lock_mode="governance"
        ),
        Coverage("333333333333", "prod-02", "us-east-1", "member", reachable=False),
    ]
    findings = [Finding.observed("assume-role", "cannot reach <the account>", "fix & retry", account="333333333333")]
    verification = Verification(org, findings, coverage, 24, None)
    generated = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    data = AuditData("prod", "o-a1b2c3d4e5", generated, "0123abcd", verification, findings=findings)
    data.backups[("222222222222", "us-east-1")] = {7: JobStats(6, 1), 30: JobStats(29, 1)}
    data.copies[("222222222222", "us-east-1")] = {7: JobStats(6, 0), 30: JobStats(30, 0)}
    data.daily_backups = {generated.date() - timedelta(days=n): JobStats(1, n % 2) for n in range(30)}
    data.central_copies["us-west-2"] = {7: JobStats(6, 0), 30: JobStats(30, 0)}
    data.frameworks.append(Framework("444444444444", "us-east-1", "org_backup_controls", "ACTIVE", "COMPLETED", 9))
    return data


def test_charts_scale_to_the_busiest_day_and_survive_empty_data() -> None:
    day = datetime(2026, 11, 26, tzinfo=UTC).date()
    empty = bar_chart("jobs", [day], {})
    assert "<rect" not in empty
    chart = bar_chart("jobs", [day, day + timedelta(days=1)], {day: JobStats(3, 1)})
    assert chart.count('class="ok"') == 1
    assert chart.count('class="fail"') == 1
    assert "3 completed, 1 failed" in chart


def chromium() -> str:
    """The browser the HTML test needs: skipped locally without it, required under CI."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required under CI (Debian package `chromium`, installed by .ci/run)")
        pytest.skip("chromium is not installed (apt-get install chromium); CI runs this test")
    return found


def test_the_html_report_renders_in_headless_chromium_without_errors(tmp_path: Path) -> None:
    browser = chromium()
    html = tmp_path / "report.html"
    html.write_text(render_html(sample_report()), encoding="utf-8")
    assert_self_contained(html.read_text())
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
    ]

    result = subprocess.run(
        [browser, *flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    assert all(f'id="{section}"' in dom for section in SECTIONS), dom[:500]
    assert dom.count("<svg") == 2
    assert "cannot reach &lt;the account&gt;" in dom, "cell text is escaped"
    assert "o-a1b2c3d4e5" in dom
    assert "Uncaught" not in result.stderr
    assert not [line for line in result.stderr.splitlines() if ":CONSOLE(" in line]
