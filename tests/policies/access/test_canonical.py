"""Canonical requests: the analysis is cached per distinct document shape, never across documents that differ.

Renaming an account or Region to a token is sound only where no policy can tell them apart; each case here is a
document that can, where a rename would change AWS's answer (and the unguarded rename of the earlier matrix did).
"""

from __future__ import annotations

import json

import pytest

from policies.access import analyse
from policies.access.canonical import (
    ACCOUNT_TOKEN,
    REGION_TOKEN,
    Rename,
    applicable,
    decide_canonically,
    distinct_questions,
    forget,
)
from policies.access.evaluator import Principal, Request, decide
from policies.access.matrix import ADMINISTRATOR_ACCESS
from tests.policies.access.test_evaluator import ACCOUNT, DENY_DELETE, ORG, R, doc

REGION = "us-east-1"
ACCOUNTS = (ACCOUNT, "444444444402", "444444444403")
OTHER_ORG_ADMIN = "arn:aws:iam::200000000002:role/AccountAdministrator"
CANDIDATES = (Rename(ACCOUNTS[0], ACCOUNT_TOKEN), Rename(REGION, REGION_TOKEN, region=True))


def _request(scp: str, action: str = "backup:DeleteRecoveryPoint", account: str = ACCOUNTS[0]) -> Request:
    principal = Principal(f"arn:aws:iam::{account}:role/Admin", ORG, None, (ADMINISTRATOR_ACCESS,), (scp,))
    return Request(principal, action, f"arn:aws:backup:{REGION}:{account}:recovery-point:p")


def _deny(resource: str = "*", condition: dict | None = None) -> str:
    statement = {"Sid": "DenyIt", "Effect": "Deny", "Action": "backup:DeleteRecoveryPoint", "Resource": resource}
    return doc({**statement, "Condition": condition} if condition else statement)


@pytest.mark.parametrize(
    ("scp", "kept"),
    [
        # A Region prefix: us-east-1 matches, the token would not.
        (_deny("arn:aws:backup:us-*"), {REGION}),
        # The Region next to a wildcard: us-east-10 would match too, its renamed form would not (and a digit next
        # to a wildcard keeps the account id too).
        (_deny("arn:aws:backup:us-east-1*"), {ACCOUNTS[0], REGION}),
        # ? counts characters, and the token is longer than the Region.
        (_deny("arn:aws:backup:?????????:*"), {REGION}),
        # Digits next to a wildcard: part of the account id is compared.
        (_deny("arn:aws:backup:*:4444*"), {ACCOUNTS[0]}),
        (_deny("arn:aws:backup:*:44444444440?:*"), {ACCOUNTS[0], REGION}),  # any ? keeps the Region too
        # A number can be ordered.
        (_deny(condition={"NumericLessThan": {"aws:PrincipalAccount": "500000000000"}}), {ACCOUNTS[0], REGION}),
        # The token itself is in the document: a rename would make two names one.
        (_deny(condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNT_TOKEN}}), {ACCOUNTS[0]}),
        # The account id inside a longer run of digits is not a whole name.
        (_deny(condition={"StringEquals": {"aws:PrincipalTag/n": f"1{ACCOUNTS[0]}"}}), {ACCOUNTS[0]}),
    ],
)
def test_a_name_a_document_can_tell_from_its_token_is_not_renamed(scp: str, kept: set[str]):
    renames = {r.old for r in applicable(_request(scp), CANDIDATES)}
    assert renames == {r.old for r in CANDIDATES} - kept
    assert decide_canonically(_request(scp), ACCOUNTS[0], REGION) == decide(_request(scp))


def test_the_renamed_answer_is_the_answer_the_documents_give_for_each_account():
    """Denies that depend on the account and Region: the canonical answer agrees with the direct one for every
    account, including the one the Deny names."""
    scps = [
        _deny("arn:aws:backup:us-*"),
        _deny(f"arn:aws:backup:*:{ACCOUNTS[1]}:*"),
        _deny(condition={"StringEquals": {"aws:PrincipalAccount": ACCOUNTS[2]}}),
        _deny(condition={"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNTS[0]}:role/*"}}),
        doc(DENY_DELETE),
    ]
    for scp in scps:
        for account in ACCOUNTS:
            request = _request(scp, account=account)
            assert decide_canonically(request, account, REGION) == decide(request), (scp, account)


