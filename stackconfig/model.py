"""The typed model of a stack file's ``org-backup:*`` configuration.

Structure only: every model forbids unknown keys and parses types. Rules that relate one value to another
(lifecycle arithmetic, lock bounds, references between sections) live in ``checks.py`` so that every mistake
is reported at once with its config path, not just the first one pydantic meets.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

# [0-9], not \d: pydantic's regex engine matches every Unicode digit with \d (an Arabic-Indic zero got through).
AccountId = Annotated[str, StringConstraints(pattern=r"^[0-9]{12}$")]
# Any text: checks.py judges it against the real Region list of the partition (stackconfig/regions.py).
RegionCode = Annotated[str, StringConstraints(min_length=1, max_length=64)]
OrganizationId = Annotated[str, StringConstraints(pattern=r"^o-[a-z0-9]{10,32}$")]
RootId = Annotated[str, StringConstraints(pattern=r"^r-[0-9a-z]{4,32}$")]
OuId = Annotated[str, StringConstraints(pattern=r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")]
RoleName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+=,.@-]+$", max_length=64)]
RoleArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$", max_length=600)
]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Days = Annotated[int, Field(ge=-1)]
Minutes = Annotated[int, Field(ge=0)]

LockMode = Literal["governance", "compliance"]
CopyDestination = Literal["central", "member"]
ReportFormat = Literal["CSV", "JSON"]
RecoveryPointType = Literal["SNAPSHOT", "CONTINUOUS"]
RestoreResourceType = Literal["Aurora", "DocumentDB", "DynamoDB", "EBS", "EC2", "EFS", "FSx", "Neptune", "RDS", "S3"]


class Model(BaseModel):
    """Base for every config section: unknown keys are mistakes, values are immutable once loaded."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class Organization(Model):
    """Who is who in the organization, and where things run."""

    id: OrganizationId
    root_id: RootId
    management_account_id: AccountId
    backup_admin_account_id: AccountId
    central_vault_account_id: AccountId
    member_role_name: RoleName = "OrganizationAccountAccessRole"
    management_role_name: RoleName | None = None
    enable_mpa: bool = False
    workload_regions: list[RegionCode] = Field(min_length=1)
    dr_regions: list[RegionCode] = Field(min_length=1)
    home_region: RegionCode | None = None
    partition: Literal["aws", "aws-us-gov", "aws-cn"] = "aws"

    def deploy_role_arn(self, account_id: str) -> str | None:
        """The role the program assumes in ``account_id`` (None: the caller's own management credentials)."""
        if account_id == self.management_account_id:
            if self.management_role_name is None:
                return None
            return f"arn:{self.partition}:iam::{account_id}:role/{self.management_role_name}"
        return f"arn:{self.partition}:iam::{account_id}:role/{self.member_role_name}"

    def vault_admin_role_arns(self, account_id: str, break_glass_role_names: list[str]) -> list[str]:
        """Who may still change a vault, its key or its access policy in ``account_id``: the deploying role
        (or ``pulumi up`` could never update them again) and the break-glass roles of that account."""
        deploy = self.deploy_role_arn(account_id)
        names = [f"arn:{self.partition}:iam::{account_id}:role/{n}" for n in break_glass_role_names]
        return list(dict.fromkeys(([deploy] if deploy else []) + names))

    @property
    def primary_region(self) -> str:
        """Where account-level resources without a Region of their own (alerting, reports) are created."""
        return self.home_region or self.workload_regions[0]


class OrganizationalUnit(Model):
    """A targeted OU; ``name`` is the label plans use in their ``targets``."""

    name: Name
    id: OuId


class Targets(Model):
    """Which OUs and accounts receive backups, minus exclusions (exclusions win)."""

    organizational_units: list[OrganizationalUnit] = Field(default_factory=list)
    accounts: list[AccountId] = Field(default_factory=list)
    exclude_organizational_units: list[OuId] = Field(default_factory=list)
    exclude_accounts: list[AccountId] = Field(default_factory=list)


class ListedAccount(Model):
    id: AccountId
    name: Name
    parent_id: OuId | RootId
    status: Literal["ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"] = "ACTIVE"


class ListedOrganizationalUnit(Model):
    """An OU for ``source: listed``, as the inventory file writes it: nested OUs name their parent OU."""

    id: OuId
    name: Name
    parent_id: OuId | RootId


