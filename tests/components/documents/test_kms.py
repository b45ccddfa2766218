"""KMS key policies of the member and central vault keys."""

from __future__ import annotations

import pytest

from components.documents import kms
from tests.components.documents.helpers import as_list, by_sid, is_allowed

ORG = "o-a1b2c3d4e5"
MEMBER = "444455556666"
CENTRAL = "111122223333"
OTHER = "999988887777"
REGION = "eu-west-2"
VIA_BACKUP = f"backup.{REGION}.amazonaws.com"
# AWS Backup, and EC2/RDS, which copy the types AWS Backup does not fully manage (item 8).
VIA_COPIERS = [VIA_BACKUP, f"ec2.{REGION}.amazonaws.com", f"rds.{REGION}.amazonaws.com"]
CRYPTO = {
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
}
GRANTS = {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}
BACKUP_ROLE = f"arn:aws:iam::{MEMBER}:role/OrgBackupServiceRole"
SLR = f"arn:aws:iam::{MEMBER}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"
BREAK_GLASS = f"arn:aws:iam::{CENTRAL}:role/BackupBreakGlass"
MEMBER_BREAK_GLASS = f"arn:aws:iam::{MEMBER}:role/BackupBreakGlass"
DEPLOY_ROLE = f"arn:aws:iam::{MEMBER}:role/OrganizationAccountAccessRole"


def member(**overrides):
    args = {
        "account_id": MEMBER,
        "region": REGION,
        "organization_id": ORG,
        "backup_role_name": "OrgBackupServiceRole",
        "central_account_id": CENTRAL,
        "protected_by_role_arns": [MEMBER_BREAK_GLASS, DEPLOY_ROLE],
    }
    return kms.member_backup_key_policy(**{**args, **overrides})


def central(**overrides):
    args = {
        "account_id": CENTRAL,
        "region": REGION,
        "organization_id": ORG,
        "break_glass_role_arns": [BREAK_GLASS],
    }
    return kms.central_backup_key_policy(**{**args, **overrides})


def org_context(account, *, path=f"{ORG}/r-ab12/ou-ab12-11111111/", via=VIA_BACKUP, org=ORG, grant=None):
    ctx = {
        "aws:PrincipalOrgID": org,
        "aws:PrincipalOrgPaths": [path],
        "kms:ViaService": via,
        "kms:CallerAccount": account,
    }
    if grant is not None:
        ctx["kms:GrantIsForAWSResource"] = grant
    return ctx


# --- administration -------------------------------------------------------------------------------------


def test_admin_actions_are_explicit_and_lockout_safe():
    actions = set(kms.KEY_ADMIN_ACTIONS)
    assert not any("*" in a for a in actions)
    assert {
        "kms:PutKeyPolicy",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:RotateKeyOnDemand",
    } <= actions
    assert {"kms:TagResource", "kms:UntagResource", "kms:EnableKeyRotation", "kms:GetKeyPolicy"} <= actions
    assert not actions & CRYPTO - {"kms:DescribeKey"}, "administrators must not be able to use the key"
    assert "kms:CreateGrant" not in actions


@pytest.mark.parametrize("build", [member, central])
def test_root_administers_without_kms_star(build):
    st = by_sid(build())["AllowKeyAdministration"]
    account = MEMBER if build is member else CENTRAL
    assert st["Principal"] == {"AWS": f"arn:aws:iam::{account}:root"}
    assert as_list(st["Action"]) == sorted(kms.KEY_ADMIN_ACTIONS)
    assert "Condition" not in st


def test_admin_roles_join_the_administration_statement():
    admins = [f"arn:aws:iam::{MEMBER}:role/KeyAdmin", f"arn:aws:iam::{MEMBER}:role/Another"]
    st = by_sid(member(admin_role_arns=admins))["AllowKeyAdministration"]
    assert st["Principal"] == {"AWS": sorted([f"arn:aws:iam::{MEMBER}:root", *admins])}
    with pytest.raises(ValueError, match="admin_role_arns"):
        member(admin_role_arns=["arn:aws:iam::*:role/KeyAdmin"])


# --- member key -----------------------------------------------------------------------------------------


