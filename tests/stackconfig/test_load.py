"""Every configuration rule: a mistake in the prod stack, and the exact finding it produces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deployment.load import load_config
from stackconfig.load import ConfigError, format_report, read_stack_file
from tests.stackconfig.load_cases import CASES, DAILY, WEEKLY, _set


@pytest.mark.parametrize(("mutation", "path", "rule", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_rule_reports_path_rule_and_message(prod_raw, rejected, mutation, path, rule, message):
    mutation(prod_raw)
    error = rejected(prod_raw)
    matches = [f for f in error.findings if f.path == path and f.rule == rule]
    assert matches, f"no {rule} at {path}; got: {[str(f) for f in error.findings]}"
    assert message in matches[0].message
    assert matches[0].severity == "error"


def test_prod_and_staging_are_valid_without_warnings(prod_raw):
    assert load_config(prod_raw).warnings == []


def test_all_mistakes_are_reported_at_once(prod_raw, rejected):
    for _, mutation, *_ in (CASES[0], CASES[2], CASES[6], CASES[19], CASES[23]):
        mutation(prod_raw)
    error = rejected(prod_raw)
    rules = {f.rule for f in error.findings}
    assert {
        "cold-storage-plus-90",
        "continuous-retention",
        "lock-changeable-range",
        "unknown-key",
        "region-unknown",
    } <= rules


def test_report_is_readable_and_has_no_traceback(prod_raw, rejected):
    _set(f"{WEEKLY}/retention_days", 100)(prod_raw)
    report = format_report(rejected(prod_raw).findings)
    assert report.startswith("org-backup: the configuration has 1 error(s)")
    assert (
        "plans.weekly.rules.weekly.retention_days: retention_days 100 must be >= cold_storage_after_days 30 + 90"
        in report
    )
    assert "Traceback" not in report


@pytest.mark.parametrize(
    ("mutation", "rule"),
    [
        (_set(f"{DAILY}/completion_window_minutes", 60), "completion-after-start"),
        (_set(f"{DAILY}/retention_days", None), "retention-forever"),
        (_set("alerting/subscriptions", []), "alert-no-subscriber"),
        (
            _set("plans/daily/selections", {"tags": {"daily": {"key": "backup", "values": ["daily"]}}}),
            "rds-cross-account-cross-region",
        ),
        (_set("organization/central_vault_account_id", "111111111111"), "central-not-management"),
        (_set(f"{DAILY}/retention_days", 3), "warm-retention-advised"),
    ],
)
def test_unconfirmed_or_risky_settings_are_warnings(prod_raw, mutation, rule):
    mutation(prod_raw)
    try:
        loaded = load_config(prod_raw)
    except ConfigError as exc:
        warnings = [f for f in exc.findings if f.severity == "warning"]
    else:
        warnings = loaded.warnings
    assert rule in {w.rule for w in warnings}


def test_not_a_mapping_is_reported():
    with pytest.raises(ConfigError) as info:
        load_config([])  # type: ignore[arg-type]
    assert info.value.findings[0].rule == "type"


def test_every_rule_of_the_checks_has_a_test():
    """A rule without a failing example could be dead code or silently broken."""
    from .test_organization_references import TESTED_RULES

    modules = ("checks.py", "regions.py", "references.py", "subscriptions.py")
    source = "".join((Path(__file__).resolve().parents[2] / "stackconfig" / m).read_text() for m in modules)
    rule_ids = set(re.findall(r'"([a-z][a-z0-9]*(?:-[a-z0-9]+)+)"', source)) - {"email-json"}  # an SNS protocol
    tested = (
        {case[3] for case in CASES}
        | TESTED_RULES
        | {
            "vault-unlocked",
            "force-destroy",
            "kms-deletion-window",  # tests/policies/backup_rules/test_levels.py
            "completion-after-start",
            "retention-forever",
            "alert-no-subscriber",
            "rds-cross-account-cross-region",
            "central-not-management",
            # tests/stackconfig/new_user_mistakes.py: vault-statement-not-principal (one error, not two),
            # restore-testing-in-excluded-account
            "no-not-principal",
            "restore-testing-not-member",
        }
    )
    assert rule_ids - tested == set()


def test_a_missing_stack_file_names_the_stack_files_that_exist(tmp_path: Path) -> None:
    """``--stack prdo`` is a typo of a stack name: the error lists the stacks that are there."""
    (tmp_path / "Pulumi.prod.yaml").write_text("config: {}\n")
    (tmp_path / "Pulumi.staging.yaml").write_text("config: {}\n")
    with pytest.raises(ConfigError) as info:
        read_stack_file(tmp_path / "Pulumi.prdo.yaml")
    (finding,) = info.value.findings
    assert finding.rule == "stack-file"
    assert finding.message.endswith("does not exist (stack files there: Pulumi.prod.yaml, Pulumi.staging.yaml)")
    with pytest.raises(ConfigError) as info:
        read_stack_file(tmp_path / "nowhere" / "Pulumi.prod.yaml")
    assert info.value.findings[0].message.endswith("does not exist")
