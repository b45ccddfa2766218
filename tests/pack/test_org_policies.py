"""Rules of the organization-backup-policies domain: a passing and a failing input for each, config overrides,
and preview unknowns for the mandatory ones (they must still report).

Documents are hand-written in the corpus's shape (a rendered org policy with quoted numbers, a copy to a
central account, tag or resource selections); Plans carry engine values (camelCase, floats).
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from rules import org_policies, org_setup
from tests.pack.harness import (
    UNKNOWN_BOOLEAN,
    UNKNOWN_NUMBER,
    UNKNOWN_STRING,
    Spec,
    attachments,
    by_name,
    run_resource,
    run_stack,
)

MANAGEMENT = "111111111111"
ADMIN = "222222222222"
CENTRAL = "333333333333"
MEMBER = "444455556666"
OU = "ou-ab12-34cd56ef"
CENTRAL_VAULT_ARN = f"arn:aws:backup:eu-west-1:{CENTRAL}:backup-vault:central-copies"
ROLE = "arn:aws:iam::$account:role/OrgBackupServiceRole"

ORG_POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
COMPONENT = "org-backup:backup_policies:BackupPolicies"
DYNAMIC = "pulumi-python:dynamic:Resource"
SERVICE_ACCESS = "aws:organizations/awsServiceAccess:AwsServiceAccess"
ORGANIZATION = "aws:organizations/organization:Organization"
GLOBAL_SETTINGS = "aws:backup/globalSettings:GlobalSettings"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"


def policy(name: str) -> Any:
    return by_name(org_policies.POLICIES + org_setup.POLICIES, name)


DAILY_POLICY: dict[str, Any] = {
    "plans": {
        "daily": {
            "regions": {"@@assign": ["eu-west-1"]},
            "rules": {
                "daily": {
                    "schedule_expression": {"@@assign": "cron(0 3 ? * * *)"},
                    "start_backup_window_minutes": {"@@assign": "60"},
                    "complete_backup_window_minutes": {"@@assign": "480"},
                    "target_backup_vault_name": {"@@assign": "member-vault"},
                    "lifecycle": {"delete_after_days": {"@@assign": "35"}},
                    "copy_actions": {
                        CENTRAL_VAULT_ARN: {
                            "target_backup_vault_arn": {"@@assign": CENTRAL_VAULT_ARN},
                            "lifecycle": {"delete_after_days": {"@@assign": "90"}},
                        }
                    },
                }
            },
            "selections": {
                "tags": {
                    "tagged-daily": {
                        "iam_role_arn": {"@@assign": ROLE},
                        "tag_key": {"@@assign": "backup"},
                        "tag_value": {"@@assign": ["daily"]},
                    }
                }
            },
        }
    }
}


def document(**rule_changes: Any) -> dict[str, Any]:
    """The daily policy with keys of its one rule replaced (None removes a key)."""
    doc = copy.deepcopy(DAILY_POLICY)
    rule = doc["plans"]["daily"]["rules"]["daily"]
    for key, value in rule_changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    return doc


def backup_policy(content: Any, *, name: str = "org-backup-daily", kind: Any = "BACKUP_POLICY") -> Spec:
    text = content if isinstance(content, str) else json.dumps(content)
    return Spec(ORG_POLICY, {"name": name, "type": kind, "content": text}, name=name, account=ADMIN)


def plan_rule(**changes: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ruleName": "daily",
        "targetVaultName": "member-vault",
        "schedule": "cron(0 3 ? * * *)",
        "startWindow": 60.0,
        "completionWindow": 480.0,
        "lifecycle": {"deleteAfter": 35.0},
        "copyActions": [{"destinationVaultArn": CENTRAL_VAULT_ARN, "lifecycle": {"deleteAfter": 90.0}}],
    }
    rule.update(changes)
    return rule


def backup_plan(*rules: dict[str, Any], name: str = "member-plan") -> Spec:
    return Spec(PLAN, {"name": name, "rules": list(rules)}, name=name, account=MEMBER, region="eu-west-1")


def messages(rule: str, spec: Spec, config: dict[str, Any] | None = None) -> list[str]:
    return run_resource(policy(rule), spec, config)


# --------------------------------------------------------------------------- org-backup-policy-valid


def test_valid_policy_passes_every_document_rule() -> None:
    spec = backup_policy(DAILY_POLICY)
    for rule in (
        "org-backup-policy-valid",
        "org-backup-policy-advisories",
        "backup-lifecycle-cold-plus-90",
        "backup-continuous-retention",
        "backup-plan-windows",
    ):
        assert messages(rule, spec) == [], rule


def test_valid_reports_each_syntax_error_with_its_path() -> None:
    doc = document(schedule={"@@assign": "cron(0 3 ? * * *)"})
    doc["plans"]["daily"]["selections"]["tags"]["tagged-daily"].pop("iam_role_arn")
    found = messages("org-backup-policy-valid", backup_policy(doc))
    assert any("plans.daily.rules.daily.schedule: unknown key 'schedule' in rule" in m for m in found), found
    # A parent policy may supply a missing role (AWS documents child policies that omit required keys), so a
    # lone document only gets the advisory.
    advice = messages("org-backup-policy-advisories", backup_policy(doc))
    assert any("selections.tags.tagged-daily.iam_role_arn: a tag selection needs iam_role_arn" in m for m in advice)
    assert not any("iam_role_arn" in m for m in found), found


def test_valid_leaves_lifecycle_window_and_continuous_errors_to_their_rules() -> None:
    doc = document(
        start_backup_window_minutes={"@@assign": "30"},
        lifecycle={"move_to_cold_storage_after_days": {"@@assign": "30"}, "delete_after_days": {"@@assign": "60"}},
    )
    assert messages("org-backup-policy-valid", backup_policy(doc)) == []
    assert messages("backup-plan-windows", backup_policy(doc))
    assert messages("backup-lifecycle-cold-plus-90", backup_policy(doc))


def test_valid_ignore_findings_config() -> None:
    spec = backup_policy(document(schedule_expression={"@@assign": "cron(0 3 * * *)"}))
    [found] = messages("org-backup-policy-valid", spec)
    assert "[schedule-syntax]" in found
    assert messages("org-backup-policy-valid", spec, {"ignoreFindings": ["schedule-syntax"]}) == []


def test_valid_fails_closed_on_unknown_content_and_type() -> None:
    [found] = messages("org-backup-policy-valid", backup_policy(UNKNOWN_STRING))
    assert "content could not be verified during preview" in found
    [found] = messages("org-backup-policy-valid", backup_policy(DAILY_POLICY, kind=UNKNOWN_STRING))
    assert "type could not be verified during preview" in found


def test_valid_ignores_other_organizations_policies() -> None:
    scp = backup_policy('{"Version": "2012-10-17", "Statement": []}', kind="SERVICE_CONTROL_POLICY")
    assert messages("org-backup-policy-valid", scp) == []


# --------------------------------------------------------------------------- org-backup-policy-advisories


def test_advisories_report_warnings_only() -> None:
    spec = backup_policy(document(schedule_expression=None))
    [found] = messages("org-backup-policy-advisories", spec)
    assert "no schedule_expression" in found and "[schedule-missing]" in found
    assert messages("org-backup-policy-valid", spec) == []


def test_advisories_ignore_findings_config_and_leave_completion_window_to_its_rule() -> None:
    spec = backup_policy(document(schedule_expression=None))
    assert messages("org-backup-policy-advisories", spec, {"ignoreFindings": ["schedule-missing"]}) == []
    short = backup_policy(document(complete_backup_window_minutes={"@@assign": "60"}))
    assert messages("org-backup-policy-advisories", short) == []
    assert "UNCONFIRMED" in messages("backup-plan-completion-window", short)[0]
    assert messages("backup-plan-windows", short) == []


# --------------------------------------------------------------------------- backup-lifecycle-cold-plus-90


def test_cold_plus_90_on_a_policy_rule_and_copy() -> None:
    doc = document(
        lifecycle={"move_to_cold_storage_after_days": {"@@assign": "30"}, "delete_after_days": {"@@assign": "100"}}
    )
    action = doc["plans"]["daily"]["rules"]["daily"]["copy_actions"][CENTRAL_VAULT_ARN]
    action["lifecycle"] = {"move_to_cold_storage_after_days": {"@@assign": 10}, "delete_after_days": {"@@assign": 99}}
    found = messages("backup-lifecycle-cold-plus-90", backup_policy(doc))
    assert any("delete_after_days 100 must be >= move_to_cold_storage_after_days 30 + 90" in m for m in found)
    assert any(
        f"copy_actions.{CENTRAL_VAULT_ARN}.lifecycle.delete_after_days: delete_after_days 99" in m for m in found
    )


def test_cold_plus_90_on_a_plan() -> None:
    good = backup_plan(plan_rule(lifecycle={"coldStorageAfter": 30.0, "deleteAfter": 120.0}))
    assert messages("backup-lifecycle-cold-plus-90", good) == []
    bad = backup_plan(
        plan_rule(copyActions=[{"destinationVaultArn": CENTRAL_VAULT_ARN, "lifecycle": {"deleteAfter": 40000.0}}])
    )
    [found] = messages("backup-lifecycle-cold-plus-90", bad)
    assert found.startswith("rule 'daily': rules[0].copyActions[0].lifecycle.delete_after_days")
    assert "must be between 1 and 36500" in found


def test_cold_plus_90_retention_ceiling_config() -> None:
    spec = backup_policy(DAILY_POLICY)
    [found] = messages("backup-lifecycle-cold-plus-90", spec, {"maxRetentionDays": 60})
    assert (
        "copy_actions" in found and "90 days exceeds the organization's retention ceiling maxRetentionDays 60" in found
    )


def test_cold_plus_90_fails_closed_on_unknowns() -> None:
    [found] = messages(
        "backup-lifecycle-cold-plus-90", backup_plan(plan_rule(lifecycle={"deleteAfter": UNKNOWN_NUMBER}))
    )
    assert "rules[0].lifecycle.deleteAfter could not be verified during preview" in found
    [found] = messages("backup-lifecycle-cold-plus-90", Spec(PLAN, {"rules": UNKNOWN_STRING}))
    assert "rules could not be verified during preview" in found
    [found] = messages("backup-lifecycle-cold-plus-90", backup_policy(UNKNOWN_STRING))
    assert "content could not be verified" in found


# --------------------------------------------------------------------------- backup-continuous-retention


def test_continuous_retention_on_a_policy() -> None:
    ok = document(enable_continuous_backup={"@@assign": True}, lifecycle={"delete_after_days": {"@@assign": 35}})
    assert messages("backup-continuous-retention", backup_policy(ok)) == []
    long = document(enable_continuous_backup={"@@assign": "true"}, lifecycle={"delete_after_days": {"@@assign": "40"}})
    [found] = messages("backup-continuous-retention", backup_policy(long))
    assert "delete_after_days 40 exceeds the 35-day maximum of continuous" in found


def test_continuous_retention_on_a_plan() -> None:
    cold = plan_rule(enableContinuousBackup=True, lifecycle={"coldStorageAfter": 7.0, "deleteAfter": 30.0})
    [found] = messages("backup-continuous-retention", backup_plan(cold))
    assert "cannot move to cold storage" in found
    assert messages("backup-continuous-retention", backup_plan(plan_rule(enableContinuousBackup=False))) == []


def test_continuous_retention_ceiling_config() -> None:
    spec = backup_plan(plan_rule(enableContinuousBackup=True, lifecycle={"deleteAfter": 21.0}))
    assert messages("backup-continuous-retention", spec) == []
    [found] = messages("backup-continuous-retention", spec, {"maxContinuousRetentionDays": 14})
    assert "21 days exceed the organization's maxContinuousRetentionDays 14" in found


def test_continuous_retention_fails_closed_on_unknowns() -> None:
    flag = backup_plan(plan_rule(enableContinuousBackup=UNKNOWN_BOOLEAN))
    assert "enableContinuousBackup could not be verified" in messages("backup-continuous-retention", flag)[0]
    days = backup_plan(plan_rule(enableContinuousBackup=True, lifecycle={"deleteAfter": UNKNOWN_NUMBER}))
    assert "lifecycle.deleteAfter could not be verified" in messages("backup-continuous-retention", days)[0]


# --------------------------------------------------------------------------- backup-plan-windows


def test_windows_on_a_policy_and_a_plan() -> None:
    doc = document(start_backup_window_minutes={"@@assign": "30"})
    [found] = messages("backup-plan-windows", backup_policy(doc))
    assert "start_backup_window_minutes 30 must be >= 60" in found
    [found] = messages("backup-plan-windows", backup_plan(plan_rule(startWindow=45.0)))
    assert found.startswith("rule 'daily': rules[0].start_backup_window_minutes")
    assert messages("backup-plan-windows", backup_plan(plan_rule())) == []


def test_windows_completion_after_start_is_worded_unconfirmed_and_configurable() -> None:
    """A warning in the loader, so advisory in the pack (issue 10 item 8): never under the mandatory rule."""
    spec = backup_plan(plan_rule(startWindow=120.0, completionWindow=120.0))
    [found] = messages("backup-plan-completion-window", spec)
    assert "should exceed start_backup_window_minutes 120" in found and "UNCONFIRMED" in found
    assert messages("backup-plan-completion-window", spec, {"checkCompletionAfterStart": False}) == []
    assert messages("backup-plan-windows", spec) == []
    assert org_policies.COMPLETION_WINDOW.enforcement.value == "advisory"


def test_windows_minimum_config() -> None:
    [found] = messages("backup-plan-windows", backup_policy(DAILY_POLICY), {"minStartWindowMinutes": 120})
    assert "60 minutes is below the organization's minStartWindowMinutes 120" in found


def test_windows_fail_closed_on_unknowns() -> None:
    [found] = messages("backup-plan-windows", backup_plan(plan_rule(startWindow=UNKNOWN_NUMBER)))
    assert "rules[0].startWindow could not be verified during preview" in found
    [found] = messages("backup-plan-windows", backup_policy(UNKNOWN_STRING))
    assert "content could not be verified" in found


# --------------------------------------------------------------------------- stacks

ORG_BASE = [
    Spec(DYNAMIC, {"policy_type": "BACKUP_POLICY", "root_id": "r-ab12"}, name="policy-type", account=MANAGEMENT),
    Spec(SERVICE_ACCESS, {"servicePrincipal": "backup.amazonaws.com"}, name="trusted-access", account=MANAGEMENT),
    Spec(GLOBAL_SETTINGS, {"globalSettings": {"isCrossAccountBackupEnabled": "true"}}, name="gs", account=MANAGEMENT),
    Spec(
        DELEGATED_ADMIN, {"accountId": ADMIN, "servicePrincipal": "backup.amazonaws.com"}, name="da", account=MANAGEMENT
    ),
]


def attached(spec: Spec, *targets: Any) -> list[Spec]:
    """A backup policy with one attachment per target, linked as the program links them."""
    return [spec, *attachments(spec, *targets, account=ADMIN)]


def stack_messages(rule: str, specs: list[Spec], config: dict[str, Any] | None = None) -> list[str]:
    return [message for _, message in run_stack(policy(rule), specs, config)]


# --------------------------------------------------------------------------- backup-plan-min-frequency-retention


def test_min_frequency_per_plan() -> None:
    assert stack_messages("backup-plan-min-frequency-retention", [backup_plan(plan_rule())]) == []
    weekly = backup_plan(plan_rule(schedule="cron(0 3 ? * SUN *)", lifecycle={"deleteAfter": 90.0}))
    [found] = stack_messages("backup-plan-min-frequency-retention", [weekly])
    assert "no rule of this plan runs at least every 24 h and keeps recovery points at least 35 days" in found
    assert stack_messages("backup-plan-min-frequency-retention", [weekly], {"requiredFrequencyHours": 168}) == []


def test_min_frequency_per_reached_account_and_region() -> None:
    short = document(lifecycle={"delete_after_days": {"@@assign": "14"}})
    specs = attached(backup_policy(short), MEMBER, OU)
    [found] = stack_messages("backup-plan-min-frequency-retention", specs)
    assert f"account {MEMBER} in eu-west-1: no rule of the backup policies reaching it (org-backup-daily)" in found
    other = "555566667777"
    both = stack_messages("backup-plan-min-frequency-retention", specs, {"ouAccounts": {OU: [other]}})
    assert len(both) == 2 and any(other in m for m in both)
    longer = attached(backup_policy(DAILY_POLICY, name="org-backup-long"), MEMBER)
    assert stack_messages("backup-plan-min-frequency-retention", specs + longer) == []


def test_min_frequency_reads_the_reach_output() -> None:
    weekly = backup_policy(document(schedule_expression={"@@assign": "cron(0 3 ? * 1 *)"}))
    reach = Spec(COMPONENT, {"reach": {"org-backup-daily": ["777788889999"]}}, name="backup-policies", account=None)
    [found] = stack_messages("backup-plan-min-frequency-retention", [reach, *attached(weekly, OU)])
    assert "account 777788889999 in eu-west-1" in found


# --------------------------------------------------------------------------- backup-selection-sane


def selection(**props: Any) -> Spec:
    base: dict[str, Any] = {
        "name": "tagged",
        "planId": UNKNOWN_STRING,
        "iamRoleArn": f"arn:aws:iam::{MEMBER}:role/OrgBackupServiceRole",
        "selectionTags": [{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}],
    }
    base.update(props)
    return Spec(SELECTION, base, name="selection", account=MEMBER)


def test_selection_sane() -> None:
    assert messages("backup-selection-sane", selection()) == []
    [found] = messages("backup-selection-sane", selection(selectionTags=[], conditions=[{"stringEquals": []}]))
    assert "no resources, selectionTags or conditions" in found
    [found] = messages("backup-selection-sane", selection(resources=["*"]))
    assert 'resources contains "*"' in found
    assert messages("backup-selection-sane", selection(resources=["*"]), {"allowWildcardResources": True}) == []


def test_selection_role_pattern_config() -> None:
    config = {"allowedRoleNamePattern": "OrgBackup.*"}
    assert messages("backup-selection-sane", selection(), config) == []
    wrong = selection(iamRoleArn=f"arn:aws:iam::{MEMBER}:role/AdminRole")
    [found] = messages("backup-selection-sane", wrong, config)
    assert "role 'AdminRole', which does not match allowedRoleNamePattern 'OrgBackup.*'" in found
    assert messages("backup-selection-sane", selection(iamRoleArn=UNKNOWN_STRING), config) == []


# --------------------------------------------------------------------------- org-backup-policy-enabled-and-attached


def test_enabled_and_attached_passes_with_the_program_shape() -> None:
    assert (
        stack_messages("org-backup-policy-enabled-and-attached", ORG_BASE + attached(backup_policy(DAILY_POLICY), OU))
        == []
    )


def test_enabled_and_attached_reports_an_unattached_policy_and_missing_org_settings() -> None:
    found = run_stack(policy("org-backup-policy-enabled-and-attached"), [backup_policy(DAILY_POLICY)])
    assert (backup_policy(DAILY_POLICY).urn, next(m for _, m in found if "no PolicyAttachment" in m)) in found
    texts = [m for _, m in found]
    assert any("enables the BACKUP_POLICY policy type" in m for m in texts)
    assert any("trusted access for backup.amazonaws.com" in m for m in texts)


def test_enabled_and_attached_accepts_the_organization_resource_and_config() -> None:
    organization = Spec(
        ORGANIZATION,
        {"enabledPolicyTypes": ["BACKUP_POLICY"], "awsServiceAccessPrincipals": ["backup.amazonaws.com"]},
        name="org",
        account=MANAGEMENT,
    )
    specs = attached(backup_policy(DAILY_POLICY), OU)
    assert stack_messages("org-backup-policy-enabled-and-attached", [organization, *specs]) == []
    assert stack_messages("org-backup-policy-enabled-and-attached", specs, {"organizationManagedElsewhere": True}) == []


def test_enabled_and_attached_fails_closed_on_an_unknown_policy_type() -> None:
    dynamic = Spec(DYNAMIC, {"policy_type": UNKNOWN_STRING}, name="policy-type", account=MANAGEMENT)
    specs = [dynamic, ORG_BASE[1], *attached(backup_policy(DAILY_POLICY), OU)]
    [found] = stack_messages("org-backup-policy-enabled-and-attached", specs)
    assert "policy-type.policy_type could not be verified during preview" in found


# --------------------------------------------------------------------------- backup-policies-per-target


def test_policies_per_target() -> None:
    ten = [spec for i in range(10) for spec in attached(backup_policy(DAILY_POLICY, name=f"p{i}"), OU)]
    assert stack_messages("backup-policies-per-target", ten) == []
    [found] = stack_messages("backup-policies-per-target", ten, {"attachedElsewhere": {OU: 1}})
    assert f"target {OU} has 11 backup policies attached" in found and "at most 10" in found
    eleven = ten + attached(backup_policy(DAILY_POLICY, name="p10"), OU)
    assert len(stack_messages("backup-policies-per-target", eleven)) == 1


def test_policies_per_target_fails_closed_on_an_unknown_target() -> None:
    [found] = stack_messages("backup-policies-per-target", attached(backup_policy(DAILY_POLICY), UNKNOWN_STRING))
    assert "targetId could not be verified during preview" in found


# --------------------------------------------------------------------------- backup-delegated-admin


def test_delegated_admin() -> None:
    specs = [ORG_BASE[3], backup_policy(DAILY_POLICY)]
    assert stack_messages("backup-delegated-admin", specs) == []
    management = Spec(
        DELEGATED_ADMIN,
        {"accountId": MANAGEMENT, "servicePrincipal": "backup.amazonaws.com"},
        name="m",
        account=MANAGEMENT,
    )
    found = stack_messages("backup-delegated-admin", [*specs, management])
    assert any("2 delegated administrators" in m for m in found)
    assert any("is the management account" in m for m in found)
    [found_none] = stack_messages("backup-delegated-admin", [backup_policy(DAILY_POLICY)])
    assert "no DelegatedAdministrator for backup.amazonaws.com" in found_none


def test_delegated_admin_allowed_accounts_config() -> None:
    [found] = stack_messages("backup-delegated-admin", [ORG_BASE[3]], {"allowedAccounts": [CENTRAL]})
    assert f"delegated administrator {ADMIN} is not in allowedAccounts ({CENTRAL})" in found


# --------------------------------------------------------------------------- backup-cross-account-enabled


def test_cross_account_enabled() -> None:
    specs = attached(backup_policy(DAILY_POLICY), OU)
    assert stack_messages("backup-cross-account-enabled", [ORG_BASE[2], *specs]) == []
    [found] = stack_messages("backup-cross-account-enabled", specs)
    assert f"copies to account {CENTRAL}" in found and "isCrossAccountBackupEnabled" in found
    assert stack_messages("backup-cross-account-enabled", specs, {"globalSettingsManagedElsewhere": True}) == []


def test_cross_account_enabled_ignores_same_account_copies() -> None:
    own = "arn:aws:backup:us-west-2:$account:backup-vault:member-dr"
    doc = document(copy_actions={own: {"target_backup_vault_arn": {"@@assign": own}}})
    assert stack_messages("backup-cross-account-enabled", [backup_policy(doc)]) == []
    same = backup_plan(
        plan_rule(copyActions=[{"destinationVaultArn": f"arn:aws:backup:us-west-2:{MEMBER}:backup-vault:dr"}])
    )
    assert stack_messages("backup-cross-account-enabled", [same]) == []


def test_cross_account_enabled_fails_closed_on_unknowns() -> None:
    unknown_copy = backup_plan(plan_rule(copyActions=[{"destinationVaultArn": UNKNOWN_STRING}]))
    [found] = stack_messages("backup-cross-account-enabled", [unknown_copy])
    assert "destinationVaultArn could not be verified during preview" in found
    settings = Spec(GLOBAL_SETTINGS, {"globalSettings": UNKNOWN_STRING}, name="gs", account=MANAGEMENT)
    [found] = stack_messages("backup-cross-account-enabled", [settings, backup_policy(DAILY_POLICY)])
    assert "gs.globalSettings could not be verified during preview" in found


@pytest.mark.parametrize("rule", [p.name for p in org_policies.POLICIES + org_setup.POLICIES])
def test_every_rule_is_declared_fully(rule: str) -> None:
    declared = policy(rule).rule
    assert declared.domain == "organization-backup-policies"
    assert declared.description and declared.remediation and declared.config
    assert all("default" in schema for schema in declared.config.values())
