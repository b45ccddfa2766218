"""EventBridge cron expressions as AWS Backup reads them (aws-backup-rules.md §1.5 and §2).

AWS Backup takes only ``cron(minutes hours day-of-month month day-of-week year)`` in UTC (no ``rate()``:
hashicorp/terraform-provider-aws#8269) and runs at most hourly. The field grammar is the EventBridge table:

| field        | values          | wildcards       |
|--------------|-----------------|-----------------|
| minutes      | 0-59            | , - * /         |
| hours        | 0-23            | , - * /         |
| day-of-month | 1-31            | , - * ? / L W   |
| month        | 1-12 or JAN-DEC | , - * /         |
| day-of-week  | 1-7 or SUN-SAT  | , - * ? L #     |
| year         | 1970-2199       | , - * /         |
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise

from .findings import Finding

# Rule ids (one home each: the loader, the pack and the tests import them).
SCHEDULE_SYNTAX = "schedule-syntax"

MINUTES_PER_DAY = 1_440
MIN_FREQUENCY_MINUTES = 60
EXAMPLE_SCHEDULE = "cron(0 5 ? * * *)"
_FIRST_SIMULATED_YEAR = 2024
_SIMULATED_YEARS = 40
_MAX_GAP_YEARS = 5
"""Enough years for the longest gap of a yearly or leap-day schedule, few enough to stay fast."""

_MONTH_NAMES = {name.upper(): number for number, name in enumerate(calendar.month_abbr) if name}
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_EXPRESSION_RE = re.compile(r"^\s*(?P<kind>[a-zA-Z]+)\s*\((?P<body>.*)\)\s*$", re.DOTALL)
_NEAREST_WEEKDAY_RE = re.compile(r"^(\d+)W$")
_LAST_OF_WEEKDAY_RE = re.compile(r"^([0-9A-Z]+)L$")
_NTH_WEEKDAY_RE = re.compile(r"^([0-9A-Z]+)#(\d+)$")

DayMatcher = Callable[[date], bool]


class CronError(ValueError):
    """Raised inside this module for an expression AWS would reject; the public functions never raise it."""


@dataclass(frozen=True)
class _Field:
    name: str
    low: int
    high: int
    names: Mapping[str, int]
    allows_step: bool
    names_hint: str = ""


_MINUTES = _Field("minutes", 0, 59, {}, allows_step=True)
_HOURS = _Field("hours", 0, 23, {}, allows_step=True)
_DAY_OF_MONTH = _Field("day-of-month", 1, 31, {}, allows_step=True)
_MONTH = _Field("month", 1, 12, _MONTH_NAMES, allows_step=True, names_hint=" or JAN-DEC")
_DAY_OF_WEEK = _Field("day-of-week", 1, 7, _DAY_NAMES, allows_step=False, names_hint=" or SUN-SAT")
_YEAR = _Field("year", 1970, 2199, {}, allows_step=True)


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the sets each field allows, and one predicate for the two day fields."""

    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    day_matches: DayMatcher

    def times_of_day(self) -> list[int]:
        return sorted(hour * 60 + minute for hour in self.hours for minute in self.minutes)


def check_schedule_expression(path: str, expr: object) -> list[Finding]:
    """Syntax of an AWS Backup schedule, then the hourly minimum frequency."""
    try:
        cron = parse_cron(expr)
    except CronError as exc:
        return [Finding(path, expr, SCHEDULE_SYNTAX, str(exc))]
    interval = _min_interval(cron)
    if interval is not None and interval < MIN_FREQUENCY_MINUTES:
        return [
            Finding(
                path,
                expr,
                "schedule-min-frequency",
                f"{expr} runs backups {interval} minutes apart; AWS Backup runs them at most hourly "
                f"(at least {MIN_FREQUENCY_MINUTES} minutes apart)",
            )
        ]
    return []


def min_interval_minutes(expr: object) -> int | None:
    """Smallest gap between two runs, for "runs at least daily" checks; None if unparseable or run once."""
    try:
        return _min_interval(parse_cron(expr))
    except CronError:
        return None


