"""Vault access policies: the deletion Deny and the central vault's copy Allow."""

from __future__ import annotations

import pytest

from components.documents import vault_policy
from tests.components.documents.helpers import api_operations, as_list, by_sid, is_allowed

ORG = "o-a1b2c3d4e5"
ACCOUNT = "444455556666"
BREAK_GLASS = [f"arn:aws:iam::{ACCOUNT}:role/BackupBreakGlass", f"arn:aws:iam::{ACCOUNT}:role/sec/Incident"]
CONFIG_RULE_ACTIONS = {
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy",
}


def test_protected_actions():
    actions = vault_policy.protected_actions()
    assert actions == [
        "backup:DeleteBackupVault",
        "backup:DeleteBackupVaultAccessPolicy",
        "backup:DeleteBackupVaultLockConfiguration",
        "backup:DeleteRecoveryPoint",
        "backup:DisassociateRecoveryPoint",
        "backup:DisassociateRecoveryPointFromParent",
        "backup:PutBackupVaultAccessPolicy",
        "backup:PutBackupVaultLockConfiguration",
        "backup:UpdateRecoveryPointLifecycle",
    ]
    assert set(actions) >= CONFIG_RULE_ACTIONS
    # each one is a real AWS Backup API operation (botocore's service model)
    assert {a.removeprefix("backup:") for a in actions} <= api_operations("backup")
    # copies and backups keep working: never denied
    assert "backup:CopyIntoBackupVault" not in actions and "backup:StartBackupJob" not in actions
    actions.append("mutated")
    assert "mutated" not in vault_policy.protected_actions()


def test_member_vault_policy():
    doc = vault_policy.member_vault_policy(break_glass_role_arns=list(reversed(BREAK_GLASS)))
    (deny,) = doc["Statement"]
    assert deny["Effect"] == "Deny"
    # wildcard Principal and Resource: what the BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED control needs
    assert deny["Principal"] == "*"
    assert deny["Resource"] == "*"
    assert as_list(deny["Action"]) == vault_policy.protected_actions()
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": sorted(BREAK_GLASS)}}


def test_member_vault_policy_behaviour():
    doc = vault_policy.member_vault_policy(break_glass_role_arns=BREAK_GLASS)
    for action in vault_policy.protected_actions():
        assert not is_allowed(doc, action=action, principal_arn=f"arn:aws:iam::{ACCOUNT}:role/Admin")
        assert not is_allowed(doc, action=action, principal_arn=f"arn:aws:iam::{ACCOUNT}:root")
        for glass in BREAK_GLASS:  # not denied: their IAM policies decide
            assert not any(st["Effect"] == "Deny" and _denies(st, action, glass) for st in doc["Statement"])
    # the vault policy grants nothing by itself
    assert not is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=BREAK_GLASS[0])


def _denies(st, action, principal_arn):
    probe = {"Version": "2012-10-17", "Statement": [{**st, "Effect": "Allow"}]}
    return is_allowed(probe, action=action, principal_arn=principal_arn)


