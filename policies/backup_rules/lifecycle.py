"""Lifecycle, window and Vault Lock arithmetic (aws-backup-rules.md §2 and §3).

Every check takes already-parsed integers (``None`` = not set) and a path to report at, so the same code
judges the stack configuration, a rendered backup policy, an ``aws:backup/plan:Plan`` and a template.
"""

from __future__ import annotations

from .findings import Finding, join
from .limits import (
    COLD_STORAGE_MIN_DAYS,
    CONTINUOUS_BACKUP_MAX_DAYS,
    LAG_MIN_RETENTION_DAYS,
    LOCK_CHANGEABLE_MAX_DAYS,
    LOCK_CHANGEABLE_MIN_DAYS,
    LOCK_MAX_RETENTION_CEILING,
    LOCK_MIN_RETENTION_FLOOR,
    MAX_RETENTION_DAYS,
    MIN_RETENTION_DAYS,
    MIN_START_WINDOW_MINUTES,
    MIN_WARM_RETENTION_DAYS_ADVISED,
)

# Rule ids (one home each: the loader, the pack and the tests import them).
COLD_STORAGE_PLUS_90 = "cold-storage-plus-90"
COMPLETION_AFTER_START = "completion-after-start"
COMPLETION_WINDOW_POSITIVE = "completion-window-positive"
CONTINUOUS_NO_COLD_STORAGE = "continuous-no-cold-storage"
CONTINUOUS_RETENTION = "continuous-retention"
LAG_MIN_RETENTION = "lag-min-retention"
LOCK_CHANGEABLE_RANGE = "lock-changeable-range"
LOCK_MAX_ABOVE_MIN = "lock-max-above-min"
LOCK_MAX_RANGE = "lock-max-range"
LOCK_MIN_RANGE = "lock-min-range"
RETENTION_RANGE = "retention-range"
RETENTION_WITHIN_LOCK = "retention-within-lock"
START_WINDOW_MIN = "start-window-min"

KEEP_FOREVER = -1


def check_lifecycle(
    path: str,
    *,
    cold_after_days: int | None,
    delete_after_days: int | None,
    continuous: bool = False,
) -> list[Finding]:
    """Retention bounds, the 90-day cold-storage minimum and the 35-day continuous-backup maximum."""
    out: list[Finding] = []
    delete_path = join(path, "delete_after_days")
    cold_path = join(path, "move_to_cold_storage_after_days")
    if (
        delete_after_days is not None
        and delete_after_days != KEEP_FOREVER
        and not MIN_RETENTION_DAYS <= delete_after_days <= MAX_RETENTION_DAYS
    ):
        out.append(
            Finding(
                delete_path,
                delete_after_days,
                RETENTION_RANGE,
                f"delete_after_days {delete_after_days} must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS}",
            )
        )
    if cold_after_days is not None and cold_after_days != KEEP_FOREVER:
        if not MIN_RETENTION_DAYS <= cold_after_days <= MAX_RETENTION_DAYS:
            out.append(
                Finding(
                    cold_path,
                    cold_after_days,
                    RETENTION_RANGE,
                    f"move_to_cold_storage_after_days {cold_after_days} must be between "
                    f"{MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS}",
                )
            )
        elif (
            delete_after_days is not None
            and delete_after_days != KEEP_FOREVER
            and delete_after_days < cold_after_days + COLD_STORAGE_MIN_DAYS
        ):
            out.append(
                Finding(
                    delete_path,
                    delete_after_days,
                    COLD_STORAGE_PLUS_90,
                    f"delete_after_days {delete_after_days} must be >= move_to_cold_storage_after_days "
                    f"{cold_after_days} + {COLD_STORAGE_MIN_DAYS}",
                )
            )
    if continuous:
        if cold_after_days is not None:
            out.append(
                Finding(
                    cold_path,
                    cold_after_days,
                    CONTINUOUS_NO_COLD_STORAGE,
                    "continuous (point-in-time) backups cannot move to cold storage",
                )
            )
        if delete_after_days is None or delete_after_days == KEEP_FOREVER:
            out.append(
                Finding(
                    delete_path,
                    delete_after_days,
                    CONTINUOUS_RETENTION,
                    f"continuous backup needs delete_after_days between 1 and {CONTINUOUS_BACKUP_MAX_DAYS}",
                )
            )
        elif delete_after_days > CONTINUOUS_BACKUP_MAX_DAYS:
            out.append(
                Finding(
                    delete_path,
                    delete_after_days,
                    CONTINUOUS_RETENTION,
                    f"delete_after_days {delete_after_days} exceeds the {CONTINUOUS_BACKUP_MAX_DAYS}-day "
                    "maximum of continuous (point-in-time) backups",
                )
            )
    warm_days = _warm_days(cold_after_days, delete_after_days)
    if warm_days is not None and warm_days < MIN_WARM_RETENTION_DAYS_ADVISED and not continuous:
        out.append(
            Finding(
                delete_path,
                delete_after_days,
                "warm-retention-advised",
                f"warm retention of {warm_days} days is below the {MIN_WARM_RETENTION_DAYS_ADVISED} days AWS "
                "advises for incremental backups",
                "warning",
            )
        )
    return out


def _warm_days(cold_after_days: int | None, delete_after_days: int | None) -> int | None:
    if cold_after_days is not None and cold_after_days > 0:
        return cold_after_days
    if delete_after_days is not None and delete_after_days > 0:
        return delete_after_days
    return None