def test_member_key_backup_roles_use_the_key_via_regional_backup_only():
    doc = member()
    use = by_sid(doc)["AllowAccountBackupRolesToUseKey"]
    assert use["Principal"] == "*"
    assert set(as_list(use["Action"])) == CRYPTO
    assert use["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG, "kms:ViaService": VIA_COPIERS},
        "ArnEquals": {"aws:PrincipalArn": [BACKUP_ROLE, SLR]},
    }
    grants = by_sid(doc)["AllowAccountBackupRolesToCreateGrants"]
    assert set(as_list(grants["Action"])) == GRANTS
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    assert grants["Condition"]["ArnEquals"] == use["Condition"]["ArnEquals"]


def test_member_key_central_account_can_copy_back():
    doc = member()
    use = by_sid(doc)["AllowCentralAccountBackupToUseKey"]
    assert use["Principal"] == {"AWS": f"arn:aws:iam::{CENTRAL}:root"}
    assert set(as_list(use["Action"])) == CRYPTO
    assert use["Condition"] == {"StringEquals": {"kms:ViaService": VIA_COPIERS}}
    grants = by_sid(doc)["AllowCentralAccountBackupToCreateGrants"]
    assert grants["Condition"] == {
        "StringEquals": {"kms:ViaService": VIA_COPIERS},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }


def test_member_key_behaviour():
    doc = member()
    for role in (BACKUP_ROLE, SLR):
        assert is_allowed(doc, action="kms:GenerateDataKey", principal_arn=role, context=org_context(MEMBER))
        assert is_allowed(doc, action="kms:CreateGrant", principal_arn=role, context=org_context(MEMBER, grant="true"))
        assert not is_allowed(
            doc, action="kms:CreateGrant", principal_arn=role, context=org_context(MEMBER, grant="false")
        )
    # not through AWS Backup, or through AWS Backup in another Region: refused
    direct = org_context(MEMBER, via="s3.eu-west-2.amazonaws.com")
    assert not is_allowed(doc, action="kms:Decrypt", principal_arn=BACKUP_ROLE, context=direct)
    other_region = org_context(MEMBER, via="backup.us-east-1.amazonaws.com")
    assert not is_allowed(doc, action="kms:Decrypt", principal_arn=BACKUP_ROLE, context=other_region)
    # another role of the account cannot use the key, only administer it
    admin = f"arn:aws:iam::{MEMBER}:role/Admin"
    assert not is_allowed(doc, action="kms:Decrypt", principal_arn=admin, context=org_context(MEMBER))
    # an account administrator (even the root user) can no longer lock the backup role out or destroy the key
    for action in ("kms:PutKeyPolicy", "kms:DisableKey", "kms:ScheduleKeyDeletion"):
        assert not is_allowed(doc, action=action, principal_arn=admin)
        assert not is_allowed(doc, action=action, principal_arn=f"arn:aws:iam::{MEMBER}:root")
        assert is_allowed(doc, action=action, principal_arn=DEPLOY_ROLE)
        assert is_allowed(doc, action=action, principal_arn=MEMBER_BREAK_GLASS)
    assert is_allowed(doc, action="kms:EnableKeyRotation", principal_arn=admin)
    # the same role name in another member account gets nothing
    twin = f"arn:aws:iam::{OTHER}:role/OrgBackupServiceRole"
    assert not is_allowed(doc, action="kms:Decrypt", principal_arn=twin, context=org_context(OTHER))
    # the central account's backup role, through AWS Backup
    central_role = f"arn:aws:iam::{CENTRAL}:role/OrgBackupServiceRole"
    assert is_allowed(doc, action="kms:GenerateDataKey", principal_arn=central_role, context=org_context(CENTRAL))
    assert not is_allowed(doc, action="kms:PutKeyPolicy", principal_arn=central_role, context=org_context(CENTRAL))


def test_member_key_without_a_separate_central_account():
    doc = member(central_account_id=MEMBER)
    assert not any(sid.startswith("AllowCentralAccount") for sid in by_sid(doc))


