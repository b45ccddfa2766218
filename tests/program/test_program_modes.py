"""How the program finds member accounts, and what it does with a configuration mistake."""

from __future__ import annotations

import copy

import pulumi
import pytest
import yaml

from org_backup.preview.offline import PROJECT_DIR, load_stack_config, run_program


def _prod_with(**sections: object) -> dict[str, object]:
    config = copy.deepcopy(load_stack_config("prod"))
    for key, value in sections.items():
        config[f"org-backup:{key}"] = value
    return config


def test_discover_asks_organizations_for_each_targeted_ou(prod_run):
    config = _prod_with(accounts={"source": "discover"})
    run = run_program(config, stack="prod")
    asked = {args["parentId"] for token, args in run.invokes if "getOrganizationalUnit" in token}
    assert {"ou-ab12-11111111", "ou-ab12-22222222", "ou-ab12-55555555"} <= asked
    assert run.exports["member_accounts"] == prod_run.exports["member_accounts"]
    assert len(run.resources) == len(prod_run.resources)


def test_listed_accounts(prod_run):
    """``listed`` is the whole organization, like the inventory file (every account the stack names, nested OUs
    with their parents); members come from the list: here dev is suspended and prod-ledger's nested OU is kept."""
    inventory = yaml.safe_load((PROJECT_DIR / "inventory" / "prod.yaml").read_text())
    listed = [
        {**account, "status": "SUSPENDED"} if account["name"] == "dev" else account for account in inventory["accounts"]
    ]
    accounts = {"source": "listed", "listed": listed, "organizational_units": inventory["organizational_units"]}
    run = run_program(_prod_with(accounts=accounts), stack="prod")
    assert "555555555502" in prod_run.exports["member_accounts"]
    assert run.exports["member_accounts"] == [a for a in prod_run.exports["member_accounts"] if a != "555555555502"]
    assert "444444444405" in run.exports["member_accounts"]  # prod-ledger, under prod/prod-critical


def test_a_config_mistake_registers_nothing_and_reports_every_error():
    config = _prod_with()
    plans = copy.deepcopy(config["org-backup:plans"])
    plans["weekly"]["rules"]["weekly"]["retention_days"] = 100  # type: ignore[index]
    plans["daily"]["rules"]["daily"]["start_window_minutes"] = 30  # type: ignore[index]
    config["org-backup:plans"] = plans
    with pytest.raises(pulumi.RunError) as info:
        run_program(config, stack="prod")
    report = str(info.value)
    assert (
        "plans.weekly.rules.weekly.retention_days: retention_days 100 must be >= cold_storage_after_days 30 + 90"
        in report
    )
    assert "plans.daily.rules.daily.start_window_minutes" in report
    assert "Traceback" not in report
    assert pulumi.runtime.settings.SETTINGS.monitor.resources == {}


def test_a_missing_inventory_is_a_config_report():
    with pytest.raises(pulumi.RunError) as info:
        run_program(_prod_with(accounts={"source": "inventory", "inventory_file": "inventory/nope.yaml"}), stack="prod")
    assert "inventory file" in str(info.value) and "org-backup inventory" in str(info.value)


def test_an_excluded_target_is_not_attached_and_policies_stay_under_the_limit(prod_run):
    targets = [a.inputs["targetId"] for a in prod_run.of_type("aws:organizations/policyAttachment:PolicyAttachment")]
    assert "ou-ab12-33333333" not in targets
    for policy in prod_run.of_type("aws:organizations/policy:Policy"):
        assert len(policy.inputs["content"]) <= 10_000
