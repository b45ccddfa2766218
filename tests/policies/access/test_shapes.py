"""Whole targets reused (policies/access/shapes.py): a member target gets the cells of the first target of its shape
only where nothing its cells are computed from differs. Each case changes one thing for one account (or names a
Region a way only some targets can tell apart); that account gets its own answer, every other account keeps the
answer it had, and the matrix is the one analysing every target on its own gives."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.access import AccessMatrix, Cell, analyse, matrix, shapes
from tests.policies.access.test_evaluator import ORG, R, doc

ACCOUNTS = ("444444444501", "444444444502", "444444444503", "444444444504")
REGIONS = ("us-east-1", "eu-west-1")
ODD = ACCOUNTS[2]
"""The account a case changes."""
MANAGEMENT = "111111111111"
OU_PATH = f"{ORG}/r-ab12/ou-ab12-11111111/"


def _deny_delete(account: str) -> dict[str, Any]:
    return {
        "Sid": "DenyDelete",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["backup:DeleteRecoveryPoint", "backup:PutBackupVaultAccessPolicy"],
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{account}:role/BackupBreakGlass"]}},
    }


KEY_POLICY = {
    "Sid": "AllowKeyAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"},
    "Action": ["kms:DisableKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"],
    "Resource": "*",
}


def _member(account: str, region: str, *extra: dict[str, Any]) -> list[R]:
    """A vault with its policy and key in one account and Region."""
    key_policy = json.loads(json.dumps(KEY_POLICY).replace("ACCOUNT", account))
    return [
        R(
            "aws:backup/vault:Vault",
            f"vault-{account}-{region}",
            {"name": "org-backup", "kmsKeyArn": f"arn:aws:kms:{region}:{account}:key/k"},
            account=account,
            region=region,
        ),
        R(
            "aws:backup/vaultPolicy:VaultPolicy",
            f"policy-{account}-{region}",
            {"backupVaultName": "org-backup", "policy": doc(_deny_delete(account), *extra)},
            account=account,
            region=region,
        ),
        R(
            "aws:kms/key:Key",
            f"key-{account}-{region}",
            {"policy": doc(key_policy), "tags": {"org-backup:backup-key": "true"}},
            account=account,
            region=region,
        ),
    ]


def _scp(name: str, statement: dict[str, Any], target: str) -> list[R]:
    return [
        R(
            "aws:organizations/policy:Policy",
            name,
            {"type": "SERVICE_CONTROL_POLICY", "content": doc(statement)},
            account=MANAGEMENT,
        ),
        R(
            "aws:organizations/policyAttachment:PolicyAttachment",
            f"{name}-a",
            {"targetId": target},
            account=MANAGEMENT,
            parent_urn=f"urn:aws:organizations/policy:Policy::{name}",
        ),
    ]


def _stack(accounts: tuple[str, ...] = ACCOUNTS, odd: tuple[dict[str, Any], ...] = ()) -> list[R]:
    return [r for a in accounts for region in REGIONS for r in _member(a, region, *(odd if a == ODD else ()))]


def _direct(resources: list[R], monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> AccessMatrix:
    """The matrix with every target analysed on its own."""
    with monkeypatch.context() as patched:
        patched.setattr(shapes.Shapes, "shape", lambda *_: None)
        return analyse(resources, **kwargs)


def _by_account(cells: tuple[Cell, ...]) -> dict[str, list[Cell]]:
    out: dict[str, list[Cell]] = {}
    for cell in cells:
        out.setdefault(cell.target.split(" ", 1)[0], []).append(cell)
    return out


def _renamed(cells: list[Cell], account: str) -> str:
    """Cells as JSON with the account spelt as a placeholder, to compare accounts."""
    return json.dumps([c.as_dict() for c in cells]).replace(account, "ACCOUNT")


PARTNER_ALLOW = {
    "Sid": "AllowPartnerDelete",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::200000000002:root"},
    "Action": "backup:DeleteBackupVault",
    "Resource": "*",
}
DENY_VAULT_DELETION = {
    "Sid": "NoVaultDeletion",
    "Effect": "Deny",
    "Action": "backup:DeleteBackupVault",
    "Resource": "*",
}
SQUAT_STATEMENT = {
    "Sid": "DenyReservedRoleNames",
    "Effect": "Deny",
    "Action": ["iam:CreateRole", "iam:UpdateAssumeRolePolicy"],
    "Resource": ["arn:aws:iam::*:role/BackupBreakGlass", "arn:aws:iam::*:role/backupbreakglass"],
}


def test_targets_of_one_shape_are_analysed_once(monkeypatch: pytest.MonkeyPatch):
    """Four accounts x two Regions of vaults and keys: one vault is analysed, and one key per Region (its ARN, like
    the program's, spells the Region inside a word: key/key-<account>-<region>); the rest are renamed."""
    analysed: list[str] = []
    target_cells = matrix._target_cells

    def counted(scope: Any, target: Any) -> list[Cell]:
        analysed.append(target.label)
        return target_cells(scope, target)

    monkeypatch.setattr(matrix, "_target_cells", counted)
    reused = analyse(_stack())
    assert len(reused.targets) == 16 and len(analysed) == 3
    assert reused.cells == _direct(_stack(), monkeypatch).cells


BY_PATH = {
    **DENY_VAULT_DELETION,
    "Condition": {"StringNotLike": {"aws:PrincipalOrgPaths": f"{ORG}/r-ab12/ou-ab12-99999999/*"}},
}
ODD_PATH = {a: OU_PATH.replace("11111111", "99999999") if a == ODD else OU_PATH for a in ACCOUNTS}
BREAK_GLASS_ROLE = R(
    "aws:iam/role:Role", "break-glass", {"name": "BackupBreakGlass", "tags": {"org-backup:reserved": "true"}}, ODD
)
TAGGED_ALLOW = {**PARTNER_ALLOW, "Condition": {"StringEquals": {"aws:PrincipalTag/n": f"1{ODD}"}}}
CASES = [
    # (case, resources, analyse's arguments, the same stack without the difference, accounts whose answer differs)
    ("an extra Allow in its vault policy", _stack(odd=(PARTNER_ALLOW,)), {}, _stack(), {ODD}),
    ("its own SCP", [*_stack(), *_scp("odd", DENY_VAULT_DELETION, ODD)], {}, _stack(), {ODD}),
    # An SCP on every account whose Deny exempts one OU path: only ODD is on it.
    (
        "another OU path",
        [*_stack(), *_scp("by-path", BY_PATH, "r-ab12")],
        {"organization_paths": ODD_PATH},
        [*_stack(), *_scp("by-path", BY_PATH, "r-ab12")],
        {ODD},
    ),
    # Creating or re-trusting the exempt role is denied everywhere; where the stack makes the role (ODD), its trust
    # is known, so assuming or passing it is not an open question there.
    (
        "a role the stack makes there",
        [*_stack(), *_scp("squat", SQUAT_STATEMENT, "r-ab12"), BREAK_GLASS_ROLE],
        {},
        [*_stack(), *_scp("squat", SQUAT_STATEMENT, "r-ab12")],
        {ODD},
    ),
    # The account id inside a longer run of digits: its account is not renamed, so it is analysed on its own (the
    # condition holds for nobody: the same answer).
    ("its id inside a longer number", _stack(odd=(TAGGED_ALLOW,)), {}, _stack(), set()),
]


@pytest.mark.parametrize(("case", "resources", "kwargs", "plain", "differs"), CASES, ids=[c[0] for c in CASES])
def test_one_account_that_differs_gets_its_own_answer_and_no_other_account_does(
    case: str,
    resources: list[R],
    kwargs: dict[str, Any],
    plain: list[R],
    differs: set[str],
    monkeypatch: pytest.MonkeyPatch,
):
    reused = analyse(resources, **kwargs)
    assert reused.cells == _direct(resources, monkeypatch, **kwargs).cells
    before = _by_account(analyse(plain, organization_paths=dict.fromkeys(ACCOUNTS, OU_PATH)).cells)
    changed = {
        account
        for account, cells in _by_account(reused.cells).items()
        if _renamed(cells, account) != _renamed(before[account], account)
    }
    assert changed == differs


def test_a_region_named_in_another_case_is_told_apart_where_it_is_that_region(monkeypatch: pytest.MonkeyPatch):
    """A Deny naming US-EAST-1 in upper case: IAMSpy matches it in us-east-1 only (case-insensitively; AWS would not,
    so the answer there is not exact). The policies of both Regions rename to the same text; the us-east-1 vaults
    must not take the eu-west-1 answer."""
    upper = {**DENY_VAULT_DELETION, "Sid": "DenyUsEast", "Resource": "arn:aws:backup:US-EAST-1:*"}
    # eu-west-1 first: a shape seen there first must not be taken for us-east-1.
    resources = [r for a in ACCOUNTS for region in reversed(REGIONS) for r in _member(a, region, upper)]
    reused = analyse(resources)
    assert reused.cells == _direct(resources, monkeypatch).cells
    label = f"{ACCOUNTS[0]} {{}}: vault org-backup"
    east = reused.cell(label.format("us-east-1"), "delete the vault", "account administrator")
    west = reused.cell(label.format("eu-west-1"), "delete the vault", "account administrator")
    assert (east.exact, west.exact) == (False, True)


def test_an_account_the_shared_principals_name_is_its_own_shape(monkeypatch: pytest.MonkeyPatch):
    """A vault in the account the "other organization account" principal stands for: that principal asks from
    within the vault's account there, so the vault cannot take the answer of the other accounts'."""
    accounts = (*ACCOUNTS[:2], "200000000002")
    resources = [r for a in accounts for region in REGIONS for r in _member(a, region, PARTNER_ALLOW)]
    reused = analyse(resources)
    assert reused.cells == _direct(resources, monkeypatch).cells
    label = "{} us-east-1: vault org-backup"
    cells = [reused.cell(label.format(a), "delete the vault", "other organization account") for a in accounts]
    assert [c.reason for c in cells] == [
        "identity and resource policy allow",
        "identity and resource policy allow",
        "allowed within the account",
    ]


def test_a_statement_label_naming_the_account_is_spelt_with_each_account(monkeypatch: pytest.MonkeyPatch):
    resources = [
        r
        for a in ACCOUNTS
        for region in REGIONS
        for r in _member(a, region, {**PARTNER_ALLOW, "Sid": f"AllowPartnerDeleteFrom{a}"})
    ]
    reused = analyse(resources)
    assert reused.cells == _direct(resources, monkeypatch).cells
    for a in ACCOUNTS:
        cell = reused.cell(f"{a} eu-west-1: vault org-backup", "delete the vault", "other organization account")
        assert cell.decided_by[0] == f"vault access policy: AllowPartnerDeleteFrom{a}"
