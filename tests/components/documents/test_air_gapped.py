"""The backup-policy builder's air-gapped primary target, and the documents of the air-gapped vaults."""

from __future__ import annotations

import json

from components.documents.air_gapped import (
    air_gapped_vault_policy,
    central_air_gapped_regions,
    central_air_gapped_vault_policy,
    member_air_gapped_regions,
    organization_arn,
)
from components.documents.backup_policy import render_plan
from components.documents.vault_policy import protected_actions
from tests.components.documents.config_factory import MANAGEMENT_ACCOUNT, ORG_ID, make_config

LAG = {"min_retention_days": 7, "max_retention_days": 35}
TARGET = "arn:aws:backup:$region:$account:backup-vault:org-backup-member-air-gapped"


UNLOCKED = {"lock_against_child_policies": False}


def _plan(rules: dict, **plan) -> dict:
    return {
        "daily": {
            "rules": rules,
            "selections": {"tags": {"backup-daily": {"key": "backup", "values": ["daily"]}}},
            **plan,
        }
    }


def test_a_plan_s_air_gapped_rules_name_the_member_vault_with_both_placeholders():
    config = make_config(
        vaults={"member": {"air_gapped": LAG}},
        plans=_plan(
            {"a": {"schedule": "daily", "retention_days": 14}, "b": {"schedule": "weekly", "retention_days": 30}},
            air_gapped=True,
        ),
        backup_policies=UNLOCKED,
    )
    rules = render_plan(config, "daily")["rules"]
    assert rules["a"]["target_logically_air_gapped_backup_vault_arn"] == {"@@assign": TARGET}
    assert rules["b"]["target_logically_air_gapped_backup_vault_arn"] == {"@@assign": TARGET}
    assert rules["a"]["target_backup_vault_name"] == {"@@assign": "org-backup"}, "still required by the syntax"


def test_a_rule_overrides_its_plan_either_way():
    config = make_config(
        vaults={"member": {"air_gapped": {**LAG, "name": "lag"}}},
        plans=_plan(
            {
                "on": {"schedule": "daily", "retention_days": 14, "air_gapped": True},
                "off": {"schedule": "daily", "retention_days": 14, "air_gapped": False},
                "inherit": {"schedule": "daily", "retention_days": 14},
            }
        ),
        organization={
            "partition": "aws-us-gov",
            "workload_regions": ["us-gov-west-1"],
            "dr_regions": ["us-gov-east-1"],
        },
        backup_policies=UNLOCKED,
    )
    rules = render_plan(config, "daily")["rules"]
    assert rules["on"]["target_logically_air_gapped_backup_vault_arn"] == {
        "@@assign": "arn:aws-us-gov:backup:$region:$account:backup-vault:lag"
    }
    assert "target_logically_air_gapped_backup_vault_arn" not in rules["off"]
    assert "target_logically_air_gapped_backup_vault_arn" not in rules["inherit"]


def test_no_target_without_the_option_or_without_a_vault():
    assert "target_logically_air_gapped_backup_vault_arn" not in json.dumps(render_plan(make_config(), "daily"))
    config = make_config(vaults={"member": {"air_gapped": LAG}})
    assert "target_logically_air_gapped_backup_vault_arn" not in json.dumps(render_plan(config, "daily"))


def test_a_locked_plan_locks_the_air_gapped_target_too():
    config = make_config(
        vaults={"member": {"air_gapped": LAG}},
        plans=_plan({"a": {"schedule": "daily", "retention_days": 14}}, air_gapped=True),
        backup_policies={"lock_against_child_policies": True},
    )
    rule = render_plan(config, "daily")["rules"]["a"]
    assert rule["@@operators_allowed_for_child_policies"] == ["@@none"]
    assert rule["target_logically_air_gapped_backup_vault_arn"] == {
        "@@assign": TARGET,
        "@@operators_allowed_for_child_policies": ["@@none"],
    }


def test_member_vaults_go_where_air_gapped_rules_run_and_central_ones_to_dr_regions():
    config = make_config(
        vaults={"member": {"air_gapped": LAG}, "central": {"air_gapped": {**LAG, "regions": ["eu-north-1"]}}},
        plans={
            **_plan({"a": {"schedule": "daily", "retention_days": 14}}, air_gapped=True, regions=["eu-central-1"]),
            "other": {
                "rules": {"r": {"schedule": "daily", "retention_days": 14}},
                "selections": {"tags": {"x": {"key": "x", "values": ["y"]}}},
            },
        },
    )
    assert member_air_gapped_regions(config) == ["eu-central-1"]
    assert central_air_gapped_regions(config) == ["eu-north-1"]
    assert central_air_gapped_regions(make_config()) == []
    default = make_config(vaults={"central": {"air_gapped": LAG}})
    assert central_air_gapped_regions(default) == ["eu-north-1"]


def test_the_air_gapped_vault_policy_denies_every_protected_action_and_allows_nothing():
    admins = ["arn:aws:iam::444455556666:role/OrganizationAccountAccessRole"]
    document = air_gapped_vault_policy(break_glass_role_arns=admins)
    assert [s["Effect"] for s in document["Statement"]] == ["Deny"]
    (deny,) = document["Statement"]
    assert sorted(deny["Action"]) == protected_actions() and deny["Principal"] == "*"
    assert deny["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": admins}}


def test_the_central_air_gapped_vault_refuses_copies_but_from_break_glass():
    """Nothing copies into it; an administrator filling it would make AWS keep (and bill) the junk."""
    admins = ["arn:aws:iam::111122223333:role/OrganizationAccountAccessRole"]
    document = central_air_gapped_vault_policy(break_glass_role_arns=admins)
    assert document["Statement"][:-1] == air_gapped_vault_policy(break_glass_role_arns=admins)["Statement"]
    assert document["Statement"][-1] == {
        "Sid": "DenyCopyIntoAirGappedVaultExceptBreakGlass",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["backup:CopyIntoBackupVault"],
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": admins}},
    }


def test_the_organization_arn_ram_shares_with():
    assert organization_arn(make_config()) == f"arn:aws:organizations::{MANAGEMENT_ACCOUNT}:organization/{ORG_ID}"
