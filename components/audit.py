"""Organization-wide Audit Manager reports, delivered to an encrypted bucket in the admin account."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.audit_framework import audit_framework
from components.documents.reports import report_bucket_policy, report_scope
from components.documents.scanning import report_templates
from components.vault import policy_json
from policies.backup_rules.limits import COMPLIANCE_REPORT_TEMPLATES
from policies.backup_rules.names import AUDIT_REPORTING_TYPE, AUDIT_REPORTS_ROLE, ROLE_TAG
from stackconfig.model import StackConfig


def report_bucket_name(config: StackConfig) -> str:
    org = config.organization
    return config.audit.report_bucket_name or f"org-backup-reports-{org.backup_admin_account_id}-{org.primary_region}"


class AuditReporting(pulumi.ComponentResource):
    """Report bucket, the admin account's framework, and one org-wide report plan per template.

    Ordering: the bucket policy names the ``AWSServiceRoleForBackupReports`` role, which AWS creates with
    the first report plan, so the policy depends on the report plans (aws-backup-rules.md §6.3). The report
    plans cover other accounts, which only the management account or a registered delegated administrator
    may ask for (https://docs.aws.amazon.com/aws-backup/latest/devguide/working-with-audit-reports.html),
    and the registration needs trusted access for AWS Backup
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/manage-cross-account.html): the plans wait for
    ``organization_prerequisites`` (those two resources), which a component-level ``depends_on`` would not
    pass on to them.
    """

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        provider: aws.Provider,
        organization_prerequisites: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(AUDIT_REPORTING_TYPE, name, None, opts)
        org = config.organization
        audit = config.audit
        region = org.primary_region
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        bucket_name = report_bucket_name(config)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            region=region,
            bucket=bucket_name,
            force_destroy=False,
            tags={"backup": "none", ROLE_TAG: AUDIT_REPORTS_ROLE},
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=True),
        )
        bucket_child = pulumi.ResourceOptions(parent=self.bucket, provider=provider)
        aws.s3.BucketPublicAccessBlock(
            f"{name}-bucket-public-access",
            region=region,
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=bucket_child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-bucket-encryption",
            region=region,
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="AES256"
                    ),
                    bucket_key_enabled=True,
                )
            ],
            opts=bucket_child,
        )
        aws.s3.BucketVersioning(
            f"{name}-bucket-versioning",
            region=region,
            bucket=self.bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
            opts=bucket_child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-bucket-ownership",
            region=region,
            bucket=self.bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=bucket_child,
        )
        self.framework = audit_framework(
            f"{name}-framework", config=config, region=region, break_glass_role_arns=[], opts=child
        )
        self.report_plans: dict[str, aws.backup.ReportPlan] = {}
        for template in report_templates(config):
            scope = report_scope(config, compliance=template in COMPLIANCE_REPORT_TEMPLATES)
            self.report_plans[template] = aws.backup.ReportPlan(
                f"{name}-{template.lower().replace('_', '-')}",
                region=region,
                name=f"org_backup_{template.lower()}",
                description=f"org-backup: organization-wide {template}",
                report_delivery_channel=aws.backup.ReportPlanReportDeliveryChannelArgs(
                    s3_bucket_name=self.bucket.bucket,
                    s3_key_prefix="reports",
                    formats=list(audit.formats),
                ),
                report_setting=aws.backup.ReportPlanReportSettingArgs(
                    report_template=template,
                    accounts=scope.accounts,
                    organization_units=scope.organization_units,
                    regions=scope.regions,
                ),
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, depends_on=[self.bucket, *organization_prerequisites]
                ),
            )
        self.bucket_policy = aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            region=region,
            bucket=self.bucket.id,
            policy=policy_json(
                report_bucket_policy(
                    bucket_name=bucket_name, account_id=org.backup_admin_account_id, partition=org.partition
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self.bucket, provider=provider, depends_on=list(self.report_plans.values())
            ),
        )
        self.register_outputs({"bucket": self.bucket.bucket})
