"""Property tests: no input makes the rules raise, and plausible documents yield only well-formed findings."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies.backup_rules.arns import parse_vault_arn, role_arn_account, role_name
from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.backup_policy.parse import ParsedBackupPolicy, parse_backup_policy
from policies.backup_rules.findings import Finding
from policies.backup_rules.iam import (
    allows_copy_into,
    check_policy_document,
    vault_policy_copy_into_scoped,
    vault_policy_denies_deletion,
)
from policies.backup_rules.schedule import check_schedule_expression, min_interval_minutes

from .samples import CENTRAL_VAULT, LAG_VAULT, OTHER_REGION_VAULT, ROLE

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW_TO_DRAW = settings(FAST, max_examples=60)

KEYS = st.sampled_from(
    [
        "plans",
        "regions",
        "rules",
        "selections",
        "tags",
        "resources",
        "@@assign",
        "@@append",
        "@@remove",
        "@@operators_allowed_for_child_policies",
        "copy_actions",
        "lifecycle",
        "delete_after_days",
        "schedule_expression",
        "Statement",
        "Effect",
        "Principal",
        "Action",
        "Condition",
        "AWS",
    ]
) | st.text(max_size=8)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSONISH = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=5),
    max_leaves=40,
)


def well_formed(findings: list[Finding]) -> bool:
    return all(
        isinstance(finding, Finding)
        and isinstance(finding.path, str)
        and finding.path
        and isinstance(finding.rule, str)
        and finding.message
        and finding.severity in ("error", "warning")
        for finding in findings
    )


@FAST
@given(JSONISH)
def test_backup_policy_rules_never_raise(content: Any) -> None:
    for candidate in (content, {"plans": content}, {"plans": {"p": content}}, json.dumps(content)):
        assert well_formed(validate_backup_policy(candidate))
        parsed = parse_backup_policy(candidate)
        assert parsed is None or isinstance(parsed, ParsedBackupPolicy)


@FAST
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    assert well_formed(validate_backup_policy(text))
    assert well_formed(check_policy_document(text))
    assert well_formed(check_schedule_expression("s", text))
    assert well_formed(check_schedule_expression("s", f"cron({text})"))
    interval = min_interval_minutes(text)
    assert interval is None or interval >= 0
    parse_vault_arn(text)
    role_arn_account(text)
    role_name(text)


@FAST
@given(JSONISH)
def test_iam_rules_never_raise(content: Any) -> None:
    for candidate in (content, {"Statement": content}, {"Statement": [content]}):
        assert well_formed(check_policy_document(candidate))
        assert well_formed(vault_policy_denies_deletion(candidate))
        assert well_formed(vault_policy_copy_into_scoped(candidate))
        assert isinstance(allows_copy_into(candidate), bool)


# --------------------------------------------------------------------------- plausible documents

CRON_FIELD = {
    "minutes": st.sampled_from(["0", "30", "0/15", "5,35", "*", "0-10"]),
    "hours": st.sampled_from(["0", "5", "*", "0/4", "1-3", "23"]),
    "months": st.sampled_from(["*", "1", "JAN-MAR", "1/3", "DEC"]),
    "years": st.sampled_from(["*", "2030", "2025-2027", "2030/5"]),
    "day_of_month": st.sampled_from(["1", "15", "L", "LW", "15W", "1-7", "*", "1/10"]),
    "day_of_week": st.sampled_from(["MON", "2", "MON-FRI", "6L", "2#1", "*", "SUN,SAT", "L"]),
}


@st.composite
def cron_expressions(draw: st.DrawFn) -> str:
    by_day_of_month = draw(st.booleans())
    day_of_month = draw(CRON_FIELD["day_of_month"]) if by_day_of_month else "?"
    day_of_week = "?" if by_day_of_month else draw(CRON_FIELD["day_of_week"])
    fields = [
        draw(CRON_FIELD["minutes"]),
        draw(CRON_FIELD["hours"]),
        day_of_month,
        draw(CRON_FIELD["months"]),
        day_of_week,
        draw(CRON_FIELD["years"]),
    ]
    return f"cron({' '.join(fields)})"


@FAST
@given(cron_expressions())
def test_well_formed_cron_is_never_a_syntax_error(expression: str) -> None:
    findings = check_schedule_expression("s", expression)
    assert "schedule-syntax" not in {finding.rule for finding in findings}
    interval = min_interval_minutes(expression)
    assert interval is None or interval >= 1
    assert ("schedule-min-frequency" in {f.rule for f in findings}) == (interval is not None and interval < 60)


NUMBER = st.integers(min_value=-5, max_value=40_000)
NUMBERISH = NUMBER | NUMBER.map(str) | st.sampled_from(["thirty", "", "1.5", True])


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def operator(value: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda op, v: {op: v}, st.sampled_from(["@@assign", "@@assign", "@@append"]), value)


@st.composite
def lifecycles(draw: st.DrawFn) -> dict[str, Any]:
    lifecycle: dict[str, Any] = {}
    for key in ("move_to_cold_storage_after_days", "delete_after_days"):
        value = draw(maybe(NUMBERISH))
        if value is not None:
            lifecycle[key] = draw(operator(st.just(value)))
    return lifecycle


@st.composite
def rules(draw: st.DrawFn) -> dict[str, Any]:
    rule: dict[str, Any] = {"target_backup_vault_name": {"@@assign": draw(st.sampled_from(["OrgVault", "a", "x y"]))}}
    if draw(st.booleans()):
        rule["schedule_expression"] = {"@@assign": draw(cron_expressions() | st.text(max_size=20))}
    for key in ("start_backup_window_minutes", "complete_backup_window_minutes"):
        value = draw(maybe(NUMBERISH))
        if value is not None:
            rule[key] = {"@@assign": value}
    if draw(st.booleans()):
        rule["enable_continuous_backup"] = {"@@assign": draw(st.sampled_from([True, False, "true", "no"]))}
    rule["lifecycle"] = draw(lifecycles())
    targets = draw(st.lists(st.sampled_from([CENTRAL_VAULT, OTHER_REGION_VAULT, LAG_VAULT, "bad"]), max_size=6))
    keep_empty_copy_actions = draw(st.booleans())
    if targets or keep_empty_copy_actions:
        rule["copy_actions"] = {
            target: {"target_backup_vault_arn": {"@@assign": target}, "lifecycle": draw(lifecycles())}
            for target in targets
        }
    if draw(st.booleans()):
        rule["target_logically_air_gapped_backup_vault_arn"] = {
            "@@assign": draw(st.sampled_from([LAG_VAULT, CENTRAL_VAULT]))
        }
    return rule


@st.composite
def selections(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(st.sampled_from([["tags"], ["resources"], ["tags", "resources"], []]))
    out: dict[str, Any] = {}
    if "tags" in kinds:
        out["tags"] = {
            f"t{i}": {
                "iam_role_arn": {"@@assign": ROLE},
                "tag_key": {"@@assign": "k"},
                "tag_value": {"@@assign": ["v"]},
            }
            for i in range(draw(st.integers(0, 11)))
        }
    if "resources" in kinds:
        types = draw(
            st.lists(
                st.sampled_from(
                    ["*", "arn:aws:rds:*:*:db:*", "arn:aws:s3:::*", "arn:aws-us-gov:ec2:*:*:volume/*", "bad"]
                ),
                min_size=1,
                max_size=3,
            )
        )
        out["resources"] = {"r": {"iam_role_arn": {"@@assign": ROLE}, "resource_types": {"@@assign": types}}}
    return out


@st.composite
def backup_policies(draw: st.DrawFn) -> dict[str, Any]:
    plans = {}
    for index in range(draw(st.integers(1, 3))):
        plans[f"Plan{index}"] = {
            "regions": draw(operator(st.lists(st.sampled_from(["eu-west-1", "us-east-1", "mars-1"]), max_size=3))),
            "rules": {f"R{i}": draw(rules()) for i in range(draw(st.integers(0, 3)))},
            "selections": draw(selections()),
        }
    return {"plans": plans}


@SLOW_TO_DRAW
@given(backup_policies())
def test_plausible_policies_yield_only_findings(document: dict[str, Any]) -> None:
    findings = validate_backup_policy(document)
    assert well_formed(findings)
    assert all(finding.path.startswith(("plans", "policy")) for finding in findings)
    parsed = parse_backup_policy(document)
    assert parsed is not None
    assert [plan.name for plan in parsed.plans] == list(document["plans"])
