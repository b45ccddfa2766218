"""Management-account settings that let AWS Backup work across the organization."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws

from components.documents.iam import organizations_delegation_policy
from components.policy_type import OrganizationPolicyType
from stackconfig.model import Organization

BACKUP_SERVICE_PRINCIPAL = "backup.amazonaws.com"


class OrganizationSettings(pulumi.ComponentResource):
    """Trusted access, the BACKUP_POLICY type, the delegated administrator and Backup's global settings.

    Everything here must run in the management account: Organizations accepts these calls nowhere else.
    """

    def __init__(
        self,
        name: str,
        *,
        org: Organization,
        provider: aws.Provider,
        management_role_arn: str | None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("org-backup:organization:OrganizationSettings", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.service_access = aws.organizations.AwsServiceAccess(
            f"{name}-backup-trusted-access", service_principal=BACKUP_SERVICE_PRINCIPAL, opts=child
        )
        self.policy_type = OrganizationPolicyType(
            f"{name}-backup-policy-type",
            policy_type="BACKUP_POLICY",
            root_id=org.root_id,
            role_arn=management_role_arn,
            region=org.primary_region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.service_access], protect=True),
        )
        self.delegated_admin = aws.organizations.DelegatedAdministrator(
            f"{name}-backup-delegated-admin",
            account_id=org.backup_admin_account_id,
            service_principal=BACKUP_SERVICE_PRINCIPAL,
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.service_access], protect=True)
            ),
        )
        self.delegation_policy = aws.organizations.ResourcePolicy(
            f"{name}-backup-policy-delegation",
            content=json.dumps(
                organizations_delegation_policy(
                    management_account_id=org.management_account_id,
                    organization_id=org.id,
                    root_id=org.root_id,
                    delegate_account_id=org.backup_admin_account_id,
                    partition=org.partition,
                ),
                separators=(",", ":"),
                sort_keys=True,
            ),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.delegated_admin])),
        )
        self.global_settings = aws.backup.GlobalSettings(
            f"{name}-backup-global-settings",
            global_settings={
                "isCrossAccountBackupEnabled": "true",
                "isDelegatedAdministratorEnabled": "true",
                "isMpaEnabled": "true" if org.enable_mpa else "false",
            },
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.service_access])),
        )
        self.ready: list[pulumi.Resource] = [self.policy_type, self.delegation_policy, self.global_settings]
        self.register_outputs({"delegated_admin_id": self.delegated_admin.id})
