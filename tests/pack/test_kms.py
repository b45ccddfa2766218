"""KMS key rules on hand-written keys and key policies modelled on the corpus."""

from __future__ import annotations

import json

import pytest
from pulumi_policy import EnforcementLevel, Severity

from rules.kms import POLICIES
from tests.pack.harness import (
    UNKNOWN_BOOLEAN,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    Spec,
    assert_rule_metadata,
    by_name,
    run_resource,
    run_stack,
)

KEY = "aws:kms/key:Key"
KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
VAULT = "aws:backup/vault:Vault"
LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
CENTRAL = "111122223333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{CENTRAL}:key/{KEY_ID}"
BACKUP_TAG = {"org-backup:backup-key": "true"}

# A central copy-destination key: account administration with listed actions (no kms:*), use by the
# organization's principals through AWS Backup in this Region, grants only for AWS resources.
CENTRAL_KEY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowKeyAdministration",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": ["kms:DescribeKey", "kms:EnableKeyRotation", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
        },
        {
            "Sid": "AllowOrganizationBackupUse",
            "Effect": "Allow",
            "Principal": "*",
            "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo"],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
                "StringLike": {"kms:ViaService": "backup.*.amazonaws.com"},
            },
        },
        {
            "Sid": "AllowGrantsForBackup",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {
                "Bool": {"kms:GrantIsForAWSResource": "true"},
                "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
            },
        },
        {
            "Sid": "DenyKeyDestructionExceptBreakGlass",
            "Effect": "Deny",
            "Principal": "*",
            "Action": ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"],
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::{CENTRAL}:role/BackupBreakGlass"]}},
        },
    ],
}


def policy(name: str):
    return by_name(POLICIES, name)


def key(**props) -> Spec:
    base = {
        "description": "encrypts recovery points",
        "enableKeyRotation": True,
        "rotationPeriodInDays": 365.0,
        "deletionWindowInDays": 30.0,
        "bypassPolicyLockoutSafetyCheck": False,
        "policy": json.dumps(CENTRAL_KEY_POLICY),
        "tags": dict(BACKUP_TAG),
    }
    return Spec(KEY, {**base, **props}, "vault-key", account=CENTRAL)


@pytest.mark.parametrize(
    ("name", "level", "severity"),
    [
        ("kms-key-rotation", EnforcementLevel.ADVISORY, Severity.MEDIUM),
        ("kms-key-deletion-safety", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("kms-key-policy-backup", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("kms-backup-key-tagged", EnforcementLevel.ADVISORY, Severity.LOW),
    ],
)
def test_rule_metadata(name: str, level: EnforcementLevel, severity: Severity) -> None:
    assert_rule_metadata(POLICIES, name, level, severity)
    assert len(POLICIES) == 4


# --------------------------------------------------------------------------- kms-key-rotation


def test_rotating_key_passes() -> None:
    assert run_resource(policy("kms-key-rotation"), key()) == []


@pytest.mark.parametrize("props", [{"enableKeyRotation": False}, {"enableKeyRotation": None}])
def test_rotation_off_is_reported(props: dict) -> None:
    spec = key(**props)
    spec.props = {k: v for k, v in spec.props.items() if v is not None}
    assert run_resource(policy("kms-key-rotation"), spec) == [
        "enableKeyRotation is not true: the key material is never rotated"
    ]


def test_rotation_period_and_config() -> None:
    rule = policy("kms-key-rotation")
    assert run_resource(rule, key(rotationPeriodInDays=730.0)) == [
        "rotationPeriodInDays 730 exceeds the configured maximum of 365 days"
    ]
    assert run_resource(rule, key(rotationPeriodInDays=730.0), {"maxRotationPeriodDays": 730}) == []


@pytest.mark.parametrize(
    "props", [{"customerMasterKeySpec": "RSA_2048"}, {"customKeyStoreId": "cks-1234567890abcdef0"}]
)
def test_keys_that_cannot_rotate_are_skipped(props: dict) -> None:
    assert run_resource(policy("kms-key-rotation"), key(enableKeyRotation=False, **props)) == []


def test_rotation_skips_unknowns() -> None:
    spec = key(enableKeyRotation=UNKNOWN_BOOLEAN, rotationPeriodInDays=UNKNOWN_NUMBER)
    assert run_resource(policy("kms-key-rotation"), spec) == []


# --------------------------------------------------------------------------- kms-key-deletion-safety


def test_safe_key_passes() -> None:
    rule = policy("kms-key-deletion-safety")
    assert run_resource(rule, key()) == []
    assert run_resource(rule, Spec(KEY, {"description": "defaults"})) == []


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"deletionWindowInDays": 7.0}, "deletionWindowInDays 7 is shorter than 30 days"),
        ({"bypassPolicyLockoutSafetyCheck": True}, "bypassPolicyLockoutSafetyCheck is true"),
        ({"isEnabled": False}, "isEnabled is false"),
    ],
)
def test_unsafe_keys_are_reported(props: dict, expected: str) -> None:
    (message,) = run_resource(policy("kms-key-deletion-safety"), key(**props))
    assert message.startswith(expected)


