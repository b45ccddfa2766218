"""EventBridge pattern matching, for the rules that route failed AWS Backup jobs to someone.

AWS Backup sends ``Backup Job State Change`` (and copy/restore) events with ``source`` ``aws.backup`` to the
default bus of the account and Region where the job runs; a failed job carries ``detail.state`` ``FAILED``.
``pattern_matches`` implements the EventBridge matching rules the patterns in this project use: exact values,
``$or``, and the ``anything-but``/``prefix``/``suffix``/``wildcard``/``equals-ignore-case``/``exists`` filters.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

# Terminal job states that leave no recovery point (or no copy, or no restored resource), each a member of
# its job type's enum in the AWS Backup API (botocore backup service-2.json): BackupJobState
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_BackupJob.html), CopyJobState
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_CopyJob.html) and RestoreJobStatus
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_RestoreJobsListMember.html). PARTIAL: some
# resources of the job were not backed up or copied. Copy jobs are never ABORTED or EXPIRED, restore jobs
# never EXPIRED or PARTIAL: those values are not in their enums. One home for the alert rule and verify.
BACKUP_JOB_FAILURE_STATES = ("FAILED", "ABORTED", "EXPIRED", "PARTIAL")
COPY_JOB_FAILURE_STATES = ("FAILED", "PARTIAL")
RESTORE_JOB_FAILURE_STATES = ("FAILED", "ABORTED")

FAILED_BACKUP_JOB_EVENT: Mapping[str, Any] = {
    "source": "aws.backup",
    "detail-type": "Backup Job State Change",
    "detail": {"state": "FAILED"},
}

_MISSING = object()


def load_pattern(pattern: object) -> Mapping[str, Any] | None:
    """An event pattern from its JSON text (as EventRule.eventPattern holds it) or a mapping; None if unusable."""
    if isinstance(pattern, str):
        try:
            pattern = json.loads(pattern)
        except ValueError:
            return None
    return pattern if isinstance(pattern, Mapping) else None


def pattern_matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """Whether an event pattern selects the event: every field must match; ``$or`` needs one branch."""
    for key, rule in pattern.items():
        if key == "$or":
            if not isinstance(rule, list) or not any(
                isinstance(branch, Mapping) and pattern_matches(branch, event) for branch in rule
            ):
                return False
            continue
        value = event.get(key, _MISSING)
        if isinstance(rule, Mapping):
            if not isinstance(value, Mapping) or not pattern_matches(rule, value):
                return False
        elif not isinstance(rule, list) or not any(_value_matches(item, value) for item in rule):
            return False
    return True


def _value_matches(item: Any, value: Any) -> bool:
    if not isinstance(item, Mapping):
        return value is not _MISSING and item == value
    if "exists" in item:
        return bool(item["exists"]) == (value is not _MISSING)
    if value is _MISSING:
        return False
    if "anything-but" in item:
        excluded = item["anything-but"]
        if isinstance(excluded, Mapping):
            return not _value_matches(excluded, value)
        return value not in (excluded if isinstance(excluded, list) else [excluded])
    text = value if isinstance(value, str) else None
    if text is None:
        return False
    if "prefix" in item:
        return isinstance(item["prefix"], str) and text.startswith(item["prefix"])
    if "suffix" in item:
        return isinstance(item["suffix"], str) and text.endswith(item["suffix"])
    if "equals-ignore-case" in item:
        return isinstance(item["equals-ignore-case"], str) and text.lower() == item["equals-ignore-case"].lower()
    if "wildcard" in item:
        wildcard = item["wildcard"]
        return isinstance(wildcard, str) and bool(re.fullmatch(".*".join(map(re.escape, wildcard.split("*"))), text))
    return False


def selects_failed_backup_jobs(pattern: object) -> bool:
    """Whether an EventRule pattern routes failed AWS Backup backup jobs (unusable patterns never do)."""
    loaded = load_pattern(pattern)
    return loaded is not None and pattern_matches(loaded, FAILED_BACKUP_JOB_EVENT)