def max_interval_minutes(expr: object) -> int | None:
    """Longest gap between two runs (a weekly schedule: 7 days), for "is the latest backup overdue" checks;
    None if unparseable or the expression fires fewer than twice in the simulated years."""
    try:
        return _max_interval(parse_cron(expr))
    except CronError:
        return None


def parse_cron(expr: object) -> Cron:
    """Parse ``cron(...)`` into field sets; raises CronError with a message fit for a finding."""
    if not isinstance(expr, str):
        raise CronError(f"schedule_expression must be a string like {EXAMPLE_SCHEDULE}, got {expr!r}")
    return _parse_cron_text(expr)


@lru_cache(maxsize=512)
def _parse_cron_text(expr: str) -> Cron:
    match = _EXPRESSION_RE.match(expr)
    if match is None:
        raise CronError(f"{expr!r} is not a cron(...) expression; AWS Backup needs e.g. {EXAMPLE_SCHEDULE}")
    kind = match.group("kind").lower()
    if kind != "cron":
        raise CronError(f"AWS Backup accepts only cron(...) schedules, not {kind}(...); e.g. {EXAMPLE_SCHEDULE}")
    fields = match.group("body").split()
    if len(fields) == 5:
        raise CronError(
            f"{expr} has 5 fields: that is a Unix cron; AWS Backup needs the 6-field EventBridge form "
            f"cron(minutes hours day-of-month month day-of-week year), e.g. {EXAMPLE_SCHEDULE}"
        )
    if len(fields) != 6:
        raise CronError(
            f"{expr} has {len(fields)} fields; EventBridge cron needs 6: "
            f"cron(minutes hours day-of-month month day-of-week year), e.g. {EXAMPLE_SCHEDULE}"
        )
    minutes, hours, day_of_month, month, day_of_week, year = (field.upper() for field in fields)
    if (day_of_month == "?") == (day_of_week == "?"):
        raise CronError(f"{expr}: exactly one of day-of-month ({fields[2]}) and day-of-week ({fields[4]}) must be '?'")
    day_matches = _parse_day_of_week(day_of_week) if day_of_month == "?" else _parse_day_of_month(day_of_month)
    return Cron(
        minutes=_parse_values(minutes, _MINUTES),
        hours=_parse_values(hours, _HOURS),
        months=_parse_values(month, _MONTH),
        years=_parse_values(year, _YEAR),
        day_matches=day_matches,
    )


def _parse_values(text: str, field: _Field) -> frozenset[int]:
    """A comma list of ``*``, ``n``, ``a-b``, each optionally ``/step`` where the field allows increments."""
    values: set[int] = set()
    for item in text.split(","):
        values.update(_parse_item(item, field))
    return frozenset(values)


def _parse_item(item: str, field: _Field) -> range:
    base, slash, step_text = item.partition("/")
    if slash and not field.allows_step:
        raise CronError(f"{field.name} field {item!r}: '/' increments are not allowed in {field.name}")
    if base == "*":
        start, end = field.low, field.high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _parse_value(first, field), _parse_value(last, field)
        if start > end:
            raise CronError(f"{field.name} field {item!r}: range start {first} is after its end {last}")
    else:
        start = _parse_value(base, field)
        end = field.high if slash else start
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise CronError(f"{field.name} field {item!r}: the increment after '/' must be a positive number")
        step = int(step_text)
    return range(start, end + 1, step)


def _parse_value(text: str, field: _Field) -> int:
    if text in field.names:
        return field.names[text]
    if not text.isdigit():
        raise CronError(f"{field.name} field: {text!r} is not a value ({field.low}-{field.high}{field.names_hint})")
    value = int(text)
    if not field.low <= value <= field.high:
        raise CronError(f"{field.name} field: {value} is outside {field.low}-{field.high}")
    return value


def _parse_day_of_month(text: str) -> DayMatcher:
    """``L`` (last day), ``LW`` (last weekday), ``nW`` (weekday nearest day n), or a list of days."""
    if text == "L":
        return lambda day: day.day == _days_in_month(day)
    if text == "LW":
        return lambda day: day.day == _last_weekday(day.year, day.month)
    nearest = _NEAREST_WEEKDAY_RE.match(text)
    if nearest:
        target = _parse_value(nearest.group(1), _DAY_OF_MONTH)
        return lambda day: _nearest_weekday(day.year, day.month, target) == day.day
    if "L" in text or "W" in text:
        raise CronError(f"day-of-month field {text!r}: 'L' and 'W' must stand alone (L, LW or nW)")
    days = _parse_values(text, _DAY_OF_MONTH)
    return lambda day: day.day in days


