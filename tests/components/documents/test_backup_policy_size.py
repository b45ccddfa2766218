"""Issue 10 item 9: a policy-size error names the plans and their sizes, and says to separate plans only when
a different grouping fits (a plan too big alone must shrink; separating cannot help it)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.documents.backup_policy import BackupPolicyError, render_backup_policies, render_document, render_plan
from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.limits import MAX_BACKUP_POLICY_CHARS
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import OU_ID, ROOT_ID, make_config
from tests.policies.backup_rules.samples import tag_policy

DR_REGIONS = ["eu-north-1", "us-west-2", "ap-southeast-2", "ca-central-1", "sa-east-1"]


def _plan(rules: int, copies: int) -> dict[str, Any]:
    """A tag-selected plan of about 1,500 characters per rule and copy once locked."""
    return {
        "rules": {
            f"rule-{i:02d}": {
                "schedule": f"cron({i} 5 ? * * *)",
                "completion_window_minutes": 1440,
                "retention_days": 35,
                "copies": [{"region": r, "retention_days": 35} for r in DR_REGIONS[:copies]],
            }
            for i in range(rules)
        },
        "selections": {"tags": {"daily": {"key": "backup", "values": ["daily"]}}},
    }


def _size(config: StackConfig, name: str) -> int:
    return len(render_document({name: render_plan(config, name)}))


def _part(config: StackConfig, name: str, key: str) -> int:
    return len(json.dumps(render_plan(config, name)[key], separators=(",", ":")))


def test_a_plan_too_big_alone_is_told_to_shrink_never_to_separate() -> None:
    config = make_config(organization={"dr_regions": DR_REGIONS}, plans={"small": _plan(1, 1), "huge": _plan(10, 5)})
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(config, {"small": [OU_ID], "huge": [OU_ID]})
    size, rules = _size(config, "huge"), _part(config, "huge", "rules")
    selections, regions = _part(config, "huge", "selections"), _part(config, "huge", "regions")
    assert size > MAX_BACKUP_POLICY_CHARS > _size(config, "small")
    assert error.value.path == "plans.huge"
    assert error.value.value == size
    assert error.value.message == (
        f"plan 'huge' alone renders {size} characters, over the 10000-character backup policy limit (largest "
        f"parts: rules {rules}, selections {selections}, regions {regions}): a plan cannot be spread over "
        "several policies, so shrink it (fewer rules, copy actions, Regions, selections or tags)"
    )
    assert "separat" not in error.value.message and "small" not in error.value.message


def test_too_many_policies_on_a_target_advises_one_target_set_when_that_fits() -> None:
    """Eleven small plans, each with its own target set that includes the root: the root would carry eleven
    policies, while one shared target set puts all of them in one policy."""
    names = [f"p{i:02d}" for i in range(11)]
    config = make_config(plans={name: _plan(1, 0) for name in names})
    targets = {name: [ROOT_ID, f"ou-ab12-{i:08d}"] for i, name in enumerate(names)}
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(config, targets)
    sizes = ", ".join(f"{name} {_size(config, name)}" for name in names)
    together = len(render_backup_policies(config, {name: [ROOT_ID] for name in names}))
    assert 1 < together <= 10
    assert error.value.rule == "backup-policies-per-target"
    assert error.value.message == (
        f"{ROOT_ID} would have 11 backup policies attached directly (11 for plans {', '.join(names)} + 0 attached "
        f"elsewhere), over the limit of 10; plan sizes in characters: {sizes}; with one set of targets they would "
        f"share {together} policies: give plans {', '.join(names)} the same targets (attach them higher up, e.g. "
        "to the common OU)"
    )


def test_too_many_policies_with_one_target_set_says_no_grouping_fits() -> None:
    """Eleven plans too big to share a policy, all on the root: regrouping cannot help, so it is not advised."""
    names = [f"plan-{i:02d}" for i in range(11)]
    config = make_config(organization={"dr_regions": DR_REGIONS}, plans={name: _plan(3, 2) for name in names})
    assert all(2 * _size(config, name) > MAX_BACKUP_POLICY_CHARS for name in names)
    with pytest.raises(BackupPolicyError) as error:
        render_backup_policies(config, {name: [ROOT_ID] for name in names})
    sizes = ", ".join(f"{name} {_size(config, name)}" for name in names)
    assert error.value.message == (
        f"{ROOT_ID} would have 11 backup policies attached directly (11 for plans {', '.join(names)} + 0 attached "
        f"elsewhere), over the limit of 10; plan sizes in characters: {sizes}; no grouping fits: together they "
        "still need 11 policies and 10 are free, so shrink these plans (fewer rules, copy actions, Regions, "
        "selections or tags), merge plans, or free attachments counted in "
        "backup_policies.policies_attached_elsewhere"
    )
    assert "same targets" not in error.value.message


# --------------------------------------------------------------------------- hand-written policies (the pack)


def _minified(plans: dict[str, Any]) -> int:
    return len(json.dumps({"plans": plans}, separators=(",", ":"), ensure_ascii=False))


def _padded(plan: dict[str, Any], characters: int) -> dict[str, Any]:
    """``plan`` with a backup_plan_tags entry that makes it about ``characters`` long minified."""
    out = copy.deepcopy(plan)
    out["backup_plan_tags"] = {"pad": {"tag_key": {"@@assign": "pad"}, "tag_value": {"@@assign": "x"}}}
    grow = characters - _minified({"a": out})
    out["backup_plan_tags"]["pad"]["tag_value"]["@@assign"] = "x" * max(1, grow)
    return out


def test_a_hand_written_policy_over_the_limit_names_the_plans_to_separate() -> None:
    base = tag_policy()["plans"]["OrgDaily"]
    plans = {"Alpha": _padded(base, 6_000), "Beta": _padded(base, 5_000), "Gamma": _padded(base, 3_000)}
    document = {"plans": plans}
    [finding] = validate_backup_policy(document)
    sizes = {name: _minified({name: plan}) for name, plan in plans.items()}
    assert finding.rule == "policy-size"
    assert finding.message == (
        f"the policy is {_minified(plans)} characters; Organizations allows 10000; plan sizes minified: "
        f"Alpha {sizes['Alpha']}, Beta {sizes['Beta']}, Gamma {sizes['Gamma']}; separate them into 2 policies, "
        "e.g. Alpha, Gamma | Beta"
    )


def test_a_hand_written_plan_too_big_alone_is_not_told_to_separate() -> None:
    base = tag_policy()["plans"]["OrgDaily"]
    plans = {"Alpha": _padded(base, 10_500), "Beta": _padded(base, 2_000)}
    [finding] = validate_backup_policy({"plans": plans})
    sizes = {name: _minified({name: plan}) for name, plan in plans.items()}
    assert finding.message == (
        f"the policy is {_minified(plans)} characters; Organizations allows 10000; plan sizes minified: "
        f"Alpha {sizes['Alpha']}, Beta {sizes['Beta']}; Alpha alone exceeds the limit, so separating plans "
        "cannot help: shrink it (fewer rules, copy actions, Regions, selections or tags)"
    )
