"""The prod program: everyday changes keep every backup policy's URN, and the upgrade renames in place."""

from __future__ import annotations

import copy
from typing import Any

from org_backup.preview.offline import ProgramRun, load_stack_config, run_program

POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
NON_PROD = "ou-ab12-22222222"


def _backup_policies(run: ProgramRun) -> dict[str, Any]:
    return {r.urn: r for r in run.of_type(POLICY) if r.inputs.get("type") == "BACKUP_POLICY"}


def test_adding_an_ou_to_a_plans_targets_only_adds_its_attachments(prod_run: ProgramRun) -> None:
    """weekly (prod only) gains non-prod: its policy keeps its URN, name and content; only an attachment is added.
    The previous scheme grouped plans by target set: here it moved weekly into daily's policy (two protected
    policies changed, no attachment added), and for a target set of its own it renamed the policies
    (tests/components/documents/test_backup_policy_names.py)."""
    config: dict[str, Any] = copy.deepcopy(load_stack_config("prod"))
    assert config["org-backup:plans"]["weekly"]["targets"] == ["prod"]
    config["org-backup:plans"]["weekly"]["targets"] = ["prod", "non-prod"]
    changed = run_program(config, stack="prod")

    before, after = prod_run.by_urn(), changed.by_urn()
    assert set(before) - set(after) == set(), "nothing is deleted"
    added = [after[u] for u in sorted(set(after) - set(before))]
    assert [(r.type, r.name) for r in added] == [(ATTACHMENT, f"org-backup-weekly-{NON_PROD}")]
    assert added[0].inputs["targetId"] == NON_PROD
    old_policies, new_policies = _backup_policies(prod_run), _backup_policies(changed)
    assert set(new_policies) == set(old_policies)
    assert {u: r.inputs for u, r in new_policies.items()} == {u: r.inputs for u, r in old_policies.items()}


def test_the_heir_of_a_previous_policy_waits_for_the_policies_that_take_over_its_other_plans(
    prod_run: ProgramRun,
) -> None:
    """critical-databases inherits org-backup-3d3b2871-1, which also held monthly and weekly: Pulumi shrinks that
    policy to critical-databases only after monthly's and weekly's own policies exist and are attached."""
    policies = {r.name: r for r in prod_run.of_type(POLICY)}
    heir = policies["org-backup-critical-databases"]
    assert heir.protect
    assert [a.rsplit("::", 1)[1] for a in heir.aliases] == ["org-backup-3d3b2871-1"]
    successors = {policies[n].urn for n in ("org-backup-monthly", "org-backup-weekly")}
    successors |= {
        r.urn for r in prod_run.of_type(ATTACHMENT) if r.name.startswith(("org-backup-monthly-", "org-backup-weekly-"))
    }
    assert len(successors) == 2 + 8
    assert successors <= set(heir.dependencies)
    for name in ("org-backup-monthly", "org-backup-weekly", "org-backup-daily"):
        assert not set(policies[name].dependencies) & {heir.urn}, "nothing waits for the heir"
    assert [a.rsplit("::", 1)[1] for a in policies["org-backup-daily"].aliases] == ["org-backup-eed2e052-1"]
    assert policies["org-backup-monthly"].aliases == policies["org-backup-weekly"].aliases == []
