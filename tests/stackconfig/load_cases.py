"""The table test_load.py runs: for every configuration rule, a mistake in the prod stack and the exact finding it produces."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        parts = path.split("/")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(raw: dict[str, Any]) -> None:
        node: Any = raw
        parts = path.split("/")
        for part in parts[:-1]:
            node = node[part]
        del node[parts[-1]]

    return mutate


WEEKLY = "plans/weekly/rules/weekly"
DAILY = "plans/daily/rules/daily"
DB = "plans/critical-databases/rules"

# (mutation, expected path, expected rule, a fragment of the message)
CASES: list[tuple[str, Mutation, str, str, str]] = [
    (
        "cold+90",
        _set(f"{WEEKLY}/retention_days", 100),
        "plans.weekly.rules.weekly.retention_days",
        "cold-storage-plus-90",
        "retention_days 100 must be >= cold_storage_after_days 30 + 90",
    ),
    (
        "retention max",
        _set(f"{DAILY}/retention_days", 36501),
        "plans.daily.rules.daily.retention_days",
        "retention-range",
        "must be between 1 and 36500",
    ),
    (
        "continuous <= 35",
        _set(f"{DB}/continuous/retention_days", 36),
        "plans.critical-databases.rules.continuous.retention_days",
        "continuous-retention",
        "35-day maximum",
    ),
    (
        "start window",
        _set(f"{DAILY}/start_window_minutes", 30),
        "plans.daily.rules.daily.start_window_minutes",
        "start-window-min",
        "must be >= 60",
    ),
    (
        "five-field cron",
        _set(f"{DAILY}/schedule", "cron(0 5 * * *)"),
        "plans.daily.rules.daily.schedule",
        "schedule-syntax",
        "6-field",
    ),
    (
        "unknown preset",
        _set(f"{DAILY}/schedule", "nightly"),
        "plans.daily.rules.daily.schedule",
        "schedule-syntax",
        "",
    ),
    (
        "lock grace < 3",
        _set("vaults/central/lock/changeable_for_days", 2),
        "vaults.central.lock.changeable_for_days",
        "lock-changeable-range",
        "between 3 and 36500",
    ),
    (
        "lock max > 36500",
        _set("vaults/member/lock/max_retention_days", 40000),
        "vaults.member.lock.max_retention_days",
        "lock-max-range",
        "between 1 and 36500",
    ),
    (
        "lock max <= min",
        _set("vaults/member/lock/max_retention_days", 7),
        "vaults.member.lock.max_retention_days",
        "lock-max-above-min",
        "greater than min_retention_days 7",
    ),
    (
        "compliance without grace",
        _delete("vaults/central/lock/changeable_for_days"),
        "vaults.central.lock.changeable_for_days",
        "compliance-needs-grace",
        "mode compliance needs",
    ),
    (
        "governance with grace",
        _set("vaults/member/lock/changeable_for_days", 3),
        "vaults.member.lock.changeable_for_days",
        "governance-no-grace",
        "set mode: compliance",
    ),
    (
        "rule below member lock",
        _set(f"{DB}/hourly/retention_days", 3),
        "plans.critical-databases.rules.hourly.retention_days",
        "retention-within-lock",
        "below min_retention_days 7 of the locked vault vaults.member",
    ),
    (
        "copy above central lock",
        _set(f"{DAILY}/copies/0/retention_days", 500),
        "plans.daily.rules.daily.copies[0].retention_days",
        "retention-within-lock",
        "above max_retention_days 400 of the locked vault vaults.central",
    ),
    (
        "copy to a non-DR Region",
        _set(f"{DAILY}/copies/0/region", "eu-west-1"),
        "plans.daily.rules.daily.copies[0].region",
        "copy-region-dr",
        "dr_regions",
    ),
    (
        "RDS cross-account and cross-Region",
        _set("plans/daily/selections/resources/tagged-daily/not_resource_types", []),
        "plans.daily.rules.daily.copies[0]",
        "rds-cross-account-cross-region",
        "both cross-account and cross-Region",
    ),
    (
        "vault name pattern",
        _set("vaults/member/name", "my vault!"),
        "vaults.member.name",
        "vault-name",
        "must match",
    ),
    (
        "rule name pattern",
        _set("plans/weekly/rules", {"week ly": {"schedule": "weekly", "retention_days": 35}}),
        "plans.weekly.rules.week ly",
        "rule-name",
        "must match",
    ),
    (
        "plan name pattern",
        lambda raw: raw["plans"].update({"bad plan": raw["plans"]["weekly"]}),
        "plans.bad plan",
        "plan-name",
        "must match",
    ),
    (
        "case collision",
        lambda raw: raw["plans"].update({"Weekly": raw["plans"]["weekly"]}),
        "plans.Weekly",
        "duplicate-name",
        "'Weekly' and 'weekly' collide once AWS lower-cases policy identifiers: rename one",
    ),
    (
        "unknown key",
        _set(f"{DAILY}/retension_days", 3),
        "plans.daily.rules.daily.retension_days",
        "unknown-key",
        "did you mean 'retention_days'",
    ),
    ("unknown section", lambda raw: raw.update({"plan": {}}), "plan", "unknown-key", "did you mean 'plans'"),
    ("missing section", _delete("vaults"), "vaults", "required", "'org-backup:vaults' is required"),
    (
        "wrong type",
        _set(f"{DAILY}/retention_days", "a month"),
        "plans.daily.rules.daily.retention_days",
        "type:int_parsing",
        "must be a whole number, got the text 'a month'",
    ),
    (
        "bad Region",
        _set("organization/dr_regions", ["us-weest-2"]),
        "organization.dr_regions[0]",
        "region-unknown",
        "'us-weest-2' is not an AWS Region of partition aws (botocore",
    ),
    (
        "admin is management",
        _set("organization/backup_admin_account_id", "111111111111"),
        "organization.backup_admin_account_id",
        "delegated-admin-not-management",
        "must be a member account",
    ),
    (
        "duplicate Region",
        _set("organization/workload_regions", ["us-east-1", "us-east-1"]),
        "organization.workload_regions[1]",
        "duplicate",
        "Region 'us-east-1' is already listed at [0]",
    ),
    (
        "plan Region outside workload",
        _set("plans/weekly/regions", ["ap-south-1"]),
        "plans.weekly.regions[0]",
        "plan-region",
        "not one of organization.workload_regions",
    ),
    (
        "unknown plan target",
        _set("plans/weekly/targets", ["prd"]),
        "plans.weekly.targets[0]",
        "plan-target",
        "not a targeted OU",
    ),
    (
        "both selection kinds",
        _set("plans/weekly/selections/tags", {"weekly": {"key": "backup", "values": ["weekly"]}}),
        "plans.weekly.selections",
        "selection-kind",
        "exactly one of",
    ),
    (
        "unsupported resource type",
        _set("plans/daily/selections/resources/tagged-daily/resource_types", ["arn:aws:lambda:*:*:function/*"]),
        "plans.daily.selections.resources.tagged-daily.resource_types[0]",
        "resource-type",
        "not a resource type",
    ),
    (
        "too many copies",
        _set(f"{DAILY}/copies", [{"region": "us-west-2", "retention_days": 90 + i} for i in range(6)]),
        "plans.daily.rules.daily.copies",
        "copies-per-rule",
        "at most 5",
    ),
    (
        "too many rules",
        _set("plans/weekly/rules", {f"r{i}": {"schedule": "weekly", "retention_days": 35} for i in range(11)}),
        "plans.weekly.rules",
        "rules-per-plan",
        "at most 10 rules",
    ),
    (
        "central vault is Default",
        _set("vaults/central/name", "Default"),
        "vaults.central.name",
        "copy-not-default-vault",
        "Default vault",
    ),
    (
        "same vault names",
        _set("vaults/central/name", "org-backup"),
        "vaults.central.name",
        "vault-names-differ",
        "name of its own",
    ),
    (
        "too many break-glass roles",
        _set("vaults/member/break_glass_role_names", [f"r{i}" for i in range(5)]),
        "vaults.member.break_glass_role_names",
        "break-glass-max",
        "at most 4",
    ),
    (
        "targeted and excluded",
        _set("targets/exclude_organizational_units", ["ou-ab12-11111111"]),
        "targets.organizational_units[0].id",
        "target-excluded",
        "both targeted and excluded",
    ),
    (
        "archive without cold",
        _set(f"{DAILY}/archive", True),
        "plans.daily.rules.daily.archive",
        "archive-needs-cold",
        "cold_storage_after_days",
    ),
    (
        "unknown control",
        _set("audit/controls", {"BACKUP_FOO": {}}),
        "audit.controls.BACKUP_FOO",
        "audit-control",
        "is not an Audit Manager control",
    ),
    (
        "unknown control parameter",
        _set(
            "audit/controls",
            {"BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK": {"parameters": {"retentionDays": "35"}}},
        ),
        "audit.controls.BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK.parameters.retentionDays",
        "audit-parameter",
        "takes no 'retentionDays'",
    ),
    (
        "unknown report template",
        _set("audit/reports", ["BACKUP_REPORT"]),
        "audit.reports[0]",
        "report-template",
        "is not a report template",
    ),
    (
        "bucket name",
        _set("audit/report_bucket_name", "xn--reports"),
        "audit.report_bucket_name",
        "bucket-name",
        "reserved prefix",
    ),
    (
        "OU path outside the organization",
        _set("vaults/central/allowed_organization_paths", ["o-zzzzzzzzzz/r-ab12/*"]),
        "vaults.central.allowed_organization_paths[0]",
        "organization-path",
        "OU path",
    ),
    (
        "extra statement with an unconditioned wildcard principal",
        _set(
            "vaults/central/extra_access_policy_statements",
            [
                {
                    "Sid": "AllowCopyIn",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "backup:CopyIntoBackupVault",
                    "Resource": "*",
                }
            ],
        ),
        "vaults.central.extra_access_policy_statements[0]",
        "wildcard-principal-org-condition",
        "aws:PrincipalOrgID",
    ),
    ("JSON reports", _set("audit/formats", ["CSV", "JSON"]), "audit.formats", "report-format-csv-only", "CSV only"),
    (
        "email endpoint",
        _set("alerting/subscriptions", [{"protocol": "email", "endpoint": "oncall"}]),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "email address",
    ),
    (
        "restore start window",
        _set("restore_testing/start_window_hours", 200),
        "restore_testing.start_window_hours",
        "restore-start-window",
        "between 1 and 168",
    ),
    (
        "air-gapped min < 7",
        _set("vaults/central/air_gapped", {"min_retention_days": 3, "max_retention_days": 30}),
        "vaults.central.air_gapped.min_retention_days",
        "lag-min-retention",
        ">= 7",
    ),
    (
        "air-gapped Region",
        _set(
            "vaults/central/air_gapped",
            {"min_retention_days": 7, "max_retention_days": 30, "regions": ["ca-west-1"]},
        ),
        "vaults.central.air_gapped.regions[0]",
        "lag-region",
        "not available in ca-west-1",
    ),
    (
        "copy into itself",
        _set(f"{DAILY}/copies", [{"region": "us-east-1", "destination": "member", "retention_days": 35}]),
        "plans.daily.rules.daily.copies[0].region",
        "copy-to-itself",
        "into itself",
    ),
    (
        "listed source without accounts",
        _set("accounts", {"source": "listed"}),
        "accounts.listed",
        "accounts-listed-empty",
        "at least one account",
    ),
    (
        "crossAccountList over 5",
        _set(
            "audit/controls",
            {
                "BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT": {
                    "parameters": {"crossAccountList": ",".join(str(100000000000 + i) for i in range(6))}
                }
            },
        ),
        "audit.controls.BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT.parameters.crossAccountList",
        "audit-list-max",
        "at most 5",
    ),
    (
        "too many conditions",
        _set(
            "plans/daily/selections/resources/tagged-daily/conditions",
            {"string_equals": {f"aws:ResourceTag/k{i}": "v" for i in range(31)}},
        ),
        "plans.daily.selections.resources.tagged-daily.conditions",
        "conditions-per-selection",
        "at most 30",
    ),
    (
        "member copy outside workload Regions",
        _set(f"{DAILY}/copies", [{"region": "us-west-2", "destination": "member", "retention_days": 35}]),
        "plans.daily.rules.daily.copies[0].region",
        "copy-region-member",
        "workload_regions",
    ),
    (
        "air-gapped Region not DR",
        _set(
            "vaults/central/air_gapped", {"min_retention_days": 7, "max_retention_days": 30, "regions": ["eu-west-1"]}
        ),
        "vaults.central.air_gapped.regions[0]",
        "lag-region-dr",
        "not one of organization.dr_regions",
    ),
    (
        "GovCloud Region in aws partition",
        _set("organization/dr_regions", ["us-gov-west-1"]),
        "organization.dr_regions[0]",
        "region-partition",
        "us-gov-west-1 is a Region of partition aws-us-gov, but organization.partition is aws",
    ),
    (
        "custom policy name",
        _set("backup_policies/custom", {"bad name": {"targets": ["prod"], "content": "{}"}}),
        "backup_policies.custom.bad name",
        "policy-name",
        "must match",
    ),
    (
        "custom policy empty",
        _set("backup_policies/custom", {"team": {"targets": ["prod"], "content": " "}}),
        "backup_policies.custom.team.content",
        "policy-content",
        "empty",
    ),
    (
        "custom policy target",
        _set("backup_policies/custom", {"team": {"targets": ["nowhere"], "content": "{}"}}),
        "backup_policies.custom.team.targets[0]",
        "policy-target",
        "OU id, an account id",
    ),
    (
        "too many recovery point tags",
        _set(f"{DAILY}/recovery_point_tags", {f"k{i}": "v" for i in range(11)}),
        "plans.daily.rules.daily.recovery_point_tags",
        "recovery-point-tags",
        "at most 10",
    ),
    (
        "selection name",
        _set("plans/daily/selections/resources", {"tagged daily": {"resource_types": ["*"]}}),
        "plans.daily.selections.tagged daily",
        "selection-name",
        "must match",
    ),
    (
        "too many tag selections",
        _set("plans/weekly/selections", {"tags": {f"s{i}": {"key": "k", "values": ["v"]} for i in range(11)}}),
        "plans.weekly.selections.tags",
        "tag-selections-per-plan",
        "at most 10",
    ),
    ("empty plan tag key", _set("plans/daily/tags", {"": "x"}), "plans.daily.tags", "tag-key", "cannot be empty"),
    ("no targets", _set("targets", {"exclude_accounts": []}), "targets", "targets-empty", "at least one OU"),
    (
        "restore selection window",
        _set("restore_testing/selection_window_days", 400),
        "restore_testing.selection_window_days",
        "restore-selection-window",
        "between 1 and 365",
    ),
    (
        "restore without selections",
        _set("restore_testing/selections", {}),
        "restore_testing.selections",
        "restore-selections",
        "at least one selection",
    ),
    (
        "restore ARNs and wildcard",
        _set(
            "restore_testing/selections/ebs_volumes/resource_arns",
            ["*", "arn:aws:ec2:us-east-1:444444444403:volume/vol-1"],
        ),
        "restore_testing.selections.ebs_volumes.resource_arns",
        "restore-arns",
        "not both",
    ),
    (
        "restore validation window",
        _set("restore_testing/selections/ebs_volumes/validation_window_hours", 0),
        "restore_testing.selections.ebs_volumes.validation_window_hours",
        "restore-validation-window",
        "between 1 and 168",
    ),
    (
        "restore selection name",
        _set("restore_testing/selections", {"ebs-volumes": {"resource_type": "EBS"}}),
        "restore_testing.selections.ebs-volumes",
        "restore-selection-name",
        "letters, digits and underscores",
    ),
    (
        "inventory file placeholder",
        _set("accounts/inventory_file", "inventory/{stak}.yaml"),
        "accounts.inventory_file",
        "inventory-file-pattern",
        "only placeholder is {stack}",
    ),
    (
        "organization path outside the organization",
        _set("vaults/central/allowed_organization_paths", ["o-zzzzzzzzzz/r-ab12/*"]),
        "vaults.central.allowed_organization_paths[0]",
        "organization-path",
        "is not inside organization o-a1b2c3d4e5",
    ),
    (
        "report bucket name",
        _set("audit/report_bucket_name", "org..backup"),
        "audit.report_bucket_name",
        "bucket-name",
        "two adjacent periods",
    ),
]
