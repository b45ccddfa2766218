"""parse_backup_policy: the plain values stack-wide checks read, whatever operator syntax carried them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.backup_rules.backup_policy.parse import (
    ParsedCondition,
    ParsedCopyAction,
    ParsedRule,
    ParsedSelection,
    parse_backup_policy,
)

from .samples import AWS_DOC_EXAMPLE, CENTRAL_VAULT, LAG_VAULT, ROLE, assign, copy_action, plan, rule, tag_policy


def test_aws_documentation_example() -> None:
    parsed = parse_backup_policy(AWS_DOC_EXAMPLE)
    assert parsed is not None
    [daily] = parsed.plans
    assert daily.name == "Daily_Prod"
    assert daily.regions == ("us-east-1", "eu-west-1")
    destination = "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault"
    assert daily.rules == (
        ParsedRule(
            name="Daily",
            schedule="cron(0 5 ? * * *)",
            target_vault_name="OrgVault",
            lag_vault_arn=None,
            start_minutes=60,
            completion_minutes=10080,
            cold_after_days=30,
            delete_after_days=120,
            continuous=False,
            copy_actions=(ParsedCopyAction(destination, None, 365),),
        ),
    )
    assert daily.selections == (
        ParsedSelection(
            kind="resources",
            name="prod_all_but_ebs",
            iam_role_arn=ROLE,
            resource_types=("*",),
            not_resource_types=("arn:aws:ec2:*:*:volume/*",),
            tag_key=None,
            tag_values=(),
            conditions=(ParsedCondition("string_equals", "aws:ResourceTag/env", "prod"),),
        ),
    )


def test_bare_and_quoted_numbers_become_ints() -> None:
    document = tag_policy()
    plan(document)["regions"] = {"@@append": ["eu-west-1", "eu-central-1"]}
    rule(document).update(
        start_backup_window_minutes=assign(120),
        complete_backup_window_minutes=assign("1440"),
        enable_continuous_backup=assign("true"),
        target_logically_air_gapped_backup_vault_arn=assign(LAG_VAULT),
        lifecycle={"delete_after_days": assign(35.0)},
    )
    parsed = parse_backup_policy(json.dumps(document))
    assert parsed is not None
    [org_daily] = parsed.plans
    assert org_daily.regions == ("eu-west-1", "eu-central-1")
    [daily] = org_daily.rules
    assert (daily.start_minutes, daily.completion_minutes, daily.delete_after_days) == (120, 1440, 35)
    assert daily.continuous is True
    assert daily.lag_vault_arn == LAG_VAULT
    assert daily.copy_actions == (ParsedCopyAction(CENTRAL_VAULT, None, 90),)
    assert org_daily.selections == (ParsedSelection("tags", "Tagged", ROLE, (), (), "backup", ("daily",)),)


def test_unreadable_values_become_none() -> None:
    document = tag_policy()
    rule(document).update(
        start_backup_window_minutes=assign("sixty"),
        schedule_expression={"@@operators_allowed_for_child_policies": ["@@none"]},
    )
    parsed = parse_backup_policy(document)
    assert parsed is not None
    [daily] = parsed.plans[0].rules
    assert daily.start_minutes is None
    assert daily.schedule is None


def test_copy_actions_written_as_a_list_are_still_read() -> None:
    """The corpus 43 mistake: the validator rejects it, but stack checks should still see the destination."""
    document = tag_policy()
    rule(document)["copy_actions"] = [copy_action(CENTRAL_VAULT, "400"), {"lifecycle": {}}, "junk"]
    parsed = parse_backup_policy(document)
    assert parsed is not None
    assert parsed.plans[0].rules[0].copy_actions == (ParsedCopyAction(CENTRAL_VAULT, None, 400),)


def test_copy_action_without_target_uses_its_key() -> None:
    document = tag_policy()
    rule(document)["copy_actions"][CENTRAL_VAULT].pop("target_backup_vault_arn")
    parsed = parse_backup_policy(document)
    assert parsed is not None
    assert parsed.plans[0].rules[0].copy_actions[0].destination_arn == CENTRAL_VAULT


@pytest.mark.parametrize(
    "content",
    ['{"plans": {,}}', "[]", "{}", '{"plans": []}', 7, {"plans": "OrgDaily"}],
    ids=["bad-json", "list", "no-plans", "plans-list", "not-text", "plans-text"],
)
def test_not_a_policy(content: Any) -> None:
    assert parse_backup_policy(content) is None


def test_malformed_plans_and_rules_are_skipped() -> None:
    document: dict[str, Any] = {"plans": {"Broken": "x", "Empty": {"rules": {"R": 5}, "selections": []}}}
    parsed = parse_backup_policy(document)
    assert parsed is not None
    assert [(p.name, p.regions, p.rules, p.selections) for p in parsed.plans] == [("Empty", (), (), ())]
