"""Vault and Vault Lock rules on hand-written inputs shaped like what the engine sends (camelCase, floats)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, Severity

from rules.vaults import POLICIES
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

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
MEMBER = "444455556666"
CENTRAL = "111122223333"
KEY_ARN = f"arn:aws:kms:us-east-1:{MEMBER}:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"

# Modelled on the nationalarchives member vault policy: deny deletion to all but named roles, and an
# org-scoped CopyIntoBackupVault allow like the aws-samples central vault.
PROTECTIVE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ProtectRecoveryPoints",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": [
                "backup:DeleteBackupVault",
                "backup:DeleteBackupVaultAccessPolicy",
                "backup:DeleteRecoveryPoint",
                "backup:PutBackupVaultAccessPolicy",
                "backup:UpdateRecoveryPointLifecycle",
            ],
            "Resource": "*",
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalArn": [
                        f"arn:aws:iam::{MEMBER}:role/deployment-helper",
                        f"arn:aws:iam::{MEMBER}:role/backup-service-role",
                    ]
                }
            },
        },
        {
            "Sid": "AllowCopyFromOrganization",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        },
    ],
}


def policy(name: str):
    return by_name(POLICIES, name)


def vault(**props) -> Spec:
    return Spec(VAULT, {"name": "org-backup", "kmsKeyArn": KEY_ARN, "forceDestroy": False, **props}, "vault")


def lock(**props) -> Spec:
    return Spec(LOCK, {"backupVaultName": "org-backup", "minRetentionDays": 7.0, "maxRetentionDays": 400.0, **props})


def vault_policy(document: object) -> Spec:
    text = document if isinstance(document, str) else json.dumps(document)
    return Spec(VAULT_POLICY, {"backupVaultName": "org-backup", "policy": text}, "vault-policy")


@pytest.mark.parametrize(
    ("name", "level", "severity"),
    [
        ("backup-vault-cmk", EnforcementLevel.ADVISORY, Severity.HIGH),
        ("backup-vault-no-force-destroy", EnforcementLevel.MANDATORY, Severity.CRITICAL),
        ("backup-vault-lock-bounds", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("backup-vault-lock-compliance-mode", EnforcementLevel.ADVISORY, Severity.MEDIUM),
        ("backup-air-gapped-vault-retention", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("backup-vault-policy-denies-deletion", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("backup-vault-policy-copy-scoped", EnforcementLevel.MANDATORY, Severity.CRITICAL),
        ("backup-every-vault-locked", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("backup-every-vault-has-access-policy", EnforcementLevel.MANDATORY, Severity.HIGH),
    ],
)
def test_rule_metadata(name: str, level: EnforcementLevel, severity: Severity) -> None:
    assert_rule_metadata(POLICIES, name, level, severity)
    assert len(POLICIES) == 9


# --------------------------------------------------------------------------- backup-vault-cmk


def test_cmk_accepts_a_customer_managed_key_and_an_unknown_arn() -> None:
    assert run_resource(policy("backup-vault-cmk"), vault()) == []
    assert run_resource(policy("backup-vault-cmk"), vault(kmsKeyArn=UNKNOWN_STRING)) == []


def test_cmk_reports_a_missing_key() -> None:
    spec = Spec(VAULT, {"name": "org-backup"})
    assert run_resource(policy("backup-vault-cmk"), spec) == [
        "kmsKeyArn is not set: recovery points are encrypted with the AWS managed key aws/backup, whose policy "
        "cannot be changed to allow cross-account copies"
    ]


@pytest.mark.parametrize("key", ["alias/aws/backup", f"arn:aws:kms:us-east-1:{MEMBER}:alias/aws/backup"])
def test_cmk_reports_the_aws_managed_key(key: str) -> None:
    (message,) = run_resource(policy("backup-vault-cmk"), vault(kmsKeyArn=key))
    assert message.startswith(f"kmsKeyArn {key} is an AWS managed key")


def test_cmk_allowed_key_accounts() -> None:
    rule = policy("backup-vault-cmk")
    (message,) = run_resource(rule, vault(), {"allowedKeyAccounts": [CENTRAL]})
    assert f"belongs to account {MEMBER}, not one of allowedKeyAccounts {CENTRAL}" in message
    assert run_resource(rule, vault(), {"allowedKeyAccounts": [CENTRAL, MEMBER]}) == []
    (message,) = run_resource(rule, vault(kmsKeyArn="0f1e2d3c"), {"allowedKeyAccounts": [CENTRAL]})
    assert "names no account" in message


def test_cmk_ignores_other_types() -> None:
    assert run_resource(policy("backup-vault-cmk"), Spec(LAG, {"minRetentionDays": 7.0})) == []


# --------------------------------------------------------------------------- backup-vault-no-force-destroy


def test_force_destroy_false_or_absent_passes() -> None:
    rule = policy("backup-vault-no-force-destroy")
    assert run_resource(rule, vault()) == []
    assert run_resource(rule, Spec(VAULT, {"name": "org-backup"})) == []


def test_force_destroy_true_is_reported() -> None:
    assert run_resource(policy("backup-vault-no-force-destroy"), vault(forceDestroy=True)) == [
        "forceDestroy is true: deleting this vault would delete every recovery point in it"
    ]


def test_unknown_force_destroy_fails_closed() -> None:
    (message,) = run_resource(policy("backup-vault-no-force-destroy"), vault(forceDestroy=UNKNOWN_BOOLEAN))
    assert message.startswith("forceDestroy is not known during preview")
    assert "treated as a violation" in message


# --------------------------------------------------------------------------- backup-vault-lock-bounds


@pytest.mark.parametrize(
    "props",
    [
        {},
        {"changeableForDays": 3.0, "minRetentionDays": 30.0},
        {"changeableForDays": 36500.0, "minRetentionDays": 1.0, "maxRetentionDays": 36500.0},
    ],
)
def test_lock_bounds_pass(props: dict) -> None:
    assert run_resource(policy("backup-vault-lock-bounds"), lock(**props)) == []


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"maxRetentionDays": 5.0}, "max_retention_days 5 must be greater than min_retention_days 7"),
        ({"maxRetentionDays": 7.0}, "max_retention_days 7 must be greater than min_retention_days 7"),
        ({"maxRetentionDays": 40000.0}, "max_retention_days 40000 must be between 1 and 36500"),
        ({"minRetentionDays": 0.0}, "min_retention_days 0 must be between 1 and 36500"),
        ({"changeableForDays": 2.0}, "changeable_for_days 2 must be between 3 and 36500"),
        ({"maxRetentionDays": None}, "max_retention_days is not set: recovery points could be kept"),
        ({"minRetentionDays": None}, "min_retention_days is not set: the lock does not stop"),
    ],
)
def test_lock_bounds_violations(props: dict, expected: str) -> None:
    spec = lock(**props)
    spec.props = {k: v for k, v in spec.props.items() if v is not None}
    (message,) = run_resource(policy("backup-vault-lock-bounds"), spec)
    assert message.startswith(expected)


def test_lock_bounds_config_floor_and_ceiling() -> None:
    rule = policy("backup-vault-lock-bounds")
    config = {"minRetentionDaysFloor": 30, "maxRetentionDaysCeiling": 365}
    assert run_resource(rule, lock(), config) == [
        "min_retention_days 7 is below the configured floor of 30 days",
        "max_retention_days 400 is above the configured ceiling of 365 days",
    ]
    assert run_resource(rule, lock(minRetentionDays=30.0, maxRetentionDays=365.0), config) == []


@pytest.mark.parametrize("prop", ["minRetentionDays", "maxRetentionDays", "changeableForDays"])
def test_unknown_lock_bounds_fail_closed(prop: str) -> None:
    (message,) = run_resource(policy("backup-vault-lock-bounds"), lock(**{prop: UNKNOWN_NUMBER}))
    assert message.startswith(f"{prop} is not known during preview, so the lock's retention bounds")


# --------------------------------------------------------------------------- backup-vault-lock-compliance-mode


def test_governance_lock_passes_unless_compliance_is_required() -> None:
    rule = policy("backup-vault-lock-compliance-mode")
    assert run_resource(rule, lock()) == []
    (message,) = run_resource(rule, lock(), {"requireComplianceMode": True})
    assert message.startswith("the lock is in governance mode (no changeable_for_days)")
    assert run_resource(rule, lock(changeableForDays=3.0), {"requireComplianceMode": True}) == []


def test_long_grace_period_is_reported() -> None:
    rule = policy("backup-vault-lock-compliance-mode")
    (message,) = run_resource(rule, lock(changeableForDays=90.0))
    assert message.startswith("changeable_for_days 90 exceeds 30: the compliance lock can be removed for 90 days")
    assert run_resource(rule, lock(changeableForDays=90.0), {"maxChangeableForDays": 120}) == []


def test_compliance_mode_skips_unknown_grace_period() -> None:
    assert run_resource(policy("backup-vault-lock-compliance-mode"), lock(changeableForDays=UNKNOWN_NUMBER)) == []


# --------------------------------------------------------------------------- backup-air-gapped-vault-retention


def air_gapped(**props) -> Spec:
    return Spec(LAG, {"name": "org-backup-air-gapped", "minRetentionDays": 7.0, "maxRetentionDays": 365.0, **props})


def test_air_gapped_vault_passes() -> None:
    assert run_resource(policy("backup-air-gapped-vault-retention"), air_gapped()) == []


@pytest.mark.parametrize(
    ("props", "expected"),
    [
        ({"minRetentionDays": 3.0}, "min_retention_days 3 of a logically air-gapped vault must be >= 7"),
        ({"maxRetentionDays": 5.0}, "max_retention_days 5 must be between min_retention_days 7 and 36500"),
        ({"maxRetentionDays": None}, "maxRetentionDays is required on a logically air-gapped vault"),
        ({"region": "ca-west-1"}, "Region ca-west-1 does not support logically air-gapped vaults"),
    ],
)
def test_air_gapped_violations(props: dict, expected: str) -> None:
    spec = air_gapped(**props)
    spec.props = {k: v for k, v in spec.props.items() if v is not None}
    assert run_resource(policy("backup-air-gapped-vault-retention"), spec) == [expected]


def test_air_gapped_region_from_the_provider() -> None:
    spec = air_gapped()
    spec.region = "mx-central-1"
    assert run_resource(policy("backup-air-gapped-vault-retention"), spec) == [
        "Region mx-central-1 does not support logically air-gapped vaults"
    ]


def test_air_gapped_config_floor() -> None:
    rule = policy("backup-air-gapped-vault-retention")
    assert run_resource(rule, air_gapped(minRetentionDays=14.0), {"minRetentionDaysFloor": 30}) == [
        "min_retention_days 14 is below the configured floor of 30 days"
    ]


@pytest.mark.parametrize(
    ("prop", "value"),
    [("minRetentionDays", UNKNOWN_NUMBER), ("maxRetentionDays", UNKNOWN_NUMBER), ("region", UNKNOWN_STRING)],
)
def test_unknown_air_gapped_values_fail_closed(prop: str, value: str) -> None:
    (message,) = run_resource(policy("backup-air-gapped-vault-retention"), air_gapped(**{prop: value}))
    assert message.startswith(f"{prop} is not known during preview")


# --------------------------------------------------------------------------- backup-vault-policy-denies-deletion


def test_protective_vault_policy_passes() -> None:
    assert run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(PROTECTIVE_POLICY)) == []


def test_a_policy_that_follows_only_the_audit_manager_control_can_have_its_access_policy_deleted() -> None:
    """The control checks DeleteRecoveryPoint, UpdateRecoveryPointLifecycle and PutBackupVaultAccessPolicy; an
    administrator who may still DeleteBackupVaultAccessPolicy deletes the Deny with the policy."""
    document = json.loads(json.dumps(PROTECTIVE_POLICY))
    document["Statement"][0]["Action"].remove("backup:DeleteBackupVaultAccessPolicy")
    (message,) = run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(document))
    assert message.startswith(
        "policy: no Deny for Principal * on the vault covers backup:DeleteBackupVaultAccessPolicy"
    )


def test_the_program_and_the_pack_share_one_list_of_protected_vault_actions() -> None:
    from components.documents.vault_policy import protected_actions
    from policies.backup_rules.iam import DENY_REQUIRED_ACTIONS, VAULT_PROTECTED_ACTIONS

    assert protected_actions() == list(VAULT_PROTECTED_ACTIONS)
    assert set(DENY_REQUIRED_ACTIONS) <= set(VAULT_PROTECTED_ACTIONS)


def test_copy_only_policy_does_not_deny_deletion() -> None:
    # The aws-samples central vault policy: an org-scoped copy allow and nothing else.
    document = {"Version": "2012-10-17", "Statement": [PROTECTIVE_POLICY["Statement"][1]]}
    (message,) = run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(document))
    assert "no Deny for Principal * on the vault covers backup:DeleteRecoveryPoint, " in message
    assert "[vault-denies-deletion]" in message


def test_too_many_exempt_principals() -> None:
    document = json.loads(json.dumps(PROTECTIVE_POLICY))
    exempt = document["Statement"][0]["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    exempt += [f"arn:aws:iam::{MEMBER}:role/admin-{i}" for i in range(4)]
    rule = policy("backup-vault-policy-denies-deletion")
    (message,) = run_resource(rule, vault_policy(document))
    assert "6 principals are exempt from the deletion deny; at most 5" in message
    (message,) = run_resource(rule, vault_policy(PROTECTIVE_POLICY), {"maxExemptPrincipals": 1})
    assert "2 principals are exempt from the deletion deny; at most 1" in message


def _deny(actions: list[str], exempt: list[str], sid: str = "Protect") -> dict[str, Any]:
    return {
        "Sid": sid,
        "Effect": "Deny",
        "Principal": "*",
        "Action": actions,
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": exempt}},
    }


DELETION = [
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
]
EXACT = [f"arn:aws:iam::{MEMBER}:role/BackupBreakGlass"]


@pytest.mark.parametrize(
    "pattern",
    [
        f"arn:aws:iam::{MEMBER}:role/stacksets-exec-*",
        f"arn:aws:iam::{MEMBER}:role/BackupBreakGlass*",
        f"arn:aws:iam::{MEMBER}:role/Break?lass",
        "arn:aws:iam::*:role/BackupBreakGlass",
    ],
)
def test_a_role_name_pattern_exempt_from_deletion_is_reported(pattern: str) -> None:
    """Issue 9 item 1: a member administrator creates a role whose name matches the pattern and deletes."""
    document = {"Version": "2012-10-17", "Statement": [_deny(DELETION, [*EXACT, pattern])]}
    (message,) = run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(document))
    assert f"{', '.join(DELETION)} are denied to every principal but {pattern}: a name pattern" in message
    assert "[vault-exempts-role-pattern]" in message


@pytest.mark.parametrize(
    "action",
    ["backup:DeleteBackupVaultAccessPolicy", "backup:DeleteBackupVaultLockConfiguration", "backup:DeleteBackupVault"],
)
def test_a_pattern_exempt_from_removing_the_vaults_protection_is_reported(action: str) -> None:
    """The deletion Deny is exact, but a second Deny lets ``stacksets-exec-*`` remove the policy or the lock."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            _deny([a for a in DELETION if a != action], EXACT, "Protect"),
            _deny([action], [*EXACT, f"arn:aws:iam::{MEMBER}:role/stacksets-exec-*"], "ProtectVault"),
        ],
    }
    (message,) = run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(document))
    assert message.startswith(f"policy.Statement[1].Condition: {action} is denied to every principal but ")


