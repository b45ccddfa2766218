"""Audit and alerting rules, on hand-written resources shaped like the ones org-backup registers."""

from __future__ import annotations

import json
from typing import Any

from rules import audit
from rules.resources import (
    EVENT_RULE,
    EVENT_TARGET,
    FRAMEWORK,
    ORG_POLICY,
    PLAN,
    REPORT_PLAN,
    S3_BUCKET,
    S3_ENCRYPTION,
    S3_PUBLIC_ACCESS_BLOCK,
    SNS_TOPIC,
    VAULT,
    VAULT_NOTIFICATIONS,
)

from .harness import UNKNOWN_STRING, Spec, by_name, run_resource, run_stack

ACCOUNT = "444455556666"
ADMIN = "111122223333"
FRAMEWORK_COMPLETE = by_name(audit.POLICIES, "backup-audit-framework-complete")
CONTROLS_QUOTA = by_name(audit.POLICIES, "backup-audit-controls-quota")
REPORT_PLAN_RULE = by_name(audit.POLICIES, "backup-report-plan")
FAILED_JOB_ALERTING = by_name(audit.POLICIES, "backup-failed-job-alerting")
VAULT_NOTIFICATIONS_VALID = by_name(audit.POLICIES, "backup-vault-notifications-valid")
CONTROLS_MATCH_PLANS = by_name(audit.POLICIES, "backup-audit-controls-match-plans")
PLAN_CHECK = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
POINT_CHECK = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"


