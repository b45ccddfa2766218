"""The backup service role documents and the Organizations delegation policy."""

from __future__ import annotations

import pytest

from components.documents import iam
from tests.components.documents.helpers import as_list, by_sid, is_allowed

ORG = "o-a1b2c3d4e5"
MGMT = "111111111111"
DELEGATE = "222222222222"


def test_backup_role_trust_policy_trusts_only_aws_backup():
    doc = iam.backup_role_trust_policy()
    (st,) = doc["Statement"]
    assert st["Effect"] == "Allow"
    assert st["Principal"] == {"Service": "backup.amazonaws.com"}
    assert st["Action"] == "sts:AssumeRole"
    assert "Resource" not in st and "Condition" not in st
    assert is_allowed(doc, action="sts:AssumeRole", service="backup.amazonaws.com")
    assert not is_allowed(doc, action="sts:AssumeRole", service="events.amazonaws.com")
    assert not is_allowed(doc, action="sts:AssumeRole", principal_arn=f"arn:aws:iam::{MGMT}:role/Admin")


def test_backup_role_managed_policies():
    assert iam.backup_role_managed_policy_arns() == [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
        "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
    ]
    gov = iam.backup_role_managed_policy_arns("aws-us-gov")
    assert all(arn.startswith("arn:aws-us-gov:iam::aws:policy/") for arn in gov)
    assert iam.backup_role_managed_policy_arns(partition="aws-cn")[0].startswith("arn:aws-cn:")
    with pytest.raises(ValueError, match="partition"):
        iam.backup_role_managed_policy_arns("amazon")


def _delegation(**overrides):
    args = {
        "management_account_id": MGMT,
        "organization_id": ORG,
        "root_id": "r-ab12",
        "delegate_account_id": DELEGATE,
    }
    return iam.organizations_delegation_policy(**{**args, **overrides})


def test_delegation_policy_read_statement():
    st = by_sid(_delegation())["AllowDescribeAndListForBackupPolicies"]
    assert st["Principal"] == {"AWS": f"arn:aws:iam::{DELEGATE}:root"}
    assert st["Resource"] == "*"
    assert st["Condition"] == {"StringLikeIfExists": {"organizations:PolicyType": "BACKUP_POLICY"}}
    actions = as_list(st["Action"])
    assert len(actions) == 15
    assert all(a.startswith(("organizations:Describe", "organizations:List")) for a in actions)
    assert {"organizations:DescribeEffectivePolicy", "organizations:ListTargetsForPolicy"} <= set(actions)


def test_delegation_policy_manage_statement():
    st = by_sid(_delegation())["AllowManageBackupPolicies"]
    assert st["Principal"] == {"AWS": f"arn:aws:iam::{DELEGATE}:root"}
    assert set(as_list(st["Action"])) == {
        "organizations:CreatePolicy",
        "organizations:UpdatePolicy",
        "organizations:DeletePolicy",
        "organizations:AttachPolicy",
        "organizations:DetachPolicy",
    }
    assert st["Resource"] == [
        f"arn:aws:organizations::{MGMT}:root/{ORG}/r-ab12",
        f"arn:aws:organizations::{MGMT}:ou/{ORG}/*",
        f"arn:aws:organizations::{MGMT}:account/{ORG}/*",
        f"arn:aws:organizations::{MGMT}:policy/{ORG}/backup_policy/*",
    ]
    assert st["Condition"] == {"StringLikeIfExists": {"organizations:PolicyType": "BACKUP_POLICY"}}


def test_delegation_policy_never_delegates_policy_type_switches():
    doc = _delegation()
    actions = {a for st in doc["Statement"] for a in as_list(st["Action"])}
    assert "organizations:EnablePolicyType" not in actions
    assert "organizations:DisablePolicyType" not in actions
    assert all(st["Effect"] == "Allow" for st in doc["Statement"])


def test_delegation_policy_tagging_is_limited_to_backup_policies():
    st = by_sid(_delegation())["AllowTagBackupPolicies"]
    assert st["Resource"] == f"arn:aws:organizations::{MGMT}:policy/{ORG}/backup_policy/*"
    assert set(as_list(st["Action"])) == {"organizations:TagResource", "organizations:UntagResource"}


def test_delegation_policy_behaviour():
    doc = _delegation()
    admin = f"arn:aws:iam::{DELEGATE}:role/BackupAdmin"
    backup_type = {"organizations:PolicyType": "BACKUP_POLICY"}
    scp_type = {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}
    ou = f"arn:aws:organizations::{MGMT}:ou/{ORG}/ou-ab12-11111111"
    assert is_allowed(doc, action="organizations:AttachPolicy", principal_arn=admin, resource=ou, context=backup_type)
    assert not is_allowed(doc, action="organizations:AttachPolicy", principal_arn=admin, resource=ou, context=scp_type)
    assert is_allowed(
        doc,
        action="organizations:UpdatePolicy",
        principal_arn=admin,
        resource=f"arn:aws:organizations::{MGMT}:policy/{ORG}/backup_policy/p-abcd1234",
    )
    assert not is_allowed(
        doc,
        action="organizations:UpdatePolicy",
        principal_arn=admin,
        resource=f"arn:aws:organizations::{MGMT}:policy/{ORG}/service_control_policy/p-abcd1234",
    )
    assert not is_allowed(
        doc,
        action="organizations:TagResource",
        principal_arn=admin,
        resource=f"arn:aws:organizations::{MGMT}:account/{ORG}/{MGMT}",
    )
    outsider = "arn:aws:iam::333333333333:role/BackupAdmin"
    assert not is_allowed(doc, action="organizations:ListPolicies", principal_arn=outsider, context=backup_type)


def test_delegation_policy_partition():
    doc = _delegation(partition="aws-us-gov")
    st = by_sid(doc)["AllowManageBackupPolicies"]
    assert all(r.startswith(f"arn:aws-us-gov:organizations::{MGMT}:") for r in st["Resource"])
    assert st["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{DELEGATE}:root"}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"delegate_account_id": MGMT}, "management account"),
        ({"delegate_account_id": "12345"}, "delegate_account_id"),
        ({"management_account_id": "11111111111a"}, "management_account_id"),
        ({"organization_id": "o-short"}, "organization_id"),
        ({"organization_id": "O-A1B2C3D4E5"}, "organization_id"),
        ({"root_id": "ou-ab12"}, "root_id"),
        ({"partition": "aws "}, "partition"),
    ],
)
def test_delegation_policy_rejects_bad_identifiers(overrides, message):
    with pytest.raises(ValueError, match=message):
        _delegation(**overrides)


def test_organization_paths_must_stay_inside_the_organization():
    conditions = iam.organization_conditions(ORG, [f"{ORG}/r-ab12/ou-ab12-11111111/*", f"{ORG}/*"])
    assert conditions == {
        "StringEquals": {"aws:PrincipalOrgID": ORG},
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*", f"{ORG}/r-ab12/ou-ab12-11111111/*"]},
    }
    with pytest.raises(ValueError, match="not inside organization"):
        iam.organization_conditions(ORG, ["o-zzzzzzzzzz/r-ab12/ou-ab12-11111111/*"])
    with pytest.raises(ValueError, match="organization_paths"):
        iam.organization_conditions(ORG, ["*"])
    with pytest.raises(ValueError, match="list"):
        iam.organization_conditions(ORG, f"{ORG}/*")
