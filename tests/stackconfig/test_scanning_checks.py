"""Loader rules of malware scanning: errors and warnings with their config paths."""

from __future__ import annotations

from typing import Any

import pytest

from deployment.load import load_config
from stackconfig.load import ConfigError
from tests.components.documents.config_factory import base_config, merge

TAGS = {"tags": {"b": {"key": "backup", "values": ["daily"]}}}


def raw(plan: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return merge(base_config(), {"plans": {"gold": {"selections": TAGS, **plan}}, **sections})


def rejected(config: dict[str, Any]) -> dict[str, tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        load_config(config)
    return {f.path: (f.rule, f.message) for f in info.value.findings if f.severity == "error"}


def warnings(config: dict[str, Any]) -> dict[str, str]:
    return {f.path: f.rule for f in load_config(config).warnings}


DAILY = {"schedule": "daily", "retention_days": 35}
MONTHLY_FULL = {"schedule": "monthly", "retention_days": 365, "malware_scanning": {"mode": "full"}}


def test_a_scanning_rule_without_plan_scan_settings_is_an_error() -> None:
    errors = rejected(raw({"rules": {"daily": {**DAILY, "malware_scanning": {"mode": "full"}}}}))
    rule, message = errors["plans.gold.rules.daily.malware_scanning"]
    assert rule == "scan-settings-missing"
    assert "scan_settings" in message


def test_a_scanning_rule_under_disabled_plan_scanning_is_an_error() -> None:
    errors = rejected(
        raw({"malware_scanning": {"enabled": False}, "rules": {"daily": {**DAILY, "malware_scanning": {}}}})
    )
    assert errors["plans.gold.rules.daily.malware_scanning"][0] == "scan-settings-missing"


def test_scanner_role_may_not_be_the_backup_role() -> None:
    config = raw(
        {"malware_scanning": {}, "rules": {"daily": DAILY, "monthly": MONTHLY_FULL}},
        vaults={"scanner_role_name": "OrgBackupServiceRole"},
    )
    assert rejected(config)["vaults.scanner_role_name"][0] == "scanner-role-name"


def test_unknown_scan_mode_and_resource_type_are_reported_at_their_paths() -> None:
    with pytest.raises(ConfigError) as info:
        load_config(raw({"malware_scanning": {"mode": "quick", "resource_types": ["RDS"]}, "rules": {"daily": DAILY}}))
    paths = {f.path for f in info.value.findings}
    assert "plans.gold.malware_scanning.mode" in paths
    assert "plans.gold.malware_scanning.resource_types[0]" in paths


def test_incremental_only_is_advised_and_a_full_rule_clears_it() -> None:
    assert warnings(raw({"malware_scanning": {}, "rules": {"daily": DAILY}}))["plans.gold.malware_scanning.mode"] == (
        "scan-incremental-only"
    )
    assert "plans.gold.malware_scanning.mode" not in warnings(
        raw({"malware_scanning": {}, "rules": {"daily": DAILY, "monthly": MONTHLY_FULL}})
    )
    assert "plans.gold.malware_scanning.mode" not in warnings(
        raw({"malware_scanning": {"mode": "full"}, "rules": {"daily": DAILY}})
    )


def test_every_rule_opting_out_is_advised() -> None:
    found = warnings(
        raw({"malware_scanning": {}, "rules": {"daily": {**DAILY, "malware_scanning": {"enabled": False}}}})
    )
    assert found["plans.gold.malware_scanning"] == "scan-without-rules"


def test_all_with_other_types_is_advised() -> None:
    found = warnings(
        raw({"malware_scanning": {"resource_types": ["ALL", "EBS"], "mode": "full"}, "rules": {"d": DAILY}})
    )
    assert found["plans.gold.malware_scanning.resource_types"] == "scan-resource-types"


def test_selection_of_nothing_guardduty_scans_is_advised() -> None:
    selections = {"resources": {"ddb": {"resource_types": ["arn:aws:dynamodb:*:*:table/*"]}}}
    config = raw({"malware_scanning": {"mode": "full"}, "rules": {"d": DAILY}, "selections": selections})
    assert warnings(config)["plans.gold.selections.resources"] == "scan-nothing-selected"
    selections["resources"]["ebs"] = {"resource_types": ["arn:aws:ec2:*:*:volume/*"]}
    assert "plans.gold.selections.resources" not in warnings(
        raw({"malware_scanning": {"mode": "full"}, "rules": {"d": DAILY}, "selections": selections})
    )


def test_valid_scanning_loads_without_scan_findings() -> None:
    loaded = load_config(
        raw({"malware_scanning": {"resource_types": ["EBS"]}, "rules": {"d": DAILY, "m": MONTHLY_FULL}})
    )
    assert not [w for w in loaded.warnings if w.rule.startswith("scan")]
    assert loaded.config.plans["gold"].malware_scanning is not None
