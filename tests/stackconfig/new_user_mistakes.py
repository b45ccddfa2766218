"""Issue 10, tried as a new user would: the table of realistic mistakes in the prod and staging stack files.

Each mistake is one edit of ``Pulumi.prod.yaml`` or ``Pulumi.staging.yaml``, run through the offline preview
(``org_backup.preview.command.build_preview``, what ``make preview`` runs). Each must fail (exit 2 for the configuration,
1 for the policy pack where the pack is the layer that owns the rule), with exactly one error, at the path to
change, saying the rule in plain words (test_new_user_mistakes.py checks each).
``python -m tests.stackconfig.new_user_mistakes`` prints the table of (mistake, message now).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

from tests.stackconfig.mistake_edits import Mistake, data, delete, inventory, preview, put, rename, sub

DAILY = ("plans", "daily", "rules", "daily")
DENY_ALL = {"Sid": "DenyDelete", "Effect": "Deny", "Principal": "*", "Action": "backup:*", "Resource": "*"}
NOT_PRINCIPAL_DENY = {
    "Sid": "DenyAllButBreakGlass",
    "Effect": "Deny",
    "NotPrincipal": {"AWS": "arn:aws:iam::333333333333:role/BackupBreakGlass"},
    "Action": ["backup:DeleteRecoveryPoint", "backup:PutBackupVaultAccessPolicy"],
    "Resource": "*",
}

MISTAKES: Sequence[Mistake] = [
    # ---------------------------------------------------------------- keys and types
    Mistake("section-key-typo", sub("org-backup:plans:", "org-backup:plan:"), 2, "plan", "did you mean 'plans'"),
    Mistake(
        "namespace-typo",
        sub("org-backup:restore_testing:", "org_backup:restore_testing:"),
        2,
        "org_backup:restore_testing",
        "did you mean 'org-backup:restore_testing'",
    ),
    Mistake(
        "nested-key-typo",
        rename(*DAILY, "retention_days", "retention_day"),
        2,
        "plans.daily.rules.daily.retention_day",
        "did you mean 'retention_days'",
    ),
    Mistake(
        "key-in-wrong-section",
        sub(
            "    dr_regions: [us-west-2]\n", "    dr_regions: [us-west-2]\n    backup_role_name: OrgBackupServiceRole\n"
        ),
        2,
        "organization.backup_role_name",
        "unknown key 'backup_role_name'",
    ),
    Mistake(
        "lock-mode-typo",
        put("vaults", "central", "lock", "mode", "compliant"),
        2,
        "vaults.central.lock.mode",
        "must be one of 'governance', 'compliance'",
    ),
    Mistake(
        "retention-with-unit",
        put(*DAILY, "retention_days", "35 days"),
        2,
        "plans.daily.rules.daily.retention_days",
        "must be a whole number",
    ),
    Mistake(
        "regions-as-text",
        put("organization", "dr_regions", "us-west-2"),
        2,
        "organization.dr_regions",
        "must be a list",
    ),
    Mistake(
        "copy-destination-typo",
        put(*DAILY, "copies", [{"region": "us-west-2", "destination": "centrall"}]),
        2,
        "plans.daily.rules.daily.copies[0].destination",
        "must be one of 'central', 'member'",
    ),
    Mistake("missing-section", delete("vaults"), 2, "vaults", "'org-backup:vaults' is required"),
    Mistake(
        "duplicate-plan-name",
        sub("\n    critical-databases:\n", "\n    weekly:\n      targets: [prod]\n    critical-databases:\n"),
        2,
        "plans.weekly",
        "defined twice",
    ),
    Mistake(
        "plan-names-differ-in-case",
        data(lambda s: s["plans"].update(Daily=s["plans"]["daily"])),
        2,
        "plans.Daily",
        "collide once AWS lower-cases",
    ),
    # ---------------------------------------------------------------- account and OU ids
    Mistake(
        "management-id-one-digit-off",
        put("organization", "management_account_id", "111111111112"),
        2,
        "organization.management_account_id",
        "did you mean 111111111111",
    ),
    Mistake(
        "admin-id-eleven-digits",
        put("organization", "backup_admin_account_id", "22222222222"),
        2,
        "organization.backup_admin_account_id",
        "must be 12 digits, got 11",
    ),
    Mistake(
        "account-id-unquoted",
        sub('backup_admin_account_id: "222222222222"', "backup_admin_account_id: 222222222222"),
        2,
        "organization.backup_admin_account_id",
        "quote it",
    ),
    Mistake(
        "central-account-outside-org",
        put("organization", "central_vault_account_id", "999999999999"),
        2,
        "organization.central_vault_account_id",
        "is not an account of the organization",
    ),
    Mistake(
        "ou-id-one-digit-off",
        sub("id: ou-ab12-11111111", "id: ou-ab12-11111112"),
        2,
        "targets.organizational_units[0].id",
        "did you mean ou-ab12-11111111",
    ),
    Mistake(
        "account-id-where-ou-id-goes",
        sub("id: ou-ab12-22222222", 'id: "555555555501"'),
        2,
        "targets.organizational_units[1].id",
        "an account id",
    ),
    Mistake(
        "ou-id-where-account-id-goes",
        put("targets", "accounts", ["ou-ab12-55555555"]),
        2,
        "targets.accounts[0]",
        "an OU id",
    ),
    Mistake(
        "excluded-ou-typo",
        sub("[ou-ab12-33333333]", "[ou-ab12-33333334]"),
        2,
        "targets.exclude_organizational_units[0]",
        "did you mean ou-ab12-33333333",
    ),
    Mistake(
        "excluded-account-digits-swapped",
        sub('["444444444406"]', '["444444444460"]'),
        2,
        "targets.exclude_accounts[0]",
        "did you mean 444444444406",
    ),
    Mistake(
        "organization-id-typo",
        put("organization", "id", "o-a1b2c3d4e6"),
        2,
        "organization.id",
        "describes organization o-a1b2c3d4e5",
    ),
    Mistake(
        "admin-is-management",
        put("organization", "backup_admin_account_id", "111111111111"),
        2,
        "organization.backup_admin_account_id",
        "must be a member account",
    ),
    # ---------------------------------------------------------------- Regions
    Mistake(
        "workload-region-misspelled",
        put("organization", "workload_regions", ["us-east1", "eu-west-1"]),
        2,
        "organization.workload_regions[0]",
        "did you mean us-east-1",
    ),
    Mistake(
        "dr-region-not-real",
        put("organization", "dr_regions", ["us-west-9"]),
        2,
        "organization.dr_regions[0]",
        "is not an AWS Region",
    ),
    Mistake(
        "dr-region-other-partition",
        put("organization", "dr_regions", ["us-gov-west-1"]),
        2,
        "organization.dr_regions[0]",
        "partition aws-us-gov",
    ),
    Mistake(
        "copy-region-not-dr",
        put(*DAILY, "copies", [{"region": "eu-west-2", "retention_days": 90}]),
        2,
        "plans.daily.rules.daily.copies[0].region",
        "organization.dr_regions",
    ),
    Mistake(
        "plan-region-not-workload",
        put("plans", "weekly", "regions", ["us-east-1", "us-west-1"]),
        2,
        "plans.weekly.regions[1]",
        "not one of organization.workload_regions",
    ),
    Mistake(
        "air-gapped-region-unsupported",
        put(
            "vaults",
            "central",
            "air_gapped",
            {"min_retention_days": 7, "max_retention_days": 400, "regions": ["ca-west-1"]},
        ),
        2,
        "vaults.central.air_gapped.regions[0]",
        "logically air-gapped vaults are not available",
    ),
    # ---------------------------------------------------------------- retention, locks, cold storage
    Mistake(
        "copy-retention-over-central-max",
        put(*DAILY, "copies", [{"region": "us-west-2", "retention_days": 500}]),
        2,
        "plans.daily.rules.daily.copies[0].retention_days",
        "400",
    ),
    Mistake(
        "retention-under-member-min",
        put("plans", "critical-databases", "rules", "hourly", "retention_days", 3),
        2,
        "plans.critical-databases.rules.hourly.retention_days",
        "7",
    ),
    Mistake(
        "lock-min-above-max",
        put("vaults", "central", "lock", "min_retention_days", 500),
        2,
        "vaults.central.lock.max_retention_days",
        "min_retention_days 500",
    ),
    Mistake(
        "compliance-without-grace",
        delete("vaults", "central", "lock", "changeable_for_days"),
        2,
        "vaults.central.lock.changeable_for_days",
        "grace period",
    ),
    Mistake(
        "grace-too-short",
        put("vaults", "central", "lock", "changeable_for_days", 1),
        2,
        "vaults.central.lock.changeable_for_days",
        "3",
    ),
    Mistake(
        "cold-storage-too-close-to-deletion",
        put("plans", "weekly", "rules", "weekly", "retention_days", 100),
        2,
        "plans.weekly.rules.weekly.retention_days",
        "+ 90",
    ),
    Mistake(
        "keep-forever-under-lock-max",
        put("plans", "monthly", "rules", "monthly", "retention_days", -1),
        2,
        "plans.monthly.rules.monthly.retention_days",
        "400",
    ),
    Mistake(
        "kms-window-short",
        put("vaults", "member", "key", {"deletion_window_days": 7}),
        2,
        "vaults.member.key.deletion_window_days",
        "must be 30",
    ),
    Mistake(
        "central-lock-removed-while-copying",
        delete("vaults", "central", "lock"),
        2,
        "vaults.central.lock",
        "has no Vault Lock",
    ),
    Mistake(
        "central-lock-governance-while-copying",
        put("vaults", "central", "lock", {"mode": "governance", "min_retention_days": 30, "max_retention_days": 400}),
        1,
        "vaults.central.lock.mode",
        "governance mode",
        policy="backup-copy-destination-locked",
    ),
    Mistake(
        "copy-into-governance-member-vault",
        data(
            lambda s: s["plans"]["weekly"].update(
                regions=["us-east-1"],
                rules={
                    "weekly": {
                        **s["plans"]["weekly"]["rules"]["weekly"],
                        "copies": [{"region": "eu-west-1", "destination": "member", "retention_days": 180}],
                    }
                },
            )
        ),
        1,
        "vaults.member.lock.mode",
        "governance mode",
        policy="backup-copy-destination-locked",
    ),
    # ---------------------------------------------------------------- schedules and windows
    Mistake(
        "cron-five-fields",
        put(*DAILY, "schedule", "cron(0 5 * * *)"),
        2,
        "plans.daily.rules.daily.schedule",
        "has 5 fields",
    ),
    Mistake(
        "rate-expression",
        put(*DAILY, "schedule", "rate(1 day)"),
        2,
        "plans.daily.rules.daily.schedule",
        "only cron(...)",
    ),
    Mistake(
        "preset-misspelled",
        put(*DAILY, "schedule", "dialy"),
        2,
        "plans.daily.rules.daily.schedule",
        "did you mean 'daily'",
    ),
    Mistake(
        "every-15-minutes",
        put(*DAILY, "schedule", "cron(0/15 * ? * * *)"),
        2,
        "plans.daily.rules.daily.schedule",
        "hourly",
    ),
    Mistake(
        "start-window-30",
        put(*DAILY, "start_window_minutes", 30),
        2,
        "plans.daily.rules.daily.start_window_minutes",
        "60",
    ),
    Mistake(
        "completion-window-zero",
        put(*DAILY, "completion_window_minutes", 0),
        2,
        "plans.daily.rules.daily.completion_window_minutes",
        "got 0",
    ),
    # ---------------------------------------------------------------- plans, targets, selections
    Mistake(
        "plan-target-unknown-name",
        put("plans", "weekly", "targets", ["production"]),
        2,
        "plans.weekly.targets[0]",
        "is not a targeted OU",
    ),
    Mistake(
        "plan-target-excluded-ou-name",
        put("plans", "weekly", "targets", ["sandbox"]),
        2,
        "plans.weekly.targets[0]",
        "is not a targeted OU",
    ),
    Mistake(
        "tag-key-written-as-condition-key",
        put(
            "plans",
            "weekly",
            "selections",
            {"tags": {"weekly": {"key": "aws:ResourceTag/backup", "values": ["weekly"]}}},
        ),
        2,
        "plans.weekly.selections.tags.weekly.key",
        "aws:",
    ),
    Mistake(
        "condition-key-with-colon",
        put(
            "plans",
            "weekly",
            "selections",
            "resources",
            "tagged-weekly",
            "conditions",
            {"string_equals": {"aws:ResourceTag:backup-weekly": "true"}},
        ),
        2,
        "plans.weekly.selections.resources.tagged-weekly.conditions.string_equals.aws:ResourceTag:backup-weekly",
        "aws:ResourceTag/",
    ),
    Mistake(
        "condition-key-without-aws-prefix",
        put(
            "plans",
            "weekly",
            "selections",
            "resources",
            "tagged-weekly",
            "conditions",
            {"string_equals": {"ResourceTag/backup-weekly": "true"}},
        ),
        2,
        "plans.weekly.selections.resources.tagged-weekly.conditions.string_equals.ResourceTag/backup-weekly",
        "aws:ResourceTag/",
    ),
    Mistake(
        "wildcard-in-string-equals",
        put(
            "plans",
            "weekly",
            "selections",
            "resources",
            "tagged-weekly",
            "conditions",
            {"string_equals": {"aws:ResourceTag/backup-weekly": "tru*"}},
        ),
        2,
        "plans.weekly.selections.resources.tagged-weekly.conditions.string_equals.aws:ResourceTag/backup-weekly",
        "string_like",
    ),
    Mistake(
        "both-tags-and-resources",
        put("plans", "weekly", "selections", "tags", {"weekly": {"key": "backup", "values": ["weekly"]}}),
        2,
        "plans.weekly.selections",
        "exactly one of",
    ),
    Mistake(
        "rds-copied-cross-account-and-region",
        put("plans", "critical-databases", "rules", "continuous", "copies", [{"region": "us-west-2"}]),
        2,
        "plans.critical-databases.rules.continuous.copies[0]",
        "RDS",
    ),
    Mistake(
        "copy-into-itself",
        put(*DAILY, "copies", [{"region": "us-east-1", "destination": "member"}]),
        2,
        "plans.daily.rules.daily.copies[0].region",
        "into itself",
    ),
    # ---------------------------------------------------------------- restore testing, alerting, vault policies
    Mistake(
        "restore-testing-in-excluded-account",
        put("restore_testing", "accounts", ["444444444406"]),
        2,
        "restore_testing.accounts[0]",
        "excluded",
    ),
    Mistake(
        "restore-testing-account-outside-org",
        put("restore_testing", "accounts", ["444444444499"]),
        2,
        "restore_testing.accounts[0]",
        "is not an account of the organization",
    ),
    Mistake(
        "restore-testing-schedule-misspelled",
        put("restore_testing", "schedule", "weakly"),
        2,
        "restore_testing.schedule",
        "did you mean 'weekly'",
    ),
    Mistake(
        "alert-email-without-domain",
        sub("backup-oncall@example.com", "backup-oncall@example"),
        2,
        "alerting.subscriptions[0].endpoint",
        "email address",
    ),
    Mistake(
        "alert-protocol-typo",
        sub("protocol: email", "protocol: e-mail"),
        2,
        "alerting.subscriptions[0].protocol",
        "must be one of",
    ),
    Mistake(
        "alert-https-without-scheme",
        put("alerting", "subscriptions", [{"protocol": "https", "endpoint": "hooks.example.com/backup"}]),
        2,
        "alerting.subscriptions[0].endpoint",
        "https://",
    ),
    Mistake(
        "alert-sqs-queue-url",
        put(
            "alerting",
            "subscriptions",
            [{"protocol": "sqs", "endpoint": "https://sqs.us-east-1.amazonaws.com/111111111111/alerts"}],
        ),
        2,
        "alerting.subscriptions[0].endpoint",
        "ARN of an SQS queue",
    ),
    Mistake(
        "vault-statement-denies-everyone",
        put("vaults", "central", "extra_access_policy_statements", [DENY_ALL]),
        2,
        "vaults.central.extra_access_policy_statements[0]",
        "pulumi up",
    ),
    Mistake(
        "vault-statement-not-principal",
        put("vaults", "central", "extra_access_policy_statements", [NOT_PRINCIPAL_DENY]),
        2,
        "vaults.central.extra_access_policy_statements[0]",
        "NotPrincipal",
    ),
    # ---------------------------------------------------------------- inventory and listed accounts
    Mistake(
        "inventory-file-missing",
        sub("inventory/{stack}.yaml", "inventory/{stack}-2025.yaml"),
        2,
        "accounts.inventory_file",
        "does not exist",
    ),
    Mistake(
        "inventory-placeholder-typo",
        sub("inventory/{stack}.yaml", "inventory/{stak}.yaml"),
        2,
        "accounts.inventory_file",
        "{stack}",
    ),
    Mistake(
        "inventory-file-malformed",
        inventory("organization_id: o-a1b2c3d4e5\nroot_id: r-ab12\naccounts: [prod-payments]\n"),
        2,
        "accounts.inventory_file",
        "inventory",
    ),
    Mistake(
        "staging-listed-partial",
        sub('      - {id: "700000000001", name: management, parent_id: r-cd34}\n', ""),
        2,
        "organization.management_account_id",
        "list every account",
        stack="staging",
    ),
    Mistake(
        "staging-listed-parent-typo",
        sub("name: staging-app, parent_id: ou-cd34-77777777", "name: staging-app, parent_id: ou-cd34-77777778"),
        2,
        "accounts.listed[2].parent_id",
        "did you mean ou-cd34-77777777",
        stack="staging",
    ),
    Mistake(
        "staging-target-ou-one-digit-off",
        sub("id: ou-cd34-77777777\n", "id: ou-cd34-77777778\n"),
        2,
        "targets.organizational_units[0].id",
        "did you mean ou-cd34-77777777",
        stack="staging",
    ),
    Mistake(
        "staging-nested-ou-not-declared",
        sub(
            'parent_id: ou-cd34-77777777}\n      - {id: "700000000012", name: staging-data, parent_id: ou-cd34-77777777}',
            'parent_id: ou-cd34-99999999}\n      - {id: "700000000012", name: staging-data, parent_id: ou-cd34-99999999}',
        ),
        2,
        "accounts.listed[2].parent_id",
        "also the parent of staging-app, staging-data",
        stack="staging",
    ),
    Mistake(
        "staging-source-typo",
        sub("source: listed", "source: list"),
        2,
        "accounts.source",
        "must be one of",
        stack="staging",
    ),
    Mistake(
        "staging-listed-id-unquoted",
        sub('{id: "700000000012"', "{id: 700000000012"),
        2,
        "accounts.listed[3].id",
        "quote it",
        stack="staging",
    ),
    Mistake(
        "staging-listed-id-duplicated",
        sub('{id: "700000000012"', '{id: "700000000011"'),
        2,
        "accounts.listed[3].id",
        "already listed",
        stack="staging",
    ),
    Mistake(
        "staging-central-not-listed",
        put("organization", "central_vault_account_id", "700000000003"),
        2,
        "organization.central_vault_account_id",
        "list every account",
        stack="staging",
    ),
    Mistake(
        "lock-mode-capitalised",
        put("vaults", "member", "lock", "mode", "Governance"),
        2,
        "vaults.member.lock.mode",
        "'governance', 'compliance'",
    ),
]


def main(argv: Sequence[str]) -> None:
    """Print the table of mistakes and what a user sees now (markdown), optionally for some ids only."""
    import tempfile

    print("| mistake | exit | errors | message now |")
    print("|---|---|---|---|")
    for mistake in MISTAKES:
        if argv and mistake.id not in argv:
            continue
        with tempfile.TemporaryDirectory() as where:
            try:
                outcome = preview(mistake, Path(where))
            except Exception as exc:
                print(f"| {mistake.id} | crash | | {type(exc).__name__}: {exc} |")
                continue
        shown = " / ".join(re.sub(r"\s+", " ", m) for _, m in outcome.errors) or "(none)"
        print(f"| {mistake.id} | {outcome.exit} | {len(outcome.errors)} | {shown} |")


if __name__ == "__main__":
    main(sys.argv[1:])
