"""Least-privilege rules on IAM-style policies, modelled on the key and vault policies in the corpus."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.backup_rules.iam import (
    allows_copy_into,
    check_policy_document,
    vault_policy_copy_into_scoped,
    vault_policy_denies_deletion,
)

ORG = "o-a1b2c3d4e5"
ROLE = "arn:aws:iam::444455556666:role/OrgBackupRole"
ROOT = "arn:aws:iam::111122223333:root"
ORG_CONDITION = {"StringEquals": {"aws:PrincipalOrgID": ORG}}
Statement = dict[str, Any]


def policy(*statements: Statement) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(action: Any = "kms:Decrypt", principal: Any = None, **extra: Any) -> Statement:
    statement: Statement = {
        "Sid": "Use",
        "Effect": "Allow",
        "Principal": principal if principal is not None else {"AWS": ROLE},
        "Action": action,
        "Resource": "*",
    }
    statement.update(extra)
    return statement


def rules_at(findings: list[Any]) -> list[tuple[str, str]]:
    return [(finding.rule, finding.path) for finding in findings]


# --------------------------------------------------------------------------- check_policy_document


@pytest.mark.parametrize(
    ("statement", "rule", "path", "fragment"),
    [
        (
            allow(principal="*"),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "Principal *",
        ),
        (
            allow(principal={"AWS": ["*"]}),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "aws:PrincipalOrgID",
        ),
        (
            allow(principal="*", Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "not IfExists",
        ),
        (
            allow(principal="*", Condition={"ForAllValues:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "not ForAllValues",
        ),
        (
            allow(principal="*", Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG}}),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "StringEquals/StringLike",
        ),
        (
            allow(principal="*", Condition={"StringLike": {"aws:PrincipalOrgID": "*"}}),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "not '*'",
        ),
        (
            allow(principal="*", Condition={"StringEquals": {"kms:CallerAccount": "111122223333"}}),
            "wildcard-principal-org-condition",
            "policy.Statement[0].Principal",
            "aws:PrincipalOrgPaths",
        ),
        (allow("*"), "no-wildcard-action", "policy.Statement[0].Action", "wildcard actions *"),
        (allow("kms:*"), "no-wildcard-action", "policy.Statement[0].Action", "wildcard actions kms:*"),
        (
            allow(["kms:Decrypt", "kms:ReEncrypt*"]),
            "no-wildcard-action",
            "policy.Statement[0].Action",
            "kms:ReEncrypt*",
        ),
        (
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ROOT},
                "Action": "kms:ScheduleKeyDeletion",
                "Resource": "*",
            },
            "no-not-principal",
            "policy.Statement[0].NotPrincipal",
            "NotPrincipal",
        ),
        (
            {
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "NotAction": "kms:ScheduleKeyDeletion",
                "Resource": "*",
            },
            "no-allow-not-action",
            "policy.Statement[0].NotAction",
            "grants every other action",
        ),
        (
            allow(Condition={"StringEquals": {"kms:ViaService": "backup.amazonaws.com"}}),
            "kms-via-service-form",
            "policy.Statement[0].Condition.StringEquals",
            "'backup.amazonaws.com' never matches",
        ),
        (
            allow(Condition={"StringEquals": {"kms:ViaService": "backup.*.amazonaws.com"}}),
            "kms-via-service-form",
            "policy.Statement[0].Condition.StringEquals",
            "use StringLike",
        ),
        (allow(Sid="Allow use of the key"), "sid-format", "policy.Statement[0].Sid", "not alphanumeric"),
        (allow(Sid=7), "sid-format", "policy.Statement[0].Sid", "must be a string"),
        (allow(Effect="allow"), "effect-value", "policy.Statement[0].Effect", "Allow or Deny"),
        (
            {"Principal": {"AWS": ROLE}, "Action": "kms:Decrypt", "Resource": "*"},
            "effect-value",
            "policy.Statement[0].Effect",
            "Allow or Deny",
        ),
    ],
    ids=[
        "star-principal",
        "aws-star-list",
        "if-exists",
        "for-all-values",
        "negated-operator",
        "star-org",
        "caller-account-only",
        "star-action",
        "service-star",
        "partial-wildcard",
        "not-principal",
        "allow-not-action",
        "non-regional-via-service",
        "literal-star-region",
        "sid-spaces",
        "sid-not-string",
        "effect-case",
        "effect-missing",
    ],
)
def test_rule_fires(statement: Statement, rule: str, path: str, fragment: str) -> None:
    findings = [f for f in check_policy_document(policy(statement)) if f.rule == rule]
    assert [f.path for f in findings] == [path]
    assert fragment in findings[0].message


@pytest.mark.parametrize(
    "statement",
    [
        allow(),
        allow(["kms:Decrypt", "kms:GenerateDataKey"], principal={"Service": "backup.amazonaws.com"}),
        allow(principal="*", Condition=ORG_CONDITION),
        allow(principal={"AWS": "*"}, Condition={"StringEquals": {"aws:principalorgid": [ORG]}}),
        allow(
            principal="*",
            Condition={"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*/ou-ab12-x/*"]}},
        ),
        allow(Condition={"StringLike": {"kms:ViaService": "backup.*.amazonaws.com"}}),
        allow(Condition={"StringEquals": {"kms:ViaService": ["backup.eu-west-1.amazonaws.com"]}}),
        allow(Condition={"StringEquals": {"kms:ViaService": "backup.cn-north-1.amazonaws.com.cn"}}),
        {"Sid": "DenyOutsiders", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"},
    ],
    ids=[
        "role",
        "service",
        "org-id",
        "lower-case-key",
        "org-paths",
        "via-service-like",
        "via-service-regional",
        "via-service-china",
        "deny-star",
    ],
)
def test_least_privilege_statements_pass(statement: Statement) -> None:
    assert check_policy_document(policy(statement)) == []


def test_duplicate_sid_is_reported_on_the_second_statement() -> None:
    findings = check_policy_document(policy(allow(Sid="UseKey"), allow(Sid="Other"), allow(Sid="UseKey")))
    assert rules_at(findings) == [("duplicate-sid", "policy.Statement[2].Sid")]
    assert "'UseKey' is used by more than one statement" in findings[0].message


def test_sid_with_spaces_is_only_a_warning() -> None:
    findings = check_policy_document(policy(allow(Sid="Allow source account to access destination account vault.")))
    assert [(f.rule, f.severity) for f in findings] == [("sid-format", "warning")]


def test_single_statement_object_and_string_forms() -> None:
    document = {"Statement": allow("kms:*", principal="*")}
    findings = check_policy_document(json.dumps(document), path="key.policy")
    assert rules_at(findings) == [
        ("no-wildcard-action", "key.policy.Statement.Action"),
        ("wildcard-principal-org-condition", "key.policy.Statement.Principal"),
    ]


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "must be a JSON object"),
        ({"Version": "2012-10-17"}, "Statement must be an object or a list"),
        ({"Statement": "Allow"}, "Statement must be an object or a list"),
    ],
)
def test_unusable_documents(document: Any, fragment: str) -> None:
    findings = check_policy_document(document)
    assert [f.rule for f in findings] == ["policy-json"]
    assert fragment in findings[0].message
    assert vault_policy_denies_deletion(document) == findings
    assert vault_policy_copy_into_scoped(document) == findings
    assert allows_copy_into(document) is False


def test_non_object_statement_is_reported_and_the_rest_checked() -> None:
    findings = check_policy_document({"Statement": ["Allow", allow("*")]})
    assert rules_at(findings) == [
        ("policy-json", "policy.Statement[0]"),
        ("no-wildcard-action", "policy.Statement[1].Action"),
    ]


# --------------------------------------------------------------------------- vault_policy_denies_deletion

DELETIONS = [
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultAccessPolicy",
]


def deny(actions: Any = DELETIONS, *, principal: Any = "*", resource: Any = "*", **extra: Any) -> Statement:
    statement: Statement = {
        "Sid": "ProtectRecoveryPoints",
        "Effect": "Deny",
        "Principal": principal,
        "Action": actions,
        "Resource": resource,
    }
    statement.update(extra)
    return statement


def exempt(count: int, operator: str = "ArnNotLike") -> dict[str, Any]:
    return {operator: {"aws:PrincipalArn": [f"arn:aws:iam::444455556666:role/Admin{i}" for i in range(count)]}}


@pytest.mark.parametrize(
    "statements",
    [
        [deny()],
        [deny(principal={"AWS": "*"}, Condition=exempt(3))],
        [deny(["backup:Delete*", "backup:UpdateRecoveryPointLifecycle", "backup:Put*"])],
        [deny("backup:*", Condition=exempt(5, "StringNotLike"))],
        [deny(DELETIONS[:2]), deny(DELETIONS[2:], Condition=exempt(1, "ArnNotEquals"))],
        [deny(resource="arn:aws:backup:eu-west-1:444455556666:backup-vault:OrgVault")],
        [{"Effect": "Deny", "Principal": "*", "NotAction": "backup:StartBackupJob", "Resource": "*"}],
    ],
    ids=["plain", "exempt-three", "wildcards", "service-wildcard", "split", "vault-resource", "not-action"],
)
def test_deletion_denied(statements: list[Statement]) -> None:
    assert vault_policy_denies_deletion(policy(*statements)) == []


@pytest.mark.parametrize(
    ("statements", "missing"),
    [
        ([allow("backup:CopyIntoBackupVault", principal="*", Condition=ORG_CONDITION)], DELETIONS),
        ([deny(DELETIONS[:2])], DELETIONS[2:]),
        ([deny(principal={"AWS": ROLE})], DELETIONS),
        ([deny(resource="arn:aws:s3:::bucket/*")], DELETIONS),
        ([deny(Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})], DELETIONS),
        (
            [deny(Condition={"ArnNotLike": {"aws:SourceArn": "arn:aws:iam::444455556666:role/Admin"}})],
            DELETIONS,
        ),
        (
            [{"Effect": "Deny", "Principal": "*", "NotAction": "backup:Delete*", "Resource": "*"}],
            [DELETIONS[0], DELETIONS[3]],
        ),
        # A policy written to the Audit Manager control alone: whoever deletes the policy deletes the Deny.
        ([deny(DELETIONS[:3])], DELETIONS[3:]),
    ],
    ids=[
        "no-deny",
        "partial",
        "named-principal",
        "other-resource",
        "other-condition",
        "other-key",
        "not-action",
        "audit-manager-control-only",
    ],
)
def test_deletion_not_denied(statements: list[Statement], missing: list[str]) -> None:
    findings = vault_policy_denies_deletion(policy(*statements), path="vault.policy")
    assert [(f.rule, f.path, f.value) for f in findings] == [("vault-denies-deletion", "vault.policy", missing)]
    assert "no Deny for Principal * on the vault covers" in findings[0].message


def test_too_many_exempt_principals() -> None:
    findings = vault_policy_denies_deletion(policy(deny(Condition=exempt(6))))
    assert rules_at(findings) == [("vault-denies-deletion", "policy.Statement[0].Condition")]
    assert "6 principals are exempt" in findings[0].message
    assert vault_policy_denies_deletion(policy(deny(Condition=exempt(6))), max_exempt=6) == []


# --------------------------------------------------------------------------- copy into the vault


@pytest.mark.parametrize(
    "statement",
    [
        allow("backup:CopyIntoBackupVault", principal="*", Condition=ORG_CONDITION),
        allow(
            "backup:CopyIntoBackupVault",
            principal={"AWS": "*"},
            Condition={
                "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/backup-service-role"},
                "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*/ou-ab12-34cd56ef/*"]},
            },
        ),
        allow("backup:CopyIntoBackupVault", principal={"AWS": [ROLE, "444455556666"]}),
        allow(
            "backup:CopyIntoBackupVault",
            principal={"AWS": "arn:aws:iam::444455556666:role/AWSBackup/AWSBackup_acme"},
        ),
    ],
    ids=["org-id", "org-paths", "accounts", "role-with-path"],
)
def test_copy_into_scoped(statement: Statement) -> None:
    document = policy(statement)
    assert vault_policy_copy_into_scoped(document) == []
    assert allows_copy_into(document) is True


@pytest.mark.parametrize(
    "statement",
    [
        allow("backup:CopyIntoBackupVault", principal="*"),
        allow("backup:copyintobackupvault", principal={"AWS": "*"}),
        allow("backup:*", principal="*", Condition={"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}}),
        allow("backup:Copy*", principal={"AWS": [ROLE, "*"]}),
        {"Effect": "Allow", "NotAction": "backup:DeleteBackupVault", "Resource": "*"},
    ],
    ids=["star", "case-insensitive-action", "if-exists", "star-in-list", "not-action-without-principal"],
)
def test_copy_into_unscoped(statement: Statement) -> None:
    findings = vault_policy_copy_into_scoped(policy(statement))
    assert rules_at(findings) == [("copy-into-scoped", "policy.Statement[0].Principal")]
    assert "any AWS account could copy into this vault" in findings[0].message


def test_deny_copy_into_is_not_an_allow() -> None:
    document = policy(deny("backup:CopyIntoBackupVault"), allow("backup:DescribeBackupVault"))
    assert allows_copy_into(document) is False
    assert vault_policy_copy_into_scoped(document) == []
