"""The backup-report-plan rule and its report bucket, on hand-written resources shaped like the ones org-backup registers."""

from __future__ import annotations

from typing import Any

from rules import audit
from rules.resources import (
    REPORT_PLAN,
    S3_BUCKET,
    S3_ENCRYPTION,
    S3_PUBLIC_ACCESS_BLOCK,
)

from .audit_support import (
    ADMIN,
    REPORT_PLAN_RULE,
    framework,
)
from .harness import UNKNOWN_STRING, Spec, run_stack

# --------------------------------------------------------------------------- backup-report-plan

BUCKET_NAME = "org-backup-reports-111122223333-us-east-1"


def bucket() -> Spec:
    return Spec(S3_BUCKET, {"bucket": BUCKET_NAME}, name="reports", account=ADMIN)


def public_access_block(**flags: bool) -> Spec:
    props: dict[str, Any] = dict.fromkeys(audit.PUBLIC_ACCESS_FLAGS, True)
    props.update(flags, bucket="reports-id")
    return Spec(
        S3_PUBLIC_ACCESS_BLOCK,
        props,
        name="reports-pab",
        account=ADMIN,
        property_dependencies={"bucket": [bucket().urn]},
    )


def encryption() -> Spec:
    props = {"bucket": BUCKET_NAME, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    return Spec(S3_ENCRYPTION, props, name="reports-sse", account=ADMIN)


def report_plan(
    template: Any = "CONTROL_COMPLIANCE_REPORT", name: str = "compliance", formats: Any = None, **setting: Any
) -> Spec:
    report_setting: dict[str, Any] = {"reportTemplate": template}
    if template in ("CONTROL_COMPLIANCE_REPORT", "RESOURCE_COMPLIANCE_REPORT"):
        report_setting["frameworkArns"] = [f"arn:aws:backup:us-east-1:{ADMIN}:framework:org_backup_controls-1a2b"]
    report_setting.update(setting)
    return Spec(
        REPORT_PLAN,
        {
            "name": name,
            "reportSetting": report_setting,
            "reportDeliveryChannel": {"s3BucketName": BUCKET_NAME, "formats": formats or ["CSV"]},
        },
        name=name,
        account=ADMIN,
    )


def reporting(*plans: Spec) -> list[Spec]:
    return [bucket(), public_access_block(), encryption(), *plans]


def test_compliance_report_into_a_safe_bucket_passes() -> None:
    plans = [report_plan(), report_plan("BACKUP_JOB_REPORT", name="jobs", accounts=["ROOT"], regions=["*"])]
    assert run_stack(REPORT_PLAN_RULE, reporting(*plans)) == []


def test_no_report_plan() -> None:
    [(urn, message)] = run_stack(REPORT_PLAN_RULE, [])
    assert urn is None
    assert "no aws.backup.ReportPlan with a CONTROL_COMPLIANCE_REPORT" in message
    assert run_stack(REPORT_PLAN_RULE, [], {"reportsManagedElsewhere": True}) == []


def test_job_reports_alone_produce_no_compliance_evidence() -> None:
    [(urn, message)] = run_stack(REPORT_PLAN_RULE, reporting(report_plan("BACKUP_JOB_REPORT", name="jobs")))
    assert urn is None
    assert "no compliance evidence" in message


def test_compliance_report_without_framework() -> None:
    plan = report_plan("RESOURCE_COMPLIANCE_REPORT", frameworkArns=[])
    messages = [m for _, m in run_stack(REPORT_PLAN_RULE, reporting(plan))]
    assert (
        "compliance: a RESOURCE_COMPLIANCE_REPORT report references no framework (set frameworkArns, or cover "
        "accounts or OUs, whose own frameworks it then reports)"
    ) in messages


def test_organization_wide_compliance_report_reads_the_accounts_frameworks() -> None:
    plans = [
        report_plan(frameworkArns=None, organizationUnits=["ou-ab12-11111111"], regions=["us-east-1"]),
        report_plan("RESOURCE_COMPLIANCE_REPORT", name="resources", frameworkArns=None, accounts=["444455556666"]),
    ]
    assert run_stack(REPORT_PLAN_RULE, reporting(*plans)) == []


def test_organization_wide_compliance_report_naming_frameworks_is_a_warning() -> None:
    plan = report_plan(accounts=["ROOT"])
    [(urn, message)] = run_stack(REPORT_PLAN_RULE, reporting(plan))
    assert urn == plan.urn
    assert message == (
        "compliance.reportSetting.frameworkArns: an organization-wide compliance report is reported to be rejected "
        "when it names frameworkArns (UNCONFIRMED); leave them out: the report reads each covered account's own "
        "frameworks [report-org-frameworks] (warning)"
    )
    jobs = report_plan("BACKUP_JOB_REPORT", name="jobs", accounts=["ROOT"], frameworkArns=["arn:x"])
    assert run_stack(REPORT_PLAN_RULE, reporting(report_plan(), jobs)) == []


def test_framework_arns_unknown_during_preview_with_a_framework_dependency() -> None:
    plan = report_plan(frameworkArns=UNKNOWN_STRING)
    plan.property_dependencies = {"reportSetting": [framework().urn]}
    assert run_stack(REPORT_PLAN_RULE, [framework(), *reporting(plan)]) == []
    plan = report_plan(frameworkArns=[])
    plan.property_dependencies = {"reportSetting": [framework().urn]}
    assert run_stack(REPORT_PLAN_RULE, [framework(), *reporting(plan)]) == []


def test_organization_and_cross_region_reports_are_csv_only() -> None:
    plans = [
        report_plan(formats=["CSV", "JSON"], accounts=["ROOT"], frameworkArns=None),
        report_plan("COPY_JOB_REPORT", name="copies", formats=["JSON"], regions=["us-east-1", "eu-west-1"]),
        report_plan("RESTORE_JOB_REPORT", name="restores", formats=["JSON"], regions=["us-east-1"]),
    ]
    messages = [m for _, m in run_stack(REPORT_PLAN_RULE, reporting(*plans))]
    assert len(messages) == 2
    assert "organization/cross-account reports are delivered as CSV only" in messages[0]
    assert messages[1].startswith("copies.reportDeliveryChannel.formats")
    assert "cross-Region reports are delivered as CSV only" in messages[1]


def test_unknown_template() -> None:
    messages = [
        m for _, m in run_stack(REPORT_PLAN_RULE, reporting(report_plan(), report_plan("JOB_REPORT", name="x")))
    ]
    assert messages == [
        "x.reportSetting.reportTemplate: 'JOB_REPORT' is not a report template (known: BACKUP_JOB_REPORT, "
        "CONTROL_COMPLIANCE_REPORT, COPY_JOB_REPORT, RESOURCE_COMPLIANCE_REPORT, RESTORE_JOB_REPORT, "
        "SCAN_JOB_REPORT) [report-template]"
    ]


def test_report_bucket_without_public_access_block_or_encryption() -> None:
    results = run_stack(REPORT_PLAN_RULE, [bucket(), report_plan()])
    assert results == [
        (bucket().urn, f"report bucket {BUCKET_NAME} has no aws.s3.BucketPublicAccessBlock"),
        (
            bucket().urn,
            f"report bucket {BUCKET_NAME} has no default encryption (aws.s3.BucketServerSideEncryptionConfiguration)",
        ),
    ]


def test_report_bucket_public_access_block_partly_off() -> None:
    specs = [bucket(), public_access_block(blockPublicPolicy=False, restrictPublicBuckets=False), encryption()]
    [(_, message)] = run_stack(REPORT_PLAN_RULE, [*specs, report_plan()])
    assert message == (
        f"report bucket {BUCKET_NAME}: the public access block leaves blockPublicPolicy, restrictPublicBuckets off"
    )


def test_report_bucket_outside_the_stack_is_not_judged() -> None:
    assert run_stack(REPORT_PLAN_RULE, [report_plan()]) == []
