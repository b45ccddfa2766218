"""EventBridge matching of the failed-backup-job event, on patterns written the ways people write them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.backup_rules.events import load_pattern, pattern_matches, selects_failed_backup_jobs

EVENT = {"source": "aws.backup", "detail-type": "Backup Job State Change", "detail": {"state": "FAILED"}}


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": ["aws.backup"]},
        {"source": ["aws.backup"], "detail-type": ["Backup Job State Change"], "detail": {"state": ["FAILED"]}},
        {
            "source": ["aws.backup"],
            "detail": {"$or": [{"state": ["ABORTED", "EXPIRED", "FAILED"]}, {"status": ["FAILED"]}]},
        },
        {"source": [{"prefix": "aws."}], "detail": {"state": [{"anything-but": ["COMPLETED", "RUNNING"]}]}},
        {"source": ["aws.backup"], "detail-type": [{"suffix": "Job State Change"}]},
        {"source": ["aws.backup"], "detail": {"state": [{"equals-ignore-case": "failed"}]}},
        {"detail-type": [{"wildcard": "* Job State Change"}], "detail": {"state": [{"exists": True}]}},
        {"source": ["aws.backup"], "detail": {"reason": [{"exists": False}]}},
        {"source": ["aws.backup"], "detail": {"state": [{"anything-but": {"prefix": "COMP"}}]}},
    ],
)
def test_patterns_that_select_failed_backup_jobs(pattern: dict[str, Any]) -> None:
    assert selects_failed_backup_jobs(json.dumps(pattern))
    assert selects_failed_backup_jobs(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        {"source": ["aws.ec2"]},
        {"source": ["aws.backup"], "detail": {"state": ["COMPLETED"]}},
        {"source": ["aws.backup"], "detail-type": ["Copy Job State Change"]},
        {"source": ["aws.backup"], "detail": {"status": ["FAILED"]}},
        {"source": ["aws.backup"], "detail": {"$or": [{"status": ["FAILED"]}]}},
        {"source": "aws.backup"},
        {"source": ["aws.backup"], "detail": ["FAILED"]},
        {"source": ["aws.backup"], "detail": {"state": [{"numeric": [">", 0]}]}},
    ],
)
def test_patterns_that_miss_them(pattern: dict[str, Any]) -> None:
    assert not selects_failed_backup_jobs(pattern)


def test_unusable_patterns() -> None:
    assert load_pattern("{not json") is None
    assert load_pattern("[1]") is None
    assert not selects_failed_backup_jobs(None)


def test_matching_is_generic() -> None:
    assert pattern_matches({"a": {"b": [1]}}, {"a": {"b": 1}})
    assert not pattern_matches({"a": {"b": [1]}}, {"a": 1})
