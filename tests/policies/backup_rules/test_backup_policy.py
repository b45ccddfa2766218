"""validate_backup_policy: each rule fires on a broken document and stays quiet on its near-miss fix."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.findings import Finding, errors

from .samples import (
    AWS_DOC_EXAMPLE,
    CENTRAL_VAULT,
    LAG_VAULT,
    OTHER_REGION_VAULT,
    PLAN,
    RESOURCE_SELECTION,
    RULE,
    TAG_SELECTION,
    assign,
    copy_action,
    daily_rule,
    plan,
    resource_policy,
    resource_selection,
    rule,
    tag_policy,
    tag_selection,
)

Document = dict[str, Any]
Mutation = Callable[[Document], object]
COPY = f"{RULE}.copy_actions.{CENTRAL_VAULT}"


def unchanged(document: Document) -> None:
    """The baseline already passes."""


def vault_arn(index: int) -> str:
    return f"arn:aws:backup:eu-west-1:11112222333{index}:backup-vault:Vault{index}"


def conditions(count: int) -> dict[str, Any]:
    return {
        "string_equals": {
            f"c{index}": {
                "condition_key": assign(f"aws:ResourceTag/k{index}"),
                "condition_value": assign("v"),
            }
            for index in range(count)
        }
    }


@dataclass(frozen=True)
class Case:
    name: str
    rule: str
    path: str
    fragment: str
    bad: Mutation
    good: Mutation = unchanged
    base: Callable[[], Document] = tag_policy
    severity: str = "error"


CASES = [
    Case("plans-missing", "required-key", "plans", "needs plans", lambda d: d.pop("plans")),
    Case(
        "regions-missing",
        "required-key",
        f"{PLAN}.regions",
        "needs regions",
        lambda d: plan(d).pop("regions"),
        severity="warning",
    ),
    Case(
        "rules-missing",
        "required-key",
        f"{PLAN}.rules",
        "needs rules",
        lambda d: plan(d).pop("rules"),
        severity="warning",
    ),
    Case(
        "rules-empty",
        "required-key",
        f"{PLAN}.rules",
        "at least one rule",
        lambda d: plan(d).update(rules={}),
        severity="warning",
    ),
    Case(
        "selections-missing",
        "required-key",
        f"{PLAN}.selections",
        "needs selections",
        lambda d: plan(d).pop("selections"),
        severity="warning",
    ),
    Case(
        "selection-role-missing (corpus 44)",
        "required-key",
        f"{TAG_SELECTION}.iam_role_arn",
        "tag selection needs iam_role_arn",
        lambda d: plan(d)["selections"]["tags"]["Tagged"].pop("iam_role_arn"),
        severity="warning",
    ),
    Case(
        "resource-types-missing",
        "required-key",
        f"{RESOURCE_SELECTION}.resource_types",
        "needs resource_types",
        lambda d: plan(d)["selections"]["resources"]["AllButEbs"].pop("resource_types"),
        base=resource_policy,
        severity="warning",
    ),
    Case(
        "vault-name-missing",
        "required-key",
        f"{RULE}.target_backup_vault_name",
        "needs target_backup_vault_name",
        lambda d: rule(d).pop("target_backup_vault_name"),
        severity="warning",
    ),
    Case(
        "copy-target-missing-key-upper-case",
        "copy-action-key-case",
        COPY,
        "uses the lower-cased key arn:aws:backup:eu-west-1:111122223333:backup-vault:centralvault",
        lambda d: rule(d)["copy_actions"][CENTRAL_VAULT].pop("target_backup_vault_arn"),
        good=lambda d: rule(d).update(
            copy_actions={vault_arn(1).lower(): {"lifecycle": {"delete_after_days": assign("90")}}}
        ),
    ),
    Case(
        "typo",
        "unknown-key",
        f"{RULE}.schedule_expresion",
        "did you mean 'schedule_expression'?",
        lambda d: rule(d).update(schedule_expresion=rule(d).pop("schedule_expression")),
    ),
    Case(
        "operator-typo",
        "unknown-key",
        f"{RULE}.target_backup_vault_name.@@asign",
        "did you mean '@@assign'?",
        lambda d: rule(d).update(target_backup_vault_name={"@@asign": "OrgVault"}),
    ),
    Case(
        "empty-copy-actions (corpus 21)",
        "empty-object",
        f"{RULE}.copy_actions",
        "empty object",
        lambda d: rule(d).update(copy_actions={}),
        severity="warning",
    ),
    Case(
        "empty-recovery-point-tags (corpus 21)",
        "empty-object",
        f"{RULE}.recovery_point_tags",
        "empty object",
        lambda d: rule(d).update(recovery_point_tags={}),
        severity="warning",
    ),
    Case(
        "bare-list",
        "leaf-operator",
        f"{PLAN}.regions",
        "under an inheritance operator",
        lambda d: plan(d).update(regions=["eu-west-1"]),
    ),
    Case(
        "assign-on-block",
        "leaf-operator",
        f"{PLAN}.rules.@@assign",
        "put operators on its leaves",
        lambda d: plan(d)["rules"].update({"@@assign": "Daily"}),
    ),
    Case(
        "append-on-scalar",
        "list-operator",
        f"{RULE}.target_backup_vault_name",
        "@@append only works on list settings",
        lambda d: rule(d).update(target_backup_vault_name={"@@append": "OrgVault"}),
        good=lambda d: plan(d).update(regions={"@@append": ["eu-west-1"]}),
    ),
    Case(
        "string-for-list",
        "leaf-value-type",
        f"{TAG_SELECTION}.tag_value",
        "a list setting",
        lambda d: plan(d)["selections"]["tags"]["Tagged"].update(tag_value=assign("daily")),
    ),
    Case(
        "list-for-scalar",
        "leaf-value-type",
        f"{RULE}.target_backup_vault_name",
        "holds one value",
        lambda d: rule(d).update(target_backup_vault_name=assign(["OrgVault"])),
    ),
    Case(
        "child-operator-unknown",
        "child-operators",
        f"{PLAN}.@@operators_allowed_for_child_policies",
        "not a child-policy operator",
        lambda d: plan(d).update({"@@operators_allowed_for_child_policies": ["@@bogus"]}),
        good=lambda d: plan(d).update({"@@operators_allowed_for_child_policies": ["@@none"]}),
    ),
    Case(
        "child-operator-none-mixed",
        "child-operators",
        f"{RULE}.lifecycle.delete_after_days.@@operators_allowed_for_child_policies",
        "@@none must stand alone",
        lambda d: rule(d)["lifecycle"]["delete_after_days"].update(
            {"@@operators_allowed_for_child_policies": ["@@none", "@@assign"]}
        ),
        good=lambda d: rule(d)["lifecycle"]["delete_after_days"].update(
            {"@@operators_allowed_for_child_policies": ["@@assign", "@@append"]}
        ),
    ),
    Case(
        "account-in-tag",
        "placeholder-outside-arn",
        f"{RULE}.recovery_point_tags.owner.tag_value",
        "$account is only substituted inside ARN values",
        lambda d: rule(d)["recovery_point_tags"]["owner"].update(tag_value=assign("$account")),
    ),
    Case(
        "rule-name",
        "name-pattern",
        f"{PLAN}.rules.Daily rule!",
        "rule name 'Daily rule!' must match",
        lambda d: plan(d)["rules"].update({"Daily rule!": plan(d)["rules"].pop("Daily")}),
        good=lambda d: plan(d)["rules"].update({"Daily.v2_x-1": plan(d)["rules"].pop("Daily")}),
    ),
    Case(
        "vault-name",
        "vault-name",
        f"{RULE}.target_backup_vault_name",
        "vault name 'Org Vault' must match",
        lambda d: rule(d).update(target_backup_vault_name=assign("Org Vault")),
    ),
    Case(
        "region",
        "region-code",
        f"{PLAN}.regions",
        "'eu-west1' is not an AWS Region code",
        lambda d: plan(d).update(regions=assign(["eu-west1"])),
        good=lambda d: plan(d).update(regions=assign(["us-gov-west-1", "eu-west-1"])),
    ),
    Case(
        "five-field-cron (corpus 54)",
        "schedule-syntax",
        f"{RULE}.schedule_expression",
        "has 5 fields: that is a Unix cron",
        lambda d: rule(d).update(schedule_expression=assign("cron(0 5 * * *)")),
    ),
    Case(
        "rate",
        "schedule-syntax",
        f"{RULE}.schedule_expression",
        "only cron(...) schedules",
        lambda d: rule(d).update(schedule_expression=assign("rate(1 day)")),
    ),
    Case(
        "half-hourly",
        "schedule-min-frequency",
        f"{RULE}.schedule_expression",
        "30 minutes apart",
        lambda d: rule(d).update(schedule_expression=assign("cron(0/30 * ? * * *)")),
        good=lambda d: rule(d).update(schedule_expression=assign("cron(0 * ? * * *)")),
    ),
    Case(
        "no-schedule (corpus 24)",
        "schedule-missing",
        f"{RULE}.schedule_expression",
        "no schedule_expression",
        lambda d: rule(d).pop("schedule_expression"),
        severity="warning",
    ),
    Case(
        "timezone",
        "schedule-timezone",
        f"{RULE}.schedule_expression_timezone",
        "schedules are UTC",
        lambda d: rule(d).update(schedule_expression_timezone=assign("Europe/Dublin")),
        severity="warning",
    ),
    Case(
        "start-window-30 (corpus 46)",
        "start-window-min",
        f"{RULE}.start_backup_window_minutes",
        "start_backup_window_minutes 30 must be >= 60",
        lambda d: rule(d).update(start_backup_window_minutes=assign("30")),
    ),
    Case(
        "completion-before-start",
        "completion-after-start",
        f"{RULE}.complete_backup_window_minutes",
        "should exceed",
        lambda d: rule(d).update(complete_backup_window_minutes=assign("60")),
        severity="warning",
    ),
    Case(
        "zero-completion-window",
        "completion-window-positive",
        f"{RULE}.complete_backup_window_minutes",
        "must be positive",
        lambda d: rule(d).update(complete_backup_window_minutes=assign(0)),
    ),
    Case(
        "continuous-40-days (corpus 26)",
        "continuous-retention",
        f"{RULE}.lifecycle.delete_after_days",
        "exceeds the 35-day maximum",
        lambda d: rule(d).update(enable_continuous_backup=assign(True), lifecycle={"delete_after_days": assign("40")}),
        good=lambda d: rule(d).update(
            enable_continuous_backup=assign("true"), lifecycle={"delete_after_days": assign("35")}
        ),
    ),
    Case(
        "continuous-cold",
        "continuous-no-cold-storage",
        f"{RULE}.lifecycle.move_to_cold_storage_after_days",
        "cannot move to cold storage",
        lambda d: rule(d).update(
            enable_continuous_backup=assign(True),
            lifecycle={"move_to_cold_storage_after_days": assign("1"), "delete_after_days": assign("35")},
        ),
    ),
    Case(
        "cold-plus-90",
        "cold-storage-plus-90",
        f"{RULE}.lifecycle.delete_after_days",
        "move_to_cold_storage_after_days 30 + 90",
        lambda d: rule(d).update(
            lifecycle={"move_to_cold_storage_after_days": assign("30"), "delete_after_days": assign("100")}
        ),
        good=lambda d: rule(d).update(
            lifecycle={"move_to_cold_storage_after_days": assign("30"), "delete_after_days": assign("120")}
        ),
    ),
    Case(
        "copy-cold-plus-90",
        "cold-storage-plus-90",
        f"{COPY}.lifecycle.delete_after_days",
        "+ 90",
        lambda d: rule(d)["copy_actions"][CENTRAL_VAULT]["lifecycle"].update(
            move_to_cold_storage_after_days=assign("30")
        ),
    ),
    Case(
        "retention-too-long",
        "retention-range",
        f"{RULE}.lifecycle.delete_after_days",
        "must be between 1 and 36500",
        lambda d: rule(d).update(lifecycle={"delete_after_days": assign("40000")}),
        good=lambda d: rule(d).update(lifecycle={"delete_after_days": assign("-1")}),
    ),
    Case(
        "short-warm-retention",
        "warm-retention-advised",
        f"{RULE}.lifecycle.delete_after_days",
        "below the 7 days",
        lambda d: rule(d).update(lifecycle={"delete_after_days": assign("5")}),
        severity="warning",
    ),
    Case(
        "days-not-number",
        "number-value",
        f"{RULE}.lifecycle.delete_after_days",
        "must be a whole number",
        lambda d: rule(d).update(lifecycle={"delete_after_days": assign("thirty")}),
        good=lambda d: rule(d).update(lifecycle={"delete_after_days": assign(30.0)}),
    ),
    Case(
        "continuous-not-bool",
        "boolean-value",
        f"{RULE}.enable_continuous_backup",
        "must be true or false",
        lambda d: rule(d).update(enable_continuous_backup=assign("yes")),
        good=lambda d: rule(d).update(enable_continuous_backup=assign("FALSE")),
    ),
    Case(
        "copy-actions-list (corpus 43)",
        "copy-actions-shape",
        f"{RULE}.copy_actions",
        "keyed by the destination vault ARN",
        lambda d: rule(d).update(copy_actions=[copy_action(CENTRAL_VAULT)]),
    ),
    Case(
        "copy-key-placeholder (corpus 51)",
        "copy-action-key",
        f"{RULE}.copy_actions.<Replace with value from pCentralBackupVaultArn>",
        "is not a backup vault ARN",
        lambda d: rule(d).update(
            copy_actions={"<Replace with value from pCentralBackupVaultArn>": copy_action(CENTRAL_VAULT)}
        ),
    ),
    Case(
        "copy-key-mismatch",
        "copy-action-key",
        f"{RULE}.copy_actions.{vault_arn(1)}.target_backup_vault_arn",
        "differs from its copy_actions key",
        lambda d: rule(d).update(copy_actions={vault_arn(1): copy_action(vault_arn(2))}),
        good=lambda d: rule(d).update(copy_actions={vault_arn(1).lower(): copy_action(vault_arn(1))}),
        severity="warning",
    ),
    Case(
        "copy-target-not-arn",
        "copy-action-arn",
        f"{COPY}.target_backup_vault_arn",
        "is not a backup vault ARN",
        lambda d: rule(d)["copy_actions"][CENTRAL_VAULT].update(target_backup_vault_arn=assign("CentralVault")),
    ),
    Case(
        "six-copies",
        "copy-action-count",
        f"{RULE}.copy_actions",
        "at most 5",
        lambda d: rule(d).update(copy_actions={vault_arn(i): copy_action(vault_arn(i)) for i in range(6)}),
        good=lambda d: rule(d).update(copy_actions={vault_arn(i): copy_action(vault_arn(i)) for i in range(5)}),
    ),
    Case(
        "copy-to-default",
        "copy-default-vault",
        f"{RULE}.copy_actions.arn:aws:backup:eu-west-1:111122223333:backup-vault:Default",
        "cannot go to the Default vault of account 111122223333",
        lambda d: rule(d).update(
            copy_actions={
                "arn:aws:backup:eu-west-1:111122223333:backup-vault:Default": copy_action(
                    "arn:aws:backup:eu-west-1:111122223333:backup-vault:Default"
                )
            }
        ),
        good=lambda d: rule(d).update(
            copy_actions={
                "arn:aws:backup:eu-west-1:$account:backup-vault:Default": copy_action(
                    "arn:aws:backup:eu-west-1:$account:backup-vault:Default"
                )
            }
        ),
    ),
    Case(
        "lag-literal-account",
        "lag-arn",
        f"{RULE}.target_logically_air_gapped_backup_vault_arn",
        "$region:$account",
        lambda d: rule(d).update(
            target_logically_air_gapped_backup_vault_arn=assign(
                "arn:aws:backup:eu-west-1:444455556666:backup-vault:AirGapped"
            )
        ),
        good=lambda d: rule(d).update(target_logically_air_gapped_backup_vault_arn=assign(LAG_VAULT)),
    ),
    Case(
        "rds-two-hop",
        "rds-cross-account-cross-region",
        f"{RULE}.copy_actions.{OTHER_REGION_VAULT}",
        "both cross-account and cross-Region",
        lambda d: rule(d).update(copy_actions={OTHER_REGION_VAULT: copy_action(OTHER_REGION_VAULT)}),
        base=lambda: resource_policy(resource_types=["arn:aws:rds:*:*:db:*"]),
    ),
    Case(
        "both-selection-kinds",
        "selection-kind",
        f"{PLAN}.selections",
        "has both tags and resources",
        lambda d: plan(d)["selections"].update(resources={"All": resource_selection()}),
    ),
    Case(
        "no-selection-kind",
        "selection-kind",
        f"{PLAN}.selections",
        "has neither tags and resources",
        lambda d: plan(d).update(selections={"@@operators_allowed_for_child_policies": ["@@all"]}),
        severity="warning",
    ),
    Case(
        "eleven-tag-selections",
        "tag-selection-count",
        f"{PLAN}.selections.tags",
        "at most 10",
        lambda d: plan(d).update(selections={"tags": {f"S{i}": tag_selection() for i in range(11)}}),
        good=lambda d: plan(d).update(selections={"tags": {f"S{i}": tag_selection() for i in range(10)}}),
    ),
    Case(
        "eleven-rules",
        "rule-count",
        f"{PLAN}.rules",
        "at most 10",
        lambda d: plan(d).update(rules={f"R{i}": daily_rule() for i in range(11)}),
        good=lambda d: plan(d).update(rules={f"R{i}": daily_rule() for i in range(10)}),
    ),
    Case(
        "eleven-recovery-point-tags",
        "recovery-point-tag-count",
        f"{RULE}.recovery_point_tags",
        "at most 10",
        lambda d: rule(d).update(
            recovery_point_tags={f"t{i}": {"tag_key": assign(f"k{i}"), "tag_value": assign("v")} for i in range(11)}
        ),
    ),
    Case(
        "thirty-one-conditions",
        "condition-count",
        f"{RESOURCE_SELECTION}.conditions",
        "at most 30",
        lambda d: plan(d)["selections"]["resources"]["AllButEbs"].update(conditions=conditions(31)),
        good=lambda d: plan(d)["selections"]["resources"]["AllButEbs"].update(conditions=conditions(30)),
        base=resource_policy,
    ),
    Case(
        "camel-case-operator",
        "condition-operator",
        f"{RESOURCE_SELECTION}.conditions.StringEquals",
        "did you mean 'string_equals'?",
        lambda d: plan(d)["selections"]["resources"]["AllButEbs"]["conditions"].update(
            StringEquals=plan(d)["selections"]["resources"]["AllButEbs"]["conditions"].pop("string_equals")
        ),
        base=resource_policy,
    ),
    Case(
        "condition-value-missing",
        "required-key",
        f"{RESOURCE_SELECTION}.conditions.string_equals.env.condition_value",
        "needs condition_value",
        lambda d: plan(d)["selections"]["resources"]["AllButEbs"]["conditions"]["string_equals"]["env"].pop(
            "condition_value"
        ),
        base=resource_policy,
        severity="warning",
    ),
    Case(
        "resource-type-typo",
        "resource-type",
        f"{RESOURCE_SELECTION}.resource_types",
        "did you mean 'arn:aws:ec2:*:*:volume/*'?",
        lambda d: plan(d)["selections"]["resources"]["AllButEbs"].update(
            resource_types=assign(["arn:aws:ec2:*:*:volumes/*"])
        ),
        good=lambda d: plan(d)["selections"]["resources"]["AllButEbs"].update(
            resource_types=assign(["arn:aws-us-gov:ec2:*:*:volume/*"])
        ),
        base=resource_policy,
    ),
    Case(
        "user-not-role",
        "iam-role-arn",
        f"{TAG_SELECTION}.iam_role_arn",
        "is not an IAM role ARN",
        lambda d: plan(d)["selections"]["tags"]["Tagged"].update(iam_role_arn=assign("arn:aws:iam::$account:user/Bob")),
        good=lambda d: plan(d)["selections"]["tags"]["Tagged"].update(
            iam_role_arn=assign("arn:aws:iam::444455556666:role/service-role/AWSBackupDefaultServiceRole")
        ),
    ),
    Case(
        "windows-vss-value",
        "enum-value",
        f"{PLAN}.advanced_backup_settings.ec2.windows_vss",
        "'on' is not one of disabled, enabled",
        lambda d: plan(d).update(advanced_backup_settings={"ec2": {"windows_vss": assign("on")}}),
        good=lambda d: plan(d).update(advanced_backup_settings={"ec2": {"windows_vss": assign("enabled")}}),
    ),
    Case(
        "scan-mode-value",
        "enum-value",
        f"{RULE}.scan_actions.GUARDDUTY.scan_mode",
        "'QUICK_SCAN' is not one of FULL_SCAN, INCREMENTAL_SCAN",
        lambda d: rule(d).update(scan_actions={"GUARDDUTY": {"scan_mode": assign("QUICK_SCAN")}}),
        good=lambda d: (
            rule(d).update(scan_actions={"GUARDDUTY": {"scan_mode": assign("INCREMENTAL_SCAN")}}),
            plan(d).update(
                scan_settings={
                    "GUARDDUTY": {
                        "resource_types": assign(["EBS", "S3"]),
                        "scanner_role_arn": assign("arn:aws:iam::$account:role/Scanner"),
                    }
                }
            ),
        ),
    ),
    Case(
        "index-resource-type",
        "enum-value",
        f"{RULE}.index_actions.resource_types",
        "'RDS' is not one of EBS, S3",
        lambda d: rule(d).update(index_actions={"resource_types": assign(["EBS", "RDS"])}),
        good=lambda d: rule(d).update(index_actions={"resource_types": assign(["EBS", "S3"])}),
    ),
    Case(
        "old-windows-vss",
        "windows-vss-spelling",
        f"{PLAN}.advanced_backup_settings.ec2.WindowsVSS",
        "old spelling",
        lambda d: plan(d).update(advanced_backup_settings={"ec2": {"WindowsVSS": assign("enabled")}}),
        severity="warning",
    ),
    Case(
        "scan-without-settings",
        "scan-settings-missing",
        f"{RULE}.scan_actions",
        "need plan-level scan_settings",
        lambda d: rule(d).update(scan_actions={"GUARDDUTY": {"scan_mode": assign("FULL_SCAN")}}),
        severity="warning",
    ),
    Case(
        "plans-list",
        "object-expected",
        "plans",
        "must be a JSON object",
        lambda d: d.update(plans=[]),
    ),
]

RULE_IDS = {
    "policy-json",
    "policy-size",
    "duplicate-key",
    "object-expected",
    "required-key",
    "unknown-key",
    "empty-object",
    "leaf-operator",
    "list-operator",
    "leaf-value-type",
    "child-operators",
    "placeholder-outside-arn",
    "name-pattern",
    "vault-name",
    "region-code",
    "schedule-syntax",
    "schedule-min-frequency",
    "schedule-missing",
    "schedule-timezone",
    "start-window-min",
    "completion-after-start",
    "completion-window-positive",
    "continuous-retention",
    "continuous-no-cold-storage",
    "cold-storage-plus-90",
    "retention-range",
    "warm-retention-advised",
    "number-value",
    "boolean-value",
    "copy-actions-shape",
    "copy-action-key",
    "copy-action-key-case",
    "copy-action-arn",
    "copy-action-count",
    "copy-default-vault",
    "lag-arn",
    "rds-cross-account-cross-region",
    "selection-kind",
    "tag-selection-count",
    "rule-count",
    "recovery-point-tag-count",
    "condition-count",
    "condition-operator",
    "resource-type",
    "iam-role-arn",
    "enum-value",
    "windows-vss-spelling",
    "scan-settings-missing",
}
TEXT_LEVEL_RULES = {"policy-json", "policy-size", "duplicate-key"}


def broken(case: Case) -> list[Finding]:
    document = case.base()
    case.bad(document)
    return validate_backup_policy(document)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_rule_fires_with_path_and_message(case: Case) -> None:
    findings = broken(case)
    hits = [finding for finding in findings if finding.rule == case.rule and finding.path == case.path]
    assert hits, f"expected {case.rule} at {case.path}; got {[str(f) for f in findings]}"
    assert any(case.fragment in finding.message for finding in hits), [finding.message for finding in hits]
    assert {finding.severity for finding in hits} == {case.severity}


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_rule_quiet_on_near_miss(case: Case) -> None:
    document = case.base()
    case.good(document)
    findings = validate_backup_policy(document)
    assert case.rule not in {finding.rule for finding in findings}, [str(f) for f in findings]


def test_every_rule_id_has_a_case() -> None:
    assert {case.rule for case in CASES} | TEXT_LEVEL_RULES == RULE_IDS


@pytest.mark.parametrize("build", [tag_policy, resource_policy], ids=["tags", "resources"])
def test_baselines_have_no_findings(build: Callable[[], Document]) -> None:
    assert validate_backup_policy(build()) == []


def test_text_and_mapping_agree() -> None:
    document = tag_policy()
    rule(document).update(start_backup_window_minutes=assign("30"))
    assert validate_backup_policy(json.dumps(document)) == validate_backup_policy(document)


def test_aws_documentation_example_has_no_errors() -> None:
    findings = validate_backup_policy(AWS_DOC_EXAMPLE)
    assert errors(findings) == []
    assert [finding.rule for finding in findings] == ["rds-cross-account-cross-region"]


def test_bare_numbers_and_booleans_are_accepted() -> None:
    """superwerker's integration test reads ``"@@assign": 30`` back from Organizations (corpus README)."""
    document = tag_policy()
    rule(document).update(
        start_backup_window_minutes=assign(60),
        complete_backup_window_minutes=assign(720.0),
        enable_continuous_backup=assign(False),
        lifecycle={
            "delete_after_days": assign(30),
            "opt_in_to_archive_for_supported_resources": assign(False),
        },
    )
    rule(document)["recovery_point_tags"]["owner"]["tag_value"] = assign(2)
    assert validate_backup_policy(document) == []


