"""The audit report's resource sections: coverage charts by OU and type, RPO compliance, the unprotected list,
restore tests with time to restore; "could not check" instead of None or 0/0; no HTML in the Markdown."""

from __future__ import annotations

import re
import subprocess
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from org_backup.ops.audit_render import AuditData, bar_chart, render_html, render_markdown
from org_backup.ops.checks.restore_tests import RestoreTest, restore_test_findings
from org_backup.ops.coverage.run import CoverageResult
from org_backup.ops.coverage.status import CoverageSummary, ResourceCoverage
from policies.backup_rules.findings import Finding
from tests.moto_server import MotoServer
from tests.org_backup.ops.fakes import FakeOrg
from tests.org_backup.ops.test_audit_report import assert_self_contained, chromium, sample_report


def resources(generated: datetime) -> CoverageResult:
    summary = CoverageSummary()
    for n in range(6):
        summary.add(
            ResourceCoverage("222222222222", "prod-01", "prod", "us-east-1", "EBS", f"arn:vol-{n}", "protected", "")
        )
    summary.add(
        ResourceCoverage(
            "222222222222",
            "prod-01",
            "prod",
            "us-east-1",
            "RDS",
            "arn:aws:rds:us-east-1:222222222222:db:orders",
            "stale",
            "newest recovery point 9.0 days old; the schedule allows 8.0 days",
            ("daily",),
            generated - timedelta(days=9),
        )
    )
    summary.add(
        ResourceCoverage(
            "444444444444", "dev-01", "non-prod", "eu-west-1", "S3", "arn:aws:s3:::<b>", "not-selected", "no plan"
        )
    )
    summary.add(
        ResourceCoverage(
            "444444444444", "dev-01", "non-prod", "eu-west-1", "EFS", "arn:efs", "could-not-check", "refused"
        )
    )
    return CoverageResult(summary, [], 2, ("us-east-1", "eu-west-1"), "each service's describe calls", generated)


def report_with_resources() -> AuditData:
    data = sample_report()
    data.verification.resources = resources(data.generated_at)
    started = data.generated_at - timedelta(hours=5)
    data.restore_tests = [
        RestoreTest(
            "222222222222",
            "us-east-1",
            "weekly-restore",
            "EBS",
            "arn:rp-1",
            "COMPLETED",
            "SUCCESSFUL",
            started,
            timedelta(minutes=42),
            "",
        ),
        RestoreTest(
            "222222222222",
            "us-east-1",
            "weekly-restore",
            "RDS",
            "arn:rp-2",
            "FAILED",
            "not validated",
            started,
            None,
            "role denied",
        ),
    ]
    data.restore_tests_checked = True
    return data


def test_resource_sections_say_what_is_protected_and_what_is_not() -> None:
    data = report_with_resources()
    html = render_html(data)
    markdown = render_markdown(data)

    assert 'id="resources"' in html and 'id="restore-tests"' in html
    assert html.count("<svg") == 4, "jobs, copies, resources by OU, resources by type"
    assert html.count('class="grid"') >= 8, "gridlines on every chart"
    assert "6/7 (86%)" in html, "prod: 6 protected of 7 checked"
    assert "| non-prod | 0/1 (0%) |" in markdown, "the unchecked EFS is not counted as unprotected"
    assert "| RDS | 0 | 1 | 0 | 0% |" in markdown, "RPO compliance"
    assert "newest recovery point 9.0 days old" in markdown
    assert "| 222222222222 | us-east-1 | weekly-restore | EBS |" in markdown and "| 42 min |" in markdown
    assert "not finished" in markdown
    assert not re.search(r"<[a-zA-Z/][^>]*>", markdown), "no HTML in the Markdown"
    assert "0/0" not in html and "0/0" not in markdown
    assert_self_contained(html)


def test_what_could_not_be_checked_is_said_so() -> None:
    data = sample_report()
    data.verification.admin = None
    html = render_html(data)
    markdown = render_markdown(data)
    assert "could not check" in html
    cards = dict(re.findall(r'<div class="card"><b>([^<]*)</b>([^<]*)</div>', html))
    assert cards["could not check"] in (
        "resources protected",
        "backup success, 7 days",
        "copy success, 7 days",
        "restore tests passed",
    )
    assert "- resources protected: **could not check**" in markdown
    assert "- restore tests passed: **could not check**" in markdown
    assert "None." not in markdown.split("## Open findings")[0], "no 'None.' for what could not be checked"


def test_job_charts_label_every_third_day() -> None:
    data = sample_report()
    chart = bar_chart("jobs", data.days(), data.daily_backups)
    assert len(re.findall(r">\d\d-\d\d</text>", chart)) == 10


def test_a_failed_restore_test_is_a_finding_and_findings_appear_once() -> None:
    data = report_with_resources()
    found = restore_test_findings(data.restore_tests)
    assert [(f.rule, f.resource) for f in found] == [("restore-test", "arn:rp-2")]
    finding = Finding.observed("jobs", "could not check: denied", "fix", account="1")
    assert list(dict.fromkeys([finding, replace(finding), finding])) == [finding]


def test_the_new_report_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = chromium()
    html = tmp_path / "report.html"
    html.write_text(render_html(report_with_resources()), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={tmp_path / 'p'}"]
    result = subprocess.run(
        [browser, *flags, "--dump-dom", html.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.count("<svg") == 4
    assert "arn:aws:s3:::&lt;b&gt;" in result.stdout, "cell text is escaped"


def test_restore_tests_are_read_organization_wide_with_their_time_to_restore(org: FakeOrg, aws_env: MotoServer) -> None:
    from datetime import UTC

    from org_backup.ops.aws import Aws
    from org_backup.ops.checks.restore_tests import restore_tests
    from tests.org_backup.ops.coverage_fakes import CoverageStandIn

    stand_in = CoverageStandIn(aws_env)
    now = datetime.now(UTC)
    prod_01 = org.in_ou("prod")[0]
    plan = f"arn:aws:backup:us-east-1:{prod_01}:restore-testing-plan:weekly-abc"
    base = {"Region": "us-east-1", "AccountId": prod_01, "ResourceType": "EBS"}
    stand_in.restore_jobs += [
        base
        | {
            "RestoreJobId": "r-1",
            "Status": "COMPLETED",
            "CreationDate": now - timedelta(hours=3),
            "CompletionDate": now - timedelta(hours=2, minutes=20),
            "CreatedBy": {"RestoreTestingPlanArn": plan},
            "ValidationStatus": "SUCCESSFUL",
        },
        base | {"RestoreJobId": "r-2", "Status": "COMPLETED", "CreationDate": now - timedelta(hours=1)},
    ]
    aws = Aws.connect(profile=None, endpoint_url=aws_env.endpoint_url, command="report")
    stand_in.install(aws.session)
    admin = aws.account(org.admin, f"arn:aws:iam::{org.admin}:role/OrganizationAccountAccessRole", "us-east-1")

    tests = restore_tests(admin, "us-east-1", now - timedelta(days=30))

    assert [(t.account, t.plan, t.validation, t.time_to_restore) for t in tests] == [
        (prod_01, "weekly-abc", "SUCCESSFUL", timedelta(minutes=40))
    ], "a restore job not started by restore testing is not a restore test"
