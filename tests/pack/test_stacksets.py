"""StackSet template rules: vaults, locks, keys, access policies and Retain inside a StackSet's templateBody."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import yaml

from rules import stacksets
from rules.adapter import UNKNOWN
from rules.resources import STACK_SET
from tests.pack.harness import UNKNOWN_STRING, Spec, by_name, run_resource

LOCKED = by_name(stacksets.POLICIES, "stackset-template-vaults-locked")
KMS = by_name(stacksets.POLICIES, "stackset-template-kms")
VAULT_POLICY = by_name(stacksets.POLICIES, "stackset-template-vault-policy")
RETAIN = by_name(stacksets.POLICIES, "stackset-template-retain")
AUTO = by_name(stacksets.POLICIES, "stackset-auto-deployment")

# Hand-written, in the YAML short form most StackSet templates use.
HANDWRITTEN = """
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  MinDays: {Type: Number, Default: 7}
Resources:
  VaultKey:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      EnableKeyRotation: true
      PendingWindowInDays: 30
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: AllowAccountAdministration
            Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: [kms:DescribeKey, kms:PutKeyPolicy, kms:ScheduleKeyDeletion, kms:CancelKeyDeletion]
            Resource: "*"
          - Sid: AllowBackupInTheOrganization
            Effect: Allow
            Principal: "*"
            Action: [kms:Decrypt, kms:Encrypt, kms:GenerateDataKey, kms:DescribeKey]
            Resource: "*"
            Condition:
              StringEquals:
                aws:PrincipalOrgID: o-a1b2c3d4e5
                kms:ViaService: !Sub "backup.${AWS::Region}.amazonaws.com"
          - Sid: DenyKeyDestruction
            Effect: Deny
            Principal: "*"
            Action: [kms:DisableKey, kms:ScheduleKeyDeletion]
            Resource: "*"
            Condition:
              ArnNotLike:
                aws:PrincipalArn:
                  - !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/BackupBreakGlass"
          - Sid: DenyKeyPolicyChange
            Effect: Deny
            Principal: "*"
            Action: kms:PutKeyPolicy
            Resource: "*"
            Condition:
              ArnNotLike:
                aws:PrincipalArn:
                  - !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/BackupBreakGlass"
                  - !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/stacksets-exec-*"
          - Sid: DenyBackupKeyUntagging
            Effect: Deny
            Principal: "*"
            Action: [kms:TagResource, kms:UntagResource]
            Resource: "*"
            Condition:
              ArnNotLike:
                aws:PrincipalArn:
                  - !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/BackupBreakGlass"
              ForAnyValue:StringEquals:
                aws:TagKeys: [org-backup:backup-key]
  Vault:
    Type: AWS::Backup::BackupVault
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BackupVaultName: org-backup
      EncryptionKeyArn: !GetAtt VaultKey.Arn
      LockConfiguration: {MinRetentionDays: 7, MaxRetentionDays: 365}
      AccessPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: DenyRecoveryPointDeletion
            Effect: Deny
            Principal: "*"
            Action:
              - backup:DeleteRecoveryPoint
              - backup:UpdateRecoveryPointLifecycle
              - backup:PutBackupVaultAccessPolicy
              - backup:DeleteBackupVaultAccessPolicy
            Resource: "*"
            Condition:
              ArnNotLike:
                aws:PrincipalArn:
                  - !Sub ["arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Role}", {Role: BackupBreakGlass}]
  BackupRole:
    Type: AWS::IAM::Role
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      RoleName: OrgBackupServiceRole
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Sid: AllowBackup, Effect: Allow, Principal: {Service: backup.amazonaws.com}, Action: sts:AssumeRole}
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup
  NotificationsRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Sid: AllowEvents, Effect: Allow, Principal: {Service: events.amazonaws.com}, Action: sts:AssumeRole}
  UnrelatedKey:
    Type: AWS::KMS::Key
    Properties:
      KeySpec: RSA_2048
      KeyUsage: SIGN_VERIFY
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: Admin
            Effect: Allow
            Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}
            Action: kms:DescribeKey
            Resource: "*"