def test_trailing_comma_names_line_and_column() -> None:
    text = json.dumps(tag_policy(), indent=2).replace('"cron(0 5 ? * * *)"', '"cron(0 5 ? * * *)",')
    comma = text.index('"cron(0 5 ? * * *)",') + len('"cron(0 5 ? * * *)"')
    line = text.count("\n", 0, comma) + 1
    column = comma - text.rfind("\n", 0, comma)
    assert validate_backup_policy(text) == [
        Finding(
            "policy",
            None,
            "policy-json",
            f"invalid JSON: trailing comma at line {line} column {column} (JSON allows no comma before '}}' or ']')",
        )
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"plans": }', "invalid JSON at line 1 column 11"),
        ('{"plans": NaN}', "NaN is not a JSON value"),
        ("[" * 5_000, "invalid JSON"),
        (42, "content must be a JSON string or a mapping"),
        ({"plans": {"p": object()}}, "content cannot be written as JSON"),
    ],
    ids=["syntax", "nan", "deep", "not-text", "not-serialisable"],
)
def test_unusable_content(content: Any, fragment: str) -> None:
    findings = validate_backup_policy(content)
    assert [finding.rule for finding in findings] == ["policy-json"]
    assert fragment in findings[0].message


def test_root_must_be_an_object() -> None:
    assert [(f.path, f.rule) for f in validate_backup_policy("[]")] == [("policy", "object-expected")]


