"""The BACKUP_POLICY builder: AWS's own example, a real-world plan, properties, splitting and locking."""

from __future__ import annotations

import importlib
import itertools
import json
import string
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from components.documents.backup_policy import (
    ASSIGN,
    CHILD_OPERATORS,
    POLICY_NAME_RE,
    BackupPolicyDocument,
    BackupPolicyError,
    group_key,
    overfull_target,
    render_backup_policies,
    render_document,
    render_plan,
)
from policies.backup_rules.limits import (
    MAX_BACKUP_POLICIES_PER_TARGET,
    MAX_BACKUP_POLICY_CHARS,
    RDS_AURORA_RESOURCE_TYPES,
    SUPPORTED_RESOURCE_TYPES,
)
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import (
    CENTRAL_ACCOUNT,
    OTHER_OU_ID,
    OU_ID,
    ROOT_ID,
    base_config,
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


# ------------------------------------------------------------------------------ AWS documentation example

AWS_EXAMPLE: dict[str, Any] = {
    "plans": {
        "Daily_Prod": {
            "regions": {ASSIGN: ["us-east-1", "eu-west-1"]},
            "rules": {
                "Daily": {
                    "schedule_expression": {ASSIGN: "cron(0 5 ? * * *)"},
                    "start_backup_window_minutes": {ASSIGN: "60"},
                    "complete_backup_window_minutes": {ASSIGN: "10080"},
                    "target_backup_vault_name": {ASSIGN: "OrgVault"},
                    "lifecycle": {
                        "move_to_cold_storage_after_days": {ASSIGN: "30"},
                        "delete_after_days": {ASSIGN: "120"},
                        "opt_in_to_archive_for_supported_resources": {ASSIGN: "false"},
                    },
                    "copy_actions": {
                        "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault": {
                            "target_backup_vault_arn": {
                                ASSIGN: "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault"
                            },
                            "lifecycle": {"delete_after_days": {ASSIGN: "365"}},
                        }
                    },
                }
            },
            "selections": {
                "resources": {
                    "prod_all_but_ebs": {
                        "iam_role_arn": {ASSIGN: "arn:aws:iam::$account:role/OrgBackupRole"},
                        "resource_types": {ASSIGN: ["*"]},
                        "not_resource_types": {ASSIGN: ["arn:aws:ec2:*:*:volume/*"]},
                        "conditions": {
                            "string_equals": {
                                "env": {
                                    "condition_key": {ASSIGN: "aws:ResourceTag/env"},
                                    "condition_value": {ASSIGN: "prod"},
                                }
                            }
                        },
                    }
                }
            },
            "backup_plan_tags": {"owner": {"tag_key": {ASSIGN: "Owner"}, "tag_value": {ASSIGN: "Platform"}}},
        }
    }
}


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


def test_rebuilds_the_aws_documentation_example() -> None:
    config = _aws_example_config()
    documents = render_backup_policies(config, {"Daily_Prod": [ROOT_ID]})
    parsed = _only(documents)
    plan = parsed["plans"]["Daily_Prod"]
    # Identifiers the builder derives rather than copies from the config:
    assert list(plan["selections"]["resources"]["prod_all_but_ebs"]["conditions"]["string_equals"]) == ["env"]
    assert list(plan["backup_plan_tags"]) == ["owner"]
    assert parsed == AWS_EXAMPLE
    assert render_plan(config, "Daily_Prod") == AWS_EXAMPLE["plans"]["Daily_Prod"]
    assert documents[0].plan_names == ("Daily_Prod",)
    assert documents[0].target_ids == (ROOT_ID,)
    assert documents[0].size == len(documents[0].content) < MAX_BACKUP_POLICY_CHARS


def test_rebuilds_a_daily_tag_plan_with_a_cross_account_copy() -> None:
    """Modelled on the aws-samples organization daily plan (corpus 14), rendered with @@assign throughout."""
    central_vault = f"arn:aws:backup:us-east-1:{CENTRAL_ACCOUNT}:backup-vault:BackupSolutionCentralVault"
    config = make_config(
        organization={"workload_regions": ["us-east-1", "us-west-2"], "dr_regions": ["us-east-1"]},
        vaults={
            "member": {"name": "BackupSolutionVault"},
            "central": {"name": "BackupSolutionCentralVault"},
            "backup_role_name": "BackupSolutionRole",
        },
        backup_policies={"lock_against_child_policies": False},
        plans={
            "OrgDailyPlan": {
                "rules": {
                    "OrgDailyRule": {
                        "schedule": "daily",
                        "start_window_minutes": 60,
                        "completion_window_minutes": 1200,
                        "retention_days": 35,
                        "copies": [{"region": "us-east-1", "retention_days": 35}],
                        "recovery_point_tags": {"project": "org-backup"},
                    }
                },
                "selections": {"tags": {"OrgDailySelection": {"key": "backup", "values": ["daily"]}}},
                "tags": {"project": "org-backup"},
            }
        },
    )
    parsed = _only(render_backup_policies(config, {"OrgDailyPlan": [OU_ID]}))
    tag = {"project": {"tag_key": {ASSIGN: "project"}, "tag_value": {ASSIGN: "org-backup"}}}
    assert parsed == {
        "plans": {
            "OrgDailyPlan": {
                "regions": {ASSIGN: ["us-east-1", "us-west-2"]},
                "rules": {
                    "OrgDailyRule": {
                        "schedule_expression": {ASSIGN: "cron(0 5 ? * * *)"},
                        "start_backup_window_minutes": {ASSIGN: "60"},
                        "complete_backup_window_minutes": {ASSIGN: "1200"},
                        "lifecycle": {"delete_after_days": {ASSIGN: "35"}},
                        "target_backup_vault_name": {ASSIGN: "BackupSolutionVault"},
                        "recovery_point_tags": tag,
                        "copy_actions": {
                            central_vault: {
                                "target_backup_vault_arn": {ASSIGN: central_vault},
                                "lifecycle": {"delete_after_days": {ASSIGN: "35"}},
                            }
                        },
                    }
                },
                "backup_plan_tags": tag,
                "selections": {
                    "tags": {
                        "OrgDailySelection": {
                            "iam_role_arn": {ASSIGN: "arn:aws:iam::$account:role/BackupSolutionRole"},
                            "tag_key": {ASSIGN: "backup"},
                            "tag_value": {ASSIGN: ["daily"]},
                        }
                    }
                },
            }
        }
    }


def test_rendered_examples_pass_the_document_validator() -> None:
    validator = pytest.importorskip("policies.backup_rules.backup_policy")
    configs = [
        (_aws_example_config(), {"Daily_Prod": [ROOT_ID]}),
        (_aws_example_config(backup_policies={"lock_against_child_policies": True}), {"Daily_Prod": [ROOT_ID]}),
        (make_config(), {"daily": [OU_ID]}),
        (_big_config(5, 2, 2), {f"plan-{i:02d}": [ROOT_ID] for i in range(5)}),
    ]
    for config, targets in configs:
        for document in render_backup_policies(config, targets):
            errors = [f for f in validator.validate_backup_policy(document.content) if f.severity == "error"]
            assert errors == [], document.name


# ------------------------------------------------------------------------------------------ rendering details


def test_same_config_same_bytes_and_minified() -> None:
    config = _aws_example_config()
    first = render_backup_policies(config, {"Daily_Prod": [ROOT_ID]})
    again = render_backup_policies(StackConfig.model_validate(config.model_dump()), {"Daily_Prod": [ROOT_ID]})
    assert first == again
    content = first[0].content
    assert content == render_document({"Daily_Prod": render_plan(config, "Daily_Prod")})
    assert ": " not in content.replace('": "', "")
    assert "\n" not in content


def test_member_copies_use_account_placeholder_and_partition() -> None:
    config = make_config(
        organization={
            "partition": "aws-us-gov",
            "workload_regions": ["us-gov-west-1", "us-gov-east-1"],
            "dr_regions": ["us-gov-east-1"],
        },
        plans={
            "gov": {
                "regions": ["us-gov-west-1"],
                "rules": {
                    "daily": {
                        "schedule": "daily",
                        "retention_days": 35,
                        "copies": [
                            {"region": "us-gov-east-1", "destination": "member"},
                            {"region": "us-gov-east-1", "destination": "central"},
                        ],
                    }
                },
                "selections": {"tags": {"all": {"key": "backup", "values": ["yes"]}}},
            }
        },
        backup_policies={"lock_against_child_policies": False},
    )
    plan = render_plan(config, "gov")
    copies = plan["rules"]["daily"]["copy_actions"]
    assert set(copies) == {
        "arn:aws-us-gov:backup:us-gov-east-1:$account:backup-vault:org-backup",
        f"arn:aws-us-gov:backup:us-gov-east-1:{CENTRAL_ACCOUNT}:backup-vault:org-backup-central",
    }
    assert all("lifecycle" not in action for action in copies.values())
    assert _role_arns(plan) == ["arn:aws-us-gov:iam::$account:role/OrgBackupServiceRole"]


def test_lifecycle_keys_only_when_set() -> None:
    def rule_lifecycle(**rule: Any) -> dict[str, Any] | None:
        rule = {"schedule": "daily", "retention_days": None, "start_window_minutes": None, **rule}
        config = make_config(
            plans={"p": {"rules": {"r": rule}, "selections": {"tags": {"s": {"key": "k", "values": ["v"]}}}}},
            backup_policies={"lock_against_child_policies": False},
        )
        node = render_plan(config, "p")["rules"]["r"]
        assert "start_backup_window_minutes" not in node
        assert "complete_backup_window_minutes" not in node
        result: dict[str, Any] | None = node.get("lifecycle")
        return result

    assert rule_lifecycle() is None
    assert rule_lifecycle(retention_days=-1, cold_storage_after_days=-1) is None
    assert rule_lifecycle(retention_days=14) == {"delete_after_days": {ASSIGN: "14"}}
    assert rule_lifecycle(retention_days=14, archive=False) == {"delete_after_days": {ASSIGN: "14"}}
    assert rule_lifecycle(cold_storage_after_days=10, retention_days=200, archive=True) == {
        "move_to_cold_storage_after_days": {ASSIGN: "10"},
        "delete_after_days": {ASSIGN: "200"},
        "opt_in_to_archive_for_supported_resources": {ASSIGN: "true"},
    }
    assert rule_lifecycle(cold_storage_after_days=10, retention_days=-1) == {
        "move_to_cold_storage_after_days": {ASSIGN: "10"},
        "opt_in_to_archive_for_supported_resources": {ASSIGN: "false"},
    }


def test_continuous_advanced_settings_and_windows() -> None:
    config = make_config(
        plans={
            "pitr": {
                "rules": {
                    "pitr": {
                        "schedule": "hourly",
                        "retention_days": 35,
                        "continuous": True,
                        "start_window_minutes": 60,
                        "completion_window_minutes": 120,
                    },
                    "plain": {"schedule": "daily", "retention_days": 7},
                },
                "selections": {"resources": {"s3": {"resource_types": ["arn:aws:s3:::*"]}}},
                "advanced": {"windows_vss": False, "s3_backup_acls": True, "s3_backup_object_tags": False},
            }
        },
        backup_policies={"lock_against_child_policies": False},
    )
    plan = render_plan(config, "pitr")
    assert plan["rules"]["pitr"]["enable_continuous_backup"] == {ASSIGN: "true"}
    assert plan["rules"]["pitr"]["schedule_expression"] == {ASSIGN: "cron(0 * ? * * *)"}
    assert plan["rules"]["pitr"]["complete_backup_window_minutes"] == {ASSIGN: "120"}
    assert "enable_continuous_backup" not in plan["rules"]["plain"]
    assert plan["advanced_backup_settings"] == {
        "ec2": {"windows_vss": {ASSIGN: "disabled"}},
        "s3": {"backup_acls": {ASSIGN: "enabled"}, "backup_object_tags": {ASSIGN: "disabled"}},
    }
    assert plan["regions"] == {ASSIGN: ["eu-west-1", "eu-central-1"]}
    assert "conditions" not in plan["selections"]["resources"]["s3"]
    assert "not_resource_types" not in plan["selections"]["resources"]["s3"]
    assert "backup_plan_tags" not in plan


def test_derived_identifiers_stay_unique_after_lower_casing() -> None:
    config = make_config(
        plans={
            "p": {
                "rules": {
                    "r": {
                        "schedule": "daily",
                        "retention_days": 7,
                        "recovery_point_tags": {"Team": "a", "team": "b", "cost center": "c"},
                    }
                },
                "selections": {
                    "resources": {
                        "all": {
                            "resource_types": ["arn:aws:dynamodb:*:*:table/*"],
                            "conditions": {
                                "string_like": {
                                    "aws:ResourceTag/Env": "prod*",
                                    "aws:ResourceTag/env": "p*",
                                    "aws:ResourceTag/": "x",
                                }
                            },
                        }
                    }
                },
            }
        },
        backup_policies={"lock_against_child_policies": False},
    )
    plan = render_plan(config, "p")
    tags = plan["rules"]["r"]["recovery_point_tags"]
    assert {i: t["tag_key"][ASSIGN] for i, t in tags.items()} == {
        "cost_center": "cost center",
        "team": "Team",
        "team_2": "team",
    }
    like = plan["selections"]["resources"]["all"]["conditions"]["string_like"]
    assert {i: c["condition_key"][ASSIGN] for i, c in like.items()} == {
        "condition": "aws:ResourceTag/",
        "env": "aws:ResourceTag/Env",
        "env_2": "aws:ResourceTag/env",
    }


def test_mistakes_the_model_lets_through_raise_with_a_path() -> None:
    both = make_config(
        plans={
            "p": {
                "rules": {"r": {"schedule": "daily", "retention_days": 7}},
                "selections": {
                    "tags": {"t": {"key": "k", "values": ["v"]}},
                    "resources": {"r": {"resource_types": ["*"]}},
                },
            }
        }
    )
    with pytest.raises(BackupPolicyError) as error:
        render_plan(both, "p")
    assert (error.value.path, error.value.rule) == ("plans.p.selections", "selection-kind")

    twice = make_config(
        plans={
            "p": {
                "rules": {
                    "r": {
                        "schedule": "daily",
                        "retention_days": 7,
                        "copies": [{"region": "eu-north-1"}, {"region": "eu-north-1", "retention_days": 9}],
                    }
                },
                "selections": {"tags": {"t": {"key": "k", "values": ["v"]}}},
            }
        }
    )
    with pytest.raises(BackupPolicyError) as error:
        render_plan(twice, "p")
    assert error.value.path == "plans.p.rules.r.copies[1]"

    config = make_config()
    with pytest.raises(BackupPolicyError, match="ghost"):
        render_plan(config, "ghost")
    with pytest.raises(BackupPolicyError, match="ghost"):
        render_backup_policies(config, {"daily": [OU_ID], "ghost": [OU_ID]})
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(config, {"daily": []})
    assert (error.value.path, error.value.rule) == ("plans.daily.targets", "plan-without-target")
    finding = error.value.finding()
    assert (finding.path, finding.rule, finding.severity) == ("plans.daily.targets", "plan-without-target", "error")


# ---------------------------------------------------------------------------------------------------- locking


def test_lock_puts_none_on_the_plan_and_every_object_below_it() -> None:
    config = _aws_example_config(backup_policies={"lock_against_child_policies": True})
    parsed = _only(render_backup_policies(config, {"Daily_Prod": [ROOT_ID]}))
    assert CHILD_OPERATORS not in parsed["plans"], "children may still add plans of their own"
    plan = parsed["plans"]["Daily_Prod"]
    objects = list(_objects(plan))
    assert len(objects) > 20
    for path, node in objects:
        assert node[CHILD_OPERATORS] == LOCK, path
    assert plan["rules"]["Daily"]["schedule_expression"] == {ASSIGN: "cron(0 5 ? * * *)", CHILD_OPERATORS: LOCK}
    _assert_leaves_assigned(plan, "Daily_Prod")


def test_lock_off_adds_no_child_operator() -> None:
    parsed = _only(render_backup_policies(_aws_example_config(), {"Daily_Prod": [ROOT_ID]}))
    assert CHILD_OPERATORS not in json.dumps(parsed)


@pytest.mark.parametrize(
    ("stack_lock", "plan_lock", "locked"),
    [(True, None, True), (False, None, False), (True, False, False), (False, True, True), (True, True, True)],
)
def test_plan_lock_overrides_the_stack_default(stack_lock: bool, plan_lock: bool | None, locked: bool) -> None:
    config = _aws_example_config(
        backup_policies={"lock_against_child_policies": stack_lock},
        plans={"Daily_Prod": {"lock_against_child_policies": plan_lock}},
    )
    assert (CHILD_OPERATORS in render_plan(config, "Daily_Prod")) is locked


# -------------------------------------------------------------------------------------------------- splitting


def test_big_plans_split_deterministically_into_named_documents() -> None:
    """Eleven plans on the root: one policy each would be over the limit, so they are packed, greedily in name
    order, each document named after the plans it holds."""
    config = _big_config(11, 2, 2)
    targets = {name: [ROOT_ID] for name in config.plans}
    assert overfull_target(config, targets) == (ROOT_ID, 11)
    documents = render_backup_policies(config, targets)
    assert documents == render_backup_policies(config, targets)
    assert 3 <= len(documents) <= MAX_BACKUP_POLICIES_PER_TARGET
    assert [d.name for d in documents] == sorted(f"org-backup-plans-{group_key(d.plan_names)}" for d in documents)
    in_order = sorted(documents, key=lambda d: d.plan_names[0])
    assert [name for d in in_order for name in d.plan_names] == sorted(config.plans)
    for before, after in itertools.pairwise(in_order):
        plans = {name: render_plan(config, name) for name in (*before.plan_names, after.plan_names[0])}
        assert len(render_document(plans)) > MAX_BACKUP_POLICY_CHARS, "greedy: the next plan did not fit"
    for document in documents:
        assert document.size <= MAX_BACKUP_POLICY_CHARS
        assert sorted(json.loads(document.content)["plans"]) == list(document.plan_names)
        assert document.target_ids == (ROOT_ID,)


def test_a_plan_too_big_for_one_policy_is_named() -> None:
    config = make_config(
        organization={"dr_regions": ["eu-north-1", "us-west-2", "ap-southeast-2", "ca-central-1", "sa-east-1"]},
        plans={"small": _big_plan(1, 1), "huge": _big_plan(10, 5)},
    )
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(config, {"small": [OU_ID], "huge": [OU_ID]})
    assert error.value.path == "plans.huge"
    assert error.value.rule == "backup-policy-size"
    assert error.value.value > MAX_BACKUP_POLICY_CHARS
    assert "huge" in error.value.message
    assert str(MAX_BACKUP_POLICY_CHARS) in error.value.message
    assert str(error.value.value) in error.value.message


def test_more_than_ten_policies_on_one_target_is_refused() -> None:
    config = _big_config(11, 3, 2)
    assert len(render_document({"plan-00": render_plan(config, "plan-00")})) > MAX_BACKUP_POLICY_CHARS // 2
    targets = {name: [ROOT_ID] for name in config.plans}
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(config, targets)
    assert error.value.rule == "backup-policies-per-target"
    assert ROOT_ID in error.value.message
    assert error.value.value == 11

    ten = {name: t for name, t in targets.items() if name != "plan-10"}
    ten["plan-10"] = [OU_ID]
    assert len(render_backup_policies(config, ten)) == 11


def test_policies_attached_elsewhere_count_against_the_limit() -> None:
    targets = {f"plan-{i:02d}": [ROOT_ID, OU_ID] for i in range(3)}
    per_policy = len(render_backup_policies(_big_config(3, 3, 2), targets))
    assert per_policy == 3
    room = MAX_BACKUP_POLICIES_PER_TARGET - per_policy
    fits = _big_config(3, 3, 2, backup_policies={"policies_attached_elsewhere": {OU_ID: room, OTHER_OU_ID: 10}})
    assert len(render_backup_policies(fits, targets)) == 3
    full = _big_config(3, 3, 2, backup_policies={"policies_attached_elsewhere": {OU_ID: room + 1}})
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(full, targets)
    assert OU_ID in error.value.message
    assert error.value.value == MAX_BACKUP_POLICIES_PER_TARGET + 1


def test_one_policy_per_plan_named_after_the_plan() -> None:
    config = make_config(plans={"a": _big_plan(1, 1), "b": _big_plan(1, 1), "c": _big_plan(1, 1)})
    documents = render_backup_policies(config, {"a": [OU_ID, ROOT_ID], "b": [ROOT_ID, OU_ID, OU_ID], "c": [OU_ID]})
    assert [(d.name, d.plan_names, d.target_ids) for d in documents] == [
        ("org-backup-a", ("a",), tuple(sorted([OU_ID, ROOT_ID]))),
        ("org-backup-b", ("b",), tuple(sorted([OU_ID, ROOT_ID]))),
        ("org-backup-c", ("c",), (OU_ID,)),
    ]
    for document in documents:
        (plan,) = document.plan_names
        assert document.content == render_document({plan: render_plan(config, plan)})


# ------------------------------------------------------------------------------------------------- properties

WORKLOAD_REGIONS = ["eu-west-1", "eu-central-1", "us-east-1"]
DR_REGIONS = ["eu-north-1", "us-west-2", "ap-southeast-2", "ca-central-1", "sa-east-1"]
TARGET_SETS = [(ROOT_ID,), (OU_ID,), (OU_ID, OTHER_OU_ID), ("444455556666",)]
NON_RDS_TYPES = sorted(SUPPORTED_RESOURCE_TYPES - RDS_AURORA_RESOURCE_TYPES - {"*"})

ALNUM = string.ascii_letters + string.digits
names = st.text(ALNUM + "_.-", min_size=1, max_size=20)
tag_keys = st.text(ALNUM + " _.:/=+@-", min_size=1, max_size=20)
tag_values = st.text(ALNUM + " _.:/=+@-", min_size=1, max_size=16)
vault_names = st.text(ALNUM + "_-", min_size=2, max_size=30)
schedules = st.sampled_from(["hourly", "daily", "weekly", "monthly", "cron(30 2 ? * MON-FRI *)", "cron(0 */6 * * ? *)"])


def _unique_names(min_size: int, max_size: int) -> st.SearchStrategy[list[str]]:
    return st.lists(names, min_size=min_size, max_size=max_size, unique_by=str.lower)


@st.composite
def lifecycles(draw: st.DrawFn, *, cold: bool) -> dict[str, Any]:
    cold_days = draw(st.none() | st.integers(7, 365)) if cold else None
    if cold_days is not None:
        return {"cold_storage_after_days": cold_days, "retention_days": draw(st.integers(cold_days + 90, 3650))}
    return {"retention_days": draw(st.none() | st.integers(7, 3650))}


@st.composite
def copies(draw: st.DrawFn, plan_regions: list[str]) -> list[dict[str, Any]]:
    member_regions = [r for r in WORKLOAD_REGIONS if r not in plan_regions]
    destinations = [("central", r) for r in DR_REGIONS] + [("member", r) for r in member_regions]
    chosen = draw(st.lists(st.sampled_from(destinations), max_size=5, unique=True))
    out = []
    for destination, region in chosen:
        lifecycle = draw(lifecycles(cold=False))
        out.append({"destination": destination, "region": region, **lifecycle})
    return out


@st.composite
def rules(draw: st.DrawFn, plan_regions: list[str]) -> dict[str, Any]:
    rule: dict[str, Any] = {"schedule": draw(schedules)}
    start = draw(st.none() | st.integers(60, 720))
    rule["start_window_minutes"] = start
    if draw(st.booleans()):
        rule["completion_window_minutes"] = (start or 480) + draw(st.integers(60, 10_000))
    if draw(st.booleans()):
        rule.update(continuous=True, retention_days=draw(st.integers(7, 35)))
    else:
        rule.update(draw(lifecycles(cold=True)))
        rule["archive"] = "cold_storage_after_days" in rule and draw(st.booleans())
        rule["copies"] = draw(copies(plan_regions))
    rule["recovery_point_tags"] = draw(st.dictionaries(tag_keys, tag_values, max_size=3))
    return rule


@st.composite
def selections(draw: st.DrawFn) -> dict[str, Any]:
    if draw(st.booleans()):
        tags = {
            name: {"key": draw(tag_keys), "values": draw(st.lists(tag_values, min_size=1, max_size=3))}
            for name in draw(_unique_names(1, 3))
        }
        return {"tags": tags}
    resources: dict[str, Any] = {}
    for name in draw(_unique_names(1, 2)):
        conditions = {
            operator: draw(st.dictionaries(tag_keys.map(lambda key: f"aws:ResourceTag/{key}"), tag_values, max_size=2))
            for operator in ("string_equals", "string_not_equals", "string_like", "string_not_like")
        }
        resources[name] = {
            "resource_types": draw(st.lists(st.sampled_from(NON_RDS_TYPES), min_size=1, max_size=4, unique=True)),
            "not_resource_types": draw(st.lists(st.sampled_from(NON_RDS_TYPES), max_size=2, unique=True)),
            "conditions": conditions,
        }
    return {"resources": resources}


@st.composite
def plans(draw: st.DrawFn) -> dict[str, Any]:
    regions = draw(st.none() | st.lists(st.sampled_from(WORKLOAD_REGIONS), min_size=1, max_size=3, unique=True))
    plan_regions = regions or WORKLOAD_REGIONS
    plan: dict[str, Any] = {
        "regions": regions,
        "rules": {name: draw(rules(plan_regions)) for name in draw(_unique_names(1, 10))},
        "selections": draw(selections()),
        "tags": draw(st.dictionaries(tag_keys, tag_values, max_size=3)),
        "lock_against_child_policies": draw(st.none() | st.booleans()),
    }
    if draw(st.booleans()):
        plan["advanced"] = {
            "windows_vss": draw(st.none() | st.booleans()),
            "s3_backup_acls": draw(st.none() | st.booleans()),
            "s3_backup_object_tags": draw(st.none() | st.booleans()),
        }
    return plan


@st.composite
def stacks(draw: st.DrawFn) -> tuple[StackConfig, dict[str, list[str]]]:
    """A valid stack with 1-12 plans, and the target set each plan's policies are attached to."""
    plan_names = draw(_unique_names(1, 12))
    raw = merge(
        base_config(),
        {
            "organization": {
                "workload_regions": WORKLOAD_REGIONS,
                "dr_regions": DR_REGIONS,
                "partition": draw(st.sampled_from(["aws", "aws", "aws-us-gov"])),
            },
            "vaults": {
                "member": {"name": draw(vault_names)},
                "central": {"name": draw(vault_names)},
                "backup_role_name": draw(st.text(ALNUM + "_+=,.@-", min_size=1, max_size=40)),
            },
            "backup_policies": {
                "name_prefix": draw(st.text(ALNUM + "_.-", min_size=1, max_size=64)),
                "lock_against_child_policies": draw(st.booleans()),
            },
            "plans": {name: draw(plans()) for name in plan_names},
        },
    )
    targets = {name: list(draw(st.sampled_from(TARGET_SETS))) for name in plan_names}
    return StackConfig.model_validate(raw), targets


Rendered = tuple[StackConfig, dict[str, list[str]], list[BackupPolicyDocument]]


def _render_fitting(config: StackConfig, targets: dict[str, list[str]]) -> Rendered | None:
    """Check the refusal of plans too big for any policy, then render the config without them.

    Generated plans with 10 rules and 5 copies each often exceed 10,000 characters once locked; dropping
    them keeps every example useful for the other properties. None when nothing is left to render, or
    after checking that a refusal for too many policies on one target was deserved.
    """
    oversized = {n for n in config.plans if len(render_document({n: render_plan(config, n)})) > MAX_BACKUP_POLICY_CHARS}
    event(f"oversized plans: {min(len(oversized), 2)}{'+' if len(oversized) >= 2 else ''}")
    if oversized:
        with pytest.raises(BackupPolicyError) as refused:
            render_backup_policies(config, targets)
        assert refused.value.rule == "backup-policy-size"
        assert refused.value.path.removeprefix("plans.") in oversized
        assert refused.value.value > MAX_BACKUP_POLICY_CHARS
        if oversized == set(config.plans):
            return None
        raw = config.model_dump()
        raw["plans"] = {name: plan for name, plan in raw["plans"].items() if name not in oversized}
        config = StackConfig.model_validate(raw)
        targets = {name: t for name, t in targets.items() if name not in oversized}
    try:
        documents = render_backup_policies(config, targets)
    except BackupPolicyError as error:
        event(f"refused: {error.rule}")
        assert error.rule == "backup-policies-per-target", error
        target = next(t for t in sorted({t for ts in targets.values() for t in ts}) if t in error.message)
        assert sum(target in ts for ts in targets.values()) > MAX_BACKUP_POLICIES_PER_TARGET
        return None
    return config, targets, documents


PROPERTY_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@PROPERTY_SETTINGS
@given(stacks())
def test_every_document_is_a_valid_minified_backup_policy(stack: tuple[StackConfig, dict[str, list[str]]]) -> None:
    rendered = _render_fitting(*stack)
    if rendered is None:
        return
    config, targets, documents = rendered
    event(f"documents: {min(len(documents), 5)}{'+' if len(documents) >= 5 else ''}")
    assert render_backup_policies(StackConfig.model_validate(config.model_dump()), targets) == documents
    seen: Counter[str] = Counter()
    for document in documents:
        assert POLICY_NAME_RE.match(document.name)
        assert document.size == len(document.content) <= MAX_BACKUP_POLICY_CHARS
        parsed = json.loads(document.content)
        assert list(parsed) == ["plans"]
        assert sorted(parsed["plans"]) == sorted(document.plan_names)
        assert document.content == render_document(parsed["plans"])
        assert _errors(document.content) == [], document.name
        seen.update(document.plan_names)
        for name, plan in parsed["plans"].items():
            assert document.target_ids == tuple(sorted(set(targets[name])))
            _assert_leaves_assigned(plan, name)
            locked = config.plans[name].lock_against_child_policies
            if locked is None:
                locked = config.backup_policies.lock_against_child_policies
            assert all((CHILD_OPERATORS in node) is locked for _, node in _objects(plan))
            for key, action in _plan_arns(plan):
                assert action["target_backup_vault_arn"][ASSIGN] == key
                assert key.startswith(f"arn:{config.organization.partition}:backup:")
            assert all("$account" in arn for arn in _role_arns(plan))
    assert seen == Counter(config.plans.keys()), "every plan is in exactly one document"


@settings(PROPERTY_SETTINGS, max_examples=25)
@given(stacks(), st.data())
def test_adding_a_plan_keeps_every_other_policy(
    stack: tuple[StackConfig, dict[str, list[str]]], data: st.DataObject
) -> None:
    rendered = _render_fitting(*stack)
    if rendered is None:
        return
    config, targets, before = rendered
    new_name = f"added-{data.draw(names, 'new plan')}"
    assume(new_name.lower() not in {p.lower() for p in config.plans})
    new_targets = list(data.draw(st.sampled_from(TARGET_SETS), "its targets"))
    raw = config.model_dump()
    raw["plans"][new_name] = data.draw(plans(), "its body")
    bigger = _render_fitting(StackConfig.model_validate(raw), {**targets, new_name: new_targets})
    assume(bigger is not None and new_name in bigger[0].plans)
    assert bigger is not None
    packed = overfull_target(bigger[0], bigger[1]) is not None
    event(f"packed after adding: {packed}")
    assume(not packed)
    after = {d.name: d for d in bigger[2]}
    added = after.pop(f"{config.backup_policies.name_prefix}-{new_name}")
    assert added.plan_names == (new_name,)
    assert after == {d.name: d for d in before}
