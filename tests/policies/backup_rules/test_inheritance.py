"""Gaps a child policy leaves to a parent, and whether a parent fills them (AWS's documented example 5)."""

from __future__ import annotations

import json

from policies.backup_rules.inheritance import gaps, supplies
from tests.policies.backup_rules.aws_doc_examples import EXAMPLE_5_CHILD, EXAMPLE_5_PARENT


def test_aws_example_5_child_leaves_the_selections_to_its_parent_which_supplies_them() -> None:
    found = gaps(EXAMPLE_5_CHILD)
    assert [g.path for g in found] == ["plans.PII_Backup_Plan.selections"]
    assert all(supplies(EXAMPLE_5_PARENT, g) for g in found)
    assert gaps(EXAMPLE_5_PARENT) == []


def test_each_kind_of_gap_and_a_supplier_that_does_not_fill_it() -> None:
    plan = json.loads(EXAMPLE_5_PARENT)["plans"]["PII_Backup_Plan"]
    del plan["rules"]["Hourly"]["target_backup_vault_name"]
    del plan["selections"]["tags"]["datatype"]["iam_role_arn"]
    plan["rules"]["Empty"] = {"schedule_expression": {"@@assign": "cron(0 5 ? * * *)"}}
    document = {"plans": {"PII_Backup_Plan": plan, "Bare": {"rules": {}, "selections": {"tags": {}}}}}
    paths = {g.path: g for g in gaps(json.dumps(document))}
    assert set(paths) == {
        "plans.PII_Backup_Plan.rules.Hourly.target_backup_vault_name",
        "plans.PII_Backup_Plan.rules.Empty.target_backup_vault_name",
        "plans.PII_Backup_Plan.selections.tags.datatype.iam_role_arn",
        "plans.Bare.regions",
        "plans.Bare.rules",
        "plans.Bare.selections",
    }
    assert supplies(EXAMPLE_5_PARENT, paths["plans.PII_Backup_Plan.rules.Hourly.target_backup_vault_name"])
    assert not supplies(EXAMPLE_5_PARENT, paths["plans.PII_Backup_Plan.rules.Empty.target_backup_vault_name"])
    empty_rules = json.dumps({"plans": {"Bare": {"rules": {}, "selections": {"tags": {}}, "regions": {}}}})
    assert not supplies(empty_rules, paths["plans.Bare.rules"]), "an empty rules map supplies no rule"
    assert not supplies(empty_rules, paths["plans.Bare.selections"]), "an empty selection selects nothing"
    assert supplies(empty_rules, paths["plans.Bare.regions"])
