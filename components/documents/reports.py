"""Bucket policy of the Backup Audit Manager report bucket (aws-backup-rules.md §6.3)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from components.documents.iam import ANY_PRINCIPAL, Document, aws_principal, policy_document, statement
from policies.backup_rules.arns import require_account_id, require_partition, role_arn
from policies.backup_rules.names import REPORTS_SERVICE_LINKED_ROLE

if TYPE_CHECKING:
    from stackconfig.model import StackConfig


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


ALL_ACCOUNTS = "ROOT"


@dataclass(frozen=True)
class ReportScope:
    """``ReportSetting`` scope: ``Accounts``, ``OrganizationUnits``, ``Regions`` (None: left out).

    https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ReportSetting.html (``ROOT`` in Accounts
    takes every OU; a wildcard Region takes every Region).
    """

    accounts: list[str] | None
    organization_units: list[str] | None
    regions: list[str]


def report_scope(config: StackConfig, *, compliance: bool) -> ReportScope:
    """Who and where an organization-wide report plan covers; made in the delegated administrator.

    The management and delegated administrator accounts can create cross-account reports ("Working with
    audit reports", https://docs.aws.amazon.com/aws-backup/latest/devguide/working-with-audit-reports.html).

    - Job reports: every account (``ROOT``) in the workload and DR Regions, so copies into the central vaults
      show too.
    - Compliance reports: the targeted OUs and accounts in the workload Regions, where the member frameworks
      live. A compliance report of other accounts reads their own frameworks (the same page: "create frameworks
      in each of those member accounts"), and CreateReportPlan rejects a multi-account compliance report that
      names FrameworkArns ("For multi-account, multi-Region reports, use Accounts, OrganizationUnits and
      Regions", hashicorp/terraform-provider-aws#32235; AWS documents no combination), so none is named.
      ``ReportSetting`` has no exclusions: accounts under a targeted OU but excluded from backups are in the
      report; they carry no org-backup framework, so only their own frameworks (if any) show.
    """
    org = config.organization
    if not compliance:
        return ReportScope([ALL_ACCOUNTS], None, sorted(set(org.workload_regions) | set(org.dr_regions)))
    targets = config.targets
    return ReportScope(
        accounts=sorted(targets.accounts) or None,
        organization_units=sorted(ou.id for ou in targets.organizational_units) or None,
        regions=sorted(org.workload_regions),
    )
