"""Organizations ``BACKUP_POLICY`` documents rendered from the stack configuration.

Pure (no Pulumi import) so that the documents are unit- and property-tested directly; the component only
attaches what this module renders. Syntax and limits: shared/reference/aws-backup-rules.md §1.

Choices worth knowing:

- every leaf sits under ``@@assign`` and every scalar is a string, as in every AWS example (§1.3);
- ``-1`` (keep forever / never move to cold) leaves the lifecycle key out, which means the same to AWS
  Backup and is valid syntax whatever Organizations thinks of negative numbers;
- tag identifiers (``recovery_point_tags``, ``backup_plan_tags``) are the lower-cased tag key and condition
  identifiers the lower-cased last segment of the condition key, because AWS lower-cases identifiers in the
  effective policy; case-insensitive clashes get a ``_2``, ``_3`` ... suffix in sorted key order;
- one policy per plan, named ``<prefix>-<plan>``: plan names are the user's own, unique and stable, so adding an
  OU to a plan's targets or adding a plan renames no policy (a policy's name is its Pulumi URN, and a URN that
  changes makes ``pulumi up`` delete the protected policy). Only when one policy per plan would put more than
  ``MAX_BACKUP_POLICIES_PER_TARGET`` policies on a target are plans with the same targets packed together, each
  packed document named after the plan names it holds (``<prefix>-plans-<hash>``);
- the names of the previous scheme (one set per target set, named after the targets) are kept by
  ``components.documents.backup_policy_migration``, which hands them on as aliases.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from components.documents.air_gapped import LAG_TARGET_KEY, air_gapped_target_arn
from components.documents.indexing import add_search_index
from components.documents.scanning import add_scanning
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER, VaultArn
from policies.backup_rules.backup_policy.operators import ASSIGN, CHILD_OPERATORS, NONE
from policies.backup_rules.backup_policy.selections import SELECTION_KIND
from policies.backup_rules.findings import Finding, join
from policies.backup_rules.lifecycle import KEEP_FOREVER
from policies.backup_rules.limits import MAX_BACKUP_POLICIES_PER_TARGET, MAX_BACKUP_POLICY_CHARS
from stackconfig.model import (
    AdvancedSettings,
    CopyAction,
    Plan,
    Rule,
    Selections,
    StackConfig,
    schedule_expression,
)
from stackconfig.plan_checks import POLICY_NAME

# Two backup policies of the stack would share a name (rule id; the layout and the migration report it too).
POLICY_NAME_CLASH = "policy-name-clash"

__all__ = [
    "ASSIGN",
    "CHILD_OPERATORS",
    "POLICY_NAME_RE",
    "BackupPolicyDocument",
    "BackupPolicyError",
    "backup_role_arn",
    "check_policies_per_target",
    "copy_destination_arn",
    "group_key",
    "overfull_target",
    "pack_plans",
    "packed_policy_name",
    "plan_target_sets",
    "policy_name",
    "render_backup_policies",
    "render_document",
    "render_plan",
]

Node = dict[str, Any]

LOCKED = (NONE,)
# Organizations takes 1 to 128 characters for a policy name (any ASCII); the narrower class is the safe side.
# https://docs.aws.amazon.com/organizations/latest/APIReference/API_UpdatePolicy.html (Name)
POLICY_NAME_RE = re.compile(r"^[\w+=,.@-]{1,128}$")
GROUP_KEY_CHARS = 8
PACKED_MARK = "plans"
MAX_IDENTIFIER_CHARS = 50
_UNSAFE_IDENTIFIER_CHARS = re.compile(r"[^a-z0-9_.-]+")


class BackupPolicyError(Exception):
    """A configuration that cannot become valid backup policies, located like a config finding."""

    def __init__(self, path: str, value: Any, rule: str, message: str) -> None:
        super().__init__(f"{path}: {message} [{rule}]")
        self.path = path
        self.value = value
        self.rule = rule
        self.message = message

    def finding(self) -> Finding:
        """The same mistake in the shape every other config check reports in."""
        return Finding(self.path, self.value, self.rule, self.message)


@dataclass(frozen=True)
class BackupPolicyDocument:
    """One Organizations policy: its name, the plans it holds, where it is attached, and its JSON."""

    name: str
    plan_names: tuple[str, ...]
    target_ids: tuple[str, ...]
    content: str
    previous_name: str | None = None
    """The previous naming scheme's name of a document this one takes over (a Pulumi alias: renamed in place)."""
    previous_plans: tuple[str, ...] = ()
    """The plans that previous document held: those that moved to other documents must be in place first."""

    @property
    def size(self) -> int:
        """Characters, the unit of the 10,000 limit (§1.8)."""
        return len(self.content)


