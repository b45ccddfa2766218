"""Framework controls as both deployment modes write them: parameters the plans can meet."""

from __future__ import annotations

from components.documents.frameworks import control_parameters, plan_cadences
from policies.backup_rules.control_parameters import RuleCadence
from tests.components.documents.config_factory import MEMBER_ACCOUNT, make_config

MIN_FREQUENCY = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
MIN_RETENTION = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"
LAST_POINT = "BACKUP_LAST_RECOVERY_POINT_CREATED"
BREAK_GLASS = [f"arn:aws:iam::{MEMBER_ACCOUNT}:role/BackupBreakGlass"]


def _plans(**rules: dict[str, object]) -> dict[str, object]:
    return {
        "plans": {
            name: {"rules": {name: rule}, "selections": {"tags": {"t": {"key": "backup", "values": [name]}}}}
            for name, rule in rules.items()
        }
    }


def test_a_daily_35_day_plan_keeps_the_default_parameters() -> None:
    controls = control_parameters(make_config(), BREAK_GLASS)
    assert controls[MIN_FREQUENCY] == {
        "requiredFrequencyUnit": "days",
        "requiredFrequencyValue": "1",
        "requiredRetentionDays": "35",
    }
    assert controls[MIN_RETENTION] == {"requiredRetentionDays": "35"}
    assert controls[LAST_POINT] == {"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "1"}
    assert controls["BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"] == {"principalArnList": BREAK_GLASS[0]}


def test_short_lived_and_weekly_rules_loosen_the_controls() -> None:
    config = make_config(
        **_plans(
            hourly={"schedule": "hourly", "retention_days": 7},
            weekly={"schedule": "weekly", "retention_days": 90},
        )
    )
    controls = control_parameters(config, [])
    # every point lives 7 days at least; each plan's most frequent rule runs at least weekly, kept 7 days
    assert controls[MIN_RETENTION] == {"requiredRetentionDays": "7"}
    assert controls[MIN_FREQUENCY] == {
        "requiredFrequencyUnit": "days",
        "requiredFrequencyValue": "7",
        "requiredRetentionDays": "7",
    }
    assert controls[LAST_POINT] == {"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "7"}


def test_copies_count_for_the_minimum_retention() -> None:
    config = make_config(
        **_plans(
            daily={
                "schedule": "daily",
                "retention_days": 35,
                "copies": [{"region": "eu-north-1", "retention_days": 10}],
            }
        )
    )
    assert control_parameters(config, [])[MIN_RETENTION] == {"requiredRetentionDays": "10"}


def test_looser_configured_values_are_kept() -> None:
    controls = {
        MIN_RETENTION: {"parameters": {"requiredRetentionDays": "1"}},
        LAST_POINT: {"parameters": {"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "3"}},
    }
    result = control_parameters(make_config(audit={"controls": controls}), [])
    assert result == {
        LAST_POINT: {"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "3"},
        MIN_RETENTION: {"requiredRetentionDays": "1"},
    }


def test_custom_policies_count_as_plans() -> None:
    custom = {
        "plans": {
            "hand-written": {
                "rules": {
                    "twice-daily": {
                        "schedule_expression": {"@@assign": "cron(0 5,17 ? * * *)"},
                        "target_backup_vault_name": {"@@assign": "org-backup"},
                        "lifecycle": {"delete_after_days": {"@@assign": "3"}},
                    }
                },
                "regions": {"@@assign": ["eu-west-1"]},
            }
        }
    }
    config = make_config(backup_policies={"custom": {"extra": {"targets": ["workloads"], "content": custom}}})
    assert plan_cadences(config) == [
        [RuleCadence("cron(0 5 ? * * *)", 35, (35,))],
        [RuleCadence("cron(0 5,17 ? * * *)", 3, ())],
    ]
    assert control_parameters(config, [])[MIN_RETENTION] == {"requiredRetentionDays": "3"}