def test_a_pattern_that_only_writes_the_lock_or_is_covered_by_an_exact_deny_passes() -> None:
    """The StackSet template's shape: stacksets-exec-* may write the Vault Lock (and nothing else); a redundant
    Deny with a pattern next to an exact one opens nothing."""
    pattern = f"arn:aws:iam::{MEMBER}:role/stacksets-exec-*"
    document = {
        "Version": "2012-10-17",
        "Statement": [
            _deny([*DELETION, "backup:DeleteBackupVaultAccessPolicy"], EXACT, "Protect"),
            _deny(["backup:PutBackupVaultLockConfiguration"], [*EXACT, pattern], "Lock"),
            _deny(["backup:DeleteRecoveryPoint"], [*EXACT, pattern], "Redundant"),
        ],
    }
    assert run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(document)) == []


def test_unknown_vault_policy_fails_closed_for_deletion() -> None:
    (message,) = run_resource(policy("backup-vault-policy-denies-deletion"), vault_policy(UNKNOWN_STRING))
    assert message.startswith("policy is not known during preview, so that the vault denies deletion")


# --------------------------------------------------------------------------- backup-vault-policy-copy-scoped


@pytest.mark.parametrize(
    "statement",
    [
        PROTECTIVE_POLICY["Statement"][1],
        # wearetechnative: one named source-account role (the Sid with spaces is only a warning elsewhere)
        {
            "Sid": "Allow source account to access destination account vault.",
            "Effect": "Allow",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Principal": {"AWS": f"arn:aws:iam::{MEMBER}:role/AWSBackup/AWSBackup_acme"},
        },
        # nationalarchives intermediate vault: copies only from an OU path
        {
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/*/ou-ab12-34cd56ef/*"]}},
        },
    ],
)
def test_scoped_copy_into_passes(statement: dict) -> None:
    document = {"Version": "2012-10-17", "Statement": [statement]}
    assert run_resource(policy("backup-vault-policy-copy-scoped"), vault_policy(document)) == []


@pytest.mark.parametrize(
    "condition",
    [
        None,
        {"StringEqualsIfExists": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
        {"StringLike": {"aws:PrincipalOrgID": "*"}},
    ],
)
def test_unscoped_copy_into_is_reported(condition: dict | None) -> None:
    # The aws-samples member vault: CopyIntoBackupVault for Principal "*" with no usable condition.
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Principal": "*",
    }
    if condition:
        statement["Condition"] = condition
    document = {"Version": "2012-10-17", "Statement": [statement]}
    (message,) = run_resource(policy("backup-vault-policy-copy-scoped"), vault_policy(document))
    assert "any AWS account could copy into this vault [copy-into-scoped]" in message


def test_invalid_vault_policy_json_is_reported() -> None:
    (message,) = run_resource(policy("backup-vault-policy-copy-scoped"), vault_policy('{"Statement": [}'))
    assert "the policy is not valid JSON" in message


def test_unknown_vault_policy_fails_closed_for_copies() -> None:
    (message,) = run_resource(policy("backup-vault-policy-copy-scoped"), vault_policy(UNKNOWN_STRING))
    assert message.startswith("policy is not known during preview, so who may copy into the vault")


# --------------------------------------------------------------------------- every vault locked / has a policy


@pytest.mark.parametrize(
    ("rule", "attached_type", "what"),
    [
        ("backup-every-vault-locked", LOCK, "Vault Lock"),
        ("backup-every-vault-has-access-policy", VAULT_POLICY, "access policy"),
    ],
)
class TestEveryVault:
    def test_attached_by_output(self, rule: str, attached_type: str, what: str) -> None:
        the_vault = vault()
        attached = Spec(
            attached_type,
            {"backupVaultName": UNKNOWN_STRING},
            "attached",
            property_dependencies={"backupVaultName": [the_vault.urn]},
        )
        assert run_stack(policy(rule), [the_vault, attached]) == []

    def test_attached_by_name_account_and_region(self, rule: str, attached_type: str, what: str) -> None:
        attached = Spec(attached_type, {"backupVaultName": "org-backup"}, "attached")
        assert run_stack(policy(rule), [vault(), attached]) == []

    def test_missing_in_that_region_is_reported(self, rule: str, attached_type: str, what: str) -> None:
        elsewhere = Spec(attached_type, {"backupVaultName": "org-backup"}, "attached", region="eu-west-1")
        the_vault = vault()
        assert run_stack(policy(rule), [the_vault, elsewhere]) == [
            (the_vault.urn, f"vault org-backup (account {MEMBER}, Region us-east-1) has no {what}")
        ]

    def test_unknown_vault_name_fails_closed(self, rule: str, attached_type: str, what: str) -> None:
        the_vault = vault(name=UNKNOWN_STRING)
        attached = Spec(attached_type, {"backupVaultName": "org-backup"}, "attached")
        ((urn, message),) = run_stack(policy(rule), [the_vault, attached])
        assert urn == the_vault.urn
        assert message.startswith(f"vault vault: name is not known during preview, so that it has a {what}")

    def test_air_gapped_vaults_are_not_standard_vaults(self, rule: str, attached_type: str, what: str) -> None:
        assert run_stack(policy(rule), [air_gapped()]) == []
