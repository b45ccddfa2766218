"""The previous naming scheme, kept to hand its names on: each previous policy is renamed in place, none deleted."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from components.documents.backup_policy import (
    BackupPolicyDocument,
    BackupPolicyError,
    group_key,
    render_backup_policies,
    render_document,
    render_plan,
)
from components.documents.backup_policy_migration import migrated, previous_backup_policies, with_previous_names
from policies.backup_rules.limits import MAX_BACKUP_POLICY_CHARS
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import OTHER_OU_ID, OU_ID, ROOT_ID, make_config

DR_REGIONS = ["eu-north-1", "us-west-2", "ap-southeast-2", "ca-central-1", "sa-east-1"]


def _plan(rules: int = 1, copies: int = 0) -> dict[str, Any]:
    """About 1,500 characters per rule and copy once locked."""
    return {
        "rules": {
            f"rule-{i:02d}": {
                "schedule": f"cron({i} 5 ? * * *)",
                "retention_days": 35,
                "copies": [{"region": r, "retention_days": 35} for r in DR_REGIONS[:copies]],
            }
            for i in range(rules)
        },
        "selections": {"tags": {"t": {"key": "backup", "values": ["x"]}}},
    }


def _config(plans: dict[str, dict[str, Any]]) -> StackConfig:
    return make_config(organization={"dr_regions": DR_REGIONS}, plans=plans)


def _aliases(documents: list[BackupPolicyDocument]) -> dict[str, str | None]:
    return {d.name: d.previous_name for d in documents}


def test_the_previous_scheme_grouped_by_target_set_and_named_after_the_targets() -> None:
    config = _config({"a": _plan(), "b": _plan(), "c": _plan()})
    previous = previous_backup_policies(config, {"a": [OU_ID, ROOT_ID], "b": [ROOT_ID, OU_ID], "c": [OU_ID]})
    assert [(d.name, d.plan_names) for d in previous] == sorted(
        [
            (f"org-backup-{group_key([OU_ID, ROOT_ID])}-1", ("a", "b")),
            (f"org-backup-{group_key([OU_ID])}-1", ("c",)),
        ]
    )
    ab = next(d for d in previous if d.plan_names == ("a", "b"))
    assert ab.content == render_document({"a": render_plan(config, "a"), "b": render_plan(config, "b")})
    assert ab.target_ids == tuple(sorted([OU_ID, ROOT_ID]))


def test_the_previous_scheme_numbered_the_documents_of_a_target_set_it_split() -> None:
    config = _config({f"p{i}": _plan(2, 2) for i in range(4)})
    previous = previous_backup_policies(config, {f"p{i}": [OU_ID] for i in range(4)})
    key = group_key([OU_ID])
    assert [d.name for d in previous] == [f"org-backup-{key}-{n}" for n in range(1, len(previous) + 1)]
    assert len(previous) >= 2
    assert [p for d in previous for p in d.plan_names] == ["p0", "p1", "p2", "p3"]
    assert all(d.size <= MAX_BACKUP_POLICY_CHARS for d in previous)


def test_the_first_plan_of_a_packed_document_inherits_its_name_and_the_others_are_new() -> None:
    config = _config({"a": _plan(), "b": _plan(), "c": _plan()})
    targets = {"a": [OU_ID], "b": [OU_ID], "c": [OTHER_OU_ID]}
    (ab, c) = sorted(previous_backup_policies(config, targets), key=lambda d: d.plan_names)
    assert ab.plan_names == ("a", "b")

    documents = migrated(config, targets, render_backup_policies(config, targets))

    assert _aliases(documents) == {"org-backup-a": ab.name, "org-backup-b": None, "org-backup-c": c.name}
    heir = documents[0]
    assert heir.previous_plans == ("a", "b")
    assert heir.plan_names == ("a",), "Pulumi updates the old policy in place to hold only plan a"
    assert documents[2].previous_plans == ("c",)
    used = Counter(d.previous_name for d in documents if d.previous_name)
    assert max(used.values()) == 1, "no previous name is the alias of two policies"


def test_every_document_of_a_split_target_set_gets_its_own_heir() -> None:
    config = _config({f"p{i}": _plan(2, 2) for i in range(4)})
    targets = {f"p{i}": [OU_ID] for i in range(4)}
    previous = previous_backup_policies(config, targets)
    documents = migrated(config, targets, render_backup_policies(config, targets))
    expected = {f"org-backup-{d.plan_names[0]}": d.name for d in previous}
    assert {n: a for n, a in _aliases(documents).items() if a} == expected
    assert len(set(expected.values())) == len(previous)


def test_a_previous_document_whose_first_plan_is_taken_goes_to_the_holder_of_its_next_plan() -> None:
    """Two previous documents whose first plans now share a packed document (the fallback): that one inherits
    the first previous name, the second previous document goes to the holder of its second plan."""
    new = [
        BackupPolicyDocument("new-x", ("a", "c"), (OU_ID,), "{}"),
        BackupPolicyDocument("new-y", ("d",), (OU_ID,), "{}"),
    ]
    old = [
        BackupPolicyDocument("old-2", ("c", "d"), (OU_ID,), "{}"),
        BackupPolicyDocument("old-1", ("a", "b"), (OU_ID,), "{}"),
    ]
    assert _aliases(with_previous_names(new, old)) == {"new-x": "old-1", "new-y": "old-2"}
    # With nobody left to inherit it, a previous document is no one's alias rather than a second one's.
    assert _aliases(with_previous_names(new[:1], old)) == {"new-x": "old-1"}


def test_a_previous_name_that_is_still_a_current_name_is_no_alias() -> None:
    """A plan named like a previous document (``<prefix>-<hash>-<n>`` is a valid plan name): its policy keeps
    that URN as it is, and no other policy may claim it."""
    new = [
        BackupPolicyDocument("org-backup-a", ("a",), (OU_ID,), "{}"),
        BackupPolicyDocument("org-backup-0123abcd-1", ("0123abcd-1",), (OU_ID,), "{}"),
    ]
    old = [BackupPolicyDocument("org-backup-0123abcd-1", ("a", "0123abcd-1"), (OU_ID,), "{}")]
    assert _aliases(with_previous_names(new, old)) == {"org-backup-a": None, "org-backup-0123abcd-1": None}


def test_nothing_is_inherited_from_a_configuration_the_previous_scheme_refused() -> None:
    """Eleven plans on the root, each too big to share: the previous scheme refused them (so nothing of them was
    deployed); the new one refuses them as well, and the migration adds nothing."""
    config = _config({f"p{i:02d}": _plan(1, 0) for i in range(11)})
    targets = {f"p{i:02d}": [ROOT_ID, f"ou-ab12-{i:08d}"] for i in range(11)}
    with pytest.raises(BackupPolicyError) as refused:
        previous_backup_policies(config, targets)
    assert refused.value.rule == "backup-policies-per-target"
    documents = [BackupPolicyDocument(f"org-backup-p{i:02d}", (f"p{i:02d}",), (ROOT_ID,), "{}") for i in range(11)]
    assert migrated(config, targets, documents) == documents