def test_duplicate_keys_are_reported_where_they_occur() -> None:
    """The HCL behind corpus 26 set start_backup_window_minutes twice; JSON parsers silently keep the last."""
    once = '"start_backup_window_minutes": {"@@assign": "60"}'
    twice = '"start_backup_window_minutes": {"@@assign": "300"}, ' + once
    text = json.dumps(tag_policy()).replace(once, twice)
    findings = validate_backup_policy(text)
    assert [(f.path, f.rule, f.value) for f in findings] == [
        (f"{RULE}.start_backup_window_minutes", "duplicate-key", "start_backup_window_minutes")
    ]
    assert "appears more than once" in findings[0].message


def test_size_limit_suggests_minifying_when_that_is_enough() -> None:
    document = tag_policy()
    padded = json.dumps(document, indent=60)
    assert len(padded) > 10_000
    findings = validate_backup_policy(padded)
    assert [f.rule for f in findings] == ["policy-size"]
    assert "send it minified" in findings[0].message


def test_size_limit_counts_the_minified_mapping() -> None:
    document = tag_policy()
    plans = document["plans"]
    for index in range(40):
        plans[f"Plan{index}"] = plans["OrgDaily"]
    findings = validate_backup_policy(document)
    assert [f.rule for f in findings] == ["policy-size"]
    assert "Organizations allows 10000" in findings[0].message
    assert "minified it is" not in findings[0].message


