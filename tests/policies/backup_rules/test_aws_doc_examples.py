"""Every backup policy AWS documents passes the validator without an error (aws_doc_examples.py has the URLs).

Two documented examples break a rule the same page states as a "must": example 3's copy lifecycle and example
5's parent rule keep recovery points fewer than 90 days after moving them to cold storage ("the
delete_after_days must be 90 days greater than move_to_cold_storage_after_days", rules table, lifecycle row; the
AWS Backup API says the same: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_Lifecycle.html). The
validator keeps that rule, and these tests pin that it is the only error those two examples get.
"""

from __future__ import annotations

from typing import Any

import pytest

from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.findings import errors

from . import aws_doc_examples as doc

COLD_PLUS_90 = "cold-storage-plus-90"
HOURLY = "plans.PII_Backup_Plan.rules.Hourly"
SECONDARY = f"{HOURLY}.copy_actions.arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault"
TERTIARY = f"{HOURLY}.copy_actions.arn:aws:backup:us-west-1:111111111111:backup-vault:tertiary_vault"
ARCHIVED_RULE = "plans.PII_Backup_Plan.rules.My_Hourly_Rule"
ARCHIVED_TERTIARY = f"{ARCHIVED_RULE}.copy_actions.arn:aws:backup:us-east-1:$account:backup-vault:My_Tertiary_Vault"

CLEAN: list[tuple[str, Any, set[tuple[str, str]]]] = [
    # (name, document, expected warnings as (rule, path))
    ("example 1 parent", doc.EXAMPLE_1_PARENT, {("rds-cross-account-cross-region", TERTIARY)}),
    ("example 2 parent", doc.EXAMPLE_2_PARENT, set()),
    ("example 2 child: same-account copy to Default", doc.EXAMPLE_2_CHILD, set()),
    ("example 4 parent", doc.example_4_parent(), set()),
    (
        "example 5 child: no selections, the parent supplies them",
        doc.EXAMPLE_5_CHILD,
        {("required-key", "plans.PII_Backup_Plan.selections")},
    ),
    ("example 6: tags block with conditions", doc.wrap_selections(doc.EXAMPLE_6_SELECTIONS), set()),
    *[(f"example 7: {name}", doc.wrap_selections(text), set()) for name, text in doc.EXAMPLE_7_RESOURCES.items()],
    ("example 8: malware scanning", doc.EXAMPLE_8_MALWARE_SCAN, set()),
    (
        "advanced_backup_settings snippet",
        doc.wrap_plan_keys(advanced_backup_settings=doc.ADVANCED_SETTINGS_SNIPPET),
        set(),
    ),
    ("create page: copy action without target_backup_vault_arn", doc.CREATE_PAGE_EXAMPLE, set()),
    (
        "archived syntax example: key differs from target, WindowsVSS",
        doc.ARCHIVED_SYNTAX_EXAMPLE,
        {
            ("copy-action-key", f"{ARCHIVED_TERTIARY}.target_backup_vault_arn"),
            ("rds-cross-account-cross-region", ARCHIVED_TERTIARY),
            ("windows-vss-spelling", "plans.PII_Backup_Plan.advanced_backup_settings.ec2.WindowsVSS"),
        },
    ),
]


@pytest.mark.parametrize(("name", "document", "warnings"), CLEAN, ids=[case[0] for case in CLEAN])
def test_documented_example_has_no_error(name: str, document: Any, warnings: set[tuple[str, str]]) -> None:
    findings = validate_backup_policy(document)
    assert errors(findings) == [], [str(f) for f in findings]
    assert {(f.rule, f.path) for f in findings} == warnings


@pytest.mark.parametrize(
    ("document", "path"),
    [
        (doc.EXAMPLE_3_PARENT, f"{SECONDARY}.lifecycle.delete_after_days"),
        (doc.EXAMPLE_5_PARENT, f"{HOURLY}.lifecycle.delete_after_days"),
    ],
    ids=["example 3 parent", "example 5 parent"],
)
def test_examples_that_break_the_documented_cold_storage_rule(document: str, path: str) -> None:
    found = [(f.rule, f.path) for f in errors(validate_backup_policy(document))]
    assert found == [(COLD_PLUS_90, path)]