def backup_role_arn(config: StackConfig) -> str:
    """The service role every member account has; ``$account`` lets one policy serve all of them."""
    partition = config.organization.partition
    return f"arn:{partition}:iam::{ACCOUNT_PLACEHOLDER}:role/{config.vaults.backup_role_name}"


def copy_destination_arn(config: StackConfig, copy: CopyAction) -> str:
    """The vault a copy lands in: the central account's literal id, or ``$account`` for the member's own."""
    if copy.destination == "central":
        account, vault = config.organization.central_vault_account_id, config.vaults.central.name
    else:
        account, vault = ACCOUNT_PLACEHOLDER, config.vaults.member.name
    return str(VaultArn(config.organization.partition, copy.region, account, vault))


def render_plan(config: StackConfig, plan_name: str) -> Node:
    """The ``plans.<plan_name>`` node of a backup policy."""
    path = join("plans", plan_name)
    plan = config.plans.get(plan_name)
    if plan is None:
        raise BackupPolicyError("plans", plan_name, "unknown-plan", f"no plan named {plan_name!r}")
    regions = config.organization.workload_regions if plan.regions is None else plan.regions
    if not regions:
        raise BackupPolicyError(join(path, "regions"), regions, "plan-regions", "a plan needs at least one Region")
    node: Node = {
        "regions": _assign(regions),
        "rules": {
            name: _with_lag_target(_rule(config, join(path, "rules", name), rule), config, plan, rule)
            for name, rule in plan.rules.items()
        },
        "selections": _selections(config, join(path, "selections"), plan.selections),
    }
    if plan.advanced is not None and (advanced := _advanced(plan.advanced)):
        node["advanced_backup_settings"] = advanced
    if plan.tags:
        node["backup_plan_tags"] = _tags(plan.tags)
    add_scanning(config, plan, node)
    add_search_index(plan, node)
    return _locked(node) if _is_locked(config, plan) else node


def render_document(plans: Mapping[str, Node]) -> str:
    """Minified, key-sorted JSON: the same plans always give the same bytes, and no space is wasted."""
    return json.dumps({"plans": dict(plans)}, separators=(",", ":"), sort_keys=True, ensure_ascii=False)


def group_key(ids: Iterable[str]) -> str:
    """A short name for a set of ids that depends on nothing else: a packed document's plan names (and, in the
    previous scheme, a target set), so the name stays put while the set does."""
    canonical = ",".join(sorted(set(ids)))
    return hashlib.sha256(canonical.encode()).hexdigest()[:GROUP_KEY_CHARS]


def _checked_name(name: str, path: str, value: Any, what: str) -> str:
    if not POLICY_NAME_RE.fullmatch(name):
        raise BackupPolicyError(
            path,
            value,
            POLICY_NAME,
            f"{what} would be named {name!r}, which must match {POLICY_NAME_RE.pattern} (Organizations takes at "
            "most 128 characters): shorten backup_policies.name_prefix or the plan name",
        )
    return name


def policy_name(config: StackConfig, plan_name: str) -> str:
    """``<prefix>-<plan>``: a plan's own policy, named by nothing that changes when its targets do."""
    name = f"{config.backup_policies.name_prefix}-{plan_name}"
    return _checked_name(name, join("plans", plan_name), plan_name, f"the backup policy of plan {plan_name!r}")


def packed_policy_name(config: StackConfig, plan_names: Iterable[str]) -> str:
    """``<prefix>-plans-<hash of the plan names>``: a packed document keeps its name while it holds the same plans."""
    prefix = config.backup_policies.name_prefix
    name = f"{prefix}-{PACKED_MARK}-{group_key(plan_names)}"
    return _checked_name(name, "backup_policies.name_prefix", prefix, "a packed backup policy")