def test_a_sound_rename_is_applied_and_the_answer_names_the_statements_as_written():
    sid = f"DenyFor{ACCOUNTS[0]}"
    scp = doc({**json.loads(_deny())["Statement"][0], "Sid": sid})
    assert applicable(_request(scp), CANDIDATES) == CANDIDATES
    decision = decide_canonically(_request(scp), ACCOUNTS[0], REGION)
    assert not decision.allowed and decision.decided_by == (f"SCP: {sid}",)


def _member(account: str, extra: tuple[dict, ...] = ()) -> list[R]:
    """One account's vault and vault policy, whose Deny exempts the account's own break-glass role."""
    key = f"arn:aws:kms:{REGION}:{account}:key/k"
    deny = json.loads(json.dumps(DENY_DELETE).replace(ACCOUNT, account))
    return [
        R("aws:backup/vault:Vault", f"vault-{account}", {"name": "org-backup", "kmsKeyArn": key}, account=account),
        R(
            "aws:backup/vaultPolicy:VaultPolicy",
            f"policy-{account}",
            {"backupVaultName": "org-backup", "policy": doc(deny, *extra)},
            account=account,
        ),
    ]


ALLOW_OTHER_ACCOUNT = {
    "Sid": "AllowPartnerDelete",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::200000000002:root"},
    "Action": "backup:DeleteBackupVault",
    "Resource": "*",
}


def test_one_account_whose_vault_policy_differs_gets_its_own_answer():
    """Three accounts of the same shape, one with an extra Allow: only that account's vault is open."""
    resources = [r for account in ACCOUNTS for r in _member(account, (ALLOW_OTHER_ACCOUNT,) * (account == ACCOUNTS[1]))]
    matrix = analyse(resources)
    opened = {
        account
        for account in ACCOUNTS
        if matrix.cell(
            f"{account} {REGION}: vault org-backup", "delete the vault", "other organization account"
        ).allowed
    }
    assert opened == {ACCOUNTS[1]}
    cell = matrix.cell(f"{ACCOUNTS[1]} {REGION}: vault org-backup", "delete the vault", "other organization account")
    assert cell.decided_by == ("vault access policy: AllowPartnerDelete", "identity policy: AdministratorAccess")


def test_accounts_of_the_same_shape_are_analysed_once():
    """The number of distinct questions answered does not grow with the number of accounts."""
    forget()
    analyse([r for account in ACCOUNTS[:1] for r in _member(account)])
    one = distinct_questions()
    forget()
    analyse([r for account in ACCOUNTS for r in _member(account)])
    assert distinct_questions() == one > 0


def test_an_scp_that_names_regions_by_prefix_binds_the_analysed_region():
    """An SCP denying deletion in ``us-*`` Regions: the vault in us-east-1 is closed to its administrator (the
    earlier matrix renamed the Region in the request but not in the pattern, and answered open)."""
    scp = doc(
        {
            "Sid": "DenyDeleteInUsRegions",
            "Effect": "Deny",
            "Action": "backup:DeleteRecoveryPoint",
            "Resource": "arn:aws:backup:us-*",
        }
    )
    management = "111111111111"
    resources = [
        *_member(ACCOUNTS[1]),
        R("aws:organizations/policy:Policy", "scp", {"type": "SERVICE_CONTROL_POLICY", "content": scp}, management),
        R(
            "aws:organizations/policyAttachment:PolicyAttachment",
            "scp-a",
            {"targetId": "r-ab12"},
            management,
            parent_urn="urn:aws:organizations/policy:Policy::scp",
        ),
    ]
    cell = analyse(resources).cell(
        f"{ACCOUNTS[1]} {REGION}: vault org-backup", "delete recovery points", "account administrator"
    )
    assert not cell.allowed and "SCP: DenyDeleteInUsRegions" in cell.decided_by
