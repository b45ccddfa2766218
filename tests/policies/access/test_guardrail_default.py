"""The guardrail's account-wide recovery-point deny is opt-in (other teams' vaults are theirs): with the default,
our vaults still hold, because their access policy denies the destructive actions to everyone but the
break-glass roles and the guardrail forbids changing or deleting that policy. IAMSpy decides every cell."""

from __future__ import annotations

import copy
import json

import pytest

from components.documents.guardrail_scp import guardrail_scp_documents
from components.program import offline_tree
from deployment.load import load_config
from org_backup.preview.access_report import access_matrix
from org_backup.preview.offline import load_stack_config, run_program
from policies.access import AccessMatrix
from stackconfig.load import sections_from_pulumi_config

RECOVERY_POINT_ACTIONS = {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"}


def _config(stack: str, *, every_vault: bool | None = None) -> dict:
    raw = copy.deepcopy(load_stack_config(stack))
    if every_vault is not None:
        guardrail = dict(raw.get("org-backup:guardrail") or {})
        guardrail["deny_recovery_point_changes_in_every_vault"] = every_vault
        raw["org-backup:guardrail"] = guardrail
    return raw


def _matrix(raw: dict, stack: str) -> AccessMatrix:
    tree = offline_tree(load_config(sections_from_pulumi_config(raw)).config, stack)
    return access_matrix(run_program(raw, stack=stack), tree)


def _denied_actions(raw: dict) -> set[str]:
    config = load_config(sections_from_pulumi_config(raw)).config
    return {
        action
        for document in guardrail_scp_documents(config)
        for statement in document["Statement"]
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }


def test_by_default_the_scp_leaves_other_teams_recovery_points_alone_but_keeps_the_region_settings() -> None:
    denied = _denied_actions(_config("prod"))
    assert not denied & RECOVERY_POINT_ACTIONS
    assert "backup:UpdateRegionSettings" in denied
    assert {"backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy"} <= denied


def test_the_account_wide_deny_is_there_when_opted_in() -> None:
    assert _denied_actions(_config("prod", every_vault=True)) >= RECOVERY_POINT_ACTIONS


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_with_the_default_no_member_administrator_can_delete_recovery_points_in_our_vaults(stack: str) -> None:
    raw = _config(stack)
    assert not load_config(sections_from_pulumi_config(raw)).config.guardrail.deny_recovery_point_changes_in_every_vault
    matrix = _matrix(raw, stack)
    # Filling a compliance-locked vault (security review F4) is test_stacks.py's; nothing else may be open.
    assert [c for c in matrix.open_to_attackers() if c.action_class != "copy into the vault"] == []
    vaults = {t.label for t in matrix.targets if t.kind == "vault"}
    admin = [
        c
        for c in matrix.cells
        if c.target in vaults
        and c.principal == "account administrator"
        and c.action_class in ("delete recovery points", "change or delete the vault policy")
    ]
    assert admin and not any(c.allowed for c in admin)
    for cell in admin:
        if cell.action_class == "delete recovery points":
            # Decided by the vault's own access policy: the resource-policy Deny binds the account's admins too.
            assert cell.reason == "explicit Deny" and any("vault access policy" in d for d in cell.decided_by), cell


def test_without_the_vault_policy_deny_the_default_guardrail_would_not_save_the_recovery_points() -> None:
    """The attacker's view of what protects them: strip the Deny from every vault policy and the administrator
    can delete recovery points (so the test above is not passing for another reason)."""
    raw = _config("prod")
    run = run_program(raw, stack="prod")
    for resource in run.resources:
        if resource.type == "aws:backup/vaultPolicy:VaultPolicy":
            document = json.loads(resource.inputs["policy"])
            document["Statement"] = [s for s in document["Statement"] if s["Effect"] != "Deny"]
            resource.inputs["policy"] = json.dumps(document)
    tree = offline_tree(load_config(sections_from_pulumi_config(raw)).config, "prod")
    opened = {(c.principal, c.action_class) for c in access_matrix(run, tree).open_to_attackers()}
    assert ("account administrator", "delete recovery points") in opened
