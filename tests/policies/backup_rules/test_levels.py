"""Loader and pack agree (issue 10 item 8): each rule in both has the same level, checked on real findings."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployment.load import load_config
from org_backup.preview.policy_eval import load_pack
from policies.backup_rules.findings import LEVELS
from policies.backup_rules.levels import KMS_MIN_DELETION_WINDOW_DAYS, SHARED_RULES
from stackconfig.load import ConfigError, read_stack_file, sections_from_pulumi_config

PROJECT_DIR = Path(__file__).resolve().parents[3]
DAILY = ("plans", "daily", "rules", "daily")


def _set(*path_and_value: Any) -> Callable[[dict[str, Any]], None]:
    *path, value = path_and_value

    def mutate(raw: dict[str, Any]) -> None:
        node = raw
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return mutate


# One mistake per shared rule that makes the loader report exactly that rule.
MISTAKES: dict[str, Callable[[dict[str, Any]], object]] = {
    "start-window-min": _set(*DAILY, "start_window_minutes", 30),
    "completion-window-positive": _set(*DAILY, "completion_window_minutes", 0),
    "completion-after-start": _set(*DAILY, "completion_window_minutes", 60),
    "cold-storage-plus-90": _set("plans", "weekly", "rules", "weekly", "retention_days", 100),
    "retention-range": _set(*DAILY, "retention_days", 36501),
    "continuous-retention": _set("plans", "critical-databases", "rules", "continuous", "retention_days", 36),
    "retention-within-lock": _set("plans", "critical-databases", "rules", "hourly", "retention_days", 3),
    "lock-changeable-range": _set("vaults", "central", "lock", "changeable_for_days", 2),
    "lock-max-above-min": _set("vaults", "member", "lock", "max_retention_days", 7),
    "vault-unlocked": _set("vaults", "member", "lock", None),
    "force-destroy": _set("vaults", "member", "force_destroy", True),
    "kms-deletion-window": _set("vaults", "member", "key", {"deletion_window_days": 7}),
    "central-copy-backup-role-only": _set(
        "vaults",
        "central",
        "extra_access_policy_statements",
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444444444401:root"},
                "Action": "backup:*",
                "Resource": "*",
            }
        ],
    ),
    "copy-dr-same-region": lambda raw: (
        raw["organization"].update(dr_regions=["us-west-2", "eu-west-1"]),
        raw["plans"]["daily"]["rules"]["daily"].update(copies=[{"region": "eu-west-1", "retention_days": 90}]),
    ),
}
# Found after loading, with the organization (``build_layout``): see tests/stackconfig/test_copy_paths.py.
ORGANIZATION_PHASE = {"copy-source-not-admitted", "copy-destination-key", "copy-source-key"}


def loader_severities(rule: str) -> set[str]:
    raw = copy.deepcopy(sections_from_pulumi_config(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")))
    MISTAKES[rule](raw)
    try:
        found = load_config(raw).warnings
    except ConfigError as exc:
        found = exc.findings
    return {f.severity for f in found if f.rule == rule}


def test_every_shared_rule_has_a_mistake():
    assert set(SHARED_RULES) == set(MISTAKES) | ORGANIZATION_PHASE


@pytest.mark.parametrize("rule", sorted(MISTAKES))
def test_loader_reports_the_shared_level(rule):
    assert loader_severities(rule) == {SHARED_RULES[rule][1]}


@pytest.mark.parametrize("rule", sorted(SHARED_RULES))
def test_pack_rule_has_the_same_level(rule):
    pack = {p.rule.name: p.rule for p in load_pack()}  # type: ignore[attr-defined]
    name, severity = SHARED_RULES[rule]
    assert name in pack, f"{name} is not a rule of the pack"
    assert pack[name].enforcement.value == LEVELS[severity].enforcement


def test_kms_deletion_window_default_is_the_required_one():
    pack = {p.rule.name: p.rule for p in load_pack()}  # type: ignore[attr-defined]
    assert pack["kms-key-deletion-safety"].defaults()["minDeletionWindowDays"] == KMS_MIN_DELETION_WINDOW_DAYS
