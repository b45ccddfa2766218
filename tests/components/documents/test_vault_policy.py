"""Vault access policies: the deletion Deny and the central vault's copy Allow."""

from __future__ import annotations

import pytest

from components.documents import vault_policy
from tests.components.documents.helpers import api_operations, as_list, by_sid, is_allowed

ORG = "o-a1b2c3d4e5"
ACCOUNT = "444455556666"
BACKUP_ROLE = "OrgBackupServiceRole"
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
        vault_policy.central_vault_policy(organization_id=ORG, break_glass_role_arns=arns, backup_role_name=BACKUP_ROLE)
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


COPY_ROLES = [
    f"arn:aws:iam::*:role/{BACKUP_ROLE}",
    "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
]


def _central(organization_paths: list[str] | None = None) -> dict:
    return vault_policy.central_vault_policy(
        organization_id=ORG,
        organization_paths=organization_paths or [],
        break_glass_role_arns=BREAK_GLASS,
        backup_role_name=BACKUP_ROLE,
    )


def _copies(doc: dict, principal_arn: str, org: str | None = ORG, ou_path: str | None = None) -> bool:
    ctx: dict[str, object] = {"aws:PrincipalOrgID": org} if org else {}
    if ou_path:
        ctx["aws:PrincipalOrgPaths"] = [ou_path]
    return is_allowed(doc, action="backup:CopyIntoBackupVault", principal_arn=principal_arn, context=ctx)


def test_central_vault_policy_admits_copies_from_the_organizations_backup_role_only():
    """Issue 9 item 5: a copy job runs as its role; only the backup role (and AWS Backup's service-linked role)
    of an organization account may copy in, not any principal of the organization."""
    doc = _central()
    assert by_sid(doc)["AllowCopyIntoVaultFromOrganization"] == {
        "Sid": "AllowCopyIntoVaultFromOrganization",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG}, "ArnLike": {"aws:PrincipalArn": COPY_ROLES}},
    }
    member = vault_policy.member_vault_policy(break_glass_role_arns=BREAK_GLASS)
    assert doc["Statement"][1] == member["Statement"][0]
    other = "222233334444"
    assert _copies(doc, f"arn:aws:iam::{other}:role/{BACKUP_ROLE}")
    slr = f"arn:aws:iam::{other}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
    assert _copies(doc, slr)
    # what a member administrator of another organization account could create or already has
    for name in ("AppTeamBackupRole", "OrganizationAccountAccessRole", f"{BACKUP_ROLE}2", f"x{BACKUP_ROLE}"):
        assert not _copies(doc, f"arn:aws:iam::{other}:role/{name}"), name
    assert not _copies(doc, f"arn:aws:iam::{other}:role/service-role/{BACKUP_ROLE}")
    assert not _copies(doc, f"arn:aws:iam::{other}:user/{BACKUP_ROLE}")
    # the backup role of an account outside the organization, or with no organization at all
    assert not _copies(doc, f"arn:aws:iam::{other}:role/{BACKUP_ROLE}", org="o-zzzzzzzzzz")
    assert not _copies(doc, f"arn:aws:iam::{other}:role/{BACKUP_ROLE}", org=None)
    assert not is_allowed(
        doc,
        action="backup:DeleteRecoveryPoint",
        principal_arn=f"arn:aws:iam::{other}:role/{BACKUP_ROLE}",
        context={"aws:PrincipalOrgID": ORG},
    )


def test_central_vault_copy_roles_take_the_break_glass_partition_and_a_valid_name():
    gov = [arn.replace("arn:aws:", "arn:aws-us-gov:") for arn in BREAK_GLASS]
    doc = vault_policy.central_vault_policy(organization_id=ORG, break_glass_role_arns=gov, backup_role_name="B")
    arns = by_sid(doc)["AllowCopyIntoVaultFromOrganization"]["Condition"]["ArnLike"]["aws:PrincipalArn"]
    assert arns == [
        "arn:aws-us-gov:iam::*:role/B",
        "arn:aws-us-gov:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
    ]
    for name in ("*", "Backup*", "", "a b"):
        with pytest.raises(ValueError, match="backup_role_name"):
            vault_policy.central_vault_policy(
                organization_id=ORG, break_glass_role_arns=BREAK_GLASS, backup_role_name=name
            )


def test_central_vault_policy_with_organization_paths():
    paths = [f"{ORG}/r-ab12/ou-ab12-11111111/*", f"{ORG}/r-ab12/ou-ab12-22222222/*"]
    doc = _central(organization_paths=list(reversed(paths)))
    allow = by_sid(doc)["AllowCopyIntoVaultFromOrganization"]
    assert allow["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG},
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": paths},
        "ArnLike": {"aws:PrincipalArn": COPY_ROLES},
    }
    role = f"arn:aws:iam::222233334444:role/{BACKUP_ROLE}"
    inside, outside = f"{ORG}/r-ab12/ou-ab12-22222222/", f"{ORG}/r-ab12/ou-ab12-33333333/"
    assert _copies(doc, role, ou_path=inside)
    assert not _copies(doc, role, ou_path=outside)
    assert not _copies(doc, "arn:aws:iam::222233334444:role/AppTeamBackupRole", ou_path=inside)
    with pytest.raises(ValueError, match="not inside organization"):
        _central(organization_paths=["o-zzzzzzzzzz/*"])


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
