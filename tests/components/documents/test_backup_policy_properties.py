"""Properties of the BACKUP_POLICY builder over generated stacks: valid minified documents, stable policies."""

from __future__ import annotations

import json
import string
from collections import Counter
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
from tests.components.documents.backup_policy_helpers import (
    _assert_leaves_assigned,
    _errors,
    _objects,
    _plan_arns,
    _role_arns,
)
from tests.components.documents.config_factory import (
    OTHER_OU_ID,
    OU_ID,
    ROOT_ID,
    base_config,
    merge,
)

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