class Accounts(Model):
    """How member accounts are known: listed here, read from the inventory file, or discovered at deploy.

    ``discover`` asks Organizations at deploy time for the accounts under each targeted OU; without AWS
    access (the offline preview) the same answer comes from the inventory file. ``listed`` (with
    ``organizational_units``) is the whole organization as the stack knows it, like an inventory file.
    """

    source: Literal["inventory", "listed", "discover"] = "inventory"
    inventory_file: str = "inventory/{stack}.yaml"
    listed: list[ListedAccount] = Field(default_factory=list)
    organizational_units: list[ListedOrganizationalUnit] = Field(default_factory=list)


class VaultLock(Model):
    """AWS Backup Vault Lock. ``compliance`` becomes immutable ``changeable_for_days`` after creation."""

    mode: LockMode
    min_retention_days: int
    max_retention_days: int
    changeable_for_days: int | None = None


class KeySettings(Model):
    deletion_window_days: Annotated[int, Field(ge=7, le=30)] = 30
    rotation_period_days: Annotated[int, Field(ge=90, le=2560)] = 365


# How a logically air-gapped vault is encrypted: the AWS-owned key (AWS's default) or the customer managed key of
# the standard vault of the same account and Region (EncryptionKeyArn, set at creation only: a change replaces
# the vault). https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html
AirGappedEncryption = Literal["aws_owned", "vault_key"]
# A Multi-party approval team of AWS Organizations: arn:<partition>:mpa:<region>:<account>:approval-team/<id>.
MpaApprovalTeamArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:mpa:[a-z0-9-]*:[0-9]{12}:approval-team/[A-Za-z0-9_-]{1,128}$")
]


class MemberAirGappedVault(Model):
    """The logically air-gapped vault of each member account, in every Region where a plan rule sets
    ``air_gapped``: that rule's primary target (``target_logically_air_gapped_backup_vault_arn``)."""

    name: Name = "org-backup-member-air-gapped"
    min_retention_days: int
    max_retention_days: int
    encryption: AirGappedEncryption = "aws_owned"
    mpa_approval_team_arn: MpaApprovalTeamArn | None = None


class MemberVault(Model):
    name: Name = "org-backup"
    extra_access_policy_statements: list[dict[str, Any]] = Field(default_factory=list)
    lock: VaultLock | None = None  # no lock is an error with its reason (checks.py), not "required"
    break_glass_role_names: list[RoleName] = Field(default_factory=list)
    force_destroy: bool = False
    key: KeySettings = KeySettings()
    air_gapped: MemberAirGappedVault | None = None


class AirGappedVault(Model):
    """Optional logically air-gapped vault in the central account (always compliance-locked by AWS)."""

    name: Name = "org-backup-air-gapped"
    min_retention_days: int
    max_retention_days: int
    regions: list[RegionCode] | None = None
    encryption: AirGappedEncryption = "aws_owned"
    mpa_approval_team_arn: MpaApprovalTeamArn | None = None
    share_with_organization: bool = False


class CentralVault(Model):
    name: Name = "org-backup-central"
    extra_access_policy_statements: list[dict[str, Any]] = Field(default_factory=list)
    lock: VaultLock | None = None  # no lock is an error with its reason (checks.py), not "required"
    allowed_organization_paths: list[Annotated[str, StringConstraints(min_length=3)]] = Field(default_factory=list)
    break_glass_role_names: list[RoleName] = Field(default_factory=list)
    force_destroy: bool = False
    key: KeySettings = KeySettings()
    air_gapped: AirGappedVault | None = None


class Vaults(Model):
    member: MemberVault
    central: CentralVault
    backup_role_name: RoleName = "OrgBackupServiceRole"
    # The role GuardDuty assumes to read recovery points when a plan scans them (every member account).
    scanner_role_name: RoleName = "OrgBackupMalwareScannerRole"


class CopyAction(Model):
    """A copy of each recovery point, by default to the central vault of a DR Region."""

    region: RegionCode
    destination: CopyDestination = "central"
    retention_days: Days | None = None
    cold_storage_after_days: Days | None = None


# GuardDuty Malware Protection for AWS Backup: a plan's scan settings (``scan_settings``) and its rules' scan
# actions (``scan_actions``), as the backup-policy syntax documents them
# (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html).
ScanMode = Literal["full", "incremental"]
ScanResourceType = Literal["EBS", "EC2", "S3", "ALL"]
IndexResourceType = Literal["EBS", "S3"]


class RuleMalwareScanning(Model):
    """A rule's own choice: scan (or not) the recovery points it creates, fully or incrementally."""

    enabled: bool = True
    mode: ScanMode | None = None  # None: the plan's mode


class MalwareScanning(Model):
    """Scan the recovery points of this plan's rules with GuardDuty (every rule, unless a rule says otherwise)."""

    enabled: bool = True
    resource_types: list[ScanResourceType] = Field(default_factory=lambda: list[ScanResourceType](["ALL"]))
    mode: ScanMode = "incremental"