def check_windows(path: str, *, start_minutes: int | None, completion_minutes: int | None) -> list[Finding]:
    """Start window >= 60 minutes when set; completion window after the start window (UNCONFIRMED: warning)."""
    out: list[Finding] = []
    if start_minutes is not None and start_minutes < MIN_START_WINDOW_MINUTES:
        out.append(
            Finding(
                join(path, "start_backup_window_minutes"),
                start_minutes,
                START_WINDOW_MIN,
                f"start_backup_window_minutes {start_minutes} must be >= {MIN_START_WINDOW_MINUTES}",
            )
        )
    if completion_minutes is not None and completion_minutes < 1:
        out.append(
            Finding(
                join(path, "complete_backup_window_minutes"),
                completion_minutes,
                COMPLETION_WINDOW_POSITIVE,
                f"complete_backup_window_minutes must be positive (at least 1), got {completion_minutes}",
            )
        )
    elif start_minutes is not None and completion_minutes is not None and completion_minutes <= start_minutes:
        out.append(
            Finding(
                join(path, "complete_backup_window_minutes"),
                completion_minutes,
                COMPLETION_AFTER_START,
                f"complete_backup_window_minutes {completion_minutes} should exceed "
                f"start_backup_window_minutes {start_minutes}",
                "warning",
            )
        )
    return out


def check_lock(
    path: str,
    *,
    changeable_for_days: int | None,
    min_retention_days: int | None,
    max_retention_days: int | None,
) -> list[Finding]:
    """Vault Lock bounds: grace period 3..36,500 days, min >= 1, max <= 36,500 and max > min."""
    out: list[Finding] = []
    if changeable_for_days is not None and not (
        LOCK_CHANGEABLE_MIN_DAYS <= changeable_for_days <= LOCK_CHANGEABLE_MAX_DAYS
    ):
        out.append(
            Finding(
                join(path, "changeable_for_days"),
                changeable_for_days,
                LOCK_CHANGEABLE_RANGE,
                f"changeable_for_days {changeable_for_days} must be between {LOCK_CHANGEABLE_MIN_DAYS} and "
                f"{LOCK_CHANGEABLE_MAX_DAYS}",
            )
        )
    if min_retention_days is not None and not (
        LOCK_MIN_RETENTION_FLOOR <= min_retention_days <= LOCK_MAX_RETENTION_CEILING
    ):
        out.append(
            Finding(
                join(path, "min_retention_days"),
                min_retention_days,
                LOCK_MIN_RANGE,
                f"min_retention_days {min_retention_days} must be between {LOCK_MIN_RETENTION_FLOOR} and "
                f"{LOCK_MAX_RETENTION_CEILING}",
            )
        )
    if max_retention_days is not None and not (
        LOCK_MIN_RETENTION_FLOOR <= max_retention_days <= LOCK_MAX_RETENTION_CEILING
    ):
        out.append(
            Finding(
                join(path, "max_retention_days"),
                max_retention_days,
                LOCK_MAX_RANGE,
                f"max_retention_days {max_retention_days} must be between {LOCK_MIN_RETENTION_FLOOR} and "
                f"{LOCK_MAX_RETENTION_CEILING}",
            )
        )
    if min_retention_days is not None and max_retention_days is not None and max_retention_days <= min_retention_days:
        out.append(
            Finding(
                join(path, "max_retention_days"),
                max_retention_days,
                LOCK_MAX_ABOVE_MIN,
                f"max_retention_days {max_retention_days} must be greater than min_retention_days {min_retention_days}",
            )
        )
    return out


def check_air_gapped_retention(path: str, *, min_retention_days: int, max_retention_days: int) -> list[Finding]:
    """Logically air-gapped vaults: both bounds required, min >= 7, max >= min."""
    out: list[Finding] = []
    if min_retention_days < LAG_MIN_RETENTION_DAYS:
        out.append(
            Finding(
                join(path, "min_retention_days"),
                min_retention_days,
                LAG_MIN_RETENTION,
                f"min_retention_days {min_retention_days} of a logically air-gapped vault must be >= "
                f"{LAG_MIN_RETENTION_DAYS}",
            )
        )
    if max_retention_days < min_retention_days or max_retention_days > MAX_RETENTION_DAYS:
        out.append(
            Finding(
                join(path, "max_retention_days"),
                max_retention_days,
                "lag-max-retention",
                f"max_retention_days {max_retention_days} must be between min_retention_days "
                f"{min_retention_days} and {MAX_RETENTION_DAYS}",
            )
        )
    return out


def check_retention_within_lock(
    path: str,
    *,
    delete_after_days: int | None,
    lock_min_days: int | None,
    lock_max_days: int | None,
    vault: str,
) -> list[Finding]:
    """A job whose retention lies outside the target vault's lock bounds fails at run time (§3)."""
    if lock_min_days is None and lock_max_days is None:
        return []
    retention = delete_after_days
    where = join(path, "delete_after_days")
    if retention is None or retention == KEEP_FOREVER:
        if lock_max_days is not None:
            return [
                Finding(
                    where,
                    retention,
                    RETENTION_WITHIN_LOCK,
                    f"recovery points kept forever exceed max_retention_days {lock_max_days} of vault "
                    f"{vault}; set delete_after_days",
                )
            ]
        return []
    if lock_min_days is not None and retention < lock_min_days:
        return [
            Finding(
                where,
                retention,
                RETENTION_WITHIN_LOCK,
                f"delete_after_days {retention} is below min_retention_days {lock_min_days} of the locked "
                f"vault {vault}: jobs would fail",
            )
        ]
    if lock_max_days is not None and retention > lock_max_days:
        return [
            Finding(
                where,
                retention,
                RETENTION_WITHIN_LOCK,
                f"delete_after_days {retention} is above max_retention_days {lock_max_days} of the locked "
                f"vault {vault}: jobs would fail",
            )
        ]
    return []
