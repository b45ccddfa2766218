"""Backup-policy names: one policy per plan, named after the plan, so everyday changes rename nothing.

A policy's name is its Pulumi URN: a changed name makes ``pulumi up`` delete the protected policy. The first two
tests fail on the previous scheme, which named policies after their target set.
"""

from __future__ import annotations

from typing import Any

import pytest

from components.documents.backup_policy import (
    BackupPolicyDocument,
    BackupPolicyError,
    group_key,
    overfull_target,
    render_backup_policies,
    render_document,
    render_plan,
)
from policies.backup_rules.limits import MAX_BACKUP_POLICIES_PER_TARGET
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import OTHER_OU_ID, OU_ID, ROOT_ID, make_config


def _plan(tag: str) -> dict[str, Any]:
    return {
        "rules": {"r": {"schedule": "daily", "retention_days": 35}},
        "selections": {"tags": {"t": {"key": "backup", "values": [tag]}}},
    }


def _config(*names: str, **overrides: Any) -> StackConfig:
    return make_config(plans={name: _plan(name) for name in names}, **overrides)


def _by_name(documents: list[BackupPolicyDocument]) -> dict[str, BackupPolicyDocument]:
    return {document.name: document for document in documents}


def test_adding_an_ou_to_a_plans_targets_renames_no_policy() -> None:
    config = _config("daily", "weekly")
    before = _by_name(render_backup_policies(config, {"daily": [OU_ID], "weekly": [OU_ID]}))
    after = _by_name(render_backup_policies(config, {"daily": [OU_ID], "weekly": [OU_ID, OTHER_OU_ID]}))

    assert set(after) == set(before) == {"org-backup-daily", "org-backup-weekly"}
    assert after["org-backup-daily"] == before["org-backup-daily"]
    assert after["org-backup-weekly"].content == before["org-backup-weekly"].content
    assert after["org-backup-weekly"].target_ids == tuple(sorted([OU_ID, OTHER_OU_ID]))


def test_adding_a_plan_to_an_existing_target_set_changes_no_other_policy() -> None:
    before = render_backup_policies(_config("daily", "weekly"), {"daily": [OU_ID], "weekly": [OU_ID]})
    bigger = _config("daily", "weekly", "monthly")
    after = _by_name(render_backup_policies(bigger, {"daily": [OU_ID], "weekly": [OU_ID], "monthly": [OU_ID]}))

    added = after.pop("org-backup-monthly")
    assert after == _by_name(before), "daily's and weekly's policies keep their name and content"
    assert added.plan_names == ("monthly",)
    assert added.content == render_document({"monthly": render_plan(bigger, "monthly")})


def test_a_policy_name_over_128_characters_is_a_loader_error_naming_the_plan() -> None:
    """The model caps the prefix at 64 and plan names at 50; a name is still checked where it is made."""
    config = _config("daily")
    long_prefix = config.model_copy(
        update={"backup_policies": config.backup_policies.model_copy(update={"name_prefix": "p" * 123})}
    )
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(long_prefix, {"daily": [OU_ID]})
    name = "p" * 123 + "-daily"
    assert (error.value.path, error.value.rule, error.value.value) == ("plans.daily", "policy-name", "daily")
    assert repr(name) in error.value.message
    assert "128 characters" in error.value.message
    assert "backup_policies.name_prefix" in error.value.message

    fits = config.model_copy(
        update={"backup_policies": config.backup_policies.model_copy(update={"name_prefix": "p" * 122})}
    )
    assert [d.name for d in render_backup_policies(fits, {"daily": [OU_ID]})] == ["p" * 122 + "-daily"]


def test_packing_starts_only_when_one_policy_per_plan_would_pass_the_per_target_limit() -> None:
    names = [f"p{i:02d}" for i in range(8)]
    targets = {name: [OU_ID] for name in names}
    room = MAX_BACKUP_POLICIES_PER_TARGET - len(names)
    config = _config(*names, backup_policies={"policies_attached_elsewhere": {OU_ID: room}})

    assert overfull_target(config, targets) is None
    assert [d.name for d in render_backup_policies(config, targets)] == [f"org-backup-{n}" for n in names]

    # One more policy on the OU (a hand-written one, counted by the layout) and the plans share a policy.
    assert overfull_target(config, targets, {OU_ID: 1}) == (OU_ID, MAX_BACKUP_POLICIES_PER_TARGET + 1)
    (packed,) = render_backup_policies(config, targets, {OU_ID: 1})
    assert packed.plan_names == tuple(names)
    assert packed.name == f"org-backup-plans-{group_key(names)}"
    assert packed.target_ids == (OU_ID,)

    # A target the plans do not share decides nothing: the root has one plan.
    spread = {**targets, "p00": [OU_ID, ROOT_ID]}
    assert overfull_target(config, spread, {ROOT_ID: MAX_BACKUP_POLICIES_PER_TARGET - 1}) is None
