"""The table of validate_backup_policy cases: each rule's broken document and its near-miss fix, shared by the test_backup_policy_* files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .samples import (
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
