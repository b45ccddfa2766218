"""Helpers shared by the BACKUP_POLICY builder tests (test_backup_policy_examples, _rendering, _properties)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterator
from typing import Any

from components.documents.backup_policy import (
    ASSIGN,
    CHILD_OPERATORS,
    BackupPolicyDocument,
)
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import (
    make_config,
    merge,
)

LOCK = ["@@none"]

# ------------------------------------------------------------------------------------------------ helpers


def _validator() -> Callable[[str], list[Any]] | None:
    """The pack's own document validator, when it has been written (it lives in another module)."""
    try:
        module = importlib.import_module("policies.backup_rules.backup_policy")
    except ImportError:
        return None
    validate: Callable[[str], list[Any]] = module.validate_backup_policy
    return validate


def _errors(content: str) -> list[Any]:
    validate = _validator()
    if validate is None:
        return []
    return [finding for finding in validate(content) if finding.severity == "error"]


def _objects(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object node with its dotted path, the node itself first."""
    yield path, node
    for key, value in node.items():
        if isinstance(value, dict):
            yield from _objects(value, f"{path}.{key}" if path else key)


def _assert_leaves_assigned(node: dict[str, Any], path: str) -> None:
    """Every key is an operator with a string (list) value, or names an object that recurses."""
    for key, value in node.items():
        where = f"{path}.{key}"
        if key == ASSIGN:
            assert isinstance(value, str) or (
                isinstance(value, list) and value and all(isinstance(v, str) for v in value)
            ), where
        elif key == CHILD_OPERATORS:
            assert value == LOCK, where
        else:
            assert isinstance(value, dict), f"{where} is a bare leaf"
            assert value, f"{where} is an empty object"
            _assert_leaves_assigned(value, where)


def _plan_arns(plan: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for rule in plan["rules"].values():
        if isinstance(rule, dict):
            for key, action in rule.get("copy_actions", {}).items():
                if key != CHILD_OPERATORS:
                    yield key, action


def _role_arns(plan: dict[str, Any]) -> list[str]:
    return [
        selection["iam_role_arn"][ASSIGN]
        for kind in ("tags", "resources")
        for name, selection in plan["selections"].get(kind, {}).items()
        if name != CHILD_OPERATORS
    ]


def _only(documents: list[BackupPolicyDocument]) -> dict[str, Any]:
    assert len(documents) == 1
    parsed: dict[str, Any] = json.loads(documents[0].content)
    return parsed


def _big_plan(rules: int, copies: int) -> dict[str, Any]:
    """A tag-selected plan that grows with ``rules`` and ``copies`` (locked, ~1,500 characters per rule and copy)."""
    regions = ["eu-north-1", "us-west-2", "ap-southeast-2", "ca-central-1", "sa-east-1"][:copies]
    return {
        "rules": {
            f"rule-{i:02d}": {
                "schedule": f"cron({i} 5 ? * * *)",
                "completion_window_minutes": 1440,
                "retention_days": 35,
                "copies": [{"region": r, "retention_days": 35} for r in regions],
                "recovery_point_tags": {"backup-rule": f"rule-{i:02d}"},
            }
            for i in range(rules)
        },
        "selections": {"tags": {"daily": {"key": "backup", "values": ["daily"]}}},
    }


def _big_config(n_plans: int, rules: int, copies: int, **overrides: Any) -> StackConfig:
    return make_config(
        organization={"dr_regions": ["eu-north-1", "us-west-2", "ap-southeast-2", "ca-central-1", "sa-east-1"]},
        plans={f"plan-{i:02d}": _big_plan(rules, copies) for i in range(n_plans)},
        **overrides,
    )


def _aws_example_config(**overrides: Any) -> StackConfig:
    settings_ = {
        "organization": {
            "central_vault_account_id": "111111111111",
            "workload_regions": ["us-east-1", "eu-west-1"],
            "dr_regions": ["us-west-2"],
        },
        "vaults": {
            "member": {"name": "OrgVault"},
            "central": {"name": "CentralVault"},
            "backup_role_name": "OrgBackupRole",
        },
        "backup_policies": {"lock_against_child_policies": False},
        "plans": {
            "Daily_Prod": {
                "regions": ["us-east-1", "eu-west-1"],
                "rules": {
                    "Daily": {
                        "schedule": "cron(0 5 ? * * *)",
                        "start_window_minutes": 60,
                        "completion_window_minutes": 10080,
                        "cold_storage_after_days": 30,
                        "retention_days": 120,
                        "copies": [{"region": "us-west-2", "destination": "central", "retention_days": 365}],
                    }
                },
                "selections": {
                    "resources": {
                        "prod_all_but_ebs": {
                            "resource_types": ["*"],
                            "not_resource_types": ["arn:aws:ec2:*:*:volume/*"],
                            "conditions": {"string_equals": {"aws:ResourceTag/env": "prod"}},
                        }
                    }
                },
                "tags": {"Owner": "Platform"},
            }
        },
    }
    return make_config(**merge(settings_, overrides, top_level=False))
