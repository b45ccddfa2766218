"""Pulumi hygiene rules: protect, ignore_changes, least-privilege documents and required tags."""

from __future__ import annotations

import json

import pytest
from pulumi_policy import EnforcementLevel, Severity

from org_backup.preview.offline import load_stack_config, run_program
from rules.hygiene import POLICIES
from tests.pack.harness import UNKNOWN_STRING, Spec, assert_rule_metadata, by_name, run_resource, specs_from_run

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
LAG = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
ORG_POLICY = "aws:organizations/policy:Policy"
ORG_RESOURCE_POLICY = "aws:organizations/resourcePolicy:ResourcePolicy"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
KEY = "aws:kms/key:Key"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
ACCOUNT = "444455556666"
BACKUP_POLICY_CONTENT = '{"plans": {}}'
PLAN_RULES = [
    {
        "ruleName": "daily",
        "targetVaultName": "org-backup",
        "schedule": "cron(0 5 ? * * *)",
        "lifecycle": {"deleteAfter": 35.0},
    }
]


def policy(name: str):
    return by_name(POLICIES, name)


def document(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BACKUP_TRUST = document(
    {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
)


@pytest.mark.parametrize(
    ("name", "level", "severity"),
    [
        ("backup-resources-protected", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("backup-lock-not-ignored", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("iam-policy-least-privilege", EnforcementLevel.MANDATORY, Severity.HIGH),
        ("backup-required-tags", EnforcementLevel.ADVISORY, Severity.LOW),
    ],
)
def test_rule_metadata(name: str, level: EnforcementLevel, severity: Severity) -> None:
    assert_rule_metadata(POLICIES, name, level, severity)
    assert len(POLICIES) == 4


# --------------------------------------------------------------------------- backup-resources-protected

PROTECTED_BY_DEFAULT = [
    Spec(VAULT, {"name": "org-backup"}),
    Spec(LOCK, {"backupVaultName": "org-backup", "minRetentionDays": 7.0, "maxRetentionDays": 35.0}),
    Spec(LAG, {"minRetentionDays": 7.0, "maxRetentionDays": 35.0}),
    Spec(DELEGATED_ADMIN, {"accountId": "222222222222", "servicePrincipal": "backup.amazonaws.com"}),
    Spec(ORG_POLICY, {"type": "BACKUP_POLICY", "content": BACKUP_POLICY_CONTENT}),
    Spec(KEY, {"tags": {"org-backup:backup-key": "true"}}),
]


@pytest.mark.parametrize("spec", PROTECTED_BY_DEFAULT, ids=lambda spec: spec.type.rsplit(":", 1)[-1])
def test_unprotected_backup_resources_are_reported(spec: Spec) -> None:
    kind = spec.type.rsplit(":", 1)[-1]
    assert run_resource(policy("backup-resources-protected"), spec) == [
        f"this {kind} is not protected: pulumi destroy, a removed config entry or a replacing change "
        "would delete it, where protect makes Pulumi refuse"
    ]
    spec.protect = True
    assert run_resource(policy("backup-resources-protected"), spec) == []


@pytest.mark.parametrize(
    "spec",
    [
        Spec(KEY, {"tags": {"purpose": "alerts"}}),
        Spec(KEY, {"tags": {"org-backup:backup-key": "false"}}),
        Spec(KEY, {}),
        Spec(ORG_POLICY, {"type": "SERVICE_CONTROL_POLICY", "content": "{}"}),
        Spec(VAULT_POLICY, {"backupVaultName": "org-backup", "policy": "{}"}),
    ],
)
def test_other_resources_need_no_protect(spec: Spec) -> None:
    assert run_resource(policy("backup-resources-protected"), spec) == []


def test_protected_types_config() -> None:
    rule = policy("backup-resources-protected")
    lock = PROTECTED_BY_DEFAULT[1]
    assert run_resource(rule, lock, {"types": [VAULT]}) == []
    vault_policy = Spec(VAULT_POLICY, {"backupVaultName": "org-backup", "policy": "{}"})
    assert run_resource(rule, vault_policy, {"types": [VAULT_POLICY]}) == [
        "this VaultPolicy is not protected: pulumi destroy, a removed config entry or a replacing change "
        "would delete it, where protect makes Pulumi refuse"
    ]


@pytest.mark.parametrize(
    "spec",
    [
        Spec(KEY, {"tags": UNKNOWN_STRING}),
        Spec(KEY, {"tags": {"org-backup:backup-key": UNKNOWN_STRING}}),
        Spec(ORG_POLICY, {"type": UNKNOWN_STRING, "content": "{}"}),
    ],
)
def test_unknown_scope_fails_closed(spec: Spec) -> None:
    (message,) = run_resource(policy("backup-resources-protected"), spec)
    assert "is not protected" in message


# --------------------------------------------------------------------------- backup-lock-not-ignored


@pytest.mark.parametrize(
    ("spec", "ignore_changes", "hidden"),
    [
        (PROTECTED_BY_DEFAULT[1], ["minRetentionDays"], "minRetentionDays"),
        (PROTECTED_BY_DEFAULT[1], ["max_retention_days"], "maxRetentionDays"),
        (PROTECTED_BY_DEFAULT[1], ["*"], "backupVaultName, changeableForDays, minRetentionDays, maxRetentionDays"),
        (Spec(PLAN, {"name": "daily", "rules": PLAN_RULES}), ["rules[0].lifecycle.deleteAfter"], "rules"),
        (Spec(PLAN, {"name": "daily", "rules": PLAN_RULES}), ['["rules"]'], "rules"),
        (Spec(VAULT, {"name": "org-backup"}), ["forceDestroy", "tags"], "forceDestroy"),
        (Spec(LAG, {"minRetentionDays": 7.0, "maxRetentionDays": 35.0}), ["maxRetentionDays"], "maxRetentionDays"),
        (Spec(VAULT_POLICY, {"backupVaultName": "org-backup", "policy": "{}"}), ["policy"], "policy"),
        (Spec(ORG_POLICY, {"type": "BACKUP_POLICY", "content": BACKUP_POLICY_CONTENT}), ["content"], "content"),
    ],
)
def test_ignored_guarded_fields_are_reported(spec: Spec, ignore_changes: list[str], hidden: str) -> None:
    spec.ignore_changes = ignore_changes
    (message,) = run_resource(policy("backup-lock-not-ignored"), spec)
    assert f" hides {hidden}: " in message
    assert message.startswith("ignore_changes ")


@pytest.mark.parametrize(
    ("spec", "ignore_changes"),
    [
        (Spec(VAULT, {"name": "org-backup"}), ["tags"]),
        (Spec(PLAN, {"name": "daily", "rules": PLAN_RULES}), ["tags", "name"]),
        (Spec(ORG_POLICY, {"type": "SERVICE_CONTROL_POLICY", "content": "{}"}), ["content"]),
        (Spec(SELECTION, {"name": "s", "planId": "p"}), ["*"]),
        (PROTECTED_BY_DEFAULT[1], []),
    ],
)
def test_other_ignored_fields_pass(spec: Spec, ignore_changes: list[str]) -> None:
    spec.ignore_changes = ignore_changes
    assert run_resource(policy("backup-lock-not-ignored"), spec) == []


def test_ignored_content_of_an_unknown_policy_type_fails_closed() -> None:
    spec = Spec(ORG_POLICY, {"type": UNKNOWN_STRING, "content": "{}"}, ignore_changes=["content"])
    (message,) = run_resource(policy("backup-lock-not-ignored"), spec)
    assert "hides content" in message


# --------------------------------------------------------------------------- iam-policy-least-privilege


@pytest.mark.parametrize(
    "spec",
    [
        Spec(ROLE, {"name": "OrgBackupServiceRole", "assumeRolePolicy": BACKUP_TRUST}),
        Spec(
            BUCKET_POLICY,
            {
                "bucket": "reports",
                "policy": document(
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": ["arn:aws:s3:::reports", "arn:aws:s3:::reports/*"],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    }
                ),
            },
        ),
        Spec(
            BUS_POLICY,
            {
                "eventBusName": "org-backup-alerts",
                "policy": document(
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "events:PutEvents",
                        "Resource": "*",
                        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
                    }
                ),
            },
        ),
        Spec(ROLE, {"name": "r", "assumeRolePolicy": BACKUP_TRUST, "inlinePolicies": [{"name": "empty"}]}),
    ],
)
def test_least_privilege_documents_pass(spec: Spec) -> None:
    assert run_resource(policy("iam-policy-least-privilege"), spec) == []


def test_wildcard_inline_policy_is_reported() -> None:
    inline = document({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    spec = Spec(
        ROLE, {"name": "r", "assumeRolePolicy": BACKUP_TRUST, "inlinePolicies": [{"name": "s3", "policy": inline}]}
    )
    (message,) = run_resource(policy("iam-policy-least-privilege"), spec)
    assert message.startswith("inlinePolicies[0].policy.Statement[0].Action: Allow with wildcard actions s3:*")


@pytest.mark.parametrize(
    ("type_", "prop", "statement", "rule_id"),
    [
        (
            TOPIC_POLICY,
            "policy",
            {"Effect": "Allow", "Principal": "*", "Action": "sns:Publish", "Resource": "*"},
            "wildcard-principal-org-condition",
        ),
        (ROLE_POLICY, "policy", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "no-allow-not-action"),
        (
            ORG_RESOURCE_POLICY,
            "content",
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": "arn:aws:iam::222222222222:root"},
                "Action": "organizations:ListRoots",
                "Resource": "*",
            },
            "no-not-principal",
        ),
        (
            VAULT_POLICY,
            "policy",
            # the aws-samples member vault: CopyIntoBackupVault for anyone
            {"Effect": "Allow", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*"},
            "wildcard-principal-org-condition",
        ),
    ],
)
def test_documents_with_errors_are_reported(type_: str, prop: str, statement: dict, rule_id: str) -> None:
    (message,) = run_resource(policy("iam-policy-least-privilege"), Spec(type_, {prop: document(statement)}))
    assert message.startswith(f"{prop}.Statement[0]")
    assert message.endswith(f"[{rule_id}]")


def test_invalid_trust_policy_is_reported() -> None:
    (message,) = run_resource(policy("iam-policy-least-privilege"), Spec(ROLE, {"assumeRolePolicy": "{not json"}))
    assert message.startswith("assumeRolePolicy: the policy is not valid JSON")


@pytest.mark.parametrize(
    ("props", "path"),
    [
        ({"assumeRolePolicy": UNKNOWN_STRING}, "assumeRolePolicy"),
        ({"assumeRolePolicy": BACKUP_TRUST, "inlinePolicies": UNKNOWN_STRING}, "inlinePolicies"),
        (
            {"assumeRolePolicy": BACKUP_TRUST, "inlinePolicies": [{"name": "x", "policy": UNKNOWN_STRING}]},
            "inlinePolicies[0].policy",
        ),
    ],
)
def test_unknown_documents_fail_closed(props: dict, path: str) -> None:
    (message,) = run_resource(policy("iam-policy-least-privilege"), Spec(ROLE, props))
    assert message.startswith(f"{path} is not known during preview, so least privilege of this policy document")


# --------------------------------------------------------------------------- backup-required-tags


def test_no_required_tags_by_default() -> None:
    assert run_resource(policy("backup-required-tags"), Spec(VAULT, {"name": "org-backup"})) == []


@pytest.mark.parametrize("type_", [VAULT, PLAN, REPORT_PLAN])
def test_missing_required_tags_are_reported(type_: str) -> None:
    spec = Spec(type_, {"name": "x", "tags": {"owner": "platform"}})
    config = {"requiredTagKeys": ["owner", "cost-centre"]}
    assert run_resource(policy("backup-required-tags"), spec, config) == ["missing required tag keys: cost-centre"]


def test_required_tags_from_tags_all_pass() -> None:
    spec = Spec(VAULT, {"name": "x", "tags": {"owner": "platform"}, "tagsAll": {"cost-centre": "42"}})
    assert run_resource(policy("backup-required-tags"), spec, {"requiredTagKeys": ["owner", "cost-centre"]}) == []


def test_required_tags_skip_unknowns_and_other_types() -> None:
    rule = policy("backup-required-tags")
    config = {"requiredTagKeys": ["owner"]}
    assert run_resource(rule, Spec(VAULT, {"name": "x", "tags": UNKNOWN_STRING}), config) == []
    assert run_resource(rule, Spec(SELECTION, {"name": "x"}), config) == []


# --------------------------------------------------------------------------- the delegation statements (dynamic)

DYNAMIC = "pulumi-python:dynamic:Resource"
NOT_PRINCIPAL = {
    "Effect": "Allow",
    "NotPrincipal": {"AWS": "arn:aws:iam::222222222222:root"},
    "Action": "organizations:ListRoots",
    "Resource": "*",
}


def delegation(content: str, *, protect: bool = False) -> Spec:
    """The dynamic resource that replaced aws.organizations.ResourcePolicy, with its real input names."""
    props = {"content": content, "management_account_id": "111111111111", "region": "us-east-1", "role_arn": None}
    return Spec(DYNAMIC, props, name="organization-backup-delegation-statements", protect=protect)


def policy_type(*, protect: bool = False) -> Spec:
    props = {"policy_type": "BACKUP_POLICY", "root_id": "r-ab12", "management_account_id": "111111111111"}
    return Spec(DYNAMIC, props, name="organization-backup-policy-type", protect=protect)


def test_the_delegation_statements_resource_is_judged_like_the_resource_policy_it_replaced() -> None:
    least = policy("iam-policy-least-privilege")
    (message,) = run_resource(least, delegation(document(NOT_PRINCIPAL), protect=True))
    assert message.startswith("content.Statement[0]")
    assert run_resource(least, delegation(UNKNOWN_STRING, protect=True)) != [], "unknown content fails closed"
    protect = policy("backup-resources-protected")
    (unprotected,) = run_resource(protect, delegation(document(), protect=False))
    assert unprotected.startswith("this delegation statements resource is not protected")
    assert run_resource(protect, delegation(document(), protect=True)) == []


def test_the_policy_type_dynamic_resource_is_not_mistaken_for_the_delegation_statements() -> None:
    assert run_resource(policy("iam-policy-least-privilege"), policy_type()) == []
    assert run_resource(policy("backup-resources-protected"), policy_type()) == []


def test_the_old_resource_policy_type_is_still_judged() -> None:
    (message,) = run_resource(
        policy("iam-policy-least-privilege"), Spec(ORG_RESOURCE_POLICY, {"content": document(NOT_PRINCIPAL)})
    )
    assert message.startswith("content.Statement[0]")
    assert run_resource(policy("backup-resources-protected"), Spec(ORG_RESOURCE_POLICY, {"content": document()}))


def test_prod_registers_the_delegation_statements_protected_and_least_privilege() -> None:
    specs = specs_from_run(run_program(load_stack_config("prod"), stack="prod").resources)
    [found] = [s for s in specs if s.type == DYNAMIC and "content" in s.props]
    assert json.loads(found.props["content"])["Statement"], "the document the rules judge"
    assert found.protect
    for name in ("iam-policy-least-privilege", "backup-resources-protected"):
        assert run_resource(policy(name), found) == []