def control(name: str, scope: dict[str, Any] | None = None, **parameters: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if parameters:
        out["inputParameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    if scope is not None:
        out["scope"] = scope
    return out


def core_controls() -> list[dict[str, Any]]:
    """The controls a member framework carries (modelled on the AWS Backup Audit Manager sample framework)."""
    return [
        control("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
        control(
            "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
            requiredFrequencyUnit="days",
            requiredFrequencyValue="1",
            requiredRetentionDays="35",
        ),
        control(
            "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED",
            principalArnList=f"arn:aws:iam::{ACCOUNT}:role/BackupBreakGlass",
        ),
        control("BACKUP_RECOVERY_POINT_ENCRYPTED"),
        control("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", requiredRetentionDays="35"),
        control("BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"),
        control("BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT"),
        control("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"),
        control("BACKUP_LAST_RECOVERY_POINT_CREATED", recoveryPointAgeUnit="days", recoveryPointAgeValue="1"),
    ]


def framework(controls: Any = None, name: str = "framework", region: str = "us-east-1") -> Spec:
    return Spec(
        FRAMEWORK,
        {"name": "org_backup_controls", "controls": core_controls() if controls is None else controls},
        name=name,
        region=region,
    )


def with_control(name: str, replacement: dict[str, Any] | None) -> list[dict[str, Any]]:
    controls = [c for c in core_controls() if c["name"] != name]
    return [*controls, replacement] if replacement is not None else controls


# --------------------------------------------------------------------------- backup-audit-framework-complete


def test_framework_with_the_core_controls_passes() -> None:
    assert run_resource(FRAMEWORK_COMPLETE, framework()) == []


def test_missing_required_control() -> None:
    [message] = run_resource(FRAMEWORK_COMPLETE, framework(with_control("BACKUP_RECOVERY_POINT_ENCRYPTED", None)))
    assert message == "the framework lacks required controls: BACKUP_RECOVERY_POINT_ENCRYPTED"


def test_required_controls_config_override() -> None:
    controls = [control("BACKUP_RECOVERY_POINT_ENCRYPTED")]
    assert len(run_resource(FRAMEWORK_COMPLETE, framework(controls))) == 1
    assert run_resource(FRAMEWORK_COMPLETE, framework(controls), {"requiredControls": []}) == []


def test_misspelled_control_and_parameter() -> None:
    controls = [
        *core_controls(),
        control("BACKUP_RECOVERY_POINTS_ENCRYPTED"),
        control("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", requiredRetentionDay="35"),
    ]
    first, second = run_resource(FRAMEWORK_COMPLETE, framework(controls))
    assert first.startswith("controls[9].name: 'BACKUP_RECOVERY_POINTS_ENCRYPTED' is not an Audit Manager control")
    assert "controls[10].inputParameters.requiredRetentionDay" in second
    assert "takes no 'requiredRetentionDay'" in second


def test_required_retention_below_the_threshold() -> None:
    weak = control(PLAN_CHECK, requiredFrequencyUnit="days", requiredFrequencyValue="1", requiredRetentionDays="7")
    [message] = run_resource(FRAMEWORK_COMPLETE, framework(with_control(weak["name"], weak)))
    assert message == (
        "controls[8] BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK: requiredRetentionDays 7 is below "
        "minRequiredRetentionDays 35"
    )
    assert (
        run_resource(FRAMEWORK_COMPLETE, framework(with_control(weak["name"], weak)), {"minRequiredRetentionDays": 7})
        == []
    )


def test_the_per_point_retention_control_is_not_held_to_the_baseline() -> None:
    # Hourly points kept 7 days next to daily ones kept 35: every point must meet this control, so a 35-day
    # baseline here would make it permanently non-compliant (backup-audit-controls-match-plans judges it).
    short = control(POINT_CHECK, requiredRetentionDays="7")
    assert run_resource(FRAMEWORK_COMPLETE, framework(with_control(short["name"], short))) == []


def test_aws_default_retention_counts_when_the_parameter_is_left_out() -> None:
    bare = control(PLAN_CHECK)
    controls = with_control(bare["name"], bare)
    assert run_resource(FRAMEWORK_COMPLETE, framework(controls)) == []
    messages = run_resource(FRAMEWORK_COMPLETE, framework(controls), {"minRequiredRetentionDays": 90.0})
    assert any("AWS's default 35 days is below minRequiredRetentionDays 90" in m for m in messages)


def test_list_and_scope_limits() -> None:
    roles = ",".join(f"arn:aws:iam::{ACCOUNT}:role/Admin{i}" for i in range(6))
    deletion = control("BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED", principalArnList=roles)
    encrypted = control("BACKUP_RECOVERY_POINT_ENCRYPTED", {"tags": {"env": "prod", "tier": "gold"}})
    replaced = {deletion["name"], encrypted["name"]}
    controls = [c for c in core_controls() if c["name"] not in replaced] + [deletion, encrypted]
    messages = run_resource(FRAMEWORK_COMPLETE, framework(controls))
    assert any("principalArnList lists 6 entries; Audit Manager takes at most 5" in m for m in messages)
    assert any("scope.tags" in m and "at most 1 tag key/value pair, got 2" in m for m in messages)


def test_framework_controls_unknown_during_preview_are_skipped() -> None:
    assert run_resource(FRAMEWORK_COMPLETE, framework(UNKNOWN_STRING)) == []


def test_required_controls_not_judged_while_a_control_name_is_unknown() -> None:
    controls = [control("BACKUP_RECOVERY_POINT_ENCRYPTED"), {"name": UNKNOWN_STRING}]
    assert run_resource(FRAMEWORK_COMPLETE, framework(controls)) == []


def test_other_resource_types_are_ignored() -> None:
    assert run_resource(FRAMEWORK_COMPLETE, Spec(VAULT, {"name": "v"})) == []


# --------------------------------------------------------------------------- backup-audit-controls-quota


def test_controls_quota_within_limits() -> None:
    specs = [framework(name=f"f{i}") for i in range(5)]
    assert run_stack(CONTROLS_QUOTA, specs) == []


def test_controls_quota_exceeded_in_one_account_and_region() -> None:
    specs = [framework(name=f"f{i}") for i in range(6)] + [framework(name="dr", region="us-west-2")]
    [(urn, message)] = run_stack(CONTROLS_QUOTA, specs)
    assert urn == specs[0].urn
    assert message == (
        f"54 controls across 6 framework(s) in account {ACCOUNT} Region us-east-1; at most 50 are allowed"
    )


def test_frameworks_quota_exceeded() -> None:
    specs = [framework([control("BACKUP_RECOVERY_POINT_ENCRYPTED")], name=f"f{i}") for i in range(16)]
    [(_, message)] = run_stack(CONTROLS_QUOTA, specs)
    assert message == f"16 frameworks in account {ACCOUNT} Region us-east-1; at most 15 are allowed"


def test_controls_quota_config_override() -> None:
    specs = [framework(name="f0"), framework(name="f1")]
    [(_, message)] = run_stack(CONTROLS_QUOTA, specs, {"maxControlsPerAccountRegion": 10})
    assert "18 controls" in message
    assert "at most 10" in message


def test_controls_quota_fails_closed_on_unknown_controls() -> None:
    [(urn, message)] = run_stack(CONTROLS_QUOTA, [framework(UNKNOWN_STRING)])
    assert urn == framework().urn
    assert "controls is not known during preview" in message
    assert "treated as a violation" in message


# --------------------------------------------------------------------------- backup-report-plan

BUCKET_NAME = "org-backup-reports-111122223333-us-east-1"


def bucket() -> Spec:
    return Spec(S3_BUCKET, {"bucket": BUCKET_NAME}, name="reports", account=ADMIN)


def public_access_block(**flags: bool) -> Spec:
    props: dict[str, Any] = dict.fromkeys(audit.PUBLIC_ACCESS_FLAGS, True)
    props.update(flags, bucket="reports-id")
    return Spec(
        S3_PUBLIC_ACCESS_BLOCK,
        props,
        name="reports-pab",
        account=ADMIN,
        property_dependencies={"bucket": [bucket().urn]},
    )


def encryption() -> Spec:
    props = {"bucket": BUCKET_NAME, "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}
    return Spec(S3_ENCRYPTION, props, name="reports-sse", account=ADMIN)


def report_plan(
    template: Any = "CONTROL_COMPLIANCE_REPORT", name: str = "compliance", formats: Any = None, **setting: Any
) -> Spec:
    report_setting: dict[str, Any] = {"reportTemplate": template}
    if template in ("CONTROL_COMPLIANCE_REPORT", "RESOURCE_COMPLIANCE_REPORT"):
        report_setting["frameworkArns"] = [f"arn:aws:backup:us-east-1:{ADMIN}:framework:org_backup_controls-1a2b"]
    report_setting.update(setting)
    return Spec(
        REPORT_PLAN,
        {
            "name": name,
            "reportSetting": report_setting,
            "reportDeliveryChannel": {"s3BucketName": BUCKET_NAME, "formats": formats or ["CSV"]},
        },
        name=name,
        account=ADMIN,
    )


def reporting(*plans: Spec) -> list[Spec]:
    return [bucket(), public_access_block(), encryption(), *plans]


def test_compliance_report_into_a_safe_bucket_passes() -> None:
    plans = [report_plan(), report_plan("BACKUP_JOB_REPORT", name="jobs", accounts=["ROOT"], regions=["*"])]
    assert run_stack(REPORT_PLAN_RULE, reporting(*plans)) == []


def test_no_report_plan() -> None:
    [(urn, message)] = run_stack(REPORT_PLAN_RULE, [])
    assert urn is None
    assert "no aws.backup.ReportPlan with a CONTROL_COMPLIANCE_REPORT" in message
    assert run_stack(REPORT_PLAN_RULE, [], {"reportsManagedElsewhere": True}) == []


def test_job_reports_alone_produce_no_compliance_evidence() -> None:
    [(urn, message)] = run_stack(REPORT_PLAN_RULE, reporting(report_plan("BACKUP_JOB_REPORT", name="jobs")))
    assert urn is None
    assert "no compliance evidence" in message


def test_compliance_report_without_framework() -> None:
    plan = report_plan("RESOURCE_COMPLIANCE_REPORT", frameworkArns=[])
    messages = [m for _, m in run_stack(REPORT_PLAN_RULE, reporting(plan))]
    assert (
        "compliance: a RESOURCE_COMPLIANCE_REPORT report references no framework (set frameworkArns, or cover "
        "accounts or OUs, whose own frameworks it then reports)"
    ) in messages


def test_organization_wide_compliance_report_reads_the_accounts_frameworks() -> None:
    plans = [
        report_plan(frameworkArns=None, organizationUnits=["ou-ab12-11111111"], regions=["us-east-1"]),
        report_plan("RESOURCE_COMPLIANCE_REPORT", name="resources", frameworkArns=None, accounts=["444455556666"]),
    ]
    assert run_stack(REPORT_PLAN_RULE, reporting(*plans)) == []


def test_organization_wide_compliance_report_naming_frameworks_is_a_warning() -> None:
    plan = report_plan(accounts=["ROOT"])
    [(urn, message)] = run_stack(REPORT_PLAN_RULE, reporting(plan))
    assert urn == plan.urn
    assert message == (
        "compliance.reportSetting.frameworkArns: an organization-wide compliance report is reported to be rejected "
        "when it names frameworkArns (UNCONFIRMED); leave them out: the report reads each covered account's own "
        "frameworks [report-org-frameworks] (warning)"
    )
    jobs = report_plan("BACKUP_JOB_REPORT", name="jobs", accounts=["ROOT"], frameworkArns=["arn:x"])
    assert run_stack(REPORT_PLAN_RULE, reporting(report_plan(), jobs)) == []


def test_framework_arns_unknown_during_preview_with_a_framework_dependency() -> None:
    plan = report_plan(frameworkArns=UNKNOWN_STRING)
    plan.property_dependencies = {"reportSetting": [framework().urn]}
    assert run_stack(REPORT_PLAN_RULE, [framework(), *reporting(plan)]) == []
    plan = report_plan(frameworkArns=[])
    plan.property_dependencies = {"reportSetting": [framework().urn]}
    assert run_stack(REPORT_PLAN_RULE, [framework(), *reporting(plan)]) == []


def test_organization_and_cross_region_reports_are_csv_only() -> None:
    plans = [
        report_plan(formats=["CSV", "JSON"], accounts=["ROOT"], frameworkArns=None),
        report_plan("COPY_JOB_REPORT", name="copies", formats=["JSON"], regions=["us-east-1", "eu-west-1"]),
        report_plan("RESTORE_JOB_REPORT", name="restores", formats=["JSON"], regions=["us-east-1"]),
    ]
    messages = [m for _, m in run_stack(REPORT_PLAN_RULE, reporting(*plans))]
    assert len(messages) == 2
    assert "organization/cross-account reports are delivered as CSV only" in messages[0]
    assert messages[1].startswith("copies.reportDeliveryChannel.formats")
    assert "cross-Region reports are delivered as CSV only" in messages[1]


def test_unknown_template() -> None:
    messages = [
        m for _, m in run_stack(REPORT_PLAN_RULE, reporting(report_plan(), report_plan("JOB_REPORT", name="x")))
    ]
    assert messages == [
        "x.reportSetting.reportTemplate: 'JOB_REPORT' is not a report template (known: BACKUP_JOB_REPORT, "
        "CONTROL_COMPLIANCE_REPORT, COPY_JOB_REPORT, RESOURCE_COMPLIANCE_REPORT, RESTORE_JOB_REPORT, "
        "SCAN_JOB_REPORT) [report-template]"
    ]


def test_report_bucket_without_public_access_block_or_encryption() -> None:
    results = run_stack(REPORT_PLAN_RULE, [bucket(), report_plan()])
    assert results == [
        (bucket().urn, f"report bucket {BUCKET_NAME} has no aws.s3.BucketPublicAccessBlock"),
        (
            bucket().urn,
            f"report bucket {BUCKET_NAME} has no default encryption (aws.s3.BucketServerSideEncryptionConfiguration)",
        ),
    ]


def test_report_bucket_public_access_block_partly_off() -> None:
    specs = [bucket(), public_access_block(blockPublicPolicy=False, restrictPublicBuckets=False), encryption()]
    [(_, message)] = run_stack(REPORT_PLAN_RULE, [*specs, report_plan()])
    assert message == (
        f"report bucket {BUCKET_NAME}: the public access block leaves blockPublicPolicy, restrictPublicBuckets off"
    )


def test_report_bucket_outside_the_stack_is_not_judged() -> None:
    assert run_stack(REPORT_PLAN_RULE, [report_plan()]) == []


# --------------------------------------------------------------------------- backup-audit-controls-match-plans

HOURLY, DAILY, WEEKLY = "cron(0 * ? * * *)", "cron(0 5 ? * * *)", "cron(0 5 ? * SUN *)"


def backup_plan(name: str, *rules: tuple[str, float]) -> Spec:
    return Spec(
        PLAN,
        {
            "name": name,
            "rules": [
                {"ruleName": f"r{i}", "targetVaultName": "v", "schedule": cron, "lifecycle": {"deleteAfter": days}}
                for i, (cron, days) in enumerate(rules)
            ],
        },
        name=name,
    )


def org_backup_policy(*rules: tuple[str, int]) -> Spec:
    plan = {
        "rules": {
            f"r{i}": {
                "schedule_expression": {"@@assign": cron},
                "target_backup_vault_name": {"@@assign": "v"},
                "lifecycle": {"delete_after_days": {"@@assign": str(days)}},
            }
            for i, (cron, days) in enumerate(rules)
        },
        "regions": {"@@assign": ["us-east-1"]},
    }
    content = json.dumps({"plans": {"critical": plan}})
    return Spec(ORG_POLICY, {"name": "critical", "type": "BACKUP_POLICY", "content": content}, name="critical")


def match_messages(*specs: Spec) -> list[str]:
    return [message for _, message in run_stack(CONTROLS_MATCH_PLANS, list(specs))]


def contradiction(index: int, text: str) -> str:
    return (
        f"framework org_backup_controls in {ACCOUNT} us-east-1: controls[{index}].inputParameters: {text} is "
        "stricter than the backup plans allow, so the control is permanently non-compliant; every plan meets "
    )


def test_a_minimum_retention_above_the_shortest_lived_points_is_reported() -> None:
    plans = [backup_plan("daily", (DAILY, 35)), backup_plan("critical", (HOURLY, 7), (DAILY, 35))]
    assert match_messages(framework(), *plans) == [
        contradiction(4, f"{POINT_CHECK}: requiredRetentionDays 35")
        + "requiredRetentionDays 7 [audit-control-contradicts-plans]"
    ]


def test_backup_policy_documents_count_as_plans() -> None:
    assert match_messages(framework(), org_backup_policy((HOURLY, 7), (DAILY, 35))) == [
        contradiction(4, f"{POINT_CHECK}: requiredRetentionDays 35")
        + "requiredRetentionDays 7 [audit-control-contradicts-plans]"
    ]


def test_a_daily_frequency_and_age_against_a_weekly_plan_are_reported() -> None:
    messages = match_messages(framework(), backup_plan("daily", (DAILY, 35)), backup_plan("weekly", (WEEKLY, 180)))
    assert messages == [
        contradiction(1, f"{PLAN_CHECK}: requiredFrequencyValue 1")
        + "requiredFrequencyValue 7 [audit-control-contradicts-plans]",
        contradiction(8, "BACKUP_LAST_RECOVERY_POINT_CREATED: recoveryPointAgeValue 1")
        + "recoveryPointAgeValue 7 [audit-control-contradicts-plans]",
    ]


def test_aws_defaults_count_when_parameters_are_left_out() -> None:
    bare = control(POINT_CHECK)
    critical = backup_plan("critical", (HOURLY, 7), (DAILY, 35))
    [message] = match_messages(framework(with_control(POINT_CHECK, bare)), critical)
    assert f"{POINT_CHECK}: requiredRetentionDays (AWS default) is stricter" in message


def test_controls_the_plans_meet_pass() -> None:
    met = [
        control(PLAN_CHECK, requiredFrequencyUnit="days", requiredFrequencyValue="7", requiredRetentionDays="35"),
        control(POINT_CHECK, requiredRetentionDays="7"),
        control("BACKUP_LAST_RECOVERY_POINT_CREATED", recoveryPointAgeUnit="hours", recoveryPointAgeValue="168"),
    ]
    controls = [c for c in core_controls() if c["name"] not in {m["name"] for m in met}] + met
    plans = [backup_plan("weekly", (WEEKLY, 180)), backup_plan("critical", (HOURLY, 7), (DAILY, 35))]
    assert match_messages(framework(controls), *plans) == []
    assert match_messages(framework()) == []


def test_a_plan_less_frequent_than_any_control_can_express() -> None:
    bimonthly = backup_plan("bimonthly", ("cron(0 5 1 */2 ? *)", 400))
    messages = match_messages(framework(), bimonthly)
    assert (
        f"framework org_backup_controls in {ACCOUNT} us-east-1: controls[1].inputParameters: {PLAN_CHECK}: a plan "
        "runs its most frequent rule only every 62 days, longer than the 31 days the control can express: it can "
        "never be compliant for that plan [audit-control-contradicts-plans]"
    ) in messages


def test_parameters_unknown_during_preview_are_skipped() -> None:
    unknown = {"name": POINT_CHECK, "inputParameters": [{"name": "requiredRetentionDays", "value": UNKNOWN_STRING}]}
    critical = backup_plan("critical", (HOURLY, 7), (DAILY, 35))
    assert match_messages(framework(with_control(POINT_CHECK, unknown)), critical) == []


# --------------------------------------------------------------------------- backup-failed-job-alerting

FAILED_JOBS_PATTERN = json.dumps(
    {
        "detail": {"$or": [{"state": ["ABORTED", "EXPIRED", "FAILED"]}, {"status": ["ABORTED", "EXPIRED", "FAILED"]}]},
        "detail-type": ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"],
        "source": ["aws.backup"],
    }
)
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:backup-alerts"


def vault(name: str = "org-backup", region: str = "us-east-1", **tags: str) -> Spec:
    return Spec(VAULT, {"name": name, "tags": tags}, name=f"vault-{name}-{region}", region=region)


def event_rule(pattern: Any = FAILED_JOBS_PATTERN, name: str = "failed-jobs", **props: Any) -> Spec:
    return Spec(EVENT_RULE, {"name": "org-backup-failed-jobs", "eventPattern": pattern, **props}, name=name)


def event_target(rule: Spec, arn: str = TOPIC_ARN, by_dependency: bool = True, **props: Any) -> Spec:
    return Spec(
        EVENT_TARGET,
        {"rule": rule.props["name"], "arn": arn, **props},
        name=f"{rule.name}-target",
        property_dependencies={"rule": [rule.urn]} if by_dependency else {},
    )


def topic(**props: Any) -> Spec:
    return Spec(SNS_TOPIC, {"name": "backup-alerts", **props}, name="alerts")


def alerting(rule: Spec | None = None, *, encrypted: bool = True, **target: Any) -> list[Spec]:
    rule = rule or event_rule()
    key = {"kmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd"} if encrypted else {}
    return [vault(), rule, event_target(rule, **target), topic(**key)]


def test_failed_jobs_routed_to_an_encrypted_topic_passes() -> None:
    assert run_stack(FAILED_JOB_ALERTING, alerting()) == []


def test_target_matched_by_rule_name_without_dependency() -> None:
    assert run_stack(FAILED_JOB_ALERTING, alerting(by_dependency=False)) == []


def test_vault_without_alerting() -> None:
    [(urn, message)] = run_stack(FAILED_JOB_ALERTING, [vault(), vault("other")])
    assert urn == vault().urn
    assert message == (
        f"no enabled EventRule on the default bus of account {ACCOUNT} Region us-east-1 selects failed AWS Backup "
        "jobs and has a target: a failed backup into vault org-backup would go unnoticed"
    )


def test_rule_in_another_region_does_not_count() -> None:
    specs = [*alerting(), vault(region="eu-west-1")]
    [(urn, message)] = run_stack(FAILED_JOB_ALERTING, specs)
    assert urn == vault(region="eu-west-1").urn
    assert "Region eu-west-1" in message


def test_rules_that_do_not_alert() -> None:
    completed = json.dumps({"source": ["aws.backup"], "detail": {"state": ["COMPLETED"]}})
    cases = [
        alerting(event_rule(completed)),
        alerting(event_rule(state="DISABLED")),
        alerting(event_rule(eventBusName="org-backup-alerts")),
        [vault(), event_rule()],
    ]
    for specs in cases:
        assert [m for _, m in run_stack(FAILED_JOB_ALERTING, specs)] == [
            f"no enabled EventRule on the default bus of account {ACCOUNT} Region us-east-1 selects failed AWS "
            "Backup jobs and has a target: a failed backup into vault org-backup would go unnoticed"
        ], specs


def test_default_bus_by_name_or_arn_and_unknown_pattern() -> None:
    assert run_stack(FAILED_JOB_ALERTING, alerting(event_rule(eventBusName="default"))) == []
    bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    assert run_stack(FAILED_JOB_ALERTING, alerting(event_rule(eventBusName=bus))) == []
    assert run_stack(FAILED_JOB_ALERTING, alerting(event_rule(UNKNOWN_STRING))) == []


def test_copy_destination_vaults_are_exempt_by_default() -> None:
    destination = vault("central", DestinationBackupVault="true")
    assert run_stack(FAILED_JOB_ALERTING, [destination]) == []
    [(urn, _)] = run_stack(FAILED_JOB_ALERTING, [destination], {"exemptVaultTags": {}})
    assert urn == destination.urn


def test_unencrypted_alert_topic() -> None:
    [(urn, message)] = run_stack(FAILED_JOB_ALERTING, alerting(encrypted=False))
    assert urn == topic().urn
    assert message == "SNS topic backup-alerts receives backup alerts unencrypted"
    assert run_stack(FAILED_JOB_ALERTING, alerting(encrypted=False), {"requireEncryptedTopics": False}) == []


def test_topic_found_by_dependency_and_vault_notification_topics_checked() -> None:
    rule = event_rule()
    target = event_target(rule, arn=UNKNOWN_STRING)
    target.property_dependencies = {**target.property_dependencies, "arn": [topic().urn]}
    [(urn, _)] = run_stack(FAILED_JOB_ALERTING, [vault(), rule, target, topic()])
    assert urn == topic().urn
    notifications = Spec(VAULT_NOTIFICATIONS, {"backupVaultName": "org-backup", "snsTopicArn": TOPIC_ARN})
    specs = [*alerting(), notifications, Spec(SNS_TOPIC, {"name": "backup-alerts"}, name="t", region="eu-west-1")]
    assert run_stack(FAILED_JOB_ALERTING, specs) == []


# --------------------------------------------------------------------------- backup-vault-notifications-valid


def notifications(events: Any = None, topic_arn: Any = TOPIC_ARN) -> Spec:
    return Spec(
        VAULT_NOTIFICATIONS,
        {
            "backupVaultName": "org-backup",
            "backupVaultEvents": events if events is not None else ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED"],
            "snsTopicArn": topic_arn,
        },
    )


def test_vault_notifications_valid() -> None:
    assert run_resource(VAULT_NOTIFICATIONS_VALID, notifications()) == []


def test_event_outside_the_api_enum() -> None:
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_FAILURE"]))
    assert message == (
        "backupVaultEvents[0]: 'BACKUP_JOB_FAILURE' is not a vault notification event "
        "(PutBackupVaultNotifications rejects it) [vault-event]"
    )


def test_event_that_may_never_notify() -> None:
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_COMPLETED", "BACKUP_JOB_FAILED"]))
    assert message.startswith("backupVaultEvents[1]: BACKUP_JOB_FAILED is accepted by the API")
    assert "may never notify (UNCONFIRMED)" in message
    assert message.endswith("[vault-event-unsupported] (warning)")
    config = {"allowUnsupportedEvents": True}
    assert run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_FAILED"]), config) == []
    assert len(run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["NOPE"]), config)) == 1


def test_topic_in_another_account_or_fifo() -> None:
    other = f"arn:aws:sns:us-east-1:{ADMIN}:backup-alerts"
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn=other))
    assert message == (
        f"snsTopicArn {other} is in account {ADMIN}, but the vault is in account {ACCOUNT}: "
        "AWS Backup only notifies topics in the vault's own account"
    )
    fifo = f"{TOPIC_ARN}.fifo"
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn=fifo))
    assert message == f"snsTopicArn {fifo} is a FIFO topic: AWS Backup notifies Standard topics only"
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn="backup-alerts"))
    assert message == "snsTopicArn 'backup-alerts' is not an SNS topic ARN"


def test_vault_notifications_fail_closed_on_unknowns() -> None:
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn=UNKNOWN_STRING))
    assert message.startswith("snsTopicArn is not known during preview")
    assert "treated as a violation" in message
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_COMPLETED", UNKNOWN_STRING]))
    assert message.startswith("backupVaultEvents is not known during preview")
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(UNKNOWN_STRING))
    assert message.startswith("backupVaultEvents is not known during preview")
