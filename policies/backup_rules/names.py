"""The identities the program, the policy pack and the commands share: AWS service principals, service-linked
roles, org-backup's tags and its component type tokens. Written once here (tests/test_one_home.py fails on a
second literal in the source tree); imported as ``policies.backup_rules.names`` by the program and as
``backup_rules.names`` by the pack.

A component type token is part of the URN of every resource under the component: changing one replaces every
protected resource it parents (tests/golden/ pins them).
"""

from __future__ import annotations

from typing import Final

# --- service principals (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services)
BACKUP_SERVICE_PRINCIPAL: Final = "backup.amazonaws.com"
"""AWS Backup: assumes the backup role; the service Organizations trusted access and delegated admin name
(https://docs.aws.amazon.com/organizations/latest/userguide/services-that-can-integrate-backup.html)."""
EVENTS_SERVICE_PRINCIPAL: Final = "events.amazonaws.com"
"""EventBridge, publishing to the alert topic and forwarding to the central bus
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html)."""
STACKSETS_MEMBER_SERVICE_PRINCIPAL: Final = "member.org.stacksets.cloudformation.amazonaws.com"
"""Service-managed StackSets' trusted access and delegated administrator
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html)."""

STACKSETS_EXECUTION_ROLE: Final = "stacksets-exec-*"
"""The name pattern of the service role service-managed StackSets run as in each target account, shared by every
stack set there. CloudFormation creates it in the target accounts, and the management account and every StackSets
delegated administrator can create and manage service-managed stack sets
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html); the management
account's StackSets service-linked role assumes ``arn:aws:iam::*:role/stacksets-exec-*``
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgAdminServiceRolePolicy.html)."""

# --- service-linked roles (the path and name after ``arn:<partition>:iam::<account>:role/``)
BACKUP_SERVICE_LINKED_ROLE: Final = "aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
"""AWS Backup's service-linked role, which starts copy jobs
(https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles-AWSServiceRoleForBackup.html)."""
REPORTS_SERVICE_LINKED_ROLE: Final = "aws-service-role/reports.backup.amazonaws.com/AWSServiceRoleForBackupReports"
"""Backup Audit Manager's service-linked role, which writes report files
(https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles-AWSServiceRoleForBackupReports.html)."""

# --- tags org-backup sets and the pack and the commands read
ROLE_TAG: Final = "org-backup:role"
"""What a vault or bucket is for: one of the ``*_ROLE`` values below."""
CENTRAL_COPY_DESTINATION_ROLE: Final = "central-copy-destination"
MEMBER_VAULT_ROLE: Final = "member-vault"
MEMBER_AIR_GAPPED_VAULT_ROLE: Final = "member-air-gapped-vault"
AIR_GAPPED_SHARE_ROLE: Final = "air-gapped-share"
AUDIT_REPORTS_ROLE: Final = "audit-reports"
BACKUP_KEY_TAG: Final = "org-backup:backup-key"
"""``"true"`` on the KMS keys that encrypt vaults (the pack's key rules find them by it)."""
RESERVED_ROLE_TAG: Final = "org-backup:reserved"
"""``"true"`` on the roles org-backup creates (backup role, event-forwarding role); break-glass roles should carry it
too. The guardrail SCP denies changes to any role with this tag: IAM resolves ``aws:ResourceTag`` from the role
itself, whatever letter case the request spells its name in (``components/documents/guardrail_scp.py``)."""

# --- names of what org-backup creates in member accounts (the guardrail reserves them)
FORWARDING_ROLE_NAME: Final = "org-backup-event-forwarding"
"""The role EventBridge assumes to forward failed-job events to the central bus (StackSet mode adds ``-stackset``)."""
FAILED_JOBS_RULE_NAME: Final = "org-backup-failed-jobs"
"""The EventBridge rule matching failed AWS Backup jobs in each member account and Region (StackSet mode adds
``-stackset``)."""

# --- component type tokens (``<package>:<module>:<class>``, part of every child's URN)
ORGANIZATION_SETTINGS_TYPE: Final = "org-backup:organization:OrganizationSettings"
ORGANIZATION_VIEW_TYPE: Final = "org-backup:organization:OrganizationView"
BACKUP_POLICIES_TYPE: Final = "org-backup:backup_policies:BackupPolicies"
CENTRAL_VAULTS_TYPE: Final = "org-backup:central_vaults:CentralVaults"
MEMBER_ACCOUNT_TYPE: Final = "org-backup:member_account:MemberAccount"
MEMBER_STACKSET_TYPE: Final = "org-backup:member_stackset:MemberStackSet"
LOCKED_VAULT_TYPE: Final = "org-backup:vault:LockedVault"
AUDIT_REPORTING_TYPE: Final = "org-backup:audit:AuditReporting"
CENTRAL_ALERTING_TYPE: Final = "org-backup:alerting:CentralAlerting"
GUARDRAIL_TYPE: Final = "org-backup:guardrail:Guardrail"
COMPONENT_TYPES: Final = (
    ORGANIZATION_SETTINGS_TYPE,
    ORGANIZATION_VIEW_TYPE,
    BACKUP_POLICIES_TYPE,
    CENTRAL_VAULTS_TYPE,
    MEMBER_ACCOUNT_TYPE,
    MEMBER_STACKSET_TYPE,
    LOCKED_VAULT_TYPE,
    AUDIT_REPORTING_TYPE,
    CENTRAL_ALERTING_TYPE,
    GUARDRAIL_TYPE,
)