def _parse_day_of_week(text: str) -> DayMatcher:
    """``L`` (Saturday), ``dL`` (last weekday d of the month), ``d#n`` (n-th weekday d), or a list of days."""
    if text == "L":
        return lambda day: _cron_weekday(day) == _DAY_NAMES["SAT"]
    last_of = _LAST_OF_WEEKDAY_RE.match(text)
    if last_of:
        weekday = _parse_value(last_of.group(1), _DAY_OF_WEEK)
        return lambda day: _cron_weekday(day) == weekday and day.day + 7 > _days_in_month(day)
    nth = _NTH_WEEKDAY_RE.match(text)
    if nth:
        weekday = _parse_value(nth.group(1), _DAY_OF_WEEK)
        occurrence = int(nth.group(2))
        if not 1 <= occurrence <= 5:
            raise CronError(f"day-of-week field {text!r}: the occurrence after '#' must be 1-5")
        return lambda day: _cron_weekday(day) == weekday and (day.day - 1) // 7 + 1 == occurrence
    if "L" in text or "#" in text:
        raise CronError(f"day-of-week field {text!r}: 'L' and '#' must stand alone (L, dL or d#n)")
    weekdays = _parse_values(text, _DAY_OF_WEEK)
    return lambda day: _cron_weekday(day) in weekdays


def _cron_weekday(day: date) -> int:
    """EventBridge numbers Sunday 1 .. Saturday 7; Python numbers Monday 0 .. Sunday 6."""
    return (day.weekday() + 1) % 7 + 1


def _days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def _last_weekday(year: int, month: int) -> int:
    last = calendar.monthrange(year, month)[1]
    weekday = date(year, month, last).weekday()
    return last - max(0, weekday - 4)


def _nearest_weekday(year: int, month: int, target: int) -> int | None:
    """Quartz ``nW``: the weekday closest to day n without leaving the month."""
    last = calendar.monthrange(year, month)[1]
    if target > last:
        return None
    weekday = date(year, month, target).weekday()
    if weekday == 5:
        return target - 1 if target > 1 else target + 2
    if weekday == 6:
        return target + 1 if target < last else target - 2
    return target


@lru_cache(maxsize=512)
def _min_interval(cron: Cron) -> int | None:
    run_days = _run_days(cron)
    if not run_days:
        return None
    times = cron.times_of_day()
    gaps = [later - earlier for earlier, later in pairwise(times)]
    gaps += [(later - earlier) * MINUTES_PER_DAY - (times[-1] - times[0]) for earlier, later in pairwise(run_days)]
    return min(gaps, default=None)


@lru_cache(maxsize=512)
def _max_interval(cron: Cron) -> int | None:
    times = cron.times_of_day()
    runs = [
        day.toordinal() * MINUTES_PER_DAY + minute
        for year in _simulated_years(cron)[:_MAX_GAP_YEARS]
        for month in sorted(cron.months)
        for number in range(1, calendar.monthrange(year, month)[1] + 1)
        if cron.day_matches(day := date(year, month, number))
        for minute in times
    ]
    return max((later - earlier for earlier, later in pairwise(runs)), default=None)


def _simulated_years(cron: Cron) -> list[int]:
    years = sorted(cron.years)
    recent = [year for year in years if year >= _FIRST_SIMULATED_YEAR]
    return (recent or years)[:_SIMULATED_YEARS]


def _run_days(cron: Cron) -> list[int]:
    """Ordinals of the days the expression fires on, over a window long enough for leap-year patterns."""
    days: list[int] = []
    for year in _simulated_years(cron):
        for month in sorted(cron.months):
            for day_number in range(1, calendar.monthrange(year, month)[1] + 1):
                day = date(year, month, day_number)
                if cron.day_matches(day):
                    days.append(day.toordinal())
                    if len(days) >= 2 and days[-1] - days[-2] == 1:
                        return days
    return days