def plan_target_sets(config: StackConfig, targets_by_plan: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Each plan's sorted, distinct targets, in sorted plan order; every plan must reach something."""
    unknown = sorted(set(targets_by_plan) - set(config.plans))
    if unknown:
        raise BackupPolicyError("plans", unknown[0], "unknown-plan", f"targets given for unknown plan {unknown[0]!r}")
    out: dict[str, tuple[str, ...]] = {}
    for name in sorted(config.plans):
        targets = tuple(sorted(set(targets_by_plan.get(name, ()))))
        if not targets:
            raise BackupPolicyError(
                join("plans", name, "targets"),
                [],
                "plan-without-target",
                f"plan {name!r} reaches no root, OU or account, so its backup policy would protect nothing",
            )
        out[name] = targets
    return out


def _elsewhere(config: StackConfig, extra: Mapping[str, int] | None) -> dict[str, int]:
    """Policies on each target that are not this stack's plans: the config's count plus ``extra``."""
    out = dict(config.backup_policies.policies_attached_elsewhere)
    for target, count in (extra or {}).items():
        out[target] = out.get(target, 0) + count
    return out


def overfull_target(
    config: StackConfig,
    targets_by_plan: Mapping[str, Sequence[str]],
    attached_elsewhere: Mapping[str, int] | None = None,
) -> tuple[str, int] | None:
    """The first target where one policy per plan would exceed Organizations' per-target limit, with the count
    (plans that target it + policies attached elsewhere); None when one policy per plan fits everywhere."""
    elsewhere = _elsewhere(config, attached_elsewhere)
    counts = Counter(target for targets in targets_by_plan.values() for target in set(targets))
    for target in sorted(counts):
        total = counts[target] + elsewhere.get(target, 0)
        if total > MAX_BACKUP_POLICIES_PER_TARGET:
            return target, total
    return None


def render_backup_policies(
    config: StackConfig,
    targets_by_plan: Mapping[str, Sequence[str]],
    attached_elsewhere: Mapping[str, int] | None = None,
) -> list[BackupPolicyDocument]:
    """One policy per plan, or, when that puts too many policies on a target, as few as fit per target set.

    ``targets_by_plan`` maps each plan name to the root, OU and account ids its policy is attached to;
    ``attached_elsewhere`` counts other policies per target beyond ``backup_policies.policies_attached_elsewhere``
    (the stack's hand-written ones). Raises ``BackupPolicyError`` when a plan cannot fit in one policy, a name
    is invalid, or a target would carry more policies than Organizations allows even packed.
    """
    target_sets = plan_target_sets(config, targets_by_plan)
    if overfull_target(config, target_sets, attached_elsewhere) is None:
        return [
            BackupPolicyDocument(policy_name(config, name), (name,), targets, content)
            for name, targets in target_sets.items()
            for _, content in pack_plans(config, [name])
        ]
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, targets in target_sets.items():
        groups.setdefault(targets, []).append(name)
    documents = [
        BackupPolicyDocument(packed_policy_name(config, plan_names), plan_names, targets, content)
        for targets, names in groups.items()
        for plan_names, content in pack_plans(config, names)
    ]
    documents.sort(key=lambda document: document.name)
    check_policies_per_target(config, documents, attached_elsewhere)
    return documents


def pack_plans(config: StackConfig, names: Sequence[str]) -> list[tuple[tuple[str, ...], str]]:
    """Greedy first-fit in the given order: deterministic, and a plan only ever joins the last document."""
    chunks: list[tuple[tuple[str, ...], str]] = []
    current: dict[str, Node] = {}
    current_content = ""
    for name in names:
        node = render_plan(config, name)
        alone = render_document({name: node})
        if len(alone) > MAX_BACKUP_POLICY_CHARS:
            raise BackupPolicyError(join("plans", name), len(alone), "backup-policy-size", _too_big(name, node))
        if current:
            candidate = render_document({**current, name: node})
            if len(candidate) <= MAX_BACKUP_POLICY_CHARS:
                current[name] = node
                current_content = candidate
                continue
            chunks.append((tuple(current), current_content))
        current = {name: node}
        current_content = alone
    if current:
        chunks.append((tuple(current), current_content))
    return chunks


def _too_big(name: str, node: Node) -> str:
    """A plan that does not fit alone: no grouping of plans helps it, only a smaller plan does."""
    size = len(render_document({name: node}))
    parts = sorted(((len(json.dumps(v, separators=(",", ":"))), k) for k, v in node.items()), reverse=True)
    largest = ", ".join(f"{key} {chars}" for chars, key in parts[:3])
    return (
        f"plan {name!r} alone renders {size} characters, over the {MAX_BACKUP_POLICY_CHARS}-character backup "
        f"policy limit (largest parts: {largest}): a plan cannot be spread over several policies, so shrink it "
        "(fewer rules, copy actions, Regions, selections or tags)"
    )


def _plan_sizes(config: StackConfig, names: Iterable[str]) -> str:
    return ", ".join(f"{n} {len(render_document({n: render_plan(config, n)}))}" for n in names)


def check_policies_per_target(
    config: StackConfig,
    documents: Sequence[BackupPolicyDocument],
    attached_elsewhere: Mapping[str, int] | None = None,
) -> None:
    """Organizations refuses an attachment beyond the per-target limit, so fail before deploying any.

    The plans on one target are in several documents because their target sets differ (each set gets its
    own) or because they do not fit in fewer. Giving them one target set is advised only when the builder
    would then pack them into few enough documents; otherwise the plans must shrink.
    """
    plans_by_target: dict[str, list[str]] = {}
    sets_by_target: dict[str, set[tuple[str, ...]]] = {}
    counts: dict[str, int] = {}
    for document in documents:
        for target in document.target_ids:
            counts[target] = counts.get(target, 0) + 1
            plans_by_target.setdefault(target, []).extend(document.plan_names)
            sets_by_target.setdefault(target, set()).add(document.target_ids)
    elsewhere = _elsewhere(config, attached_elsewhere)
    for target in sorted(counts):
        total = counts[target] + elsewhere.get(target, 0)
        if total <= MAX_BACKUP_POLICIES_PER_TARGET:
            continue
        plans = sorted(plans_by_target[target])
        room = MAX_BACKUP_POLICIES_PER_TARGET - elsewhere.get(target, 0)
        together = len(pack_plans(config, plans))
        if len(sets_by_target[target]) > 1 and together <= room:
            advice = (
                f"with one set of targets they would share {together} polic{'y' if together == 1 else 'ies'}: "
                f"give plans {', '.join(plans)} "
                "the same targets (attach them higher up, e.g. to the common OU)"
            )
        else:
            advice = (
                f"no grouping fits: together they still need {together} policies and {room} are free, so shrink "
                "these plans (fewer rules, copy actions, Regions, selections or tags), merge plans, or free "
                "attachments counted in backup_policies.policies_attached_elsewhere"
            )
        raise BackupPolicyError(
            "plans",
            total,
            "backup-policies-per-target",
            f"{target} would have {total} backup policies attached directly ({counts[target]} for plans "
            f"{', '.join(plans)} + {elsewhere.get(target, 0)} attached elsewhere), over the limit of "
            f"{MAX_BACKUP_POLICIES_PER_TARGET}; plan sizes in characters: {_plan_sizes(config, plans)}; {advice}",
        )


def _is_locked(config: StackConfig, plan: Plan) -> bool:
    if plan.lock_against_child_policies is not None:
        return plan.lock_against_child_policies
    return config.backup_policies.lock_against_child_policies


def _locked(node: Node) -> Node:
    """AWS example 3: ``@@none`` on every object node, so no child policy can change any part of the plan."""
    out: Node = {key: _locked(value) if isinstance(value, dict) else value for key, value in node.items()}
    out[CHILD_OPERATORS] = list(LOCKED)
    return out


def _assign(value: str | int | Sequence[str]) -> Node:
    """Scalars become strings (booleans ``"true"``/``"false"``); lists keep first-seen order, once each."""
    if isinstance(value, bool):
        return {ASSIGN: "true" if value else "false"}
    if isinstance(value, int | str):
        return {ASSIGN: str(value)}
    return {ASSIGN: [str(item) for item in dict.fromkeys(value)]}


def _rule(config: StackConfig, path: str, rule: Rule) -> Node:
    node: Node = {
        "schedule_expression": _assign(schedule_expression(rule.schedule)),
        "target_backup_vault_name": _assign(config.vaults.member.name),
    }
    if rule.start_window_minutes is not None:
        node["start_backup_window_minutes"] = _assign(rule.start_window_minutes)
    if rule.completion_window_minutes is not None:
        node["complete_backup_window_minutes"] = _assign(rule.completion_window_minutes)
    if rule.continuous:
        node["enable_continuous_backup"] = _assign(True)
    if lifecycle := _lifecycle(rule.cold_storage_after_days, rule.retention_days, rule.archive):
        node["lifecycle"] = lifecycle
    copies: Node = {}
    for i, copy in enumerate(rule.copies):
        arn = copy_destination_arn(config, copy)
        if arn in copies:
            raise BackupPolicyError(
                join(path, "copies", i),
                copy.region,
                "duplicate",
                f"a second copy to {arn}: a rule has one copy action per destination vault",
            )
        action: Node = {"target_backup_vault_arn": _assign(arn)}
        if copy_lifecycle := _lifecycle(copy.cold_storage_after_days, copy.retention_days, None):
            action["lifecycle"] = copy_lifecycle
        copies[arn] = action
    if copies:
        node["copy_actions"] = copies
    if rule.recovery_point_tags:
        node["recovery_point_tags"] = _tags(rule.recovery_point_tags)
    return node


def _with_lag_target(node: Node, config: StackConfig, plan: Plan, rule: Rule) -> Node:
    """An air-gapped rule's primary target (components/documents/air_gapped.py says why and where)."""
    if (arn := air_gapped_target_arn(config, plan, rule)) is not None:
        node[LAG_TARGET_KEY] = _assign(arn)
    return node


def _lifecycle(cold_after_days: int | None, delete_after_days: int | None, archive: bool | None) -> Node:
    node: Node = {}
    if cold_after_days is not None and cold_after_days != KEEP_FOREVER:
        node["move_to_cold_storage_after_days"] = _assign(cold_after_days)
    if delete_after_days is not None and delete_after_days != KEEP_FOREVER:
        node["delete_after_days"] = _assign(delete_after_days)
    if archive is not None and (archive or "move_to_cold_storage_after_days" in node):
        node["opt_in_to_archive_for_supported_resources"] = _assign(archive)
    return node


def _selections(config: StackConfig, path: str, selections: Selections) -> Node:
    if bool(selections.tags) == bool(selections.resources):
        raise BackupPolicyError(
            path, None, SELECTION_KIND, "give exactly one of selections.tags and selections.resources"
        )
    role = _assign(backup_role_arn(config))
    if selections.tags:
        return {
            "tags": {
                name: {"iam_role_arn": role, "tag_key": _assign(tag.key), "tag_value": _assign(tag.values)}
                for name, tag in selections.tags.items()
            }
        }
    resources: Node = {}
    for name, selection in selections.resources.items():
        entry: Node = {"iam_role_arn": role, "resource_types": _assign(selection.resource_types)}
        if selection.not_resource_types:
            entry["not_resource_types"] = _assign(selection.not_resource_types)
        if conditions := _conditions(selection.conditions.model_dump()):
            entry["conditions"] = conditions
        resources[name] = entry
    return {"resources": resources}


def _conditions(by_operator: Mapping[str, Mapping[str, str]]) -> Node:
    out: Node = {}
    for operator, entries in by_operator.items():
        if not entries:
            continue
        ids = _identifiers(entries, lambda key: re.split(r"[/:]", key)[-1], "condition")
        out[operator] = {
            ids[key]: {"condition_key": _assign(key), "condition_value": _assign(value)}
            for key, value in entries.items()
        }
    return out


def _tags(tags: Mapping[str, str]) -> Node:
    ids = _identifiers(tags, lambda key: key, "tag")
    return {ids[key]: {"tag_key": _assign(key), "tag_value": _assign(value)} for key, value in tags.items()}


def _advanced(advanced: AdvancedSettings) -> Node:
    out: Node = {}
    if advanced.windows_vss is not None:
        out["ec2"] = {"windows_vss": _assign(_enabled(advanced.windows_vss))}
    s3: Node = {}
    if advanced.s3_backup_acls is not None:
        s3["backup_acls"] = _assign(_enabled(advanced.s3_backup_acls))
    if advanced.s3_backup_object_tags is not None:
        s3["backup_object_tags"] = _assign(_enabled(advanced.s3_backup_object_tags))
    if s3:
        out["s3"] = s3
    return out


def _enabled(flag: bool) -> str:
    return "enabled" if flag else "disabled"


def _identifiers(keys: Iterable[str], stem: Callable[[str], str], fallback: str) -> dict[str, str]:
    """Lower-cased, sanitised identifiers, unique even after AWS lower-cases them; sorted for stability."""
    used: set[str] = set()
    out: dict[str, str] = {}
    for key in sorted(set(keys)):
        base = _UNSAFE_IDENTIFIER_CHARS.sub("_", stem(key).lower()).strip("_") or fallback
        candidate, n = base[:MAX_IDENTIFIER_CHARS], 1
        while candidate in used:
            n += 1
            suffix = f"_{n}"
            candidate = f"{base[: MAX_IDENTIFIER_CHARS - len(suffix)]}{suffix}"
        used.add(candidate)
        out[key] = candidate
    return out
