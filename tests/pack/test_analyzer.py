"""The rules through the SDK's own analyzer servicer, in process (pulumi-offline.md §2.13).

This is what the Pulumi CLI talks to over gRPC: protobuf Structs in, diagnostics out, with the servicer's own
proxying, description prefix, enforcement levels and ``Configure``. It checks what unit tests of
``policy.validate`` cannot: that a mandatory rule stays mandatory when a value is unknown instead of becoming
the SDK's advisory "can't run policy during preview" note.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi.runtime import proto
from pulumi_policy import EnforcementLevel
from pulumi_policy.policy import _PolicyAnalyzerServicer

import rules
from rules import audit, coverage
from rules.resources import (
    BACKUP_POLICIES_COMPONENT,
    FRAMEWORK,
    ORG_POLICY,
    ORG_POLICY_ATTACHMENT,
    VAULT,
    VAULT_NOTIFICATIONS,
)

from .harness import UNKNOWN_STRING, by_name

ACCOUNT = "444455556666"
CENTRAL = "111122223333"
PACK = "org-backup"
POLICIES = audit.POLICIES + coverage.POLICIES
NOTIFICATIONS = by_name(POLICIES, "backup-vault-notifications-valid")
FRAMEWORK_COMPLETE = by_name(POLICIES, "backup-audit-framework-complete")
VAULT_IN_EVERY_TARGET = by_name(POLICIES, "backup-vault-in-every-target")
TOPIC = f"arn:aws:sns:us-east-1:{ACCOUNT}:backup-alerts"
POLICY_CONTENT = json.dumps(
    {
        "plans": {
            "daily": {
                "regions": {"@@assign": ["us-east-1"]},
                "rules": {
                    "daily": {
                        "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
                        "target_backup_vault_name": {"@@assign": "org-backup"},
                    }
                },
                "selections": {
                    "tags": {
                        "daily": {
                            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/OrgBackupServiceRole"},
                            "tag_key": {"@@assign": "backup"},
                            "tag_value": {"@@assign": ["daily"]},
                        }
                    }
                },
            }
        }
    }
)


def provider(account: str = ACCOUNT) -> proto.AnalyzerProviderResource:
    return proto.AnalyzerProviderResource(
        type="pulumi:providers:aws",
        properties={"region": "us-east-1", "allowedAccountIds": json.dumps([account])},
        urn=f"urn:pulumi:prod::org-backup::pulumi:providers:aws::account-{account}",
        name=f"account-{account}",
    )


def urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:prod::org-backup::{type_token}::{name}"


def analyze(servicer: _PolicyAnalyzerServicer, type_token: str, props: dict[str, Any]) -> list[Any]:
    request = proto.AnalyzeRequest(
        type=type_token,
        properties=props,
        urn=urn(type_token, "r"),
        name="r",
        options=proto.AnalyzerResourceOptions(protect=True),
        provider=provider(),
    )
    return list(servicer.Analyze(request, None).diagnostics)


def stack_resource(
    type_token: str,
    name: str,
    props: dict[str, Any],
    account: str,
    parent: str = "",
    property_dependencies: dict[str, list[str]] | None = None,
) -> proto.AnalyzerResource:
    return proto.AnalyzerResource(
        type=type_token,
        properties=props,
        urn=urn(type_token, name),
        name=name,
        options=proto.AnalyzerResourceOptions(),
        provider=provider(account),
        parent=parent,
        propertyDependencies={
            key: proto.AnalyzerPropertyDependencies(urns=urns) for key, urns in (property_dependencies or {}).items()
        },
    )


def policy_stack(content: str, *, with_vault: bool) -> list[proto.AnalyzerResource]:
    policy_urn = urn(ORG_POLICY, "daily")
    resources = [
        stack_resource(ORG_POLICY, "daily", {"name": "daily", "type": "BACKUP_POLICY", "content": content}, CENTRAL),
        stack_resource(
            ORG_POLICY_ATTACHMENT,
            "daily-ou",
            {"policyId": UNKNOWN_STRING, "targetId": "ou-ab12-34cd56ef"},
            CENTRAL,
            parent=policy_urn,
            property_dependencies={"policyId": [policy_urn]},
        ),
        stack_resource(BACKUP_POLICIES_COMPONENT, "backup-policies", {"reach": {"daily": [ACCOUNT]}}, CENTRAL),
    ]
    if with_vault:
        resources.append(stack_resource(VAULT, "vault", {"name": "org-backup"}, ACCOUNT))
    return resources


def analyze_stack(servicer: _PolicyAnalyzerServicer, resources: list[proto.AnalyzerResource]) -> list[Any]:
    return list(servicer.AnalyzeStack(proto.AnalyzeStackRequest(resources=resources), None).diagnostics)


def configure(
    servicer: _PolicyAnalyzerServicer, **policies: tuple[proto.EnforcementLevel.ValueType, dict[str, Any]]
) -> None:
    servicer.Configure(
        proto.ConfigureAnalyzerRequest(
            policyConfig={
                name.replace("_", "-"): proto.PolicyConfig(enforcementLevel=level, properties=properties)
                for name, (level, properties) in policies.items()
            }
        ),
        None,
    )


def of(diagnostics: list[Any], policy_name: str) -> list[Any]:
    return [d for d in diagnostics if d.policyName == policy_name]


@pytest.fixture
def servicer() -> _PolicyAnalyzerServicer:
    return _PolicyAnalyzerServicer(PACK, "0.0.1", POLICIES, EnforcementLevel.ADVISORY)


def test_mandatory_rule_reports_mandatory_with_the_description_first(servicer: _PolicyAnalyzerServicer) -> None:
    props = {"backupVaultName": "org-backup", "backupVaultEvents": ["BACKUP_JOB_FAILURE"], "snsTopicArn": TOPIC}
    [diagnostic] = analyze(servicer, VAULT_NOTIFICATIONS, props)
    assert diagnostic.policyName == NOTIFICATIONS.name
    assert diagnostic.policyPackName == PACK
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert diagnostic.severity == proto.POLICY_SEVERITY_LOW
    assert diagnostic.description == NOTIFICATIONS.description
    assert diagnostic.message.startswith(NOTIFICATIONS.description + "\n")
    assert "'BACKUP_JOB_FAILURE' is not a vault notification event" in diagnostic.message


def test_unknown_value_still_reports_a_mandatory_violation(servicer: _PolicyAnalyzerServicer) -> None:
    props = {
        "backupVaultName": "org-backup",
        "backupVaultEvents": ["BACKUP_JOB_COMPLETED"],
        "snsTopicArn": UNKNOWN_STRING,
    }
    diagnostics = analyze(servicer, VAULT_NOTIFICATIONS, props)
    assert not [d for d in diagnostics if "can't run policy" in d.message]
    [diagnostic] = of(diagnostics, NOTIFICATIONS.name)
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert "snsTopicArn is not known during preview" in diagnostic.message


def test_unknown_policy_content_in_a_stack_is_a_mandatory_violation(servicer: _PolicyAnalyzerServicer) -> None:
    diagnostics = analyze_stack(servicer, policy_stack(UNKNOWN_STRING, with_vault=True))
    assert not [d for d in diagnostics if "can't run policy" in d.message]
    [diagnostic] = of(diagnostics, VAULT_IN_EVERY_TARGET.name)
    assert diagnostic.enforcementLevel == proto.MANDATORY
    assert diagnostic.severity == proto.POLICY_SEVERITY_CRITICAL
    assert diagnostic.urn == urn(ORG_POLICY, "daily")
    assert "content is not known during preview" in diagnostic.message


def test_stack_policy_resolves_parents_and_property_dependencies(servicer: _PolicyAnalyzerServicer) -> None:
    assert of(analyze_stack(servicer, policy_stack(POLICY_CONTENT, with_vault=True)), VAULT_IN_EVERY_TARGET.name) == []
    [diagnostic] = of(
        analyze_stack(servicer, policy_stack(POLICY_CONTENT, with_vault=False)), VAULT_IN_EVERY_TARGET.name
    )
    assert diagnostic.urn == urn(ORG_POLICY, "daily")
    assert f"in 1 reached account/Region(s): {ACCOUNT}/us-east-1" in diagnostic.message


def test_advisory_rule_reports_advisory(servicer: _PolicyAnalyzerServicer) -> None:
    props = {"name": "f", "controls": [{"name": "BACKUP_RECOVERY_POINT_ENCRYPTED"}]}
    [diagnostic] = analyze(servicer, FRAMEWORK, props)
    assert diagnostic.policyName == FRAMEWORK_COMPLETE.name
    assert diagnostic.enforcementLevel == proto.ADVISORY
    assert "the framework lacks required controls" in diagnostic.message


def test_configure_overrides_a_default(servicer: _PolicyAnalyzerServicer) -> None:
    props = {"backupVaultName": "org-backup", "backupVaultEvents": ["BACKUP_JOB_FAILED"], "snsTopicArn": TOPIC}
    assert len(analyze(servicer, VAULT_NOTIFICATIONS, props)) == 1
    configure(servicer, backup_vault_notifications_valid=(proto.MANDATORY, {"allowUnsupportedEvents": True}))
    assert analyze(servicer, VAULT_NOTIFICATIONS, props) == []


def test_configure_numbers_arrive_as_floats(servicer: _PolicyAnalyzerServicer) -> None:
    weak = {
        "name": "f",
        "controls": [
            {
                "name": "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
                "inputParameters": [{"name": "requiredRetentionDays", "value": "14"}],
            }
        ],
    }
    configure(servicer, backup_audit_framework_complete=(proto.ADVISORY, {"requiredControls": []}))
    [diagnostic] = analyze(servicer, FRAMEWORK, weak)
    assert "requiredRetentionDays 14 is below minRequiredRetentionDays 35" in diagnostic.message
    configure(
        servicer,
        backup_audit_framework_complete=(proto.ADVISORY, {"requiredControls": [], "minRequiredRetentionDays": 14}),
    )
    assert analyze(servicer, FRAMEWORK, weak) == []


def test_configure_disables_a_rule(servicer: _PolicyAnalyzerServicer) -> None:
    configure(servicer, backup_vault_notifications_valid=(proto.DISABLED, {}))
    props = {"backupVaultName": "org-backup", "backupVaultEvents": ["NOPE"], "snsTopicArn": UNKNOWN_STRING}
    assert analyze(servicer, VAULT_NOTIFICATIONS, props) == []


def test_analyzer_info_serves_every_rule_with_its_config_defaults() -> None:
    servicer = _PolicyAnalyzerServicer(PACK, "0.0.1", rules.ALL_POLICIES, EnforcementLevel.ADVISORY)
    info = servicer.GetAnalyzerInfo(None, None)
    served = {policy.name: policy for policy in info.policies}
    assert set(served) == {policy.name for policy in rules.ALL_POLICIES}
    schema = served[VAULT_IN_EVERY_TARGET.name].configSchema.properties
    assert dict(schema["ouAccounts"]["default"]) == {}
    assert served[NOTIFICATIONS.name].enforcementLevel == proto.MANDATORY
