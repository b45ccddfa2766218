"""The pack as Pulumi loads it: ``policies/__main__.py`` run with only ``policies/`` on the path.

``PolicyPack`` starts a gRPC server and never returns, so it is replaced by a recorder (pulumi-offline.md
§2.14); the rest checks what every rule must carry for an operator to act on its result.
"""

from __future__ import annotations

import runpy
from pathlib import Path
from typing import Any

import pulumi_policy
import pytest
import yaml
from pulumi_policy import EnforcementLevel, Severity

import rules
from rules.base import rule_of

POLICIES_DIR = Path(__file__).resolve().parents[2] / "policies"

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY
LOW, MEDIUM, HIGH, CRITICAL = Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL

# Every rule the pack brief names, with its level and severity (the preview and its examples refer to them).
BRIEF_RULES: dict[str, tuple[EnforcementLevel, Severity]] = {
    "backup-vault-cmk": (ADVISORY, HIGH),
    "backup-vault-no-force-destroy": (MANDATORY, CRITICAL),
    "backup-vault-lock-bounds": (MANDATORY, HIGH),
    "backup-vault-lock-compliance-mode": (ADVISORY, MEDIUM),
    "backup-air-gapped-vault-retention": (MANDATORY, HIGH),
    "backup-vault-policy-denies-deletion": (MANDATORY, HIGH),
    "backup-vault-policy-copy-scoped": (MANDATORY, CRITICAL),
    "backup-every-vault-locked": (MANDATORY, HIGH),
    "backup-every-vault-has-access-policy": (MANDATORY, HIGH),
    "kms-key-rotation": (ADVISORY, MEDIUM),
    "kms-key-deletion-safety": (MANDATORY, HIGH),
    "kms-key-policy-backup": (MANDATORY, HIGH),
    "kms-backup-key-tagged": (ADVISORY, LOW),
    "backup-resources-protected": (MANDATORY, HIGH),
    "backup-lock-not-ignored": (MANDATORY, HIGH),
    "iam-policy-least-privilege": (MANDATORY, HIGH),
    "backup-required-tags": (ADVISORY, LOW),
    "org-backup-policy-valid": (MANDATORY, CRITICAL),
    "org-backup-policy-advisories": (ADVISORY, LOW),
    "backup-lifecycle-cold-plus-90": (MANDATORY, HIGH),
    "backup-continuous-retention": (MANDATORY, HIGH),
    "backup-plan-windows": (MANDATORY, MEDIUM),
    "backup-plan-min-frequency-retention": (ADVISORY, MEDIUM),
    "backup-selection-sane": (ADVISORY, MEDIUM),
    "org-backup-policy-enabled-and-attached": (MANDATORY, HIGH),
    "backup-policies-per-target": (MANDATORY, HIGH),
    "backup-delegated-admin": (ADVISORY, MEDIUM),
    "backup-cross-account-enabled": (MANDATORY, HIGH),
    "backup-plan-has-copy": (ADVISORY, MEDIUM),
    "backup-copy-retention": (ADVISORY, LOW),
    "backup-copy-destination-locked": (MANDATORY, CRITICAL),
    "backup-copy-destination-accepts-org": (MANDATORY, HIGH),
    "backup-copy-is-cross-boundary": (ADVISORY, MEDIUM),
    "backup-plan-retention-within-lock": (MANDATORY, HIGH),
    "backup-copy-keys-admit": (MANDATORY, HIGH),
    "backup-copy-destination-exists": (MANDATORY, HIGH),
    "backup-audit-framework-complete": (ADVISORY, MEDIUM),
    "backup-audit-controls-quota": (MANDATORY, MEDIUM),
    "backup-report-plan": (ADVISORY, MEDIUM),
    "backup-failed-job-alerting": (ADVISORY, MEDIUM),
    "backup-vault-notifications-valid": (MANDATORY, LOW),
    "backup-vault-in-every-target": (MANDATORY, CRITICAL),
    "backup-role-in-every-target": (MANDATORY, CRITICAL),
    "backup-sources-covered": (ADVISORY, MEDIUM),
}


class Recorder:
    """Stands in for ``PolicyPack``: keeps the arguments instead of serving them."""

    calls: list[dict[str, Any]]

    def __init__(self, name: str, policies: list[Any], **kwargs: Any) -> None:
        Recorder.calls.append({"name": name, "policies": policies, **kwargs})


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    Recorder.calls = []
    monkeypatch.setattr(pulumi_policy, "PolicyPack", Recorder)
    monkeypatch.syspath_prepend(str(POLICIES_DIR))
    runpy.run_path(str(POLICIES_DIR / "__main__.py"), run_name="__main__")
    [call] = Recorder.calls
    return call


def test_main_builds_the_pack_from_all_policies(recorded: dict[str, Any]) -> None:
    assert recorded["name"] == "org-backup"
    assert recorded["policies"] is rules.ALL_POLICIES
    assert recorded["enforcement_level"] == EnforcementLevel.ADVISORY


def test_rule_names_are_unique() -> None:
    names = [policy.name for policy in rules.ALL_POLICIES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("policy", rules.ALL_POLICIES, ids=lambda p: p.name)
def test_every_rule_can_be_acted_on(policy: Any) -> None:
    rule = rule_of(policy)
    assert rule.name == policy.name
    assert policy.description.strip()
    assert policy.remediation_steps and policy.remediation_steps.strip()
    assert isinstance(policy.severity, Severity)
    assert policy.enforcement_level in (MANDATORY, ADVISORY)
    assert rule.domain and policy.tags == [rule.domain]
    properties = policy.config_schema.properties if policy.config_schema is not None else {}
    assert properties.keys() == rule.config.keys()
    for key, schema in properties.items():
        assert "default" in schema, f"{policy.name}: config {key} has no default"
        assert rule.merged_config(None)[key] == schema["default"]


def test_every_rule_of_the_brief_exists_with_its_level_and_severity() -> None:
    """Runs once every domain is written: a placeholder domain fails it."""
    served = {policy.name: (policy.enforcement_level, policy.severity) for policy in rules.ALL_POLICIES}
    missing = sorted(set(BRIEF_RULES) - set(served))
    assert not missing, f"rules not in ALL_POLICIES: {missing}"
    assert {name: served[name] for name in BRIEF_RULES} == BRIEF_RULES


def test_pulumi_policy_yaml() -> None:
    project = yaml.safe_load((POLICIES_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    runtime = project["runtime"]
    assert (runtime["name"] if isinstance(runtime, dict) else runtime) == "python"
    assert str(project.get("version") or "").strip()
