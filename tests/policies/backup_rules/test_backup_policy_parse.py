"""validate_backup_policy on text: JSON syntax, duplicate keys, size limit, and text and mapping agreeing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.findings import Finding, errors

from .samples import (
    AWS_DOC_EXAMPLE,
    RULE,
    assign,
    rule,
    tag_policy,
)


def test_text_and_mapping_agree() -> None:
    document = tag_policy()
    rule(document).update(start_backup_window_minutes=assign("30"))
    assert validate_backup_policy(json.dumps(document)) == validate_backup_policy(document)


def test_aws_documentation_example_has_no_errors() -> None:
    findings = validate_backup_policy(AWS_DOC_EXAMPLE)
    assert errors(findings) == []
    assert [finding.rule for finding in findings] == ["rds-cross-account-cross-region"]


def test_bare_numbers_and_booleans_are_accepted() -> None:
    """superwerker's integration test reads ``"@@assign": 30`` back from Organizations (corpus README)."""
    document = tag_policy()
    rule(document).update(
        start_backup_window_minutes=assign(60),
        complete_backup_window_minutes=assign(720.0),
        enable_continuous_backup=assign(False),
        lifecycle={
            "delete_after_days": assign(30),
            "opt_in_to_archive_for_supported_resources": assign(False),
        },
    )
    rule(document)["recovery_point_tags"]["owner"]["tag_value"] = assign(2)
    assert validate_backup_policy(document) == []


def test_trailing_comma_names_line_and_column() -> None:
    text = json.dumps(tag_policy(), indent=2).replace('"cron(0 5 ? * * *)"', '"cron(0 5 ? * * *)",')
    comma = text.index('"cron(0 5 ? * * *)",') + len('"cron(0 5 ? * * *)"')
    line = text.count("\n", 0, comma) + 1
    column = comma - text.rfind("\n", 0, comma)
    assert validate_backup_policy(text) == [
        Finding(
            "policy",
            None,
            "policy-json",
            f"invalid JSON: trailing comma at line {line} column {column} (JSON allows no comma before '}}' or ']')",
        )
    ]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"plans": }', "invalid JSON at line 1 column 11"),
        ('{"plans": NaN}', "NaN is not a JSON value"),
        ("[" * 5_000, "invalid JSON"),
        (42, "content must be a JSON string or a mapping"),
        ({"plans": {"p": object()}}, "content cannot be written as JSON"),
    ],
    ids=["syntax", "nan", "deep", "not-text", "not-serialisable"],
)
def test_unusable_content(content: Any, fragment: str) -> None:
    findings = validate_backup_policy(content)
    assert [finding.rule for finding in findings] == ["policy-json"]
    assert fragment in findings[0].message


def test_root_must_be_an_object() -> None:
    assert [(f.path, f.rule) for f in validate_backup_policy("[]")] == [("policy", "object-expected")]


def test_duplicate_keys_are_reported_where_they_occur() -> None:
    """The HCL behind corpus 26 set start_backup_window_minutes twice; JSON parsers silently keep the last."""
    once = '"start_backup_window_minutes": {"@@assign": "60"}'
    twice = '"start_backup_window_minutes": {"@@assign": "300"}, ' + once
    text = json.dumps(tag_policy()).replace(once, twice)
    findings = validate_backup_policy(text)
    assert [(f.path, f.rule, f.value) for f in findings] == [
        (f"{RULE}.start_backup_window_minutes", "duplicate-key", "start_backup_window_minutes")
    ]
    assert "appears more than once" in findings[0].message


def test_size_limit_suggests_minifying_when_that_is_enough() -> None:
    document = tag_policy()
    padded = json.dumps(document, indent=60)
    assert len(padded) > 10_000
    findings = validate_backup_policy(padded)
    assert [f.rule for f in findings] == ["policy-size"]
    assert "send it minified" in findings[0].message


def test_size_limit_counts_the_minified_mapping() -> None:
    document = tag_policy()
    plans = document["plans"]
    for index in range(40):
        plans[f"Plan{index}"] = plans["OrgDaily"]
    findings = validate_backup_policy(document)
    assert [f.rule for f in findings] == ["policy-size"]
    assert "Organizations allows 10000" in findings[0].message
    assert "minified it is" not in findings[0].message
