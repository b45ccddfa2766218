"""deployment.load: the loader's entry points run the document checks with the value checks, in one report."""

from __future__ import annotations

from pathlib import Path

import pytest

from deployment.load import DOCUMENT_CHECKS, config_from_stack_file, load_config
from policies.backup_rules.guardrail import SCPS_PER_TARGET
from policies.backup_rules.lifecycle import COLD_STORAGE_PLUS_90
from stackconfig.load import ConfigError, validate

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _overflowing(raw: dict) -> dict:
    """The prod stack with a guardrail that would be a sixth SCP on an OU, and a lifecycle mistake."""
    raw["guardrail"] = {"policies_attached_elsewhere": {"ou-ab12-22222222": 5}}
    raw["plans"]["daily"]["rules"]["daily"]["cold_storage_after_days"] = 30
    raw["plans"]["daily"]["rules"]["daily"]["retention_days"] = 100
    return raw


def test_a_document_mistake_and_a_value_mistake_are_reported_together(prod_raw):
    """All mistakes at once: the guardrail SCP count (judged on the SCP documents) does not wait until the
    plans are fixed, nor the reverse."""
    with pytest.raises(ConfigError) as info:
        load_config(_overflowing(prod_raw))
    rules = {f.rule for f in info.value.findings}
    assert {SCPS_PER_TARGET, COLD_STORAGE_PLUS_90} <= rules


def test_the_lower_loader_needs_the_document_checks_named(prod_raw):
    """``stackconfig.load.validate`` has no default for them, so no caller loads without them by accident; the
    entry point passes the stack's set, and without it the document mistake would pass."""
    raw = _overflowing(prod_raw)
    raw["plans"]["daily"]["rules"]["daily"]["retention_days"] = 120
    with pytest.raises(TypeError):
        validate(raw)  # type: ignore[call-arg]
    assert validate(raw, document_checks=()).config is not None
    with pytest.raises(ConfigError) as info:
        validate(raw, document_checks=DOCUMENT_CHECKS)
    assert [f.rule for f in info.value.findings] == [SCPS_PER_TARGET]


def test_the_stacks_load_through_the_entry_point():
    for stack in ("prod", "staging"):
        loaded = config_from_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")
        assert loaded.config.organization.id.startswith("o-")
