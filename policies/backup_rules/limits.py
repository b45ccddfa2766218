"""Numbers and patterns AWS documents for AWS Backup and Organizations backup policies.

Sources are listed in shared/reference/aws-backup-rules.md (section numbers in the comments).
"""

from __future__ import annotations

import re

# Rule ids (one home each: the loader, the pack and the tests import them).
VAULT_NAME = "vault-name"

# §1.8 size, count and nesting limits
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html (document size)
MAX_BACKUP_POLICY_CHARS = 10_000
# Backup policies attached directly to one root, OU or account: the per-type table of
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html
MAX_BACKUP_POLICIES_PER_TARGET = 10
MAX_BACKUP_POLICIES_PER_ORG = 1_000
MAX_RULES_PER_PLAN = 10
MAX_TAG_SELECTIONS_PER_PLAN = 10
MAX_CONDITIONS_PER_SELECTION = 30
MAX_RECOVERY_POINT_TAGS = 10
MAX_COPY_ACTIONS_PER_RULE = 5

# §2 lifecycle, schedule and windows
COLD_STORAGE_MIN_DAYS = 90
MAX_RETENTION_DAYS = 36_500
MIN_RETENTION_DAYS = 1
CONTINUOUS_BACKUP_MAX_DAYS = 35
MIN_START_WINDOW_MINUTES = 60
DEFAULT_START_WINDOW_MINUTES = 480
DEFAULT_COMPLETION_WINDOW_MINUTES = 10_080
MIN_WARM_RETENTION_DAYS_ADVISED = 7

# §3 Vault Lock
LOCK_CHANGEABLE_MIN_DAYS = 3
LOCK_CHANGEABLE_MAX_DAYS = 36_500
LOCK_MIN_RETENTION_FLOOR = 1
LOCK_MAX_RETENTION_CEILING = 36_500

# §4.6 logically air-gapped vaults
LAG_MIN_RETENTION_DAYS = 7
LAG_UNSUPPORTED_REGIONS = frozenset(
    {
        "ap-southeast-5",  # Asia Pacific (Malaysia)
        "ca-west-1",  # Canada West (Calgary)
        "mx-central-1",  # Mexico (Central)
        "ap-southeast-7",  # Asia Pacific (Thailand)
        "ap-east-2",  # Asia Pacific (Taipei)
        "ap-southeast-6",  # Asia Pacific (New Zealand)
        "cn-north-1",
        "cn-northwest-1",
        "us-gov-east-1",
        "us-gov-west-1",
    }
)

# §5 delegated administrators, §6 Audit Manager
MAX_DELEGATED_ADMINS = 5
MAX_CONTROLS_PER_ACCOUNT_REGION = 50
MAX_FRAMEWORKS_PER_ACCOUNT_REGION = 15
MAX_PRINCIPAL_ARN_LIST = 5
MAX_CROSS_ACCOUNT_LIST = 5
MAX_REPORT_PLANS_PER_ACCOUNT = 20

# §9 restore testing
RESTORE_START_WINDOW_HOURS = (1, 168)
RESTORE_VALIDATION_WINDOW_HOURS = (1, 168)
RESTORE_SELECTION_WINDOW_DAYS = (1, 365)

# §2 names (API_BackupRuleInput, API_BackupSelection, TargetBackupVaultName). ASCII classes and \Z: Python's
# \d and \w match any Unicode digit or letter, and $ accepts a trailing newline.
VAULT_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_]{2,50}\Z")
RULE_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}\Z")
PLAN_NAME_RE = re.compile(r"^[a-zA-Z0-9\-_.]{1,50}\Z")
ACCOUNT_ID_RE = re.compile(r"^[0-9]{12}\Z")
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]\Z")
ORG_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}\Z")
ROOT_ID_RE = re.compile(r"^r-[0-9a-z]{4,32}\Z")
OU_ID_RE = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}\Z")
IAM_ROLE_NAME_RE = re.compile(r"^[A-Za-z0-9_+=,.@-]{1,64}\Z")