@pytest.mark.parametrize(
    ("selection", "regions", "expected"),
    [
        ({"resource_types": ["arn:aws:rds:*:*:cluster:*"]}, ["eu-west-1"], "error"),
        ({"resource_types": ["*"], "conditions": False}, ["eu-west-1"], "error"),
        ({"resource_types": ["*"]}, ["eu-west-1"], "warning"),
        ({"resource_types": ["arn:aws-us-gov:rds:*:*:db:*"]}, ["eu-west-1"], "error"),
        (
            {
                "resource_types": ["*"],
                "conditions": False,
                "not_resource_types": ["arn:aws:rds:*:*:cluster:*", "arn:aws:rds:*:*:db:*"],
            },
            ["eu-west-1"],
            None,
        ),
        ({"resource_types": ["arn:aws:dynamodb:*:*:table/*"]}, ["eu-west-1"], None),
        ({"resource_types": ["arn:aws:rds:*:*:db:*"]}, ["us-east-1"], None),
    ],
    ids=[
        "explicit-rds",
        "star",
        "star-with-conditions",
        "govcloud-rds",
        "star-without-rds",
        "no-rds",
        "in-region",
    ],
)
def test_rds_cross_account_cross_region(selection: dict[str, Any], regions: list[str], expected: str | None) -> None:
    document = resource_policy(**selection)
    plan(document)["regions"] = assign(regions)
    rule(document)["copy_actions"] = {OTHER_REGION_VAULT: copy_action(OTHER_REGION_VAULT)}
    severities = [f.severity for f in validate_backup_policy(document) if f.rule == "rds-cross-account-cross-region"]
    assert severities == ([] if expected is None else [expected])


