"""Audit Manager control parameters the backup plans can meet."""

from __future__ import annotations

import pytest

from policies.backup_rules.control_parameters import (
    AGE_MAX,
    FREQUENCY_MAX,
    LAST_RECOVERY_POINT_CONTROL,
    MIN_FREQUENCY_CONTROL,
    MIN_RETENTION_CONTROL,
    PlanBounds,
    RuleCadence,
    as_period,
    check_control_against_plans,
    longest_gap_minutes,
    plan_bounds,
    satisfiable_parameters,
)

HOURLY, DAILY, WEEKLY, MONTHLY = (
    "cron(0 * ? * * *)",
    "cron(0 5 ? * * *)",
    "cron(0 5 ? * SUN *)",
    "cron(0 5 1 * ? *)",
)
DAY = 1_440
PROD = [
    [RuleCadence(DAILY, 35, (90,))],
    [RuleCadence(WEEKLY, 180, (180,))],
    [RuleCadence(MONTHLY, 400, (400,))],
    [RuleCadence(HOURLY, 7), RuleCadence(DAILY, 35)],
]
FREQUENCY_DEFAULTS = {"requiredFrequencyUnit": "days", "requiredFrequencyValue": "1", "requiredRetentionDays": "35"}


@pytest.mark.parametrize(
    ("schedule", "minutes"),
    [
        (HOURLY, 60),
        (DAILY, DAY),
        (WEEKLY, 7 * DAY),
        (MONTHLY, 31 * DAY),  # 31 Jan -> 1 Mar is 29 days, but 1 Jan -> 1 Feb is 31
        ("cron(0 5,17 ? * * *)", 12 * 60),
        ("cron(0 1,2 ? * * *)", 23 * 60),  # 02:00 -> 01:00 next day
        ("cron(0 5 ? * MON-FRI *)", 3 * DAY),  # Friday -> Monday
        ("cron(0 5 1 */2 ? *)", 62 * DAY),  # every other month: July -> September
        ("cron(0 5 29 2 ? *)", 4 * 365 * DAY + DAY),  # 29 February only
    ],
)
def test_longest_gap(schedule: str, minutes: int) -> None:
    assert longest_gap_minutes(schedule) == minutes


@pytest.mark.parametrize("schedule", ["rate(1 day)", "cron(0 5 * * *)", "cron(0 5 1 1 ? 1999)", "nope"])
def test_unparseable_or_past_schedules_have_no_gap(schedule: str) -> None:
    assert longest_gap_minutes(schedule) is None


def test_prod_bounds() -> None:
    assert plan_bounds(PROD) == PlanBounds(frequency_minutes=31 * DAY, plan_retention_days=35, point_retention_days=7)


def test_copies_and_forever_in_the_bounds() -> None:
    forever = [[RuleCadence(DAILY, None)]]
    assert plan_bounds(forever) == PlanBounds(DAY, None, None)
    short_copy = [[RuleCadence(DAILY, 35, (3, None))]]
    assert plan_bounds(short_copy).point_retention_days == 3
    assert plan_bounds([]) == PlanBounds(None, None, None)


def test_a_plan_retention_depends_on_the_frequency_asked() -> None:
    critical = [[RuleCadence(HOURLY, 7), RuleCadence(DAILY, 35)]]
    assert plan_bounds(critical).plan_retention_days == 7
    assert plan_bounds(critical, DAY).plan_retention_days == 35


@pytest.mark.parametrize(
    ("minutes", "maximum", "period"),
    [
        (60, FREQUENCY_MAX, ("hours", 1)),
        (90, FREQUENCY_MAX, ("hours", 2)),
        (DAY, FREQUENCY_MAX, ("days", 1)),
        (23 * 60, FREQUENCY_MAX, ("hours", 23)),
        (25 * 60, FREQUENCY_MAX, ("days", 2)),
        (25 * 60, AGE_MAX, ("hours", 25)),
        (62 * DAY, FREQUENCY_MAX, ("days", 31)),
    ],
)
def test_as_period(minutes: int, maximum: tuple[int, int], period: tuple[str, int]) -> None:
    assert as_period(minutes, maximum) == period