SCHEDULE_PRESETS = {
    "hourly": "cron(0 * ? * * *)",
    "daily": "cron(0 5 ? * * *)",
    "weekly": "cron(0 5 ? * SUN *)",
    "monthly": "cron(0 5 1 * ? *)",
}


def schedule_expression(schedule: str) -> str:
    """A preset name (hourly, daily, weekly, monthly; UTC) or a raw ``cron(...)`` expression."""
    return SCHEDULE_PRESETS.get(schedule, schedule)


class Rule(Model):
    """One backup rule; ``schedule`` is a preset name or a cron expression."""

    schedule: Name
    start_window_minutes: Minutes | None = 60
    completion_window_minutes: Minutes | None = None
    retention_days: Days | None
    cold_storage_after_days: Days | None = None
    archive: bool = False
    continuous: bool = False
    copies: list[CopyAction] = Field(default_factory=list)
    recovery_point_tags: dict[str, str] = Field(default_factory=dict)
    # None: as the plan's malware_scanning says. Plan-level scan settings are required for any rule to scan.
    malware_scanning: RuleMalwareScanning | None = None
    # Backup indexes for search of this rule's recovery points (index_actions): EBS and/or S3.
    search_index: list[IndexResourceType] = Field(default_factory=list)
    # None: the plan's air_gapped. True: back up into vaults.member.air_gapped as the primary target.
    air_gapped: bool | None = None


class TagSelection(Model):
    key: Name
    values: list[Name] = Field(min_length=1)


class Conditions(Model):
    """Resource-selection conditions: condition key (e.g. ``aws:ResourceTag/backup``) to value; ANDed."""

    string_equals: dict[str, str] = Field(default_factory=dict)
    string_not_equals: dict[str, str] = Field(default_factory=dict)
    string_like: dict[str, str] = Field(default_factory=dict)
    string_not_like: dict[str, str] = Field(default_factory=dict)

    def count(self) -> int:
        return sum(len(v) for v in (self.string_equals, self.string_not_equals, self.string_like, self.string_not_like))


class ResourceSelection(Model):
    resource_types: list[Name] = Field(min_length=1)
    not_resource_types: list[Name] = Field(default_factory=list)
    conditions: Conditions = Conditions()


class Selections(Model):
    """Exactly one of ``tags`` and ``resources`` (the Organizations backup-policy rule)."""

    tags: dict[str, TagSelection] = Field(default_factory=dict)
    resources: dict[str, ResourceSelection] = Field(default_factory=dict)


class AdvancedSettings(Model):
    windows_vss: bool | None = None
    s3_backup_acls: bool | None = None
    s3_backup_object_tags: bool | None = None


class Plan(Model):
    targets: list[Name] | None = None
    regions: list[RegionCode] | None = None
    rules: dict[str, Rule] = Field(min_length=1)
    selections: Selections
    advanced: AdvancedSettings | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    lock_against_child_policies: bool | None = None
    air_gapped: bool = False
    malware_scanning: MalwareScanning | None = None


class CustomPolicy(Model):
    """A hand-written backup policy added as it is. The policy pack judges it by the AWS rules (the
    configuration loader does not), exactly as it would judge one added to the stack by other code."""

    targets: list[Name] = Field(min_length=1)
    content: dict[str, Any] | str


class BackupPolicySettings(Model):
    name_prefix: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_.-]{1,64}$")] = "org-backup"
    managed_from: Literal["delegated_admin", "management"] = "delegated_admin"
    lock_against_child_policies: bool = True
    policies_attached_elsewhere: dict[str, int] = Field(default_factory=dict)
    custom: dict[str, CustomPolicy] = Field(default_factory=dict)


class Control(Model):
    parameters: dict[str, str] = Field(default_factory=dict)


def default_controls() -> dict[str, Control]:
    return {
        "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN": Control(),
        "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK": Control(
            parameters={
                "requiredFrequencyUnit": "days",
                "requiredFrequencyValue": "1",
                "requiredRetentionDays": "35",
            }
        ),
        "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED": Control(),
        "BACKUP_RECOVERY_POINT_ENCRYPTED": Control(),
        "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK": Control(parameters={"requiredRetentionDays": "35"}),
        "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION": Control(),
        "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT": Control(),
        "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK": Control(),
        "BACKUP_LAST_RECOVERY_POINT_CREATED": Control(
            parameters={"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "1"}
        ),
    }


class Audit(Model):
    enabled: bool = True
    framework_name: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9_]{0,255}$")] = "org_backup_controls"
    frameworks_in_member_accounts: bool = True
    controls: dict[str, Control] = Field(default_factory=default_controls)
    report_bucket_name: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")] | None = None
    reports: list[Name] = Field(
        default_factory=lambda: [
            "BACKUP_JOB_REPORT",
            "COPY_JOB_REPORT",
            "RESTORE_JOB_REPORT",
            "CONTROL_COMPLIANCE_REPORT",
            "RESOURCE_COMPLIANCE_REPORT",
        ]
    )
    formats: list[ReportFormat] = Field(default_factory=lambda: list[ReportFormat](["CSV"]))


