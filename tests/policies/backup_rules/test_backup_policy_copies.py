"""validate_backup_policy's cross-account, cross-Region copy rule for RDS/Aurora selections."""

from __future__ import annotations

from typing import Any

import pytest

from policies.backup_rules.backup_policy import validate_backup_policy

from .samples import (
    OTHER_REGION_VAULT,
    assign,
    copy_action,
    plan,
    resource_policy,
    rule,
    tag_policy,
)


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