@pytest.mark.parametrize("count", [1, 5])
def test_up_to_five_break_glass_roles(count):
    arns = [f"arn:aws:iam::{ACCOUNT}:role/BreakGlass{i}" for i in range(count)]
    doc = vault_policy.member_vault_policy(break_glass_role_arns=arns)
    assert doc["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] == sorted(arns)


def test_more_than_five_break_glass_roles_is_an_error():
    arns = [f"arn:aws:iam::{ACCOUNT}:role/BreakGlass{i}" for i in range(6)]
    with pytest.raises(ValueError, match="at most 5"):
        vault_policy.member_vault_policy(break_glass_role_arns=arns)
    with pytest.raises(ValueError, match="at most 5"):
        vault_policy.central_vault_policy(organization_id=ORG, break_glass_role_arns=arns)
    # duplicates do not count twice
    same = [f"arn:aws:iam::{ACCOUNT}:role/BreakGlass{i % 5}" for i in range(7)]
    (deny,) = vault_policy.member_vault_policy(break_glass_role_arns=same)["Statement"]
    assert len(deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == 5


@pytest.mark.parametrize(
    ("arns", "message"),
    [
        ([], "at least one"),
        (["arn:aws:iam::444455556666:user/alice"], "break_glass_role_arns"),
        (["BackupBreakGlass"], "break_glass_role_arns"),
        (["arn:aws:iam::*:role/BackupBreakGlass"], "break_glass_role_arns"),
        ("arn:aws:iam::444455556666:role/BackupBreakGlass", "list"),
    ],
)
def test_break_glass_validation(arns, message):
    with pytest.raises(ValueError, match=message):
        vault_policy.member_vault_policy(break_glass_role_arns=arns)


def test_central_vault_policy_allows_copies_from_the_organization():
    doc = vault_policy.central_vault_policy(organization_id=ORG, break_glass_role_arns=BREAK_GLASS)
    allow = by_sid(doc)["AllowCopyIntoVaultFromOrganization"]
    assert allow["Principal"] == "*"
    assert allow["Action"] == "backup:CopyIntoBackupVault"
    assert allow["Resource"] == "*"
    assert allow["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    member = vault_policy.member_vault_policy(break_glass_role_arns=BREAK_GLASS)
    assert doc["Statement"][1] == member["Statement"][0]
    role = "arn:aws:iam::222233334444:role/OrgBackupServiceRole"
    assert is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=role, context={"aws:PrincipalOrgID": ORG})
    assert not is_allowed(
        doc,
        action="backup:CopyIntoBackupVault",
        principal_arn=role,
        context={"aws:PrincipalOrgID": "o-zzzzzzzzzz"},
    )
    assert not is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=role)
    assert not is_allowed(
        doc, action="backup:DeleteRecoveryPoint", principal_arn=role, context={"aws:PrincipalOrgID": ORG}
    )


def test_central_vault_policy_with_organization_paths():
    paths = [f"{ORG}/r-ab12/ou-ab12-11111111/*", f"{ORG}/r-ab12/ou-ab12-22222222/*"]
    doc = vault_policy.central_vault_policy(
        organization_id=ORG, organization_paths=list(reversed(paths)), break_glass_role_arns=BREAK_GLASS
    )
    allow = by_sid(doc)["AllowCopyIntoVaultFromOrganization"]
    assert allow["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG},
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": paths},
    }
    role = "arn:aws:iam::222233334444:role/OrgBackupServiceRole"
    inside = {"aws:PrincipalOrgID": ORG, "aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-22222222/"]}
    outside = {"aws:PrincipalOrgID": ORG, "aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/ou-ab12-33333333/"]}
    assert is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=role, context=inside)
    assert not is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=role, context=outside)
    with pytest.raises(ValueError, match="not inside organization"):
        vault_policy.central_vault_policy(
            organization_id=ORG, organization_paths=["o-zzzzzzzzzz/*"], break_glass_role_arns=BREAK_GLASS
        )


def test_member_vault_policy_allows_copy_back_from_the_central_account():
    central = "111122223333"
    doc = vault_policy.member_vault_policy(break_glass_role_arns=BREAK_GLASS, copy_source_account_ids=[central])
    allow = by_sid(doc)["AllowCopyIntoVaultFromCopySourceAccounts"]
    assert allow["Principal"] == {"AWS": f"arn:aws:iam::{central}:root"}
    assert allow["Action"] == "backup:CopyIntoBackupVault"
    assert allow["Resource"] == "*"
    assert doc["Statement"][-1]["Sid"] == "DenyRecoveryPointAndVaultChangesExceptBreakGlass"
    central_role = f"arn:aws:iam::{central}:role/OrgBackupServiceRole"
    assert is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=central_role)
    assert not is_allowed(doc, action="backup:DeleteRecoveryPoint", principal_arn=central_role)
    other = "arn:aws:iam::999988887777:role/OrgBackupServiceRole"
    assert not is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=other)
    gov = vault_policy.member_vault_policy(
        break_glass_role_arns=["arn:aws-us-gov:iam::444455556666:role/BreakGlass"],
        copy_source_account_ids=[central],
    )
    assert by_sid(gov)["AllowCopyIntoVaultFromCopySourceAccounts"]["Principal"] == {
        "AWS": f"arn:aws-us-gov:iam::{central}:root"
    }
    with pytest.raises(ValueError, match="copy_source_account_ids"):
        vault_policy.member_vault_policy(break_glass_role_arns=BREAK_GLASS, copy_source_account_ids=["*"])
    with pytest.raises(ValueError, match="copy_source_account_ids"):
        vault_policy.member_vault_policy(break_glass_role_arns=BREAK_GLASS, copy_source_account_ids=central)


def test_break_glass_roles_share_one_partition():
    mixed = ["arn:aws:iam::444455556666:role/A", "arn:aws-us-gov:iam::444455556666:role/B"]
    with pytest.raises(ValueError, match="partitions"):
        vault_policy.member_vault_policy(break_glass_role_arns=mixed)