def test_member_key_role_with_path_and_partition():
    doc = member(
        backup_role_name="backup/OrgBackupServiceRole",
        partition="aws-us-gov",
        region="us-gov-west-1",
        protected_by_role_arns=[f"arn:aws-us-gov:iam::{MEMBER}:role/BackupBreakGlass"],
    )
    use = by_sid(doc)["AllowAccountBackupRolesToUseKey"]
    assert use["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        f"arn:aws-us-gov:iam::{MEMBER}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
        f"arn:aws-us-gov:iam::{MEMBER}:role/backup/OrgBackupServiceRole",
    ]
    via = use["Condition"]["StringEquals"]["kms:ViaService"]
    assert via == [f"{s}.us-gov-west-1.amazonaws.com" for s in ("backup", "ec2", "rds")]
    china = member(
        partition="aws-cn",
        region="cn-north-1",
        protected_by_role_arns=[f"arn:aws-cn:iam::{MEMBER}:role/BackupBreakGlass"],
    )
    assert by_sid(china)["AllowCentralAccountBackupToUseKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": [f"{s}.cn-north-1.amazonaws.com.cn" for s in ("backup", "ec2", "rds")]}
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"region": "backup.amazonaws.com"}, "region"),
        ({"region": "*"}, "region"),
        ({"account_id": "4444"}, "account_id"),
        ({"central_account_id": "*"}, "central_account_id"),
        ({"organization_id": "o-*"}, "organization_id"),
        ({"backup_role_name": "role name with spaces"}, "role_name"),
        ({"backup_role_name": "Role*"}, "role_name"),
    ],
)
def test_member_key_rejects_bad_inputs(overrides, message):
    with pytest.raises(ValueError, match=message):
        member(**overrides)


# --- central key ----------------------------------------------------------------------------------------


def test_central_key_organization_use():
    doc = central()
    use = by_sid(doc)["AllowOrganizationBackupToUseKey"]
    assert use["Principal"] == "*"
    assert set(as_list(use["Action"])) == CRYPTO
    assert use["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG, "kms:ViaService": VIA_COPIERS}}
    grants = by_sid(doc)["AllowOrganizationBackupToCreateGrants"]
    assert set(as_list(grants["Action"])) == GRANTS
    assert grants["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": ORG, "kms:ViaService": VIA_COPIERS},
        "Bool": {"kms:GrantIsForAWSResource": "true"},
    }
    assert not any(sid.startswith("AllowAccountBackup") for sid in by_sid(doc))


def test_central_key_organization_paths():
    path = f"{ORG}/r-ab12/ou-ab12-11111111/*"
    doc = central(organization_paths=[path])
    use = by_sid(doc)["AllowOrganizationBackupToUseKey"]
    assert use["Condition"]["ForAnyValue:StringLike"] == {"aws:PrincipalOrgPaths": [path]}
    assert use["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == ORG
    # the central account may sit outside the paths: its own AWS Backup keeps using the key
    own = by_sid(doc)["AllowAccountBackupToUseKey"]
    assert own["Principal"] == {"AWS": f"arn:aws:iam::{CENTRAL}:root"}
    assert own["Condition"] == {"StringEquals": {"kms:ViaService": VIA_COPIERS}}
    assert by_sid(doc)["AllowAccountBackupToCreateGrants"]["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}
    inside = f"arn:aws:iam::{MEMBER}:role/OrgBackupServiceRole"
    assert is_allowed(doc, action="kms:ReEncryptTo", principal_arn=inside, context=org_context(MEMBER))
    outside_ou = org_context(MEMBER, path=f"{ORG}/r-ab12/ou-ab12-99999999/")
    assert not is_allowed(doc, action="kms:ReEncryptTo", principal_arn=inside, context=outside_ou)
    central_role = f"arn:aws:iam::{CENTRAL}:role/OrgBackupServiceRole"
    central_ctx = org_context(CENTRAL, path=f"{ORG}/r-ab12/ou-ab12-00000000/")
    assert is_allowed(doc, action="kms:Decrypt", principal_arn=central_role, context=central_ctx)
    with pytest.raises(ValueError, match="not inside organization"):
        central(organization_paths=["o-zzzzzzzzzz/*"])


def test_central_key_denies_disable_delete_and_policy_change_except_break_glass():
    glass = [
        BREAK_GLASS,
        f"arn:aws:iam::{CENTRAL}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_BreakGlass_*",
    ]
    doc = central(break_glass_role_arns=glass)
    deny = doc["Statement"][-1]
    assert deny["Sid"] == "DenyKeyDisableDeletionAndPolicyChangeExceptBreakGlass"
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Resource"] == "*"
    assert set(as_list(deny["Action"])) == {"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"}
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": sorted(glass)}}
    # lockout safety: the break-glass roles (via the root delegation) can still do all three
    for action in ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"):
        assert is_allowed(doc, action=action, principal_arn=BREAK_GLASS)
        sso = f"arn:aws:iam::{CENTRAL}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_BreakGlass_1"
        assert is_allowed(doc, action=action, principal_arn=sso)
        for other in (
            f"arn:aws:iam::{CENTRAL}:role/OrganizationAccountAccessRole",
            f"arn:aws:iam::{CENTRAL}:root",
            f"arn:aws:iam::{MEMBER}:role/BackupBreakGlass",
        ):
            assert not is_allowed(doc, action=action, principal_arn=other)
    # other administration is untouched
    assert is_allowed(
        doc,
        action="kms:EnableKeyRotation",
        principal_arn=f"arn:aws:iam::{CENTRAL}:role/OrganizationAccountAccessRole",
    )


def test_central_key_outsiders_get_nothing():
    doc = central()
    outsider = "arn:aws:iam::777766665555:role/OrgBackupServiceRole"
    ctx = org_context("777766665555", org="o-zzzzzzzzzz")
    for action in sorted(CRYPTO | GRANTS):
        assert not is_allowed(
            doc, action=action, principal_arn=outsider, context={**ctx, "kms:GrantIsForAWSResource": "true"}
        )


@pytest.mark.parametrize(
    ("glass", "message"),
    [
        ([], "at least one"),
        ([f"arn:aws:iam::{MEMBER}:role/BackupBreakGlass"], "not roles of the key's account"),
        (["arn:aws:iam::*:role/BackupBreakGlass"], "break_glass_role_arns"),
        ([f"arn:aws:iam::{CENTRAL}:user/alice"], "break_glass_role_arns"),
        (BREAK_GLASS, "list"),
    ],
)
def test_central_key_break_glass_validation(glass, message):
    with pytest.raises(ValueError, match=message):
        central(break_glass_role_arns=glass)


def test_member_key_denies_disable_deletion_and_policy_change_except_break_glass_and_deployer():
    deny = by_sid(member())["DenyKeyDisableDeletionAndPolicyChangeExceptBreakGlass"]
    assert deny == {
        "Sid": "DenyKeyDisableDeletionAndPolicyChangeExceptBreakGlass",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted([MEMBER_BREAK_GLASS, DEPLOY_ROLE])}},
    }


