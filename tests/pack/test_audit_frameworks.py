"""Audit framework rules (complete, within quota, matching the plans), on hand-written resources shaped like the ones org-backup registers."""

from __future__ import annotations

import json

from rules.resources import (
    ORG_POLICY,
    PLAN,
    VAULT,
)

from .audit_support import (
    ACCOUNT,
    CONTROLS_MATCH_PLANS,
    CONTROLS_QUOTA,
    FRAMEWORK_COMPLETE,
    PLAN_CHECK,
    POINT_CHECK,
    control,
    core_controls,
    framework,
    with_control,
)
from .harness import UNKNOWN_STRING, Spec, run_resource, run_stack

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
