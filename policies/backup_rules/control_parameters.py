"""Audit Manager control parameters the backup plans can satisfy (aws-backup-rules.md §6.2).

A control stricter than the plans is permanently non-compliant: a 35-day minimum-retention control against
hourly points kept 7 days reports every one of them, every day, and the real findings drown. Each control
below is judged against every plan the stack deploys (one framework serves every member account):

- ``BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK`` is met by a plan that "has a backup rule that
  satisfies the required frequency and retention period"; defaults 1 day and 35 days; the frequency value is
  at most 24 hours or 31 days.
  https://docs.aws.amazon.com/config/latest/developerguide/backup-plan-min-frequency-and-min-retention-check.html
- ``BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK`` judges every recovery point (default 35 days).
  https://docs.aws.amazon.com/config/latest/developerguide/backup-recovery-point-minimum-retention-check.html
- ``BACKUP_LAST_RECOVERY_POINT_CREATED`` judges every protected resource: a recovery point within
  ``recoveryPointAgeValue`` hours (1-744) or days (1-31); default 1 day.
  https://docs.aws.amazon.com/aws-backup/latest/devguide/controls-and-remediation.html

How AWS turns a cron schedule into a frequency is not documented: a rule's frequency here is the longest gap
between two of its runs (a monthly rule: 31 days), the safe side (never stricter than the schedule). Scoping
one control per plan is not possible: a control scope takes "a single tag key and optional value"
(controls-and-remediation page above), while plans select by
several conditions, resource types and exclusions, so one control per framework takes the loosest value
every plan meets.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from .findings import Finding, join
from .limits import AUDIT_DEFAULT_REQUIRED_RETENTION_DAYS
from .schedule import MINUTES_PER_DAY, CronError, parse_cron

MIN_FREQUENCY_CONTROL = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
MIN_RETENTION_CONTROL = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"
LAST_RECOVERY_POINT_CONTROL = "BACKUP_LAST_RECOVERY_POINT_CREATED"
PLAN_DERIVED_CONTROLS = frozenset({MIN_FREQUENCY_CONTROL, MIN_RETENTION_CONTROL, LAST_RECOVERY_POINT_CONTROL})

RETENTION = "requiredRetentionDays"
FREQUENCY_UNIT, FREQUENCY_VALUE = "requiredFrequencyUnit", "requiredFrequencyValue"
AGE_UNIT, AGE_VALUE = "recoveryPointAgeUnit", "recoveryPointAgeValue"

Unit = Literal["hours", "days"]
MINUTES_PER_HOUR = 60
# (largest hours value, largest days value) each parameter pair takes (sources in the module docstring)
FREQUENCY_MAX = (24, 31)
AGE_MAX = (744, 31)
DEFAULT_PERIOD_MINUTES = MINUTES_PER_DAY  # both controls default to 1 day
_SIMULATED_YEARS = range(2024, 2032)  # two leap years: every month length and weekday layout


@dataclass(frozen=True)
class RuleCadence:
    """What a control can see of one backup rule: its cron schedule and how long its points live.

    ``None`` retention means the points are kept until deleted by hand; ``None`` schedule means unknown.
    """

    schedule: str | None
    retention_days: int | None
    copy_retention_days: tuple[int | None, ...] = ()


PlanRules = Sequence[RuleCadence]


@dataclass(frozen=True)
class PlanBounds:
    """The strictest values every plan meets (``None``: nothing to bound, any value is met)."""

    frequency_minutes: int | None
    plan_retention_days: int | None
    point_retention_days: int | None


@lru_cache(maxsize=256)
def longest_gap_minutes(schedule: str) -> int | None:
    """Longest time between two runs of a cron schedule; None if it does not parse or runs once."""
    try:
        cron = parse_cron(schedule)
    except CronError:
        return None
    times = cron.times_of_day()
    years = [year for year in _SIMULATED_YEARS if year in cron.years]
    days = [
        day.toordinal()
        for year in years
        for month in sorted(cron.months)
        for day in (date(year, month, d) for d in range(1, _month_days(year, month) + 1))
        if cron.day_matches(day)
    ]
    if not times or not days or len(days) * len(times) < 2:
        return None
    gaps = [later - earlier for earlier, later in pairwise(times)]
    gaps += [(later - earlier) * MINUTES_PER_DAY + times[0] - times[-1] for earlier, later in pairwise(days)]
    return max(gaps)


def _month_days(year: int, month: int) -> int:
    return (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days


def _rule_gap(rule: RuleCadence) -> int | None:
    return longest_gap_minutes(rule.schedule) if isinstance(rule.schedule, str) else None


def _longest(values: Iterable[int | None]) -> int | None:
    """Largest retention, ``None`` (forever) winning; only called with at least one value."""
    values = list(values)
    return None if any(v is None for v in values) else max(v for v in values if v is not None)


def plan_bounds(plans: Iterable[PlanRules], frequency_limit: int | None = None) -> PlanBounds:
    """Frequency: each plan's most frequent rule, the least frequent of those across plans. Plan retention:
    the longest a plan keeps points of a rule at least that frequent (or at least as frequent as a looser
    ``frequency_limit``), the shortest across plans. Point retention: the shortest any rule or copy keeps a
    recovery point."""
    plans = [list(plan) for plan in plans if plan]
    plan_gaps = [min(known) for plan in plans if (known := [g for g in map(_rule_gap, plan) if g is not None])]
    frequency = max(plan_gaps, default=None)
    limit = frequency if frequency is None or frequency_limit is None else max(frequency, frequency_limit)
    plan_retentions: list[int | None] = []
    for plan in plans:
        eligible = [r for r in plan if limit is None or ((g := _rule_gap(r)) is not None and g <= limit)]
        plan_retentions.append(_longest(r.retention_days for r in (eligible or plan)))
    finite_plans = [days for days in plan_retentions if days is not None]
    points = [days for plan in plans for rule in plan for days in (rule.retention_days, *rule.copy_retention_days)]
    finite_points = [days for days in points if days is not None]
    return PlanBounds(
        frequency_minutes=frequency,
        plan_retention_days=min(finite_plans) if finite_plans else None,
        point_retention_days=min(finite_points) if finite_points else None,
    )


def period_minutes(unit: object, value: object) -> int | None:
    """Minutes of a ``(unit, value)`` parameter pair; None when either is malformed."""
    number = _int(value)
    if number is None or number < 1 or unit not in ("hours", "days"):
        return None
    return number * (MINUTES_PER_DAY if unit == "days" else MINUTES_PER_HOUR)


def as_period(minutes: int, maximum: tuple[int, int]) -> tuple[Unit, int]:
    """The shortest ``(unit, value)`` at least ``minutes`` long, clamped to the largest value AWS takes."""
    max_hours, max_days = maximum
    if minutes % MINUTES_PER_DAY and math.ceil(minutes / MINUTES_PER_HOUR) <= max_hours:
        return "hours", max(1, math.ceil(minutes / MINUTES_PER_HOUR))
    return "days", min(max_days, max(1, math.ceil(minutes / MINUTES_PER_DAY)))


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _loosen_retention(parameters: dict[str, str], allowed: int | None) -> None:
    configured = _int(parameters.get(RETENTION, AUDIT_DEFAULT_REQUIRED_RETENTION_DAYS))
    if allowed is not None and configured is not None and configured > allowed:
        parameters[RETENTION] = str(allowed)


def _loosen_period(
    parameters: dict[str, str], keys: tuple[str, str], needed: int | None, maximum: tuple[int, int]
) -> None:
    unit_key, value_key = keys
    configured = period_minutes(parameters.get(unit_key, "days"), parameters.get(value_key, "1"))
    if needed is not None and configured is not None and configured < needed:
        parameters[unit_key], value = as_period(needed, maximum)
        parameters[value_key] = str(value)


def satisfiable_parameters(name: str, parameters: Mapping[str, str], plans: Iterable[PlanRules]) -> dict[str, str]:
    """``parameters`` loosened just enough for every plan to meet the control; looser values stay as they are.

    A value left out counts as AWS's default, so a default the plans cannot meet becomes explicit.
    """
    out = dict(parameters)
    if name not in PLAN_DERIVED_CONTROLS:
        return out
    plans = list(plans)
    bounds = plan_bounds(plans)
    if name == MIN_RETENTION_CONTROL:
        _loosen_retention(out, bounds.point_retention_days)
    elif name == MIN_FREQUENCY_CONTROL:
        _loosen_period(out, (FREQUENCY_UNIT, FREQUENCY_VALUE), bounds.frequency_minutes, FREQUENCY_MAX)
        # the retention a plan can meet depends on the frequency asked: a daily rule kept 35 days meets
        # (1 day, 35) in a plan whose hourly rule keeps points 7 days
        asked = period_minutes(out.get(FREQUENCY_UNIT, "days"), out.get(FREQUENCY_VALUE, "1"))
        _loosen_retention(out, plan_bounds(plans, asked).plan_retention_days)
    else:
        _loosen_period(out, (AGE_UNIT, AGE_VALUE), bounds.frequency_minutes, AGE_MAX)
    return dict(sorted(out.items()))


def _describe(parameters: Mapping[str, str], keys: Sequence[str]) -> str:
    return ", ".join(f"{key} {parameters.get(key, '(AWS default)')}" for key in keys)


def check_control_against_plans(
    path: str, name: object, parameters: Mapping[str, object], plans: Iterable[PlanRules]
) -> list[Finding]:
    """A finding when the plans can never meet the control: it would report compliant backups forever."""
    if name not in PLAN_DERIVED_CONTROLS or not isinstance(name, str):
        return []
    given = {k: v for k, v in parameters.items() if isinstance(v, str)}
    plans = [list(plan) for plan in plans]
    needed = satisfiable_parameters(name, given, plans)
    changed = sorted(key for key in needed if needed.get(key) != given.get(key))
    findings: list[Finding] = []
    if changed:
        findings.append(
            Finding(
                join(path, "inputParameters"),
                dict(given),
                "audit-control-contradicts-plans",
                f"{name}: {_describe(given, changed)} is stricter than the backup plans allow, so the control is permanently "
                f"non-compliant; every plan meets {_describe(needed, changed)}",
            )
        )
    frequency = plan_bounds(plans).frequency_minutes
    longest_days = (FREQUENCY_MAX if name == MIN_FREQUENCY_CONTROL else AGE_MAX)[1]
    if name != MIN_RETENTION_CONTROL and frequency is not None and frequency > longest_days * MINUTES_PER_DAY:
        findings.append(
            Finding(
                join(path, "inputParameters"),
                frequency,
                "audit-control-contradicts-plans",
                f"{name}: a plan runs its most frequent rule only every {frequency / MINUTES_PER_DAY:g} days, "
                f"longer than the {longest_days} days the control can express: it can never be compliant for "
                "that plan",
            )
        )
    return findings
