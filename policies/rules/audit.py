"""Audit and alerting: Audit Manager frameworks and reports, failed-job alerts, vault notifications.

Backups that silently fail, or that nobody can prove to an auditor, are worth little: these rules check
that the evidence (frameworks, compliance reports into a safe bucket) and the alerting path (an EventBridge
rule for failed jobs in every account and Region with a vault, encrypted SNS topics) exist and are valid.
The AWS rules live in ``backup_rules.audit`` and ``backup_rules.events``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.audit import check_framework_control, check_report_setting, check_vault_events
from backup_rules.events import selects_failed_backup_jobs
from backup_rules.limits import (
    AUDIT_DEFAULT_REQUIRED_RETENTION_DAYS,
    COMPLIANCE_REPORT_TEMPLATES,
    MAX_CONTROLS_PER_ACCOUNT_REGION,
    MAX_FRAMEWORKS_PER_ACCOUNT_REGION,
)

from .adapter import as_int, is_unknown
from .audit_controls import CONTROLS_MATCH_PLANS, check_controls_match_plans
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy, stack_policy
from .resources import (
    EVENT_RULE,
    EVENT_TARGET,
    FRAMEWORK,
    REPORT_PLAN,
    S3_BUCKET,
    S3_ENCRYPTION,
    S3_PUBLIC_ACCESS_BLOCK,
    SNS_TOPIC,
    VAULT,
    VAULT_NOTIFICATIONS,
    Resource,
    StackIndex,
)

DOMAIN = "audit-and-alerting"
S3_BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
S3_ENCRYPTION_V2 = "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2"
PUBLIC_ACCESS_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
RETENTION_PARAMETER = "requiredRetentionDays"
# The one control whose retention is a baseline: a plan meets it with one long-kept rule. The per-point
# BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK judges every point, so a baseline there would forbid short-lived
# frequent points (hourly, kept 7 days) next to long-kept ones; backup-audit-controls-match-plans checks it.
BASELINE_RETENTION_CONTROL = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
DEFAULT_BUS = "default"
CORE_CONTROLS = [
    "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN",
    "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
    "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED",
    "BACKUP_RECOVERY_POINT_ENCRYPTED",
    "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK",
    "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION",
    "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT",
    "BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK",
]


def _not_known(prop: str, what: str) -> str:
    return f"{prop} is not known during preview, so {what} could not be verified; it is treated as a violation"


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _location(resource: Resource) -> str:
    return f"account {resource.account or '(unknown)'} Region {resource.region or '(unknown)'}"


# --------------------------------------------------------------------------- backup-audit-framework-complete

FRAMEWORK_COMPLETE = Rule(
    name="backup-audit-framework-complete",
    description=(
        "An Audit Manager framework (aws.backup.Framework) holds every control in requiredControls (by default "
        "the eight core AWS Backup controls that need no parameters or have defaults), uses only control and "
        "parameter names Audit Manager knows, keeps the requiredRetentionDays of "
        "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK (a plan needs one rule that keeps points that long) "
        "at least minRequiredRetentionDays (AWS's default of 35 applies when the parameter is left out), lists "
        "at most 5 principalArnList or "
        "crossAccountList entries and at most one scope tag. A misnamed control or parameter is rejected or "
        "evaluates nothing, and a missing control leaves that part of the backup posture without evidence. "
        "Controls not known during preview are skipped."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup users: audit.controls lists the framework's controls and their parameters (the default "
        "set contains the core controls); keep the plans' longest-kept rule at or above the threshold. "
        "Hand-written "
        "frameworks: fix controls[].name and controls[].inputParameters on the aws.backup.Framework."
    ),
    config={
        "requiredControls": {
            "type": "array",
            "items": {"type": "string"},
            "default": CORE_CONTROLS,
            "description": "Controls every framework must contain.",
        },
        "minRequiredRetentionDays": integer_setting(
            minimum=1, default=35, description="Smallest requiredRetentionDays a control may check for."
        ),
    },
    domain=DOMAIN,
)


def _parameters(raw: Any) -> dict[str, Any]:
    """``inputParameters: [{name, value}]`` as a mapping; entries with an unknown name are left out."""
    out: dict[str, Any] = {}
    for entry in raw if isinstance(raw, list) else []:
        if isinstance(entry, Mapping) and isinstance(entry.get("name"), str):
            out[entry["name"]] = entry.get("value")
    return out


def check_framework_complete(framework: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    controls = framework.get("controls")
    if is_unknown(controls):
        return
    minimum = as_int(config.get("minRequiredRetentionDays")) or AUDIT_DEFAULT_REQUIRED_RETENTION_DAYS
    names: set[str] = set()
    unknown_names = False
    for index, control in enumerate(controls if isinstance(controls, list) else []):
        if is_unknown(control) or (isinstance(control, Mapping) and is_unknown(control.get("name"))):
            unknown_names = True
            continue
        if not isinstance(control, Mapping):
            continue
        name = control.get("name")
        names.add(str(name))
        parameters = _parameters(control.get("inputParameters"))
        scope_tags = _mapping(control.get("scope")).get("tags")
        findings = check_framework_control(
            f"controls[{index}]", name, parameters, scope_tags if isinstance(scope_tags, Mapping) else None
        )
        yield from (str(finding) for finding in findings)
        if findings or name != BASELINE_RETENTION_CONTROL:
            continue
        value = parameters.get(RETENTION_PARAMETER)
        days = AUDIT_DEFAULT_REQUIRED_RETENTION_DAYS if value is None else as_int(value)
        if days is not None and days < minimum:
            source = f"{RETENTION_PARAMETER} {value}" if value is not None else f"AWS's default {days} days"
            yield f"controls[{index}] {name}: {source} is below minRequiredRetentionDays {minimum}"
    missing = [name for name in config.get("requiredControls") or () if name not in names]
    if missing and not unknown_names:
        yield f"the framework lacks required controls: {', '.join(missing)}"


# --------------------------------------------------------------------------- backup-audit-controls-quota

CONTROLS_QUOTA = Rule(
    name="backup-audit-controls-quota",
    description=(
        "Audit Manager allows at most 50 controls (the same control in two frameworks counts twice) and 15 "
        "frameworks per account and Region; the stack's aws.backup.Framework resources stay within both in every "
        "account and Region. Past the quota, CreateFramework fails part-way through the update. Fails closed: a "
        "framework whose controls are not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup users: trim audit.controls, or set audit.frameworks_in_member_accounts to false so member "
        "accounts get no framework of their own. Hand-written frameworks: merge or remove aws.backup.Framework "
        "resources in that account and Region."
    ),
    config={
        "maxControlsPerAccountRegion": integer_setting(
            minimum=1,
            default=MAX_CONTROLS_PER_ACCOUNT_REGION,
            description="Controls allowed per account and Region (AWS: 50).",
        ),
        "maxFrameworksPerAccountRegion": integer_setting(
            minimum=1,
            default=MAX_FRAMEWORKS_PER_ACCOUNT_REGION,
            description="Frameworks allowed per account and Region (AWS: 15).",
        ),
    },
    domain=DOMAIN,
)


def check_controls_quota(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    max_controls = as_int(config.get("maxControlsPerAccountRegion")) or MAX_CONTROLS_PER_ACCOUNT_REGION
    max_frameworks = as_int(config.get("maxFrameworksPerAccountRegion")) or MAX_FRAMEWORKS_PER_ACCOUNT_REGION
    groups: dict[tuple[str | None, str | None], list[Resource]] = defaultdict(list)
    counts: dict[tuple[str | None, str | None], int] = defaultdict(int)
    for framework in index.of_type(FRAMEWORK):
        location = (framework.account, framework.region)
        groups[location].append(framework)
        listed = framework.get("controls")
        if is_unknown(listed):
            yield framework.urn, _not_known("controls", "the Audit Manager control quota")
        elif isinstance(listed, list):
            counts[location] += len(listed)
    for (account, region), frameworks in groups.items():
        where = f"account {account or '(unknown)'} Region {region or '(unknown)'}"
        if len(frameworks) > max_frameworks:
            yield (
                frameworks[0].urn,
                f"{len(frameworks)} frameworks in {where}; at most {max_frameworks} are allowed",
            )
        if counts[(account, region)] > max_controls:
            yield (
                frameworks[0].urn,
                f"{counts[(account, region)]} controls across {len(frameworks)} framework(s) in {where}; "
                f"at most {max_controls} are allowed",
            )


# --------------------------------------------------------------------------- backup-report-plan

REPORT_PLAN_RULE = Rule(
    name="backup-report-plan",
    description=(
        "The stack has at least one Audit Manager report plan (aws.backup.ReportPlan) with a compliance template "
        "(CONTROL_COMPLIANCE_REPORT or RESOURCE_COMPLIANCE_REPORT) that references a framework, or covers "
        "accounts or OUs (whose own frameworks it reports), so evidence is actually produced; every report plan "
        "uses a known template and format, organization, cross-account and cross-Region reports are CSV only, "
        "and an organization-wide compliance report names no frameworkArns (CreateReportPlan is reported to "
        "reject them: UNCONFIRMED, a warning); a report bucket created in this stack has a public access block "
        "with all four settings on and default encryption. Values not known during preview are given the "
        "benefit of the doubt."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup users: keep audit.enabled true with CONTROL_COMPLIANCE_REPORT or RESOURCE_COMPLIANCE_REPORT "
        "in audit.reports and audit.formats [CSV]. Hand-written report plans: set report_setting.report_template "
        "and report_setting.framework_arns on the aws.backup.ReportPlan, report_delivery_channel.formats to "
        '["CSV"], and give the bucket an aws.s3.BucketPublicAccessBlock (all four flags true) and an '
        "aws.s3.BucketServerSideEncryptionConfiguration. Set reportsManagedElsewhere when another stack owns "
        "the reports."
    ),
    config={
        "reportsManagedElsewhere": {
            "type": "boolean",
            "default": False,
            "description": "Another stack owns the compliance report plans: do not require one here.",
        }
    },
    domain=DOMAIN,
    config_section="audit",
)


class _BucketSettings:
    """Public access blocks and encryption settings keyed by what they name: bucket URN, name or id."""

    def __init__(self, index: StackIndex) -> None:
        self.public_access: dict[str, Resource] = {}
        self.encryption: set[str] = set()
        for block in index.of_type(S3_PUBLIC_ACCESS_BLOCK):
            for key in self._keys(block):
                self.public_access[key] = block
        for setting in index.of_type(S3_ENCRYPTION, S3_ENCRYPTION_V2):
            self.encryption.update(self._keys(setting))

    @staticmethod
    def _keys(resource: Resource) -> list[str]:
        bucket = resource.get("bucket")
        return [*resource.property_dependencies.get("bucket", ()), *([bucket] if isinstance(bucket, str) else [])]

    def problems(self, bucket: Resource) -> Iterator[str]:
        names = [bucket.urn, *(v for v in (bucket.get("bucket"), bucket.get("id")) if isinstance(v, str))]
        name = bucket.get("bucket") if isinstance(bucket.get("bucket"), str) else bucket.name
        block = next((self.public_access[key] for key in names if key in self.public_access), None)
        if block is None:
            yield f"report bucket {name} has no aws.s3.BucketPublicAccessBlock"
        else:
            off = [
                flag for flag in PUBLIC_ACCESS_FLAGS if block.get(flag) is not True and not is_unknown(block.get(flag))
            ]
            if off:
                yield f"report bucket {name}: the public access block leaves {', '.join(off)} off"
        inline = bucket.get("serverSideEncryptionConfiguration")
        if not any(key in self.encryption for key in names) and not inline:
            yield f"report bucket {name} has no default encryption (aws.s3.BucketServerSideEncryptionConfiguration)"


def _report_bucket(index: StackIndex, plan: Resource, buckets: Mapping[str, Resource]) -> Resource | None:
    for urn in plan.property_dependencies.get("reportDeliveryChannel", ()):
        resource = index.by_urn.get(urn)
        if resource is not None and resource.type in (S3_BUCKET, S3_BUCKET_V2):
            return resource
    name = _mapping(plan.get("reportDeliveryChannel")).get("s3BucketName")
    return buckets.get(name) if isinstance(name, str) else None


def _references_framework(index: StackIndex, plan: Resource, setting: Mapping[str, Any]) -> bool:
    arns = setting.get("frameworkArns")
    if is_unknown(arns) or (isinstance(arns, list) and arns):
        return True
    dependencies = (index.by_urn.get(urn) for urn in plan.property_dependencies.get("reportSetting", ()))
    return any(resource is not None and resource.type == FRAMEWORK for resource in dependencies)


def check_report_plan(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    plans = index.of_type(REPORT_PLAN)
    buckets = {r.get("bucket"): r for r in index.of_type(S3_BUCKET, S3_BUCKET_V2) if isinstance(r.get("bucket"), str)}
    bucket_settings = _BucketSettings(index)
    has_compliance_report = False
    checked_buckets: set[str] = set()
    for plan in plans:
        setting = _mapping(plan.get("reportSetting"))
        channel = _mapping(plan.get("reportDeliveryChannel"))
        template = setting.get("reportTemplate")
        formats = channel.get("formats")
        regions = _strings(setting.get("regions"))
        scope = (setting.get("accounts"), setting.get("organizationUnits"))
        organization_wide = any(_strings(value) for value in scope)
        arns = setting.get("frameworkArns")
        findings = check_report_setting(
            plan.name,
            template=None if is_unknown(template) else template,
            formats=_strings(formats) if isinstance(formats, list) else ["CSV"],
            organization_wide=organization_wide,
            cross_region=any(region == "*" or region != plan.region for region in regions),
            names_frameworks=is_unknown(arns) or bool(_strings(arns)),
        )
        yield from ((plan.urn, str(finding)) for finding in findings)
        if template in COMPLIANCE_REPORT_TEMPLATES or is_unknown(template):
            if organization_wide or any(map(is_unknown, scope)) or _references_framework(index, plan, setting):
                has_compliance_report = True
            elif not is_unknown(template):
                yield (
                    plan.urn,
                    f"{plan.name}: a {template} report references no framework (set frameworkArns, or cover "
                    "accounts or OUs, whose own frameworks it then reports)",
                )
        bucket = _report_bucket(index, plan, buckets)
        if bucket is not None and bucket.urn not in checked_buckets:
            checked_buckets.add(bucket.urn)
            yield from ((bucket.urn, problem) for problem in bucket_settings.problems(bucket))
    if not has_compliance_report and not config.get("reportsManagedElsewhere"):
        yield (
            None,
            "no aws.backup.ReportPlan with a CONTROL_COMPLIANCE_REPORT or RESOURCE_COMPLIANCE_REPORT template "
            "references a framework: no compliance evidence is produced",
        )


# --------------------------------------------------------------------------- backup-failed-job-alerting

FAILED_JOB_ALERTING = Rule(
    name="backup-failed-job-alerting",
    description=(
        "Every account and Region holding a backup vault (aws.backup.Vault) has an enabled EventBridge rule "
        "(aws.cloudwatch.EventRule) on its default bus whose pattern selects failed AWS Backup jobs (source "
        "aws.backup, Backup Job State Change, state FAILED), with at least one target; AWS Backup reports jobs "
        "only to the default bus of the account and Region where they run, so without such a rule a failed "
        "backup goes unnoticed. SNS topics that receive these alerts (or vault notifications) are KMS-encrypted. "
        "Vaults carrying one of exemptVaultTags (by default copy destinations, which run no backup jobs of their "
        "own) are not required to have a rule. Patterns not known during preview are given the benefit of the "
        "doubt."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup users: keep alerting.enabled true; every member account and Region then forwards failed "
        "jobs to the central bus, which notifies the encrypted topic. Hand-written stacks: add an "
        'aws.cloudwatch.EventRule with event_pattern {"source": ["aws.backup"], "detail-type": '
        '["Backup Job State Change"], "detail": {"state": ["FAILED"]}} and an aws.cloudwatch.EventTarget '
        "in that account and Region, and set kms_master_key_id on the aws.sns.Topic."
    ),
    config={
        "exemptVaultTags": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {"DestinationBackupVault": "true"},
            "description": "Vaults carrying any of these tag key/values need no failed-job rule of their own.",
        },
        "requireEncryptedTopics": {
            "type": "boolean",
            "default": True,
            "description": "Require kmsMasterKeyId on SNS topics that receive backup alerts.",
        },
    },
    domain=DOMAIN,
    config_section="alerting",
)

_BusRule = tuple[str | None, str | None, str, str]


def _bus_name(value: Any) -> str:
    """``default`` for an omitted bus; the name for a bus name or ARN; an unknown bus is a custom one."""
    if value is None:
        return DEFAULT_BUS
    if isinstance(value, str):
        return value.rsplit("/", 1)[-1] if value.startswith("arn:") else value
    return "(unknown)"


def _targets_by_rule(index: StackIndex) -> dict[str, list[Resource]]:
    """EventRule URN -> its targets, by property dependency or by account, Region, bus and rule name."""
    rule_urns: dict[_BusRule, str] = {}
    for rule in index.of_type(EVENT_RULE):
        name = rule.get("name")
        if isinstance(name, str):
            rule_urns[(rule.account, rule.region, _bus_name(rule.get("eventBusName")), name)] = rule.urn
    out: dict[str, list[Resource]] = defaultdict(list)
    for target in index.of_type(EVENT_TARGET):
        urns = set(target.property_dependencies.get("rule", ()))
        name = target.get("rule")
        if isinstance(name, str):
            key = (target.account, target.region, _bus_name(target.get("eventBusName")), name)
            if key in rule_urns:
                urns.add(rule_urns[key])
        for urn in urns:
            out[urn].append(target)
    return out


def _alerts_failed_jobs(rule: Resource) -> bool:
    pattern = rule.get("eventPattern")
    return rule.get("state") != "DISABLED" and (is_unknown(pattern) or selects_failed_backup_jobs(pattern))


def _is_exempt(vault: Resource, exempt: Mapping[str, Any]) -> bool:
    tags = _mapping(vault.get("tags"))
    return any(tags.get(key) == value for key, value in exempt.items())


def _alert_topics(index: StackIndex, references: list[tuple[Resource, str]]) -> dict[str, Resource]:
    """The in-stack topics that ``(resource, property)`` pairs name, by property dependency or by ARN."""
    by_arn = {
        f"arn:aws:sns:{t.region}:{t.account}:{t.get('name')}": t
        for t in index.of_type(SNS_TOPIC)
        if isinstance(t.get("name"), str)
    }
    out: dict[str, Resource] = {}
    for resource, prop in references:
        candidates = [index.by_urn.get(urn) for urn in resource.property_dependencies.get(prop, ())]
        arn = resource.get(prop)
        candidates.append(by_arn.get(arn) if isinstance(arn, str) else None)
        for topic in candidates:
            if topic is not None and topic.type == SNS_TOPIC:
                out[topic.urn] = topic
    return out


def check_failed_job_alerting(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    targets = _targets_by_rule(index)
    alert_rules = [rule for rule in index.of_type(EVENT_RULE) if _alerts_failed_jobs(rule) and targets.get(rule.urn)]
    covered = {(r.account, r.region) for r in alert_rules if _bus_name(r.get("eventBusName")) == DEFAULT_BUS}
    exempt = _mapping(config.get("exemptVaultTags"))
    reported: set[tuple[str | None, str | None]] = set()
    for vault in index.of_type(VAULT):
        location = (vault.account, vault.region)
        if location in covered or location in reported or _is_exempt(vault, exempt):
            continue
        reported.add(location)
        yield (
            vault.urn,
            f"no enabled EventRule on the default bus of {_location(vault)} selects failed AWS Backup jobs and "
            f"has a target: a failed backup into vault {vault.get('name')} would go unnoticed",
        )
    if not config.get("requireEncryptedTopics"):
        return
    references = [(target, "arn") for rule in alert_rules for target in targets[rule.urn]]
    references += [(n, "snsTopicArn") for n in index.of_type(VAULT_NOTIFICATIONS)]
    for topic in _alert_topics(index, references).values():
        key = topic.get("kmsMasterKeyId")
        if not key and not is_unknown(key):
            yield topic.urn, f"SNS topic {topic.get('name') or topic.name} receives backup alerts unencrypted"


# --------------------------------------------------------------------------- backup-vault-notifications-valid

VAULT_NOTIFICATIONS_VALID = Rule(
    name="backup-vault-notifications-valid",
    description=(
        "Vault notifications (aws.backup.VaultNotifications) subscribe only to events of the "
        "PutBackupVaultNotifications enum, and by default only to the events AWS Backup documents as sent to SNS "
        "(others are accepted but may never notify: UNCONFIRMED, so those messages say so), and publish to a "
        "Standard SNS topic in the vault's own account (AWS Backup cannot notify a topic in another account or "
        "a FIFO topic). Fails closed: events or a topic ARN not known during preview are reported, because the "
        "account of the topic cannot be verified."
    ),
    enforcement=MANDATORY,
    severity=Severity.LOW,
    remediation=(
        "Fix backup_vault_events on the aws.backup.VaultNotifications (e.g. BACKUP_JOB_COMPLETED, "
        "COPY_JOB_FAILED, RESTORE_JOB_COMPLETED) and point sns_topic_arn at a Standard topic created with the "
        "vault's provider; a literal ARN keeps the check verifiable during preview. Set allowUnsupportedEvents "
        "to accept enum values AWS Backup does not document as sent. org-backup itself alerts through "
        "EventBridge (alerting.*), not vault notifications."
    ),
    config={
        "allowUnsupportedEvents": {
            "type": "boolean",
            "default": False,
            "description": "Accept enum values outside the events AWS Backup documents as sent to SNS.",
        }
    },
    domain=DOMAIN,
)


def check_vault_notifications(notifications: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    events = notifications.get("backupVaultEvents")
    if is_unknown(events) or (isinstance(events, list) and any(is_unknown(event) for event in events)):
        yield _not_known("backupVaultEvents", "that every event is one AWS Backup sends")
    elif isinstance(events, list):
        for finding in check_vault_events("backupVaultEvents", events):
            if finding.severity == "error" or not config.get("allowUnsupportedEvents"):
                yield str(finding)
    topic = notifications.get("snsTopicArn")
    if is_unknown(topic):
        yield _not_known("snsTopicArn", "that the topic is a Standard topic in the vault's account")
        return
    parts = topic.split(":") if isinstance(topic, str) else []
    if len(parts) != 6 or parts[:3] != ["arn", parts[1], "sns"]:
        yield f"snsTopicArn {topic!r} is not an SNS topic ARN"
        return
    if notifications.account is not None and parts[4] != notifications.account:
        yield (
            f"snsTopicArn {topic} is in account {parts[4]}, but the vault is in account {notifications.account}: "
            "AWS Backup only notifies topics in the vault's own account"
        )
    if parts[5].endswith(".fifo"):
        yield f"snsTopicArn {topic} is a FIFO topic: AWS Backup notifies Standard topics only"


POLICIES: list[Policy] = [
    resource_policy(FRAMEWORK_COMPLETE, [FRAMEWORK], check_framework_complete),
    stack_policy(CONTROLS_MATCH_PLANS, check_controls_match_plans),
    stack_policy(CONTROLS_QUOTA, check_controls_quota),
    stack_policy(REPORT_PLAN_RULE, check_report_plan),
    stack_policy(FAILED_JOB_ALERTING, check_failed_job_alerting),
    resource_policy(VAULT_NOTIFICATIONS_VALID, [VAULT_NOTIFICATIONS], check_vault_notifications),
]
