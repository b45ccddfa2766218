"""The access analysis on hand-written documents: AWS's evaluation logic, and what IAMSpy does not model.

Each case is the request an attacker would try, with the answer AWS documents
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html,
https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from policies.access import analyse
from policies.access.evaluator import Principal, Request, decide
from policies.access.matrix import ADMINISTRATOR_ACCESS

ACCOUNT = "444444444401"
OTHER = "555555555501"
ORG = "o-a1b2c3d4e5"
VAULT = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:org-backup"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"
ADMIN = f"arn:aws:iam::{ACCOUNT}:role/Admin"
BREAK_GLASS = f"arn:aws:iam::{ACCOUNT}:role/BackupBreakGlass"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


DENY_DELETE = {
    "Sid": "DenyDelete",
    "Effect": "Deny",
    "Principal": "*",
    "Action": [
        "backup:DeleteRecoveryPoint",
        "backup:DisassociateRecoveryPoint",
        "backup:DisassociateRecoveryPointFromParent",
        "backup:UpdateRecoveryPointLifecycle",
        "backup:PutBackupVaultAccessPolicy",
    ],
    "Resource": "*",
    "Condition": {"ArnNotLike": {"aws:PrincipalArn": [BREAK_GLASS]}},
}
ROOT_KEY_ADMIN = {
    "Sid": "AllowKeyAdministration",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
    "Resource": "*",
}


def admin(arn: str = ADMIN, scps: tuple[str, ...] | None = None, org: str | None = ORG) -> Principal:
    return Principal(arn, org, None, (ADMINISTRATOR_ACCESS,), scps)


def ask(principal: Principal, action: str, resource: str, policy: str | None = None, kms: bool = False) -> Any:
    policies = (("resource policy", policy),) if policy else ()
    return decide(Request(principal, action, resource, policies, kms))


def test_an_explicit_deny_in_the_vault_policy_beats_the_administrators_allow():
    decision = ask(admin(), "backup:DeleteRecoveryPoint", VAULT, doc(DENY_DELETE))
    assert not decision.allowed
    assert decision.decided_by == ("resource policy: DenyDelete",)


def test_the_exempt_arn_passes_the_deny_and_acts_through_its_identity_policy():
    decision = ask(admin(BREAK_GLASS), "backup:DeleteRecoveryPoint", VAULT, doc(DENY_DELETE))
    assert decision.allowed
    assert "identity policy: AdministratorAccess" in decision.decided_by


def test_across_accounts_both_the_identity_and_the_resource_policy_must_allow():
    outsider = admin(f"arn:aws:iam::{OTHER}:role/Admin")
    open_to_org = doc(
        {
            "Sid": "Org",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}},
        }
    )
    assert not ask(outsider, "backup:CopyIntoBackupVault", VAULT).allowed
    assert ask(outsider, "backup:CopyIntoBackupVault", VAULT, open_to_org).allowed
    assert not ask(admin(outsider.arn, org="o-other00000"), "backup:CopyIntoBackupVault", VAULT, open_to_org).allowed
    no_identity = Principal(outsider.arn, ORG)
    assert not ask(no_identity, "backup:CopyIntoBackupVault", VAULT, open_to_org).allowed


def test_within_the_account_the_identity_policy_alone_suffices_except_for_a_kms_key():
    assert ask(admin(), "backup:DeleteBackupVault", VAULT).allowed
    assert not ask(
        admin(),
        "kms:DisableKey",
        KEY,
        doc({"Sid": "Other", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}),
        kms=True,
    ).allowed


def test_a_key_policy_root_statement_delegates_to_the_identity_policy():
    allowed = ask(admin(), "kms:DisableKey", KEY, doc(ROOT_KEY_ADMIN), kms=True)
    assert allowed.allowed and "resource policy: AllowKeyAdministration" in allowed.decided_by
    no_identity = ask(Principal(ADMIN, ORG), "kms:DisableKey", KEY, doc(ROOT_KEY_ADMIN), kms=True)
    assert not no_identity.allowed


SCP_DENY_KEYS = doc(
    {
        "Sid": "DenyBackupKeys",
        "Effect": "Deny",
        "Action": ["kms:DisableKey"],
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/BackupBreakGlass"]}},
    }
)


def test_an_scp_deny_bounds_a_member_account_but_not_where_no_scp_applies():
    assert not ask(admin(scps=(SCP_DENY_KEYS,)), "kms:DisableKey", KEY, doc(ROOT_KEY_ADMIN), kms=True).allowed
    assert ask(admin(scps=None), "kms:DisableKey", KEY, doc(ROOT_KEY_ADMIN), kms=True).allowed
    assert ask(admin(BREAK_GLASS, scps=(SCP_DENY_KEYS,)), "kms:DisableKey", KEY, doc(ROOT_KEY_ADMIN), kms=True).allowed


def test_for_any_value_is_evaluated_not_skipped():
    """IAMSpy skips ``ForAnyValue:`` operators; skipped in a Deny, it would deny everyone."""
    deny_outside_path = doc(
        {
            "Sid": "DenyOutsidePath",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "backup:*",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-11111111/*"]}},
        }
    )
    inside = Principal(ADMIN, ORG, f"{ORG}/r-ab12/ou-ab12-11111111/", (ADMINISTRATOR_ACCESS,))
    outside = Principal(ADMIN, ORG, f"{ORG}/r-ab12/ou-ab12-22222222/", (ADMINISTRATOR_ACCESS,))
    assert ask(inside, "backup:DeleteBackupVault", VAULT, deny_outside_path).allowed
    assert not ask(outside, "backup:DeleteBackupVault", VAULT, deny_outside_path).allowed


def test_condition_key_names_are_case_insensitive():
    shouting = doc({**DENY_DELETE, "Condition": {"ArnNotLike": {"AWS:PRINCIPALARN": [BREAK_GLASS]}}})
    assert not ask(admin(), "backup:DeleteRecoveryPoint", VAULT, shouting).allowed
    assert ask(admin(BREAK_GLASS), "backup:DeleteRecoveryPoint", VAULT, shouting).allowed


def test_what_iamspy_cannot_model_errs_towards_someone_can():
    """``NotPrincipal`` (ignored by IAMSpy): a Deny with it does not count as denying, and the answer is marked."""
    deny = doc(
        {
            "Sid": "DenyAllBut",
            "Effect": "Deny",
            "NotPrincipal": {"AWS": BREAK_GLASS},
            "Action": "backup:DeleteRecoveryPoint",
            "Resource": "*",
        }
    )
    decision = ask(admin(), "backup:DeleteRecoveryPoint", VAULT, deny)
    assert decision.allowed and not decision.exact


# --------------------------------------------------------------------------- the matrix on a small stack


@dataclass(frozen=True)
class R:
    type: str
    name: str
    props: dict[str, Any]
    account: str | None = ACCOUNT
    region: str | None = "us-east-1"
    parent_urn: str | None = None
    property_dependencies: dict[str, Any] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:{self.type}::{self.name}"


SQUAT_SCP = doc(
    {
        "Sid": "DenyReservedRoleNames",
        "Effect": "Deny",
        "Action": ["iam:CreateRole", "iam:UpdateAssumeRolePolicy"],
        "Resource": ["arn:aws:iam::*:role/BackupBreakGlass"],
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/BackupBreakGlass"]}},
    }
)


def member_stack(*, key_policy: str, scp: str | None = None, target: str = ACCOUNT) -> list[R]:
    out = [
        R("aws:backup/vault:Vault", "vault", {"name": "org-backup", "kmsKeyArn": KEY}),
        R(
            "aws:backup/vaultPolicy:VaultPolicy",
            "policy",
            {"backupVaultName": "org-backup", "policy": doc(DENY_DELETE)},
        ),
        R("aws:kms/key:Key", "key", {"policy": key_policy, "tags": {"org-backup:backup-key": "true"}}),
    ]
    if scp is not None:
        out += [
            R(
                "aws:organizations/policy:Policy",
                "scp",
                {"type": "SERVICE_CONTROL_POLICY", "content": scp},
                account="111111111111",
            ),
            R(
                "aws:organizations/policyAttachment:PolicyAttachment",
                "scp-a",
                {"targetId": target},
                account="111111111111",
                parent_urn="urn:aws:organizations/policy:Policy::scp",
            ),
        ]
    return out


def test_an_administrator_who_creates_a_role_named_like_the_exemption_can_delete_unless_the_scp_forbids_it():
    where = f"{ACCOUNT} us-east-1: vault org-backup"
    without = analyse(member_stack(key_policy=doc(ROOT_KEY_ADMIN)))
    squat = without.cell(where, "delete recovery points", "account administrator as BackupBreakGlass")
    assert squat.allowed and squat.decided_by[0] == "iam:CreateRole allowed to the administrator"
    assert not without.cell(where, "delete recovery points", "account administrator").allowed

    with_scp = analyse(member_stack(key_policy=doc(ROOT_KEY_ADMIN), scp=SQUAT_SCP))
    closed = with_scp.cell(where, "delete recovery points", "account administrator as BackupBreakGlass")
    assert not closed.allowed and closed.decided_by == ("SCP: DenyReservedRoleNames",)
    assert with_scp.cell(where, "delete recovery points", "exempt role BackupBreakGlass").allowed


def test_one_action_of_a_class_left_out_of_the_deny_opens_the_class():
    partial = doc({**DENY_DELETE, "Action": ["backup:DeleteRecoveryPoint"]})
    stack = member_stack(key_policy=doc(ROOT_KEY_ADMIN))
    stack[1] = R("aws:backup/vaultPolicy:VaultPolicy", "policy", {"backupVaultName": "org-backup", "policy": partial})
    cell = analyse(stack).cell(
        f"{ACCOUNT} us-east-1: vault org-backup", "delete recovery points", "account administrator"
    )
    assert cell.open_to_attacker


def test_a_key_without_a_deny_is_open_to_the_administrator_until_an_scp_covers_its_account():
    where = f"{ACCOUNT} us-east-1: key of vault org-backup"
    assert (
        analyse(member_stack(key_policy=doc(ROOT_KEY_ADMIN)))
        .cell(where, "disable the key", "account administrator")
        .allowed
    )
    covered = analyse(member_stack(key_policy=doc(ROOT_KEY_ADMIN), scp=SCP_DENY_KEYS))
    assert covered.cell(where, "disable the key", "account administrator").decided_by == ("SCP: DenyBackupKeys",)


def test_an_scp_attached_to_an_ou_counts_only_where_the_ou_is_known_to_hold_the_account():
    where = f"{ACCOUNT} us-east-1: key of vault org-backup"
    stack = member_stack(key_policy=doc(ROOT_KEY_ADMIN), scp=SCP_DENY_KEYS, target="ou-ab12-11111111")
    assert analyse(stack).cell(where, "disable the key", "account administrator").allowed
    known = analyse(stack, ou_accounts={"ou-ab12-11111111": [ACCOUNT]})
    assert not known.cell(where, "disable the key", "account administrator").allowed


def test_a_policy_not_known_during_preview_counts_as_open():
    stack = member_stack(key_policy=doc(ROOT_KEY_ADMIN))
    stack[1] = R("aws:backup/vaultPolicy:VaultPolicy", "policy", {"backupVaultName": "org-backup"})
    cell = analyse(stack).cell(f"{ACCOUNT} us-east-1: vault org-backup", "delete the vault", "outsider")
    assert cell.allowed and cell.open_to_attacker and not cell.exact
