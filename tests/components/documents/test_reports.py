"""Report bucket policy for Backup Audit Manager."""

from __future__ import annotations

import pytest

from components.documents import reports
from tests.components.documents.config_factory import MEMBER_ACCOUNT, OTHER_OU_ID, OU_ID, make_config
from tests.components.documents.helpers import by_sid, is_allowed

ACCOUNT = "222222222222"
SLR = f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"


def test_report_delivery_statement():
    doc = reports.report_bucket_policy(bucket_name="org-backup-reports", account_id=ACCOUNT)
    st = by_sid(doc)["AllowBackupReportsDelivery"]
    assert st["Effect"] == "Allow"
    assert st["Principal"] == {"AWS": SLR}
    assert st["Action"] == "s3:PutObject"
    assert st["Resource"] == "arn:aws:s3:::org-backup-reports/*"
    assert st["Condition"] == {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}


def test_tls_is_required_for_everyone():
    doc = reports.report_bucket_policy(bucket_name="org-backup-reports", account_id=ACCOUNT)
    st = by_sid(doc)["DenyInsecureTransport"]
    assert st["Effect"] == "Deny"
    assert st["Principal"] == "*"
    assert st["Action"] == "s3:*"
    assert st["Resource"] == ["arn:aws:s3:::org-backup-reports", "arn:aws:s3:::org-backup-reports/*"]
    assert st["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_behaviour():
    doc = reports.report_bucket_policy(bucket_name="org-backup-reports", account_id=ACCOUNT)
    obj = "arn:aws:s3:::org-backup-reports/Backup/222222222222/eu-west-1/2026/01/01/report.csv"
    tls = {"aws:SecureTransport": "true", "s3:x-amz-acl": "bucket-owner-full-control"}
    assert is_allowed(doc, action="s3:PutObject", principal_arn=SLR, resource=obj, context=tls)
    assert not is_allowed(
        doc,
        action="s3:PutObject",
        principal_arn=SLR,
        resource=obj,
        context={**tls, "aws:SecureTransport": "false"},
    )
    assert not is_allowed(
        doc,
        action="s3:PutObject",
        principal_arn=SLR,
        resource=obj,
        context={**tls, "s3:x-amz-acl": "private"},
    )
    assert not is_allowed(doc, action="s3:GetObject", principal_arn=SLR, resource=obj, context=tls)
    other = f"arn:aws:iam::{ACCOUNT}:role/Someone"
    assert not is_allowed(doc, action="s3:PutObject", principal_arn=other, resource=obj, context=tls)


def test_partition():
    doc = reports.report_bucket_policy(bucket_name="reports", account_id=ACCOUNT, partition="aws-us-gov")
    st = by_sid(doc)["AllowBackupReportsDelivery"]
    assert st["Principal"] == {"AWS": SLR.replace("arn:aws:", "arn:aws-us-gov:")}
    assert st["Resource"] == "arn:aws-us-gov:s3:::reports/*"


@pytest.mark.parametrize("name", ["", "ab", "Upper-Case", "-leading", "trailing-", "has..dots", "a" * 64, "b*"])
def test_rejects_invalid_bucket_names(name):
    with pytest.raises(ValueError, match="bucket_name"):
        reports.report_bucket_policy(bucket_name=name, account_id=ACCOUNT)


def test_rejects_invalid_account():
    with pytest.raises(ValueError, match="account_id"):
        reports.report_bucket_policy(bucket_name="reports", account_id="*")


def test_job_reports_cover_every_account_in_the_workload_and_dr_regions():
    scope = reports.report_scope(make_config(), compliance=False)
    assert scope == reports.ReportScope(["ROOT"], None, ["eu-central-1", "eu-north-1", "eu-west-1"])


def test_compliance_reports_cover_the_targets_in_the_workload_regions():
    scope = reports.report_scope(make_config(), compliance=True)
    assert scope == reports.ReportScope(None, [OU_ID], ["eu-central-1", "eu-west-1"])
    targets = {
        "organizational_units": [{"name": "b", "id": OTHER_OU_ID}, {"name": "a", "id": OU_ID}],
        "accounts": [MEMBER_ACCOUNT],
        "exclude_accounts": ["555566667777"],
    }
    scope = reports.report_scope(make_config(targets=targets), compliance=True)
    # ReportSetting has no exclusions: the excluded account is inside a reported OU
    assert scope == reports.ReportScope([MEMBER_ACCOUNT], sorted([OU_ID, OTHER_OU_ID]), ["eu-central-1", "eu-west-1"])
