"""Who can destroy backups in the shipped stacks: prod and staging, direct and StackSet mode.

The secure outcome: no destructive action on any vault or key is open to an account administrator (nor a
role it names like an exempt one), another organization account, or an outsider.
"""

from __future__ import annotations

import copy

import pytest

from components.program import offline_tree
from org_backup.preview.access_report import access_matrix
from org_backup.preview.offline import load_stack_config, run_program
from policies.access import AccessMatrix
from stackconfig.load import load_config, sections_from_pulumi_config

CASES = [("prod", "direct"), ("prod", "stackset"), ("staging", "direct"), ("staging", "stackset")]


@pytest.fixture(scope="module", params=CASES, ids=[f"{s}-{m}" for s, m in CASES])
def matrix(request: pytest.FixtureRequest) -> AccessMatrix:
    stack, mode = request.param
    config = copy.deepcopy(load_stack_config(stack))
    if mode == "stackset":
        config["org-backup:member_deployment"] = {"mode": "stackset"}
    tree = offline_tree(load_config(sections_from_pulumi_config(config)).config, stack)
    return access_matrix(run_program(config, stack=stack), tree)


def test_every_vault_and_its_key_is_analysed(matrix: AccessMatrix):
    kinds = {(t.kind, t.role) for t in matrix.targets}
    assert {("vault", "member"), ("key", "member"), ("vault", "central"), ("key", "central")} <= kinds
    vaults = [t for t in matrix.targets if t.kind == "vault"]
    assert len([t for t in matrix.targets if t.kind == "key"]) == len(vaults)
    assert all(t.policy is not None for t in matrix.targets), "every document is known offline"


def test_no_destructive_action_is_open_to_an_attacker(matrix: AccessMatrix):
    opened = [f"{c.target} | {c.action_class} | {c.principal} | {c.decided_by}" for c in matrix.open_to_attackers()]
    assert opened == []


def test_every_answer_is_exact(matrix: AccessMatrix):
    assert [c for c in matrix.cells if not c.exact] == []


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
        legit = by_key.get((cell.target, cell.action_class, f"exempt role {name}")) or by_key.get(
            (cell.target, cell.action_class, f"deploy role {name}")
        )
        assert legit is not None and not cell.allowed, cell
        if legit.allowed:
            assert cell.reason == "the administrator cannot create or take over the role", cell
            assert cell.decided_by and all(d.startswith("SCP: ") for d in cell.decided_by), cell
            closed_by_scp += 1
    assert closed_by_scp, "no exempt name was ever open to its legitimate role"


def test_the_stackset_execution_role_name_is_analysed_as_a_squat_target_in_stackset_mode(matrix: AccessMatrix):
    member = [t for t in matrix.targets if t.role == "member"]
    if not member[0].stack_set:
        pytest.skip("direct mode exempts no stacksets-exec-* role")
    cells = _cells(matrix, "change or delete the lock", "account administrator as stacksets-exec-*", "vault")
    assert not any(c.allowed for c in cells)


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