def test_rds_rule_ignores_same_account_copies() -> None:
    same_account = "arn:aws:backup:us-east-1:$account:backup-vault:Replica"
    document = resource_policy(resource_types=["arn:aws:rds:*:*:db:*"])
    rule(document)["copy_actions"] = {same_account: copy_action(same_account)}
    assert validate_backup_policy(document) == []


def test_tag_selection_copy_cross_account_and_region_is_a_warning() -> None:
    document = tag_policy()
    rule(document)["copy_actions"] = {OTHER_REGION_VAULT: copy_action(OTHER_REGION_VAULT)}
    findings = validate_backup_policy(document)
    assert [(f.rule, f.severity) for f in findings] == [("rds-cross-account-cross-region", "warning")]
    assert "may select RDS/Aurora" in findings[0].message


def test_all_findings_are_reported_together() -> None:
    document = tag_policy()
    rule(document).update(
        schedule_expression=assign("cron(0 5 * * *)"),
        start_backup_window_minutes=assign("30"),
        copy_actions=[copy_action(CENTRAL_VAULT)],
    )
    plan(document)["selections"]["tags"]["Tagged"].pop("iam_role_arn")
    rules = {f.rule for f in validate_backup_policy(document)}
    assert {"schedule-syntax", "start-window-min", "copy-actions-shape", "required-key"} <= rules


def test_wrong_types_everywhere_do_not_double_report() -> None:
    document = tag_policy()
    rule(document).update(lifecycle={"delete_after_days": assign(["35"])}, copy_actions="none")
    findings = validate_backup_policy(document)
    assert sorted((f.path, f.rule) for f in findings) == [
        (f"{RULE}.copy_actions", "copy-actions-shape"),
        (f"{RULE}.lifecycle.delete_after_days", "leaf-value-type"),
    ]
