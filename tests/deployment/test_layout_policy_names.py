"""The layout's backup-policy names: no clash with another policy of the stack, and a word when plans are packed."""

from __future__ import annotations

import copy
from typing import Any

from deployment.layout import build_layout
from deployment.load import load_config
from stackconfig.inventory import OrgTree, load_inventory
from tests.deployment.loading import PROJECT_DIR, at, findings

PROD_OU = "ou-ab12-11111111"


def _tree() -> OrgTree:
    return OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory" / "prod.yaml"))


def test_a_plan_named_like_a_hand_written_policy_is_refused(prod_raw: dict[str, Any]) -> None:
    prod_raw["plans"]["custom-extra"] = copy.deepcopy(prod_raw["plans"]["weekly"])
    prod_raw["backup_policies"]["custom"] = {"Extra": {"targets": ["prod"], "content": {"plans": {}}}}
    [clash] = at(findings(prod_raw), "plans.custom-extra", "policy-name-clash")
    assert clash.value == "org-backup-custom-extra"
    assert "backup_policies.custom 'org-backup-custom-Extra'" in clash.message


def test_a_plan_named_like_a_guardrail_scp_is_refused(prod_raw: dict[str, Any]) -> None:
    """Both would have attachments named ``org-backup-guardrail-1-<target>`` under a Policy: one URN."""
    prod_raw["plans"]["guardrail-1"] = copy.deepcopy(prod_raw["plans"]["weekly"])
    [clash] = at(findings(prod_raw), "plans.guardrail-1", "policy-name-clash")
    assert clash.value == "org-backup-guardrail-1"
    assert "guardrail SCPs" in clash.message
    prod_raw["guardrail"] = {"enabled": False}
    assert at(findings(prod_raw), "plans.guardrail-1", "policy-name-clash") == []


def test_packing_is_said_as_a_warning(prod_raw: dict[str, Any]) -> None:
    """Seven more plans on prod make eleven there: they share policies, and the layout says why."""
    plain = build_layout(load_config(copy.deepcopy(prod_raw)).config, _tree())
    assert [w for w in plain.warnings if w.rule == "backup-policies-packed"] == []
    for i in range(7):
        plan = copy.deepcopy(prod_raw["plans"]["weekly"])
        plan["targets"] = ["prod"]
        prod_raw["plans"][f"extra-{i}"] = plan
    layout = build_layout(load_config(prod_raw).config, _tree())
    [warning] = [w for w in layout.warnings if w.rule == "backup-policies-packed"]
    assert (warning.path, warning.value, warning.severity) == ("plans", PROD_OU, "warning")
    assert f"would put 11 policies on {PROD_OU}" in warning.message
    names = [p.document.name for p in layout.policies]
    assert all(name.startswith("org-backup-plans-") for name in names), names