"""
SERVICE_MANAGED = {
    "permissionModel": "SERVICE_MANAGED",
    "autoDeployment": {"enabled": True, "retainStacksOnAccountRemoval": True},
}


def _template(**changes: Any) -> dict[str, Any]:
    """The hand-written template as the long form, with ``{logical id: {key: value or None to drop}}`` applied."""
    template = copy.deepcopy(stacksets.read_template(HANDWRITTEN))
    for logical_id, updates in changes.items():
        resource = template["Resources"][logical_id]
        for key, value in updates.items():
            target = resource if key in ("DeletionPolicy", "UpdateReplacePolicy") else resource["Properties"]
            if value is None:
                target.pop(key, None)
            else:
                target[key] = value
    return template


def _stack_set(body: Any = None, **props: Any) -> Spec:
    body = HANDWRITTEN if body is None else body
    text = body if isinstance(body, str) else json.dumps(body)
    return Spec(STACK_SET, {"templateBody": text, **SERVICE_MANAGED, **props}, name="member-stackset")


@pytest.mark.parametrize("policy", stacksets.POLICIES, ids=lambda p: p.name)
def test_the_handwritten_template_passes(policy):
    assert run_resource(policy, _stack_set()) == []


def _generated(stack: str = "prod") -> dict[str, Any]:
    from components.documents.member_template import member_template
    from deployment.load import config_from_stack_file
    from org_backup.preview.offline import PROJECT_DIR

    return member_template(config_from_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml").config)


@pytest.mark.parametrize("stack", ["prod", "staging"])
@pytest.mark.parametrize("policy", stacksets.POLICIES, ids=lambda p: p.name)
def test_the_org_backup_member_template_passes(policy, stack):
    assert run_resource(policy, _stack_set(_generated(stack))) == []


def _statement(policy: dict[str, Any], sid: str) -> dict[str, Any]:
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == sid]
    return statement


def test_the_member_template_before_issue_9_is_refused():
    """The attacker shapes of the template as it was: the vault's deletion Deny exempts ``stacksets-exec-*``
    (any member administrator can create such a role), and the key has Allow statements only."""
    template = _generated()
    policy = template["Resources"]["BackupVault"]["Properties"]["AccessPolicy"]
    deny = _statement(policy, "DenyRecoveryPointAndVaultChangesExceptBreakGlass")
    exec_role = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/stacksets-exec-*"}
    deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(exec_role)
    found = run_resource(VAULT_POLICY, _stack_set(template))
    assert len(found) == 1 and "arn:aws:iam::123456789012:role/stacksets-exec-*: a name pattern" in found[0], found
    assert "backup:DeleteRecoveryPoint" in found[0] and "backup:PutBackupVaultAccessPolicy" in found[0]

    template = _generated()
    key_policy = template["Resources"]["BackupKey"]["Properties"]["KeyPolicy"]
    key_policy["Statement"] = [s for s in key_policy["Statement"] if s["Effect"] != "Deny"]
    found = [m for m in run_resource(KMS, _stack_set(template)) if "[key-denies-destruction]" in m]
    assert found == [
        "BackupKey.KeyPolicy: no Deny for Principal * covers kms:DisableKey, kms:PutKeyPolicy, kms:ScheduleKeyDeletion: "
        "an account administrator can disable the key, schedule its deletion or replace its policy, and every "
        "recovery point it encrypts becomes unrestorable; deny them to all but the break-glass roles (ArnNotLike "
        "aws:PrincipalArn) [key-denies-destruction]"
    ]


def test_a_vault_key_is_known_by_the_vault_that_uses_it():
    """A key the vault encrypts with must deny its destruction even when its policy does not mention AWS Backup."""
    policy = _template()["Resources"]["VaultKey"]["Properties"]["KeyPolicy"]
    policy["Statement"] = [policy["Statement"][0]]
    found = [m for m in run_resource(KMS, _stack_set(_template(VaultKey={"KeyPolicy": policy}))) if "[key-" in m]
    assert len(found) == 1 and found[0].startswith("VaultKey.KeyPolicy: no Deny for Principal * covers"), found


def test_a_key_deny_exempting_every_role_is_reported():
    policy = _template()["Resources"]["VaultKey"]["Properties"]["KeyPolicy"]
    policy["Statement"][3]["Condition"]["ArnNotLike"]["aws:PrincipalArn"][1] = {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*"
    }
    found = run_resource(KMS, _stack_set(_template(VaultKey={"KeyPolicy": policy})))
    assert any("exempts arn:aws:iam::123456789012:role/*: any role (of any account) escapes it" in m for m in found)


@pytest.mark.parametrize("policy", [LOCKED, KMS, VAULT_POLICY, RETAIN], ids=lambda p: p.name)
def test_mandatory_rules_fail_closed_on_an_unknown_or_unreadable_body(policy):
    assert any(
        "templateBody is not known during preview" in m for m in run_resource(policy, _stack_set(UNKNOWN_STRING))
    )
    assert any("neither JSON nor YAML" in m for m in run_resource(policy, _stack_set("Resources: [unclosed")))
    spec = Spec(STACK_SET, {"templateUrl": "https://bucket.s3.amazonaws.com/t.json"})
    assert any("templateUrl" in m for m in run_resource(policy, spec))


# --------------------------------------------------------------------------- vaults locked


def test_a_vault_without_a_lock_is_reported():
    found = run_resource(LOCKED, _stack_set(_template(Vault={"LockConfiguration": None})))
    assert found == ["Vault: the vault has no LockConfiguration, so recovery points can be deleted at any time"]


@pytest.mark.parametrize(
    ("lock", "expected"),
    [
        ({"MinRetentionDays": 400, "MaxRetentionDays": 35}, "must be greater than min_retention_days 400"),
        ({"MinRetentionDays": 7}, "MaxRetentionDays is not set"),
        ({"MaxRetentionDays": 35}, "MinRetentionDays is not set"),
        (
            {"MinRetentionDays": 7, "MaxRetentionDays": 35, "ChangeableForDays": 1},
            "changeable_for_days 1 must be between 3",
        ),
        ({"MinRetentionDays": "7", "MaxRetentionDays": 40000}, "max_retention_days 40000 must be between 1 and 36500"),
    ],
)
def test_lock_bounds(lock, expected):
    found = run_resource(LOCKED, _stack_set(_template(Vault={"LockConfiguration": lock})))
    assert any(expected in m and m.startswith("Vault: ") for m in found), found


def test_lock_floor_and_ceiling_come_from_config():
    spec = _stack_set()
    assert run_resource(LOCKED, spec, {"minRetentionDaysFloor": 14}) == [
        "Vault: MinRetentionDays 7 is below the configured floor of 14 days"
    ]
    assert run_resource(LOCKED, spec, {"maxRetentionDaysCeiling": 100}) == [
        "Vault: MaxRetentionDays 365 is above the configured ceiling of 100 days"
    ]


def test_a_lock_built_from_a_parameter_or_condition_fails_closed():
    by_parameter = {"MinRetentionDays": {"Ref": "MinDays"}, "MaxRetentionDays": 365}
    found = run_resource(LOCKED, _stack_set(_template(Vault={"LockConfiguration": by_parameter})))
    assert any("LockConfiguration.MinRetentionDays depends on a parameter" in m for m in found)
    conditional = {"Fn::If": ["Prod", {"MinRetentionDays": 7, "MaxRetentionDays": 35}, {"Ref": "AWS::NoValue"}]}
    found = run_resource(LOCKED, _stack_set(_template(Vault={"LockConfiguration": conditional})))
    assert found == [stacksets._not_resolved("Vault", "LockConfiguration", "the Vault Lock")]


# --------------------------------------------------------------------------- keys


def test_key_rotation_window_and_lockout():
    spec = _stack_set(
        _template(
            VaultKey={"EnableKeyRotation": False, "PendingWindowInDays": 7, "BypassPolicyLockoutSafetyCheck": True}
        )
    )
    assert run_resource(KMS, spec) == [
        "VaultKey: EnableKeyRotation is not true: the key never rotates",
        "VaultKey: PendingWindowInDays 7 is shorter than 30 days",
        "VaultKey: BypassPolicyLockoutSafetyCheck is true: a key policy could lock every administrator out",
    ]
    assert len(run_resource(KMS, spec, {"minDeletionWindowDays": 7})) == 2


def test_an_absent_window_is_cloudformations_default_of_30_days():
    assert run_resource(KMS, _stack_set(_template(VaultKey={"PendingWindowInDays": None}))) == []


def test_key_policy_least_privilege():
    policy = _template()["Resources"]["VaultKey"]["Properties"]["KeyPolicy"]
    policy["Statement"][1]["Condition"]["StringEquals"].pop("aws:PrincipalOrgID")
    policy["Statement"][0]["Action"] = "kms:*"
    found = run_resource(KMS, _stack_set(_template(VaultKey={"KeyPolicy": policy})))
    assert any("VaultKey.KeyPolicy.Statement[0]" in m and "kms:*" in m for m in found), found
    assert any("VaultKey.KeyPolicy.Statement[1]" in m and "PrincipalOrgID" in m for m in found), found


def test_a_missing_or_parameterised_key_policy_is_reported():
    found = run_resource(KMS, _stack_set(_template(VaultKey={"KeyPolicy": None})))
    assert found == ["VaultKey: no KeyPolicy: the default policy admits no other account, so cross-account copies fail"]
    found = run_resource(KMS, _stack_set(_template(VaultKey={"KeyPolicy": {"Fn::If": ["A", {}, {}]}})))
    assert found == [stacksets._not_resolved("VaultKey", "KeyPolicy", "the key policy")]


def test_the_via_service_value_is_read_after_resolving_the_region():
    policy = _template()["Resources"]["VaultKey"]["Properties"]["KeyPolicy"]
    policy["Statement"][1]["Condition"]["StringEquals"]["kms:ViaService"] = "backup.amazonaws.com"
    found = run_resource(KMS, _stack_set(_template(VaultKey={"KeyPolicy": policy})))
    assert any("ViaService" in m for m in found), found


# --------------------------------------------------------------------------- vault access policy


def test_a_vault_without_an_access_policy_is_reported():
    found = run_resource(VAULT_POLICY, _stack_set(_template(Vault={"AccessPolicy": None})))
    assert found == ["Vault: the vault has no AccessPolicy: nothing denies deletion of recovery points"]


def test_an_access_policy_that_does_not_deny_deletion_is_reported():
    allow_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
            }
        ],
    }
    found = run_resource(VAULT_POLICY, _stack_set(_template(Vault={"AccessPolicy": json.dumps(allow_only)})))
    assert len(found) == 1 and found[0].startswith("Vault.AccessPolicy:") and "backup:DeleteRecoveryPoint" in found[0]


def test_exempt_principals_are_limited_by_config():
    found = run_resource(VAULT_POLICY, _stack_set(), {"maxExemptPrincipals": 0})
    assert any("1 principals are exempt" in m for m in found), found


def test_an_access_policy_with_unresolved_parts_fails_closed():
    policy = _template()["Resources"]["Vault"]["Properties"]["AccessPolicy"]
    policy["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"] = {"Fn::GetAtt": ["BreakGlass", "Arn"]}
    found = run_resource(VAULT_POLICY, _stack_set(_template(Vault={"AccessPolicy": policy})))
    assert found == [
        stacksets._not_resolved("Vault", "AccessPolicy", "that the vault denies deletion of recovery points")
    ]


# --------------------------------------------------------------------------- Retain


def test_vault_key_and_backup_role_must_be_retained():
    template = _template(
        Vault={"DeletionPolicy": None},
        VaultKey={"UpdateReplacePolicy": "Delete"},
        BackupRole={"DeletionPolicy": "Delete"},
    )
    assert run_resource(RETAIN, _stack_set(template)) == [
        "BackupRole: the backup role has no DeletionPolicy Retain: deleting the stack would delete it",
        "Vault: the vault has no DeletionPolicy Retain: deleting the stack would delete it",
        "VaultKey: the vault key has no UpdateReplacePolicy Retain: a replacement would delete the old one",
    ]


def test_retain_except_on_create_is_enough_and_other_resources_are_free():
    template = _template(Vault={"DeletionPolicy": "RetainExceptOnCreate"})
    assert run_resource(RETAIN, _stack_set(template)) == []


def test_a_key_referenced_with_ref_is_guarded_too():
    template = _template(Vault={"EncryptionKeyArn": {"Ref": "VaultKey"}}, VaultKey={"DeletionPolicy": None})
    assert run_resource(RETAIN, _stack_set(template)) == [
        "VaultKey: the vault key has no DeletionPolicy Retain: deleting the stack would delete it"
    ]


# --------------------------------------------------------------------------- auto-deployment


def test_auto_deployment_and_retention_on_removal():
    spec = _stack_set(
        permissionModel="SELF_MANAGED", autoDeployment={"enabled": False, "retainStacksOnAccountRemoval": False}
    )
    found = run_resource(AUTO, spec)
    assert len(found) == 3
    assert found[0].startswith("permissionModel is SELF_MANAGED")
    assert "autoDeployment is not enabled" in found[1] and "retainStacksOnAccountRemoval" in found[2]


def test_auto_deployment_ignores_stacksets_without_vaults():
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}
    assert run_resource(AUTO, _stack_set(template, permissionModel="SELF_MANAGED", autoDeployment=None)) == []


def test_auto_deployment_skips_unknown_values():
    assert run_resource(AUTO, _stack_set(permissionModel=UNKNOWN_STRING, autoDeployment=UNKNOWN_STRING)) == []


# --------------------------------------------------------------------------- reading templates


def test_yaml_short_forms_read_as_the_long_forms():
    template = stacksets.read_template(HANDWRITTEN)
    vault = template["Resources"]["Vault"]["Properties"]
    assert vault["EncryptionKeyArn"] == {"Fn::GetAtt": ["VaultKey", "Arn"]}
    assert template["Resources"]["UnrelatedKey"]["Properties"]["KeyPolicy"]["Statement"][0]["Principal"] == {
        "AWS": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:root"}
    }
    assert yaml.safe_load("a: 1") == {"a": 1}, "the short-form tags are registered on a private loader only"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}, "arn:aws:iam::123456789012:root"),
        ({"Fn::Sub": ["${A}-${AWS::Region}", {"A": {"Ref": "AWS::AccountId"}}]}, "123456789012-us-east-1"),
        ({"Fn::Sub": "literal ${!Name}"}, "literal ${Name}"),
        ({"Fn::Join": [":", ["a", {"Ref": "AWS::Region"}]]}, "a:us-east-1"),
        ({"Fn::Sub": "${Param}"}, UNKNOWN),
        ({"Ref": "Param"}, UNKNOWN),
        ({"Fn::GetAtt": ["Key", "Arn"]}, UNKNOWN),
        ({"Fn::Join": [":", [{"Ref": "Param"}]]}, UNKNOWN),
        ({"Fn::Sub": 3}, UNKNOWN),
        ({"Key": {"Ref": "AWS::AccountId"}}, {"Key": "123456789012"}),
    ],
)
def test_resolve(value, expected):
    assert stacksets.resolve(value) == expected


def test_security_review_f1_f10_a_template_key_that_exempts_the_execution_role_or_may_be_untagged_is_refused():
    """The key policy before the review: stacksets-exec-* exempt from all three actions, no untagging Deny."""
    template = _generated()
    key_policy = template["Resources"]["BackupKey"]["Properties"]["KeyPolicy"]
    assert run_resource(KMS, _stack_set(template)) == []
    for statement in key_policy["Statement"]:
        if statement.get("Sid") == "DenyKeyDisableAndDeletionExceptBreakGlass":
            exec_role = {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/stacksets-exec-*"}
            statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"].append(exec_role)
    key_policy["Statement"] = [
        s for s in key_policy["Statement"] if s.get("Sid") != "DenyBackupKeyTagChangesExceptBreakGlass"
    ]
    found = run_resource(KMS, _stack_set(template))
    assert any("exempts stacksets-exec-* from ['kms:disablekey', 'kms:schedulekeydeletion']" in m for m in found), found
    assert any("no Deny of kms:UntagResource" in m for m in found), found