class Subscription(Model):
    protocol: Literal["email", "email-json", "http", "https", "sqs", "lambda", "sms", "application", "firehose"]
    endpoint: Annotated[str, StringConstraints(min_length=3)]


class Alerting(Model):
    enabled: bool = True
    event_bus_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]+$", max_length=256)] = (
        "org-backup-alerts"
    )
    topic_name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", max_length=256)] = "org-backup-alerts"
    subscriptions: list[Subscription] = Field(default_factory=list)


class RestoreSelection(Model):
    resource_type: RestoreResourceType
    resource_arns: list[str] = Field(default_factory=lambda: ["*"])
    conditions: dict[str, str] = Field(default_factory=dict)
    validation_window_hours: int = 1


class RestoreTesting(Model):
    enabled: bool = False
    schedule: Name = "weekly"
    start_window_hours: int = 24
    selection_window_days: int = 7
    algorithm: Literal["LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"] = "LATEST_WITHIN_WINDOW"
    recovery_point_types: list[RecoveryPointType] = Field(default_factory=lambda: list[RecoveryPointType](["SNAPSHOT"]))
    accounts: list[AccountId] = Field(default_factory=list)
    selections: dict[str, RestoreSelection] = Field(default_factory=dict)


class StackSetSettings(Model):
    """Operation preferences of the member-account StackSet (CloudFormation's own names in parentheses)."""

    name: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z][a-zA-Z0-9-]{0,127}$")] = "org-backup-member"
    managed_from: Literal["management", "delegated_admin"] = "delegated_admin"
    max_concurrent_percentage: Annotated[int, Field(ge=1, le=100)] = 25
    failure_tolerance_percentage: Annotated[int, Field(ge=0, le=100)] = 10
    region_concurrency: Literal["PARALLEL", "SEQUENTIAL"] = "PARALLEL"


class MemberDeployment(Model):
    """How member-account vaults and roles are created: Pulumi resources per account (``direct``) or one
    service-managed CloudFormation StackSet that AWS deploys to every account joining a targeted OU."""

    mode: Literal["direct", "stackset"] = "direct"
    stackset: StackSetSettings = StackSetSettings()


class Guardrail(Model):
    """The guardrail service control policy (opt-out): see components/documents/guardrail_scp.py.

    ``policies_attached_elsewhere`` says how many SCPs are already attached directly to a target (OU or
    account id); a target not listed counts 1, the ``FullAWSAccess`` policy AWS attaches everywhere. AWS
    allows 5 per target (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html).
    ``trusted_account_ids``: accounts, besides the management account, whose principals the exempt roles
    (deploy and break-glass) may trust; preflight and verify report any other.
    """

    enabled: bool = True
    name_prefix: Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_.-]{1,120}$")] = "org-backup-guardrail"
    extra_exempt_role_names: list[RoleName] = Field(default_factory=list)
    trusted_account_ids: list[AccountId] = Field(default_factory=list)
    protect_central_account: bool = True
    policies_attached_elsewhere: dict[str, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    # Opt-in: an SCP cannot tell our vaults' recovery points from other teams' (their ARNs do not name the vault),
    # so denying their deletion would deny it in every vault of the account; ours are protected by their access
    # policy's Deny and the guardrail's deny of changing that policy (components/documents/guardrail_scp.py).
    deny_recovery_point_changes_in_every_vault: bool = False


class StackConfig(Model):
    """The whole configuration of one stack, after every check passed."""

    organization: Organization
    targets: Targets
    accounts: Accounts = Accounts()
    vaults: Vaults
    member_deployment: MemberDeployment = MemberDeployment()
    plans: dict[str, Plan] = Field(min_length=1)
    backup_policies: BackupPolicySettings = BackupPolicySettings()
    audit: Audit = Audit()
    alerting: Alerting = Alerting()
    restore_testing: RestoreTesting = RestoreTesting()
    guardrail: Guardrail = Guardrail()


SECTION_TYPES: dict[str, Any] = {name: field.annotation for name, field in StackConfig.model_fields.items()}
REQUIRED_SECTIONS = frozenset(name for name, field in StackConfig.model_fields.items() if field.is_required())
