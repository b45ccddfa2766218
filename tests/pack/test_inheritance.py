"""backup-policy-effective-complete / -unverified: a hand-written backup policy that leaves a required key to a
parent policy fails when no policy of the stack applying to the same accounts supplies it, and stays advice where
the pack cannot tell which policies apply (no OrganizationView)."""

from __future__ import annotations

import copy
from typing import Any

from pulumi_policy import EnforcementLevel, Severity

from org_backup.preview.offline import load_stack_config, run_program
from rules import ALL_POLICIES
from rules import inheritance as rules
from tests.pack.harness import Spec, assert_rule_metadata, by_name, run_stack, specs_from_run

COMPLETE = by_name(rules.POLICIES, "backup-policy-effective-complete")
UNVERIFIED = by_name(rules.POLICIES, "backup-policy-effective-unverified")
VIEW = "org-backup:organization:OrganizationView"
GAP = "plans.scratch.rules.daily.target_backup_vault_name"


def child(vault: bool = False) -> dict[str, Any]:
    """AWS's child-policy shape: the rule's vault left to a parent."""
    rule: dict[str, Any] = {"schedule_expression": {"@@assign": "cron(0 5 ? * * *)"}}
    if vault:
        rule["target_backup_vault_name"] = {"@@assign": "org-backup"}
    return {
        "plans": {
            "scratch": {
                "regions": {"@@assign": ["us-east-1"]},
                "rules": {"daily": rule},
                "selections": {
                    "tags": {
                        "scratch": {
                            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/OrgBackupServiceRole"},
                            "tag_key": {"@@assign": "backup"},
                            "tag_value": {"@@assign": ["scratch"]},
                        }
                    }
                },
            }
        }
    }


def parent() -> dict[str, Any]:
    """A complete policy of the same plan (AWS's example 5 parent), which supplies the vault."""
    return child(vault=True)


def specs_with(custom: dict[str, Any]) -> list[Spec]:
    raw = copy.deepcopy(load_stack_config("prod"))
    raw["org-backup:backup_policies"] = {**raw["org-backup:backup_policies"], "custom": custom}
    return specs_from_run(run_program(raw, stack="prod").resources)


def messages(policy: Any, specs: list[Spec], config: dict[str, Any] | None = None) -> list[str]:
    return [message for _, message in run_stack(policy, specs, config)]


def test_metadata() -> None:
    assert_rule_metadata(ALL_POLICIES, COMPLETE.name, EnforcementLevel.MANDATORY, Severity.HIGH)
    assert_rule_metadata(ALL_POLICIES, UNVERIFIED.name, EnforcementLevel.ADVISORY, Severity.MEDIUM)
    assert "orgs_manage_policies_backup_syntax.html" in COMPLETE.description
    assert "orgs_manage_policies_inheritance_mgmt.html" in COMPLETE.description


def test_the_generated_stacks_leave_nothing_to_a_parent() -> None:
    specs = specs_from_run(run_program(load_stack_config("prod"), stack="prod").resources)
    assert messages(COMPLETE, specs) == [] and messages(UNVERIFIED, specs) == []


def test_a_lone_policy_without_the_vault_is_an_error() -> None:
    specs = specs_with({"scratch": {"targets": ["ou-ab12-11111111"], "content": child()}})
    [message] = messages(COMPLETE, specs)
    assert message.startswith(f"{GAP}: rule 'daily' has no target_backup_vault_name, and no other backup policy")
    assert (
        "4 account(s)" in message and "AWS Backup cannot run the plan there" in message
    )  # reach: active, not excluded
    assert messages(UNVERIFIED, specs) == []


def test_a_policy_on_an_ou_above_that_supplies_it_makes_it_complete() -> None:
    specs = specs_with(
        {
            "scratch": {"targets": ["ou-ab12-55555555"], "content": child()},
            "vaults": {"targets": ["ou-ab12-11111111"], "content": parent()},
        }
    )
    assert messages(COMPLETE, specs) == []


def test_a_supplier_on_another_branch_does_not_count() -> None:
    """The sibling OU's policy is not in the effective policy of the accounts the child reaches."""
    specs = specs_with(
        {
            "scratch": {"targets": ["ou-ab12-55555555"], "content": child()},
            "vaults": {"targets": ["ou-ab12-22222222"], "content": parent()},
        }
    )
    [message] = messages(COMPLETE, specs)
    assert "444444444405" in message


def test_a_supplier_below_covers_only_the_accounts_under_it() -> None:
    specs = specs_with(
        {
            "scratch": {"targets": ["ou-ab12-11111111"], "content": child()},
            "vaults": {"targets": ["ou-ab12-55555555"], "content": parent()},
        }
    )
    [message] = messages(COMPLETE, specs)
    assert "3 account(s)" in message and "444444444405" not in message


def test_without_the_organization_view_it_stays_advice_and_says_why() -> None:
    specs = [
        s for s in specs_with({"scratch": {"targets": ["ou-ab12-11111111"], "content": child()}}) if s.type != VIEW
    ]
    assert messages(COMPLETE, specs) == []
    [advice] = messages(UNVERIFIED, specs)
    assert advice.startswith(f"{GAP}: rule 'daily' has no target_backup_vault_name; whether a parent policy")
    assert "so this stays advice" in advice
    # The policy config gives what the view would: the error is back.
    paths = dict.fromkeys(["444444444401", "444444444402"], "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/")
    assert messages(COMPLETE, specs, {"organizationPaths": paths})