def test_deletion_window_config() -> None:
    spec = key(deletionWindowInDays=14.0)
    assert run_resource(policy("kms-key-deletion-safety"), spec, {"minDeletionWindowDays": 14}) == []


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("deletionWindowInDays", UNKNOWN_NUMBER),
        ("bypassPolicyLockoutSafetyCheck", UNKNOWN_BOOLEAN),
        ("isEnabled", UNKNOWN_BOOLEAN),
    ],
)
def test_unknown_deletion_settings_fail_closed(prop: str, value: str) -> None:
    (message,) = run_resource(policy("kms-key-deletion-safety"), key(**{prop: value}))
    assert message.startswith(f"{prop} is not known during preview")


def _without_deny(document: dict) -> dict:
    return {**document, "Statement": [st for st in document["Statement"] if st["Effect"] != "Deny"]}


def _with_deny(actions: list[str], condition: dict) -> dict:
    deny = {
        "Sid": "Deny",
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": "*",
        "Condition": condition,
    }
    return {**CENTRAL_KEY_POLICY, "Statement": [*_without_deny(CENTRAL_KEY_POLICY)["Statement"], deny]}


PROTECTED = ["kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]
MISSING_DENY = "policy: no Deny for Principal * covers kms:DisableKey, kms:PutKeyPolicy, kms:ScheduleKeyDeletion"


def test_a_vault_key_without_the_destruction_deny_is_reported_on_key_and_key_policy() -> None:
    """Issue 9 item 2: with Allows only, any administrator of the account can disable or delete the key."""
    rule = policy("kms-key-deletion-safety")
    document = json.dumps(_without_deny(CENTRAL_KEY_POLICY))
    for spec in (key(policy=document), Spec(KEY_POLICY, {"keyId": KEY_ID, "policy": document})):
        (message,) = run_resource(rule, spec)
        assert message.startswith(MISSING_DENY) and message.endswith("[key-denies-destruction]")


def test_a_key_is_a_vault_key_by_its_tag_or_by_admitting_aws_backup() -> None:
    rule = policy("kms-key-deletion-safety")
    admin_only = {"Version": "2012-10-17", "Statement": [CENTRAL_KEY_POLICY["Statement"][0]]}
    # tagged, but the policy does not mention AWS Backup: still a vault key
    (message,) = run_resource(rule, key(policy=json.dumps(admin_only)))
    assert message.startswith(MISSING_DENY)
    # untagged, not admitting AWS Backup: some other key of the stack (alerts, reports), not judged here
    assert run_resource(rule, key(policy=json.dumps(admin_only), tags={"team": "x"})) == []
    # untagged, admitting AWS Backup through kms:ViaService: a vault key
    (message,) = run_resource(rule, key(policy=json.dumps(_without_deny(CENTRAL_KEY_POLICY)), tags=None))
    assert message.startswith(MISSING_DENY)


@pytest.mark.parametrize(
    ("actions", "condition", "expected"),
    [
        (
            ["kms:DisableKey"],
            {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/BG"}},
            "covers kms:PutKeyPolicy, kms:ScheduleKeyDeletion",
        ),
        (PROTECTED, {"ArnNotLike": {"aws:PrincipalArn": "*"}}, "exempts *: any role"),
        (
            PROTECTED,
            {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}},
            "exempts arn:aws:iam::111122223333:role/*",
        ),
        (PROTECTED, {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/BG"}}, "exempts arn:aws:iam::*:role/BG"),
        # another condition narrows the Deny to what the caller controls (its own tags)
        (PROTECTED, {"StringEquals": {"aws:PrincipalTag/team": "backup"}}, "covers kms:DisableKey"),
        (
            PROTECTED,
            {
                "ArnNotLikeIfExists": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/BG"},
                "Bool": {"aws:ViaAWSService": "false"},
            },
            "covers kms:DisableKey",
        ),
    ],
)
def test_an_attackers_key_deny_is_reported(actions: list[str], condition: dict, expected: str) -> None:
    messages = run_resource(policy("kms-key-deletion-safety"), key(policy=json.dumps(_with_deny(actions, condition))))
    assert any(expected in m for m in messages), messages


def test_the_generated_key_policies_pass() -> None:
    """What the program writes: member keys (direct mode, and the StackSet form exempting stacksets-exec-*) and
    central keys."""
    from components.documents.kms import central_backup_key_policy, member_backup_key_policy

    member = "444455556666"
    glass = [f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", f"arn:aws:iam::{member}:role/BG"]
    documents = [
        member_backup_key_policy(
            account_id=member,
            region="eu-west-1",
            organization_id="o-a1b2c3d4e5",
            backup_role_name="OrgBackupServiceRole",
            central_account_id=CENTRAL,
            protected_by_role_arns=exempt,
        )
        for exempt in (glass, [*glass, f"arn:aws:iam::{member}:role/stacksets-exec-*"])
    ]
    documents.append(
        central_backup_key_policy(
            account_id=CENTRAL,
            region="eu-west-1",
            organization_id="o-a1b2c3d4e5",
            break_glass_role_arns=[f"arn:aws:iam::{CENTRAL}:role/BG"],
        )
    )
    for document in documents:
        for name in ("kms-key-deletion-safety", "kms-key-policy-backup"):
            assert run_resource(policy(name), key(policy=json.dumps(document))) == [], name


# --------------------------------------------------------------------------- kms-key-policy-backup


def test_scoped_key_policy_passes_on_key_and_key_policy() -> None:
    rule = policy("kms-key-policy-backup")
    assert run_resource(rule, key()) == []
    assert run_resource(rule, Spec(KEY_POLICY, {"keyId": KEY_ID, "policy": json.dumps(CENTRAL_KEY_POLICY)})) == []


def test_sid_warnings_are_not_reported() -> None:
    document = json.loads(json.dumps(CENTRAL_KEY_POLICY))
    document["Statement"][0]["Sid"] = "Allow key administration"
    assert run_resource(policy("kms-key-policy-backup"), key(policy=json.dumps(document))) == []


def test_root_kms_star_is_reported() -> None:
    # Like the aws-samples central key: "kms:*" for the account root.
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "EnableIamUserPermissions",
                "Effect": "Allow",
                "Principal": {"AWS": [f"arn:aws:iam::{CENTRAL}:root"]},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    (message,) = run_resource(policy("kms-key-policy-backup"), key(policy=json.dumps(document)))
    assert message.startswith("policy.Statement[0].Action: Allow with wildcard actions kms:*")
    assert message.endswith("[no-wildcard-action]")


def test_regionless_via_service_and_open_principal_are_reported() -> None:
    # Like the aws-backup-automation member key: kms:ViaService backup.amazonaws.com never matches.
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:role/OrgBackupRole"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "backup.amazonaws.com"}},
            },
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"},
        ],
    }
    messages = run_resource(policy("kms-key-policy-backup"), Spec(KEY_POLICY, {"policy": json.dumps(document)}))
    assert [m.rsplit("[", 1)[-1] for m in messages] == ["kms-via-service-form]", "wildcard-principal-org-condition]"]


def test_missing_key_policy_and_config() -> None:
    rule = policy("kms-key-policy-backup")
    spec = key(policy=None)
    spec.props = {k: v for k, v in spec.props.items() if v is not None}
    (message,) = run_resource(rule, spec)
    assert message.startswith("no key policy: AWS applies its default policy")
    assert run_resource(rule, spec, {"requireInlineKeyPolicy": False}) == []
    assert run_resource(rule, Spec(KEY_POLICY, {"keyId": KEY_ID}), {"requireInlineKeyPolicy": False}) != []


def test_unknown_key_policy_fails_closed() -> None:
    (message,) = run_resource(policy("kms-key-policy-backup"), key(policy=UNKNOWN_STRING))
    assert message.startswith("policy is not known during preview, so the key policy could not be verified")


# --------------------------------------------------------------------------- kms-backup-key-tagged


def vault_using(the_key: Spec, *, by_output: bool = True, reference: str = KEY_ARN, vault_type: str = VAULT) -> Spec:
    prop = "kmsKeyArn" if vault_type == VAULT else "encryptionKeyArn"
    return Spec(
        vault_type,
        {"name": "org-backup-central", prop: UNKNOWN_STRING if by_output else reference},
        "central-vault",
        account=CENTRAL,
        property_dependencies={prop: [the_key.urn]} if by_output else {},
    )


def test_tagged_vault_key_passes() -> None:
    the_key = key()
    assert run_stack(policy("kms-backup-key-tagged"), [the_key, vault_using(the_key)]) == []


def test_tag_from_provider_default_tags_passes() -> None:
    the_key = key(tags={}, tagsAll=dict(BACKUP_TAG))
    assert run_stack(policy("kms-backup-key-tagged"), [the_key, vault_using(the_key)]) == []


@pytest.mark.parametrize(
    ("by_output", "reference", "vault_type"),
    [(True, KEY_ARN, VAULT), (False, KEY_ARN, VAULT), (False, KEY_ID, VAULT), (False, KEY_ARN, LAG)],
)
def test_untagged_vault_key_is_reported(by_output: bool, reference: str, vault_type: str) -> None:
    the_key = key(tags={"org-backup:backup-key": "false"}, arn=KEY_ARN, keyId=KEY_ID)
    found = run_stack(
        policy("kms-backup-key-tagged"),
        [the_key, vault_using(the_key, by_output=by_output, reference=reference, vault_type=vault_type)],
    )
    assert found == [
        (
            the_key.urn,
            "KMS key vault-key encrypts vault org-backup-central but is not tagged org-backup:backup-key=true, so "
            "the SCP that protects backup keys from deletion does not cover it",
        )
    ]


def test_keys_outside_the_stack_and_unused_keys_are_skipped() -> None:
    rule = policy("kms-backup-key-tagged")
    unused = key(tags={})
    assert run_stack(rule, [unused]) == []
    external = vault_using(unused, by_output=False, reference=f"arn:aws:kms:us-east-1:{CENTRAL}:key/other")
    assert run_stack(rule, [unused, external]) == []


def test_unknown_tags_are_skipped() -> None:
    the_key = key(tags=UNKNOWN_STRING)
    assert run_stack(policy("kms-backup-key-tagged"), [the_key, vault_using(the_key)]) == []
