"""EventBridge cron as AWS Backup reads it: syntax per field and the hourly minimum."""

from __future__ import annotations

import pytest

from policies.backup_rules.schedule import check_schedule_expression, min_interval_minutes

PATH = "plans.p.rules.r.schedule_expression"
HOUR = 60
DAY = 1_440
WEEK = 10_080


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("cron(0 * ? * * *)", HOUR),
        ("cron(0 0/1 ? * * *)", HOUR),
        ("cron(0 5 ? * * *)", DAY),
        ("cron(0 5 * * ? *)", DAY),
        (" cron( 0  5 ? * * * ) ", DAY),
        ("cron(0 0,23 ? * * *)", HOUR),
        ("cron(30 0,23 ? * * *)", HOUR),
        ("cron(0 0/4 ? * * *)", 4 * HOUR),
        ("cron(0 22 ? * MON-FRI *)", DAY),
        ("cron(0 22 ? * mon-fri *)", DAY),
        ("cron(0 3 ? * 2 *)", WEEK),
        ("cron(0 3 ? * SUN *)", WEEK),
        ("cron(50 5 ? * 2#1 *)", 28 * DAY),
        ("cron(0 0 ? * 6L *)", 28 * DAY),
        ("cron(0 3 1 * ? *)", 28 * DAY),
        ("cron(0 3 L * ? *)", 28 * DAY),
        ("cron(0 3 LW * ? *)", 28 * DAY),
        ("cron(0 3 15W * ? *)", 28 * DAY),
        ("cron(0 3 1 JAN,JUL ? *)", 181 * DAY),
        ("cron(0 3 1/10 * ? *)", DAY),  # the 31st, then the 1st
        ("cron(0 0 29 2 ? *)", 1_461 * DAY),
        ("cron(0 0 1 1 ? 2025,2030)", 1_826 * DAY),
        ("cron(0 0 ? * L *)", WEEK),
    ],
)
def test_valid_expressions_and_their_interval(expression: str, interval: int) -> None:
    assert check_schedule_expression(PATH, expression) == []
    assert min_interval_minutes(expression) == interval


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        (
            "cron(0 5 * * *)",
            "has 5 fields: that is a Unix cron; AWS Backup needs the 6-field EventBridge form",
        ),
        ("cron(0 5 ? * * * *)", "has 7 fields; EventBridge cron needs 6"),
        ("rate(1 day)", "accepts only cron(...) schedules, not rate(...)"),
        ("0 5 ? * * *", "is not a cron(...) expression"),
        ("cron(0 5 * * * *)", "exactly one of day-of-month (*) and day-of-week (*) must be '?'"),
        ("cron(0 5 ? * ? *)", "exactly one of day-of-month (?) and day-of-week (?) must be '?'"),
        ("cron(60 5 ? * * *)", "minutes field: 60 is outside 0-59"),
        ("cron(0 24 ? * * *)", "hours field: 24 is outside 0-23"),
        ("cron(0 5 0 * ? *)", "day-of-month field: 0 is outside 1-31"),
        ("cron(0 5 32 * ? *)", "day-of-month field: 32 is outside 1-31"),
        ("cron(0 5 ? 13 * *)", "month field: 13 is outside 1-12"),
        ("cron(0 5 ? FOO * *)", "month field: 'FOO' is not a value (1-12 or JAN-DEC)"),
        ("cron(0 5 ? * 8 *)", "day-of-week field: 8 is outside 1-7"),
        ("cron(0 5 ? * MON/2 *)", "'/' increments are not allowed in day-of-week"),
        ("cron(0 5 ? * 2#6 *)", "the occurrence after '#' must be 1-5"),
        ("cron(0 5 ? * 2#1,3 *)", "'L' and '#' must stand alone"),
        ("cron(0 5 1,L * ? *)", "'L' and 'W' must stand alone"),
        ("cron(0 5 ? * * 1969)", "year field: 1969 is outside 1970-2199"),
        ("cron(0 17-9 ? * * *)", "range start 17 is after its end 9"),
        ("cron(0 0/0 ? * * *)", "the increment after '/' must be a positive number"),
        ("cron(0 5,,6 ? * * *)", "hours field: '' is not a value"),
        ("cron()", "has 0 fields"),
    ],
)
def test_syntax_errors(expression: str, fragment: str) -> None:
    findings = check_schedule_expression(PATH, expression)
    assert [(f.path, f.rule, f.value, f.severity) for f in findings] == [(PATH, "schedule-syntax", expression, "error")]
    assert fragment in findings[0].message
    assert min_interval_minutes(expression) is None


@pytest.mark.parametrize("value", [None, 5, ["cron(0 5 ? * * *)"], {"@@assign": "cron(0 5 ? * * *)"}])
def test_non_string_schedule(value: object) -> None:
    findings = check_schedule_expression(PATH, value)
    assert [f.rule for f in findings] == ["schedule-syntax"]
    assert "must be a string" in findings[0].message


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("cron(0/30 * ? * * *)", 30),
        ("cron(0,59 * ? * * *)", 1),
        ("cron(* 5 ? * * *)", 1),
        ("cron(0/15 5 ? * * *)", 15),
        ("cron(30 23 ? * * *)", DAY),
    ],
)
def test_minimum_frequency_is_hourly(expression: str, interval: int) -> None:
    findings = check_schedule_expression(PATH, expression)
    assert min_interval_minutes(expression) == interval
    if interval >= HOUR:
        assert findings == []
    else:
        assert [(f.rule, f.path) for f in findings] == [("schedule-min-frequency", PATH)]
        assert f"{interval} minutes apart; AWS Backup runs them at most hourly" in findings[0].message


def test_schedule_that_never_fires_has_no_interval() -> None:
    assert check_schedule_expression(PATH, "cron(0 0 31 2 ? *)") == []
    assert min_interval_minutes("cron(0 0 31 2 ? *)") is None


def test_single_run_has_no_interval() -> None:
    assert min_interval_minutes("cron(0 0 1 1 ? 2030)") is None


def test_several_runs_on_a_single_day_still_have_an_interval() -> None:
    assert min_interval_minutes("cron(0 1,5 1 1 ? 2030)") == 240
