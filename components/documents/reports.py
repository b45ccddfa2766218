"""Bucket policy of the Backup Audit Manager report bucket (aws-backup-rules.md §6.3)."""

from __future__ import annotations

import re

from components.documents.iam import (
    ANY_PRINCIPAL,
    Document,
    aws_principal,
    policy_document,
    require_account_id,
    require_partition,
    role_arn,
    statement,
)

REPORTS_SERVICE_LINKED_ROLE = "aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", re.ASCII)


def report_bucket_policy(*, bucket_name: str, account_id: str, partition: str = "aws") -> Document:
    """Let Backup Audit Manager deliver reports into ``bucket_name``, and refuse any request without TLS.

    Only the ``AWSServiceRoleForBackupReports`` service-linked role of ``account_id`` may write, only objects,
    and only with the ``bucket-owner-full-control`` ACL the service sets. AWS rejects the policy ("Invalid
    principal") until that role exists: it is created with the first report plan, so apply this policy after
    the report plans.
    """
    p = require_partition(partition)
    account = require_account_id(account_id)
    if not _BUCKET_NAME.fullmatch(bucket_name) or ".." in bucket_name:
        raise ValueError(f"bucket_name: {bucket_name!r} is not a valid S3 bucket name")
    bucket_arn = f"arn:{p}:s3:::{bucket_name}"
    return policy_document(
        statement(
            sid="AllowBackupReportsDelivery",
            effect="Allow",
            principal=aws_principal([role_arn(account, REPORTS_SERVICE_LINKED_ROLE, p)]),
            actions=["s3:PutObject"],
            resources=[f"{bucket_arn}/*"],
            conditions={"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        ),
        statement(
            sid="DenyInsecureTransport",
            effect="Deny",
            principal=ANY_PRINCIPAL,
            # A Deny may (and here should) cover every S3 action: no request without TLS, whatever it is.
            actions=["s3:*"],
            resources=[bucket_arn, f"{bucket_arn}/*"],
            conditions={"Bool": {"aws:SecureTransport": "false"}},
        ),
    )
