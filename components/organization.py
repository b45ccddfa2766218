"""Management-account settings that let AWS Backup work across the organization.

Two of them belong to the whole organization and other teams use them too, so the program keeps what is not
its own: the Organizations delegation policy (only the statements whose Sid starts with ``OrgBackup`` are
ours, see ``components.delegation_policy``) and Backup's global settings (only the keys in
``components.documents.global_settings``).

Upgrading a stack deployed with the earlier ``aws.organizations.ResourcePolicy``: that resource is no longer
declared, and deleting it would delete the organization's whole delegation policy. Before the first
``pulumi up`` of this version, remove it from the state only (``components.delegation_policy.LEGACY_URN_HINT``
says how); the delegation-policy resource refuses to run while the old statements are still there unadopted.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.delegation_policy import OrganizationDelegationStatements
from components.documents.delegation_policy import backup_delegation_document
from components.documents.global_settings import backup_global_settings
from components.policy_type import OrganizationPolicyType
from policies.backup_rules.names import BACKUP_SERVICE_PRINCIPAL, ORGANIZATION_SETTINGS_TYPE
from stackconfig.model import Organization


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
        super().__init__(ORGANIZATION_SETTINGS_TYPE, name, None, opts)
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
            management_account_id=org.management_account_id,
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
        # A new name: the old one belongs to the aws.organizations.ResourcePolicy of earlier versions.
        self.delegation_policy = OrganizationDelegationStatements(
            f"{name}-backup-delegation-statements",
            document=backup_delegation_document(
                management_account_id=org.management_account_id,
                organization_id=org.id,
                root_id=org.root_id,
                delegate_account_id=org.backup_admin_account_id,
                partition=org.partition,
            ),
            management_account_id=org.management_account_id,
            role_arn=management_role_arn,
            region=org.primary_region,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.delegated_admin], protect=True),
        )
        # retain_on_delete: the provider's delete is a no-op today (see global_settings.py); this keeps it so
        # if that ever changes, since other teams rely on these organization-wide settings.
        self.global_settings = aws.backup.GlobalSettings(
            f"{name}-backup-global-settings",
            global_settings=backup_global_settings(org),
            opts=pulumi.ResourceOptions.merge(
                child, pulumi.ResourceOptions(depends_on=[self.service_access], retain_on_delete=True)
            ),
        )
        self.ready: list[pulumi.Resource] = [self.policy_type, self.delegation_policy, self.global_settings]
        self.register_outputs({"delegated_admin_id": self.delegated_admin.id})
