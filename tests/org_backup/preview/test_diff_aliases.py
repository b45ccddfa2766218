"""``preview --base`` follows aliases as Pulumi does: a base URN that a resource of the change declares as an
alias is that resource, renamed (updated, with the inputs that changed), not a removal and an addition.

The base is prod as the previous naming scheme deploys it (the program run with that scheme's documents,
``previous_backup_policies``): what every stack deployed before one policy per plan holds.
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from typing import Any

import pytest

from components.documents.backup_policy_migration import previous_backup_policies
from deployment import layout
from org_backup.preview.command import build_preview
from org_backup.preview.diff import PROTECTED_DELETE, compare
from org_backup.preview.model import Preview
from org_backup.preview.reports import to_json

POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
PREVIOUS = {"org-backup-3d3b2871-1", "org-backup-eed2e052-1"}


def _base(preview: Preview) -> dict[str, Any]:
    """What ``compare`` reads of a base report."""
    return {
        "resources": [asdict(r) for r in preview.run.resources],
        "backup_policies": [
            {"name": p.name, "content": p.content, "reaches": list(p.reaches)} for p in preview.backup_policies
        ],
        "_config": {},
    }


@pytest.fixture(scope="module")
def previous_base() -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            layout, "render_backup_policies", lambda config, targets, _=None: previous_backup_policies(config, targets)
        )
        patch.setattr(layout, "migrated", lambda config, targets, documents: list(documents))
        old = build_preview("prod")
    assert isinstance(old, Preview), old
    assert {p.name for p in old.backup_policies} == PREVIOUS
    return _base(old)


def test_the_upgrade_renames_the_previous_policies_in_place(prod_preview: Preview, previous_base: dict[str, Any]):
    diff = compare(prod_preview, previous_base, {}, "previous")

    assert diff.removed == [] and diff.replaced == []
    assert diff.violations == []
    renamed = {(c.name, (c.old_urn or "").rsplit("::", 1)[1], c.inputs) for c in diff.updated if c.type == POLICY}
    assert renamed == {
        ("org-backup-critical-databases", "org-backup-3d3b2871-1", ("content", "description", "name")),
        ("org-backup-daily", "org-backup-eed2e052-1", ("name",)),
    }
    # Renamed with their policy, the attachments keep its id: nothing of theirs changes.
    assert [c for c in diff.updated if c.type == ATTACHMENT] == []
    targets = ["444444444401", "444444444402", "444444444403", "ou-ab12-55555555"]
    assert sorted(c.name for c in diff.added) == sorted(
        [f"org-backup-{plan}" for plan in ("monthly", "weekly")]
        + [f"org-backup-{plan}-{t}" for plan in ("monthly", "weekly") for t in targets]
    )
    assert diff.coverage == [], "every account keeps every plan"
    # A renamed policy's content is compared with what it held, under its new name; the old names are not "gone".
    assert sorted(diff.policy_diffs) == [
        "org-backup-critical-databases",
        "org-backup-daily",
        "org-backup-monthly",
        "org-backup-weekly",
    ]
    assert diff.policy_diffs["org-backup-daily"] == "renamed from org-backup-eed2e052-1, content unchanged\n"
    shrunk = diff.policy_diffs["org-backup-critical-databases"]
    assert shrunk.startswith("--- base/org-backup-3d3b2871-1\n+++ new/org-backup-critical-databases\n")
    body = shrunk.splitlines()[2:]
    assert any(line.startswith("-") for line in body), "the plans that moved out are removed"
    assert not any(line.startswith("+") for line in body), "nothing is added to the renamed policy"


def test_without_the_aliases_the_same_change_deletes_protected_policies(
    prod_preview: Preview, previous_base: dict[str, Any]
):
    """What the matching saves: the same runs, aliases dropped, are two deletions of protected policies."""
    run = replace(prod_preview.run, resources=[replace(r, aliases=[]) for r in prod_preview.run.resources])
    diff = compare(replace(prod_preview, run=run), previous_base, {}, "previous")

    assert {c.name for c in diff.removed if c.type == POLICY} == PREVIOUS
    deleted = {v.resource.rsplit("::", 1)[1] for v in diff.violations if v.rule == PROTECTED_DELETE and v.resource}
    assert deleted >= PREVIOUS


def test_the_json_report_lists_each_resources_aliases(prod_preview: Preview):
    resources = {r["name"]: r for r in json.loads(json.dumps(to_json(prod_preview), default=str))["resources"]}
    assert resources["org-backup-daily"]["aliases"] == [
        "urn:pulumi:prod::org-backup::org-backup:backup_policies:BackupPolicies$aws:organizations/policy:Policy::"
        "org-backup-eed2e052-1"
    ]
    assert resources["org-backup-daily-ou-ab12-22222222"]["aliases"] == [
        "urn:pulumi:prod::org-backup::aws:organizations/policy:Policy$aws:organizations/policyAttachment:"
        "PolicyAttachment::org-backup-eed2e052-1-ou-ab12-22222222"
    ]
    assert resources["org-backup-monthly"]["aliases"] == []
