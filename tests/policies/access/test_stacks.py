"""Who can destroy backups in the shipped stacks: prod and staging, direct and StackSet mode.

The secure outcome: no destructive action on any vault or key is open to an account administrator (nor a
role it names like an exempt one), another organization account, or an outsider.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.program import offline_tree
from deployment.load import load_config
from org_backup.preview.access_report import access_matrix
from org_backup.preview.offline import load_stack_config, run_program
from policies.access import ACTION_CLASSES, AccessMatrix
from policies.access.principals import CASE_NOTE, TRUST_NOTE
from stackconfig.load import sections_from_pulumi_config

CASES = [("prod", "direct"), ("prod", "stackset"), ("staging", "direct"), ("staging", "stackset")]


def _without_air_gapped(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_air_gapped(v) for k, v in value.items() if k != "air_gapped"}
    if isinstance(value, list):
        return [_without_air_gapped(v) for v in value]
    return value


@pytest.fixture(scope="module", params=CASES, ids=[f"{s}-{m}" for s, m in CASES])
def matrix(request: pytest.FixtureRequest) -> AccessMatrix:
    stack, mode = request.param
    config = copy.deepcopy(load_stack_config(stack))
    if mode == "stackset":
        config["org-backup:member_deployment"] = {"mode": "stackset"}
        # StackSet mode creates no member air-gapped vaults (loader rule air-gapped-stackset): plans target the
        # standard member vault there.
        config["org-backup:plans"] = _without_air_gapped(config.get("org-backup:plans") or {})
    tree = offline_tree(load_config(sections_from_pulumi_config(config)).config, stack)
    return access_matrix(run_program(config, stack=stack), tree)


def test_every_vault_and_its_key_is_analysed(matrix: AccessMatrix):
    kinds = {(t.kind, t.role) for t in matrix.targets}
    assert {("vault", "member"), ("key", "member"), ("vault", "central"), ("key", "central")} <= kinds
    assert {"backup-policy", "event-bus", "topic", "event-rule"} <= {t.kind for t in matrix.targets}
    vaults = [t for t in matrix.targets if t.kind == "vault" and not t.air_gapped]
    assert len([t for t in matrix.targets if t.kind == "key"]) == len(vaults)
    assert all(t.policy is not None for t in matrix.targets), "every document is known offline"


def test_the_only_destructive_access_open_is_filling_a_compliance_locked_vault(matrix: AccessMatrix):
    """Security review F4, not fixed in the central vault policy yet: it admits CopyIntoBackupVault from a role named
    like the backup role in any organization account, and the vault's own account administrator copies in through
    its identity policy. Copies into a compliance-locked vault cannot be deleted, so the matrix counts both as
    destructive. Everything else holds; this test fails (and must be narrowed) once F4 is fixed."""
    opened = matrix.open_to_attackers()
    unexpected = [f"{c.target} | {c.action_class} | {c.principal} | {c.decided_by}" for c in opened]
    unexpected = [u for u, c in zip(unexpected, opened, strict=True) if c.action_class != "copy into the vault"]
    assert unexpected == []
    locked = {t.label for t in matrix.targets if t.compliance_locked}
    assert all(c.target in locked for c in opened)
    if any(t.role == "central" and t.compliance_locked and not t.air_gapped for t in matrix.targets):
        assert {c.principal for c in opened if "org-backup-central" in c.target} <= {
            "account administrator",
            "other organization account as OrgBackupServiceRole",
        }


def test_answers_are_exact_except_where_they_depend_on_roles_the_stack_does_not_hold(matrix: AccessMatrix):
    """Security review F8: a squat whose SCP leaves sts:AssumeRole/iam:PassRole open, or a re-trust spelt in another
    letter case, depends on the existing role's trust policy and tags, which verify reads; such a cell is shown as not
    exact and never as closed for certain."""
    inexact = [c for c in matrix.cells if not c.exact]
    assert all(" as " in c.principal and not c.allowed for c in inexact), inexact[:3]
    assert all(TRUST_NOTE in c.reason or CASE_NOTE in c.reason for c in inexact), inexact[:3]
    assert any("sts:AssumeRole" in c.reason and "guardrail_roles" in c.reason for c in inexact)


def test_the_backup_role_of_every_targeted_account_can_copy_into_the_central_vault(matrix: AccessMatrix):
    """Security review F9: the cross-account copy itself (source backup role, central vault policy, central key with
    kms:ViaService backup.<region>, the source account's SCPs), one required cell per targeted account."""
    central = [t for t in matrix.targets if t.role == "central" and t.kind in ("vault", "key") and not t.air_gapped]
    assert central
    for target in central:
        cls = "copy into the vault" if target.kind == "vault" else "encrypt copies (via AWS Backup)"
        cells = [c for c in matrix.cells if c.target == target.label and c.action_class == cls and c.required]
        sources = {c.principal.split(" of ", 1)[1] for c in cells}
        if any(t.stack_set for t in matrix.targets if t.role == "member"):
            assert sources == {"every account of the StackSet"}
        else:
            assert sources == {t.account for t in matrix.targets if t.role == "member" and t.kind == "vault"}
        assert cells and all(c.allowed and c.exact for c in cells), [c for c in cells if not c.allowed]
    assert matrix.broken() == []


def test_no_backup_role_of_the_central_account_is_invented(matrix: AccessMatrix):
    """F9: the central account has no backup role; the old cell evaluated one that does not exist."""
    central = {t.label for t in matrix.targets if t.role == "central"}
    assert not [c for c in matrix.cells if c.target in central and c.principal == "backup role OrgBackupServiceRole"]


def test_the_management_account_is_shown_as_the_root_of_trust_and_never_flagged(matrix: AccessMatrix):
    management = [c for c in matrix.cells if c.principal.startswith("management account administrator")]
    assert management and not any(c.attacker for c in management)
    policies = {t.label for t in matrix.targets if t.kind == "backup-policy"}
    root = [c for c in management if c.target in policies and c.principal == "management account administrator"]
    assert root and all(c.allowed for c in root), "it may change the backup policies: it owns them"


def test_the_delegated_admin_account_is_an_attacker_class_on_policies_and_alerting(matrix: AccessMatrix):
    """Security review F2 (shown, advisory): the delegated backup-admin account's administrator."""
    cells = [c for c in matrix.cells if c.principal == "delegated backup-admin account administrator"]
    assert cells and all(c.attacker for c in cells)
    classes = {c.action_class for c in cells}
    assert {"change backup policies", "disable alerting"} <= classes
    for cell in cells:
        if cell.action_class in ("change backup policies", "disable alerting"):
            assert not cell.destructive and cell.severity == "weakening"


def test_the_key_classes_cover_grants_and_tags_and_recovery_points_cover_disassociation_from_parent(
    matrix: AccessMatrix,
):
    assert "backup:DisassociateRecoveryPointFromParent" in ACTION_CLASSES["delete recovery points"].applies_to["vault"]
    for action_class in ("revoke grants on the key", "untag the key"):
        for cell in _cells(matrix, action_class, "account administrator", "key"):
            assert cell.destructive and not cell.allowed and cell.decided_by, cell
    assert _cells(matrix, "copy out", "outsider", "vault")


def test_a_compliance_locked_central_key_cannot_be_disabled_or_deleted_by_anyone(matrix: AccessMatrix):
    """Security review F3: prod's central vault is compliance-locked; staging's is governance-locked."""
    for target in [t for t in matrix.targets if t.kind == "key" and t.role == "central"]:
        vault = next(
            t
            for t in matrix.targets
            if t.kind == "vault" and t.role == "central" and t.region == target.region and not t.air_gapped
        )
        exempt = json.loads(target.policy or "{}")["Statement"]
        names = {
            arn.rsplit("/", 1)[-1]
            for st in exempt
            if st.get("Sid") == "DenyKeyDisableDeletionAndPolicyChangeExceptBreakGlass"
            for arn in st["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
        }
        legit = {
            c.principal
            for c in matrix.cells
            if c.target == target.label
            and c.principal.startswith(("exempt role ", "deploy role "))
            and c.principal.split(" ", 2)[2] in names
        }
        assert legit
        for action_class in ("schedule key deletion", "disable the key"):
            for principal in sorted(legit):
                cell = matrix.cell(target.label, action_class, principal)
                if vault.compliance_locked:
                    assert not cell.allowed and "key policy: DenyKeyDisableAndDeletionToEveryone" in cell.decided_by
                else:
                    assert cell.allowed, cell


def _cells(matrix: AccessMatrix, action_class: str, principal: str, kind: str) -> list:
    wanted = {t.label for t in matrix.targets if t.kind == kind}
    found = [
        c for c in matrix.cells if c.target in wanted and c.action_class == action_class and c.principal == principal
    ]
    assert found, (action_class, principal, kind)
    return found


def test_where_an_exempt_role_may_act_the_scp_stops_the_administrator_from_taking_its_name(matrix: AccessMatrix):
    """The attack: create (or re-trust) a role named like an exemption. Its ARN matches the exemption, so only
    the SCP's deny of iam:CreateRole / iam:UpdateAssumeRolePolicy on that name closes it."""
    by_key = {(c.target, c.action_class, c.principal): c for c in matrix.cells}
    squats = [c for c in matrix.cells if c.principal.startswith("account administrator as ")]
    assert squats
    closed_by_scp = 0
    for cell in squats:
        name = cell.principal.removeprefix("account administrator as ")
        legit = next(
            by_key[key]
            for kind in ("exempt role", "deploy role", "StackSet deployer")
            if (key := (cell.target, cell.action_class, f"{kind} {name}")) in by_key
        )
        assert legit is not None and not cell.allowed, cell
        if legit.allowed:
            assert cell.reason.startswith("the administrator cannot create or re-trust the role"), cell
            assert cell.decided_by and all(d.startswith("SCP: ") for d in cell.decided_by), cell
            closed_by_scp += 1
    assert closed_by_scp, "no exempt name was ever open to its legitimate role"


def test_the_stackset_execution_role_name_is_analysed_as_a_squat_target_in_stackset_mode(matrix: AccessMatrix):
    member = [t for t in matrix.targets if t.role == "member" and t.kind == "vault"]
    if not member[0].stack_set:
        assert not [c for c in matrix.cells if "stacksets-exec-*" in c.principal]
        return
    cells = _cells(matrix, "change or delete the lock", "account administrator as stacksets-exec-*", "vault")
    assert not any(c.allowed for c in cells)
    deployer = _cells(matrix, "delete recovery points", "StackSet deployer stacksets-exec-*", "vault")
    assert deployer and not any(c.attacker or c.allowed for c in deployer), "the deployer deletes nothing"


def test_the_member_key_holds_against_the_account_administrator(matrix: AccessMatrix):
    for action_class in ("disable the key", "schedule key deletion", "change the key policy"):
        for cell in _cells(matrix, action_class, "account administrator", "key"):
            assert not cell.allowed and cell.reason == "explicit Deny" and cell.decided_by, cell


def test_the_deploy_role_can_still_update_vault_policies_and_keys(matrix: AccessMatrix):
    deploy = {c.principal for c in matrix.cells if c.principal.startswith("deploy role ")}
    member = {t.label for t in matrix.targets if t.role == "member"}
    for cell in matrix.cells:
        if (
            cell.principal in deploy
            and cell.target in member
            and cell.action_class
            in (
                "change or delete the vault policy",
                "change the key policy",
            )
        ):
            assert cell.allowed, cell


def test_outsiders_cannot_copy_into_the_central_vault(matrix: AccessMatrix):
    for cell in _cells(matrix, "copy into the vault", "outsider", "vault"):
        assert cell.attacker and not cell.allowed, cell