def test_member_key_protection_needs_roles_of_the_keys_account():
    with pytest.raises(ValueError, match="at least one role"):
        member(protected_by_role_arns=[])
    with pytest.raises(ValueError, match="not roles of the key's account"):
        member(protected_by_role_arns=[BREAK_GLASS])


@pytest.mark.parametrize("service", ["backup", "ec2", "rds"])
def test_keys_admit_the_copying_services_in_their_region_only(service):
    for doc in (member(), central()):
        for statement in doc["Statement"]:
            if statement["Effect"] == "Allow" and "Condition" in statement and "kms:ViaService" in str(statement):
                assert statement["Condition"]["StringEquals"]["kms:ViaService"] == VIA_COPIERS
    assert f"{service}.{REGION}.amazonaws.com" in VIA_COPIERS


# --- security review F10: the key policy holds what the SCP also denies -----------------------------------------


def _key_decides(principal: str, action: str, context: tuple[tuple[str, str], ...]) -> bool:
    """IAMSpy's model (policies.access.evaluator): an account administrator with AdministratorAccess, no SCP."""
    import json

    from policies.access.evaluator import Principal, Request, decide

    admin_access = json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    )
    key = f"arn:aws:kms:{REGION}:{MEMBER}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    request = Request(
        Principal(principal, org_id=ORG, identity=(admin_access,)),
        action,
        key,
        resource_policies=(("key policy", json.dumps(member())),),
        kms_key=True,
        extra_context=context,
    )
    decision = decide(request)
    assert decision.exact, decision
    return decision.allowed


@pytest.mark.parametrize(
    ("action", "context"),
    [
        ("kms:UntagResource", (("aws:TagKeys", "org-backup:backup-key"),)),
        ("kms:TagResource", (("aws:TagKeys", "org-backup:backup-key"),)),
        ("kms:RevokeGrant", (("kms:GrantIsForAWSResource", "false"),)),
    ],
)
def test_member_key_denies_untagging_and_grant_revocation_without_the_scp(action, context):
    admin = f"arn:aws:iam::{MEMBER}:role/Admin"
    assert not _key_decides(admin, action, context)
    assert _key_decides(MEMBER_BREAK_GLASS, action, context)


def test_member_key_leaves_other_tags_and_service_grant_revocations_open():
    admin = f"arn:aws:iam::{MEMBER}:role/Admin"
    assert _key_decides(admin, "kms:TagResource", (("aws:TagKeys", "cost-center"),))
    assert _key_decides(admin, "kms:RevokeGrant", (("kms:GrantIsForAWSResource", "true"),))
