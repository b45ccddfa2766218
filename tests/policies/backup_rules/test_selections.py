"""Which resources a backup selection picks, for both the backup-policy and the BackupSelection shapes."""

from __future__ import annotations

import pytest

from policies.backup_rules.backup_policy.parse import ParsedCondition, ParsedSelection
from policies.backup_rules.selections import (
    arn_matches,
    condition_matches,
    plan_selection_selects,
    policy_selection_may_select,
    policy_selection_selects,
)

TABLE = "arn:aws:dynamodb:eu-west-2:444455556666:table/orders"
DB = "arn:aws:rds:eu-west-2:444455556666:db:ledger"
BUCKET = "arn:aws:s3:::reports"
ROLE = "arn:aws:iam::$account:role/OrgBackupRole"


def tag_selection(*conditions: ParsedCondition) -> ParsedSelection:
    return ParsedSelection("tags", "daily", ROLE, (), (), "backup", ("daily", "hourly"), conditions)


def resource_selection(types: tuple[str, ...], excluded: tuple[str, ...] = (), *conditions: ParsedCondition):
    return ParsedSelection("resources", "all", ROLE, types, excluded, None, (), conditions)


def test_arn_patterns() -> None:
    assert arn_matches("*", TABLE)
    assert arn_matches("arn:aws:dynamodb:*:*:table/*", TABLE)
    assert arn_matches("arn:aws:rds:*:*:db:*", DB)
    assert not arn_matches("arn:aws:rds:*:*:cluster:*", DB)
    assert arn_matches("arn:aws:s3:::*", BUCKET)
    assert not arn_matches("arn:aws:s3:::rep", BUCKET)


@pytest.mark.parametrize(
    ("operator", "value", "tags", "expected"),
    [
        ("string_equals", "prod", {"env": "prod"}, True),
        ("string_equals", "prod", {}, False),
        ("string_not_equals", "prod", {}, True),
        ("string_not_equals", "prod", {"env": "prod"}, False),
        ("string_like", "pro*", {"env": "prod"}, True),
        ("string_like", "pr?d", {"env": "prod"}, True),
        ("string_like", "pro*", {}, False),
        ("string_not_like", "dev*", {"env": "prod"}, True),
        ("string_not_like", "pro*", {"env": "prod"}, False),
        ("string_greater", "a", {"env": "prod"}, False),
    ],
)
def test_conditions(operator: str, value: str, tags: dict[str, str], expected: bool) -> None:
    assert condition_matches(ParsedCondition(operator, "aws:ResourceTag/env", value), tags) is expected


def test_condition_on_a_key_that_is_not_a_tag_never_equals() -> None:
    assert not condition_matches(ParsedCondition("string_equals", "aws:RequestedRegion", "x"), {"x": "x"})


def test_tag_selection_needs_one_of_the_values_and_every_condition() -> None:
    assert policy_selection_selects(tag_selection(), TABLE, {"backup": "hourly"})
    assert not policy_selection_selects(tag_selection(), TABLE, {"backup": "weekly"})
    env = ParsedCondition("string_equals", "aws:ResourceTag/env", "prod")
    assert not policy_selection_selects(tag_selection(env), TABLE, {"backup": "daily"})
    assert policy_selection_selects(tag_selection(env), TABLE, {"backup": "daily", "env": "prod"})


def test_resource_selection_types_exclusions_and_conditions() -> None:
    everything_but_rds = resource_selection(("*",), ("arn:aws:rds:*:*:db:*",))
    assert policy_selection_selects(everything_but_rds, TABLE, {})
    assert not policy_selection_selects(everything_but_rds, DB, {})
    important = ParsedCondition("string_equals", "aws:ResourceTag/BackupPolicy", "ca-prod-important")
    tagged = resource_selection(("arn:aws:dynamodb:*:*:table/*",), (), important)
    assert policy_selection_selects(tagged, TABLE, {"BackupPolicy": "ca-prod-important"})
    assert not policy_selection_selects(tagged, TABLE, {})


def test_may_select_ignores_tags() -> None:
    assert policy_selection_may_select(tag_selection(), BUCKET)
    assert policy_selection_may_select(resource_selection(("*",)), BUCKET)
    assert not policy_selection_may_select(resource_selection(("arn:aws:rds:*:*:db:*",)), BUCKET)
    assert not policy_selection_may_select(resource_selection(("*",), ("arn:aws:s3:::*",)), BUCKET)


def selects(
    *,
    resources: tuple[str, ...] = (),
    not_resources: tuple[str, ...] = (),
    tag_list: tuple[tuple[str, str], ...] = (),
    conditions: tuple[ParsedCondition, ...] = (),
    tags: dict[str, str] | None = None,
) -> bool:
    return plan_selection_selects(
        resources=resources,
        not_resources=not_resources,
        tag_list=tag_list,
        conditions=conditions,
        arn=TABLE,
        tags=tags or {},
    )


def test_backup_selection_shape() -> None:
    assert selects(resources=("arn:aws:dynamodb:*:*:table/*",))
    assert not selects(resources=("arn:aws:dynamodb:*:*:table/*",), not_resources=(TABLE,))
    assert selects(tag_list=(("backup", "daily"), ("backup", "hourly")), tags={"backup": "hourly"})
    assert not selects(tag_list=(("backup", "daily"),), tags={"backup": "hourly"})
    prod = ParsedCondition("string_equals", "aws:ResourceTag/env", "prod")
    assert selects(conditions=(prod,), tags={"env": "prod"})
    assert not selects(resources=("*",), conditions=(prod,))
    assert not selects()
