"""Every misconfigured example fails the preview with the exit status and rule it says it does."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from org_backup.preview import sarif
from org_backup.preview.command import build_preview, exit_code, render
from org_backup.preview.model import ConfigProblem, Preview
from org_backup.preview.offline import PROJECT_DIR

EXAMPLES_DIR = PROJECT_DIR / "examples"

# Exit 1: exactly these mandatory policies fire. Exit 2: the configuration loader reports this rule id.
EXPECTED: dict[str, tuple[int, frozenset[str] | str]] = {
    "01-member-vault-unlocked": (2, "vault-unlocked"),
    "02-copy-to-unlocked-central-vault": (2, "copy-destination-unlocked"),
    "03-retention-below-lock-minimum": (2, "retention-within-lock"),
    "04-custom-retention-below-lock-minimum": (1, frozenset({"backup-plan-retention-within-lock"})),
    "05-policy-over-10000-characters": (1, frozenset({"org-backup-policy-valid"})),
    "06-cold-storage-plus-90": (2, "cold-storage-plus-90"),
    "07-custom-cold-storage-plus-90": (1, frozenset({"backup-lifecycle-cold-plus-90"})),
    "08-copy-to-vault-outside-organization": (1, frozenset({"backup-copy-destination-locked"})),
    "09-force-destroy": (2, "force-destroy"),
    "10-missing-role-in-target-account": (1, frozenset({"backup-role-in-every-target"})),
    "11-rds-copy-cross-account-and-region": (2, "rds-cross-account-cross-region"),
    "12-five-field-cron": (2, "schedule-syntax"),
    "13-continuous-backup-over-35-days": (1, frozenset({"backup-continuous-retention"})),
    "14-copy-to-governance-locked-vault": (1, frozenset({"backup-copy-destination-locked"})),
    "15-too-many-policies-on-target": (2, "backup-policies-per-target"),
    "16-custom-list-copy-actions": (1, frozenset({"org-backup-policy-valid"})),
    "17-lock-grace-period-1-day": (2, "lock-changeable-range"),
    "18-wildcard-principal-without-org-condition": (2, "wildcard-principal-org-condition"),
    "19-ou-id-one-digit-off": (2, "unknown-ou"),
    "20-dr-region-not-real": (2, "region-unknown"),
    "21-central-account-outside-organization": (2, "unknown-account"),
    "22-account-id-unquoted": (2, "type:string_type"),
    "23-sms-subscription-not-e164": (2, "alert-endpoint"),
    "24-string-equals-wildcard": (2, "tag-value-wildcard"),
}

Results = Callable[[str], Preview | ConfigProblem]


@pytest.fixture(scope="session")
def result_of() -> Results:
    """Each example runs once per session (the program under mocks takes about a second)."""
    results: dict[str, Preview | ConfigProblem] = {}

    def run(name: str) -> Preview | ConfigProblem:
        if name not in results:
            results[name] = build_preview("prod", EXAMPLES_DIR / f"{name}.yaml")
        return results[name]

    return run


def test_the_table_lists_every_example_and_the_readme_agrees():
    assert sorted(EXPECTED) == sorted(p.stem for p in EXAMPLES_DIR.glob("*.yaml"))
    assert len(EXPECTED) >= 12
    readme = (EXAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    for name, (code, rules) in EXPECTED.items():
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{name}.yaml`"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2] == str(code), name
        assert set(re.findall(r"`([^`]+)`", cells[3])) == ({rules} if isinstance(rules, str) else set(rules)), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_fails_with_its_rule(name: str, result_of: Results):
    expected_code, rules = EXPECTED[name]
    header = (EXAMPLES_DIR / f"{name}.yaml").read_text(encoding="utf-8").split("\nconfig:", 1)[0]
    assert f"Expected exit status of `org-backup preview --config examples/{name}.yaml`: {expected_code}." in header
    result = result_of(name)

    document: dict[str, Any] = json.loads(render(result, "json"))

    assert exit_code(result) == expected_code == document["exit_code"]
    if expected_code == 2:
        assert rules in {e["rule"] for e in document["config_errors"]}
    else:
        fired = {v["policy"] for v in document["violations"] if v["enforcement"] == "mandatory"}
        assert fired == rules
        assert all(v["config_path"] for v in document["violations"] if v["enforcement"] == "mandatory")


@pytest.mark.parametrize(
    ("name", "line_text"),
    [("01-member-vault-unlocked", "      lock: null"), ("09-force-destroy", "      force_destroy: true")],
)
def test_sarif_points_at_the_line_that_holds_the_mistake(
    name: str, line_text: str, sarif_schema: dict[str, Any], result_of: Results
):
    result = result_of(name)
    path: Path = EXAMPLES_DIR / f"{name}.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()

    log = sarif.to_sarif(result) if isinstance(result, Preview) else sarif.problem_sarif(result)

    jsonschema.Draft4Validator(sarif_schema).validate(log)
    errors = [r for r in log["runs"][0]["results"] if r["level"] == "error"]
    assert errors
    for r in errors:
        location = r["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == f"examples/{name}.yaml"
        assert lines[location["region"]["startLine"] - 1] == line_text
