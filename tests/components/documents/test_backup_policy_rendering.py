"""The BACKUP_POLICY builder's rendering details, locking against child policies, and splitting into documents."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from components.documents.backup_policy import (
    ASSIGN,
    CHILD_OPERATORS,
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
)
from stackconfig.model import StackConfig
from tests.components.documents.backup_policy_helpers import (
    LOCK,
    _assert_leaves_assigned,
    _aws_example_config,
    _big_config,
    _big_plan,
    _objects,
    _only,
    _role_arns,
)
from tests.components.documents.config_factory import (
    CENTRAL_ACCOUNT,
    OTHER_OU_ID,
    OU_ID,
    ROOT_ID,
    make_config,
)

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
