"""validate_backup_policy: each rule fires on a broken document and stays quiet on its near-miss fix."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.findings import Finding

from .backup_policy_cases import CASES, Case, Document
from .samples import (
    CENTRAL_VAULT,
    RULE,
    assign,
    copy_action,
    plan,
    resource_policy,
    rule,
    tag_policy,
)

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