# §1.6 selections
SUPPORTED_RESOURCE_TYPES = frozenset(
    {
        "*",
        "arn:aws:backup-gateway:*:*:vm/*",
        "arn:aws:cloudformation:*:*:stack/*",
        "arn:aws:dsql:*:*:cluster/*",
        "arn:aws:dynamodb:*:*:table/*",
        "arn:aws:ec2:*:*:instance/*",
        "arn:aws:ec2:*:*:volume/*",
        "arn:aws:elasticfilesystem:*:*:file-system/*",
        "arn:aws:rds:*:*:cluster:*",
        "arn:aws:rds:*:*:db:*",
        "arn:aws:redshift:*:*:cluster:*",
        "arn:aws:redshift-serverless:*:*:namespace/*",
        "arn:aws:s3:::*",
        "arn:aws:ssm-sap:*:*:HANA/*",
        "arn:aws:storagegateway:*:*:gateway/*",
        "arn:aws:timestream:*:*:database/*",
        "arn:aws:fsx:*:*:file-system/*",
        "arn:aws:fsx:*:*:volume/*",
        "arn:aws:eks:*:*:cluster/*",
    }
)
# §4.4: these cannot be copied cross-account and cross-Region in one step.
RDS_AURORA_RESOURCE_TYPES = frozenset({"arn:aws:rds:*:*:cluster:*", "arn:aws:rds:*:*:db:*"})
CONDITION_OPERATORS = frozenset({"string_equals", "string_not_equals", "string_like", "string_not_like"})

# §7 vault notifications
SUPPORTED_VAULT_EVENTS = frozenset(
    {
        "BACKUP_JOB_STARTED",
        "BACKUP_JOB_COMPLETED",
        "COPY_JOB_STARTED",
        "COPY_JOB_SUCCESSFUL",
        "COPY_JOB_FAILED",
        "RESTORE_JOB_STARTED",
        "RESTORE_JOB_COMPLETED",
        "RECOVERY_POINT_MODIFIED",
        "S3_BACKUP_OBJECT_FAILED",
        "S3_RESTORE_OBJECT_FAILED",
    }
)
# The PutBackupVaultNotifications API enum: the supported events plus values that may be deprecated.
VAULT_EVENTS = SUPPORTED_VAULT_EVENTS | frozenset(
    {
        "BACKUP_JOB_SUCCESSFUL",
        "BACKUP_JOB_FAILED",
        "BACKUP_JOB_EXPIRED",
        "RESTORE_JOB_SUCCESSFUL",
        "RESTORE_JOB_FAILED",
        "BACKUP_PLAN_CREATED",
        "BACKUP_PLAN_MODIFIED",
        "CONTINUOUS_BACKUP_INTERRUPTED",
        "RECOVERY_POINT_INDEX_COMPLETED",
        "RECOVERY_POINT_INDEX_DELETED",
        "RECOVERY_POINT_INDEXING_FAILED",
    }
)

# §6.2 Audit Manager controls and their parameter names
AUDIT_CONTROLS: dict[str, frozenset[str]] = {
    "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN": frozenset(),
    "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK": frozenset(
        {"requiredFrequencyUnit", "requiredFrequencyValue", "requiredRetentionDays"}
    ),
    "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED": frozenset({"principalArnList"}),
    "BACKUP_RECOVERY_POINT_ENCRYPTED": frozenset(),
    "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK": frozenset({"requiredRetentionDays"}),
    "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION": frozenset({"crossRegionList"}),
    "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT": frozenset({"crossAccountList"}),
    "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK": frozenset({"minRetentionDays", "maxRetentionDays"}),
    "BACKUP_LAST_RECOVERY_POINT_CREATED": frozenset({"recoveryPointAgeUnit", "recoveryPointAgeValue"}),
    "RESTORE_TIME_FOR_RESOURCES_MEET_TARGET": frozenset({"maxRestoreTime"}),
    "RESOURCES_IN_LOGICALLY_AIR_GAPPED_VAULT": frozenset({"recoveryPointAgeUnit", "recoveryPointAgeValue"}),
}

REPORT_TEMPLATES = frozenset(
    {
        "BACKUP_JOB_REPORT",
        "COPY_JOB_REPORT",
        "RESTORE_JOB_REPORT",
        "CONTROL_COMPLIANCE_REPORT",
        "RESOURCE_COMPLIANCE_REPORT",
        "SCAN_JOB_REPORT",
    }
)
COMPLIANCE_REPORT_TEMPLATES = frozenset({"CONTROL_COMPLIANCE_REPORT", "RESOURCE_COMPLIANCE_REPORT"})
REPORT_FORMATS = frozenset({"CSV", "JSON"})
# requiredRetentionDays when a control leaves it out (§6.2)
AUDIT_DEFAULT_REQUIRED_RETENTION_DAYS = 35
MAX_FRAMEWORK_SCOPE_TAGS = 1

# §1.5 and §1.7 enumerated values inside backup policies
ENABLED_DISABLED = frozenset({"enabled", "disabled"})
INDEX_RESOURCE_TYPES = frozenset({"EBS", "S3"})
MALWARE_SCANNERS = frozenset({"GUARDDUTY"})
SCAN_MODES = frozenset({"FULL_SCAN", "INCREMENTAL_SCAN"})
SCAN_RESOURCE_TYPES = frozenset({"EBS", "EC2", "S3", "ALL"})