def test_prod_controls_are_loosened_to_what_every_plan_meets() -> None:
    assert satisfiable_parameters(MIN_RETENTION_CONTROL, {"requiredRetentionDays": "35"}, PROD) == {
        "requiredRetentionDays": "7"
    }
    assert satisfiable_parameters(MIN_FREQUENCY_CONTROL, FREQUENCY_DEFAULTS, PROD) == {
        "requiredFrequencyUnit": "days",
        "requiredFrequencyValue": "31",
        "requiredRetentionDays": "35",
    }
    age = {"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "1"}
    assert satisfiable_parameters(LAST_RECOVERY_POINT_CONTROL, age, PROD) == {
        "recoveryPointAgeUnit": "days",
        "recoveryPointAgeValue": "31",
    }


def test_aws_defaults_the_plans_cannot_meet_become_explicit() -> None:
    assert satisfiable_parameters(MIN_RETENTION_CONTROL, {}, PROD) == {"requiredRetentionDays": "7"}
    assert satisfiable_parameters(LAST_RECOVERY_POINT_CONTROL, {}, [[RuleCadence(WEEKLY, 35)]]) == {
        "recoveryPointAgeUnit": "days",
        "recoveryPointAgeValue": "7",
    }


def test_looser_values_other_controls_and_malformed_values_are_kept() -> None:
    assert satisfiable_parameters(MIN_RETENTION_CONTROL, {"requiredRetentionDays": "3"}, PROD) == {
        "requiredRetentionDays": "3"
    }
    loose = {"requiredFrequencyUnit": "days", "requiredFrequencyValue": "31", "requiredRetentionDays": "1"}
    assert satisfiable_parameters(MIN_FREQUENCY_CONTROL, loose, PROD) == loose
    assert satisfiable_parameters(MIN_RETENTION_CONTROL, {"requiredRetentionDays": "x"}, PROD) == {
        "requiredRetentionDays": "x"
    }
    assert satisfiable_parameters("BACKUP_RECOVERY_POINT_ENCRYPTED", {"a": "b"}, PROD) == {"a": "b"}
    assert satisfiable_parameters(MIN_RETENTION_CONTROL, {"requiredRetentionDays": "35"}, []) == {
        "requiredRetentionDays": "35"
    }


def test_hourly_rules_are_asked_in_hours() -> None:
    plans = [[RuleCadence("cron(0 */6 ? * * *)", 14)]]
    assert satisfiable_parameters(MIN_FREQUENCY_CONTROL, FREQUENCY_DEFAULTS, plans) == {
        "requiredFrequencyUnit": "days",
        "requiredFrequencyValue": "1",
        "requiredRetentionDays": "14",
    }
    assert satisfiable_parameters(
        LAST_RECOVERY_POINT_CONTROL, {"recoveryPointAgeUnit": "hours", "recoveryPointAgeValue": "1"}, plans
    ) == {
        "recoveryPointAgeUnit": "hours",
        "recoveryPointAgeValue": "6",
    }


def test_contradictions() -> None:
    [finding] = check_control_against_plans("controls[4]", MIN_RETENTION_CONTROL, {"requiredRetentionDays": "35"}, PROD)
    assert str(finding) == (
        "controls[4].inputParameters: BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK: requiredRetentionDays 35 is "
        "stricter than the backup plans allow, so the control is permanently non-compliant; every plan meets "
        "requiredRetentionDays 7 [audit-control-contradicts-plans]"
    )
    derived = satisfiable_parameters(MIN_FREQUENCY_CONTROL, FREQUENCY_DEFAULTS, PROD)
    assert check_control_against_plans("c", MIN_FREQUENCY_CONTROL, derived, PROD) == []
    assert check_control_against_plans("c", "BACKUP_RECOVERY_POINT_ENCRYPTED", {}, PROD) == []


def test_a_plan_no_parameter_can_meet() -> None:
    bimonthly = [[RuleCadence("cron(0 5 1 */2 ? *)", 400)]]
    findings = check_control_against_plans(
        "c", MIN_FREQUENCY_CONTROL, satisfiable_parameters(MIN_FREQUENCY_CONTROL, {}, bimonthly), bimonthly
    )
    assert [str(f) for f in findings] == [
        "c.inputParameters: BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK: a plan runs its most frequent rule "
        "only every 62 days, longer than the 31 days the control can express: it can never be compliant for that "
        "plan [audit-control-contradicts-plans]"
    ]
