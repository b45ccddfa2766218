"""The plans section and hand-written backup policies: names, rules (schedules, windows, lifecycles, copies,
tags), selections, and copies into vaults whose lock must hold them. Hooked into ``checks.check_config``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from policies.backup_rules import lifecycle, limits, schedule
from policies.backup_rules import selections as selection_rules
from policies.backup_rules.backup_policy.selections import RESOURCE_TYPE, SELECTION_KIND
from policies.backup_rules.findings import Finding, join
from policies.backup_rules.levels import VAULT_UNLOCKED
from policies.backup_rules.schedule import SCHEDULE_SYNTAX

from . import regions as region_rules
from .common_checks import duplicates
from .model import (
    SCHEDULE_PRESETS,
    BackupPolicySettings,
    Organization,
    Plan,
    Rule,
    Targets,
    VaultLock,
    Vaults,
    schedule_expression,
)

# Rule ids (one home each: the loader, the pack and the tests import them).
COPY_DESTINATION_UNLOCKED = "copy-destination-unlocked"
COPY_REGION_DR = "copy-region-dr"
COPY_REGION_MEMBER = "copy-region-member"
COPY_TO_ITSELF = "copy-to-itself"
PLAN_REGION = "plan-region"
PLAN_TARGET = "plan-target"
POLICY_NAME = "policy-name"
POLICY_TARGET = "policy-target"


def copies_need_central_lock(findings: list[Finding], vaults: Vaults, plans: dict[str, Plan]) -> list[Finding]:
    """Copies exist to survive a compromised member account; into an unlocked central vault they do not. One
    error at the lock to add (the warning for an unlocked vault becomes it), naming the plans that copy there."""
    copying = sorted(
        name
        for name, plan in plans.items()
        if any(c.destination == "central" for rule in plan.rules.values() for c in rule.copies)
    )
    if vaults.central.lock is not None or not copying:
        return findings
    kept = [f for f in findings if not (f.rule == VAULT_UNLOCKED and f.path == "vaults.central.lock")]
    return [
        *kept,
        Finding(
            "vaults.central.lock",
            None,
            COPY_DESTINATION_UNLOCKED,
            f"plans {', '.join(copying)} copy into vaults.central, which has no Vault Lock: an administrator of the "
            "central account could delete every copy. Add a lock (mode: compliance with changeable_for_days, "
            "min_retention_days, max_retention_days)",
        ),
    ]


def _lock_of(vaults: Vaults | None, destination: str) -> VaultLock | None:
    """The lock that retentions must fit, or None; a lock that is itself wrong (min above max) is reported at
    the lock only, not again at every rule measured against it."""
    if vaults is None:
        return None
    lock = vaults.central.lock if destination == "central" else vaults.member.lock
    if lock is None or lifecycle.check_lock(
        "lock",
        changeable_for_days=None,
        min_retention_days=lock.min_retention_days,
        max_retention_days=lock.max_retention_days,
    ):
        return None
    return lock


def check_plans(
    plans: dict[str, Plan],
    org: Organization | None,
    targets: Targets | None,
    vaults: Vaults | None,
) -> list[Finding]:
    out: list[Finding] = []
    out += _case_collisions("plans", plans)
    for name, plan in plans.items():
        path = join("plans", name)
        if not limits.PLAN_NAME_RE.fullmatch(name):
            out.append(
                Finding(
                    path,
                    name,
                    "plan-name",
                    f"plan name {name!r} must match {limits.PLAN_NAME_RE.pattern}",
                )
            )
        out += _check_plan(path, plan, org, targets, vaults)
    return out


def _case_collisions(path: str, names: Iterable[str]) -> list[Finding]:
    """Effective policies lower-case identifiers, so 'Daily' and 'daily' would collide: reported once, at
    the later name (the one to rename)."""
    first: dict[str, str] = {}
    out: list[Finding] = []
    for name in names:
        earlier = first.setdefault(name.lower(), name)
        if earlier != name:
            out.append(
                Finding(
                    join(path, name),
                    name,
                    "duplicate-name",
                    f"{name!r} and {earlier!r} collide once AWS lower-cases policy identifiers: rename one",
                )
            )
    return out


def _check_plan(
    path: str,
    plan: Plan,
    org: Organization | None,
    targets: Targets | None,
    vaults: Vaults | None,
) -> list[Finding]:
    out: list[Finding] = []
    regions = plan.regions if plan.regions is not None else (org.workload_regions if org else [])
    if org is not None and plan.regions is not None:
        out += duplicates(join(path, "regions"), plan.regions, "Region")
        for i, region in enumerate(plan.regions):
            # A Region of workload_regions was judged there; only one outside it is judged here.
            unreal = (
                []
                if region in org.workload_regions
                else region_rules.check_region(join(path, "regions", i), region, org.partition)
            )
            out += unreal
            if not unreal and region not in org.workload_regions:
                out.append(
                    Finding(
                        join(path, "regions", i),
                        region,
                        PLAN_REGION,
                        f"{region} is not one of organization.workload_regions, where member vaults are made",
                    )
                )
    if targets is not None and plan.targets is not None:
        known = {ou.name for ou in targets.organizational_units} | {ou.id for ou in targets.organizational_units}
        known |= set(targets.accounts)
        if org is not None:
            known.add(org.root_id)
        for i, label in enumerate(plan.targets):
            if label not in known:
                out.append(
                    Finding(
                        join(path, "targets", i),
                        label,
                        PLAN_TARGET,
                        f"{label!r} is not a targeted OU name or id, nor an account in targets.accounts",
                    )
                )
    if len(plan.rules) > limits.MAX_RULES_PER_PLAN:
        out.append(
            Finding(
                join(path, "rules"),
                len(plan.rules),
                "rules-per-plan",
                f"at most {limits.MAX_RULES_PER_PLAN} rules per plan",
            )
        )
    out += _case_collisions(join(path, "rules"), plan.rules)
    for rule_name, rule in plan.rules.items():
        rule_path = join(path, "rules", rule_name)
        if not limits.RULE_NAME_RE.fullmatch(rule_name):
            out.append(
                Finding(
                    rule_path,
                    rule_name,
                    "rule-name",
                    f"rule name {rule_name!r} must match {limits.RULE_NAME_RE.pattern}",
                )
            )
        out += _check_rule(rule_path, rule, regions, org, vaults)
    out += _check_selections(join(path, "selections"), plan)
    out += _created_tags(join(path, "tags"), plan.tags)
    return out


def _created_tags(path: str, tags: dict[str, str]) -> list[Finding]:
    """Tags this stack puts on plans and recovery points: AWS's tag rules, and no reserved aws: prefix."""
    out: list[Finding] = []
    for key, value in tags.items():
        out += selection_rules.check_tag_key(join(path, key) if key else path, key, created_here=True)
        out += selection_rules.check_tag_value(join(path, key) if key else path, value, wildcard=True)
    return out


def _check_rule(
    path: str,
    rule: Rule,
    regions: list[str],
    org: Organization | None,
    vaults: Vaults | None,
) -> list[Finding]:
    out: list[Finding] = []
    out += check_schedule(join(path, "schedule"), rule.schedule)
    out += _rename(
        lifecycle.check_windows(
            path,
            start_minutes=rule.start_window_minutes,
            completion_minutes=rule.completion_window_minutes,
        )
    )
    out += _rename(
        lifecycle.check_lifecycle(
            path,
            cold_after_days=rule.cold_storage_after_days,
            delete_after_days=rule.retention_days,
            continuous=rule.continuous,
        )
    )
    if rule.retention_days is None:
        out.append(
            Finding(
                join(path, "retention_days"),
                None,
                "retention-forever",
                "recovery points without retention_days are kept forever",
                "warning",
            )
        )
    if rule.archive and rule.cold_storage_after_days is None:
        out.append(
            Finding(
                join(path, "archive"),
                True,
                "archive-needs-cold",
                "archive opt-in only applies with cold_storage_after_days",
            )
        )
    out += _created_tags(join(path, "recovery_point_tags"), rule.recovery_point_tags)
    if len(rule.recovery_point_tags) > limits.MAX_RECOVERY_POINT_TAGS:
        out.append(
            Finding(
                join(path, "recovery_point_tags"),
                len(rule.recovery_point_tags),
                "recovery-point-tags",
                f"at most {limits.MAX_RECOVERY_POINT_TAGS} recovery point tags",
            )
        )
    if len(rule.copies) > limits.MAX_COPY_ACTIONS_PER_RULE:
        out.append(
            Finding(
                join(path, "copies"),
                len(rule.copies),
                "copies-per-rule",
                f"at most {limits.MAX_COPY_ACTIONS_PER_RULE} copy actions per rule",
            )
        )
    out += duplicates(
        join(path, "copies"),
        [f"{c.destination} vault in {c.region}" for c in rule.copies],
        "copy to the",
        "region",
    )
    member_lock = _lock_of(vaults, "member")
    if vaults is not None and member_lock is not None:
        out += _rename(
            lifecycle.check_retention_within_lock(
                path,
                delete_after_days=rule.retention_days,
                lock_min_days=member_lock.min_retention_days,
                lock_max_days=member_lock.max_retention_days,
                vault=f"vaults.member ({vaults.member.name})",
            )
        )
    for i, copy in enumerate(rule.copies):
        copy_path = join(path, "copies", i)
        unreal = (
            region_rules.check_region(join(copy_path, "region"), copy.region, org.partition)
            if org is not None and copy.region not in (*org.dr_regions, *org.workload_regions)
            else []
        )
        out += unreal
        out += _rename(
            lifecycle.check_lifecycle(
                copy_path,
                cold_after_days=copy.cold_storage_after_days,
                delete_after_days=copy.retention_days,
            )
        )
        lock = _lock_of(vaults, copy.destination)
        if lock is not None and vaults is not None:
            vault = vaults.central.name if copy.destination == "central" else vaults.member.name
            # A copy without a lifecycle keeps the source rule's: "If you don't specify a lifecycle, AWS Backup
            # applies the lifecycle policy of the source backup to the destination backup"
            # (https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_AwsBackupBackupPlanRuleCopyActionsDetails.html).
            out += _rename(
                lifecycle.check_retention_within_lock(
                    copy_path,
                    delete_after_days=copy.retention_days if copy.retention_days is not None else rule.retention_days,
                    lock_min_days=lock.min_retention_days,
                    lock_max_days=lock.max_retention_days,
                    vault=f"vaults.{copy.destination} ({vault})",
                )
            )
        if not unreal and org is not None and copy.destination == "central" and copy.region not in org.dr_regions:
            out.append(
                Finding(
                    join(copy_path, "region"),
                    copy.region,
                    COPY_REGION_DR,
                    f"central vaults exist only in organization.dr_regions {org.dr_regions}",
                )
            )
        if copy.destination == "member" and copy.region in regions:
            out.append(
                Finding(
                    join(copy_path, "region"),
                    copy.region,
                    COPY_TO_ITSELF,
                    f"the plan also runs in {copy.region}: a copy to the member vault there would "
                    "copy the vault into itself",
                )
            )
        if not unreal and copy.destination == "member" and org is not None and copy.region not in org.workload_regions:
            out.append(
                Finding(
                    join(copy_path, "region"),
                    copy.region,
                    COPY_REGION_MEMBER,
                    "member vaults exist only in organization.workload_regions",
                )
            )
    return out


def check_schedule(path: str, value: str) -> list[Finding]:
    """A preset name or a cron expression; a word that is neither is most likely a misspelt preset."""
    if value in SCHEDULE_PRESETS or "(" in value:
        return schedule.check_schedule_expression(path, schedule_expression(value))
    close = difflib.get_close_matches(value.strip().lower(), list(SCHEDULE_PRESETS), n=1, cutoff=0.6)
    hint = f": did you mean '{close[0]}'?" if close else f", e.g. {schedule.EXAMPLE_SCHEDULE}"
    return [
        Finding(
            path,
            value,
            SCHEDULE_SYNTAX,
            f"{value!r} is neither a preset ({', '.join(SCHEDULE_PRESETS)}) nor a cron(...) expression{hint}",
        )
    ]


def _rename(findings: list[Finding]) -> list[Finding]:
    """Report lifecycle findings with this config's key names, not the backup-policy ones."""
    names = {
        "delete_after_days": "retention_days",
        "move_to_cold_storage_after_days": "cold_storage_after_days",
        "start_backup_window_minutes": "start_window_minutes",
        "complete_backup_window_minutes": "completion_window_minutes",
    }
    out = []
    for f in findings:
        path, message = f.path, f.message
        for old, new in names.items():
            path = path.replace(old, new)
            message = message.replace(old, new)
        out.append(Finding(path, f.value, f.rule, message, f.severity))
    return out


def _check_selections(path: str, plan: Plan) -> list[Finding]:
    out: list[Finding] = []
    selections = plan.selections
    if bool(selections.tags) == bool(selections.resources):
        out.append(
            Finding(
                path,
                None,
                SELECTION_KIND,
                "give exactly one of selections.tags and selections.resources (an Organizations "
                "backup policy allows one kind per plan)",
            )
        )
    if len(selections.tags) > limits.MAX_TAG_SELECTIONS_PER_PLAN:
        out.append(
            Finding(
                join(path, "tags"),
                len(selections.tags),
                "tag-selections-per-plan",
                f"at most {limits.MAX_TAG_SELECTIONS_PER_PLAN} tag selections per plan",
            )
        )
    out += _case_collisions(join(path, "tags"), selections.tags)
    out += _case_collisions(join(path, "resources"), selections.resources)
    for name in [*selections.tags, *selections.resources]:
        if not limits.RULE_NAME_RE.fullmatch(name):
            out.append(
                Finding(
                    join(path, name),
                    name,
                    "selection-name",
                    f"selection name {name!r} must match {limits.RULE_NAME_RE.pattern}",
                )
            )
    for name, tag_selection in selections.tags.items():
        tag_path = join(path, "tags", name)
        out += selection_rules.check_tag_key(join(tag_path, "key"), tag_selection.key, created_here=False)
        for i, value in enumerate(tag_selection.values):
            out += selection_rules.check_tag_value(join(tag_path, "values", i), value, wildcard=False)
    for name, selection in selections.resources.items():
        sel_path = join(path, "resources", name)
        for operator in (
            "string_equals",
            "string_not_equals",
            "string_like",
            "string_not_like",
        ):
            for key, value in getattr(selection.conditions, operator).items():
                out += selection_rules.check_condition(
                    join(sel_path, "conditions", operator, key), operator, key, value
                )
        for field_name in ("resource_types", "not_resource_types"):
            for i, value in enumerate(getattr(selection, field_name)):
                if value not in limits.SUPPORTED_RESOURCE_TYPES:
                    out.append(
                        Finding(
                            join(sel_path, field_name, i),
                            value,
                            RESOURCE_TYPE,
                            f"{value!r} is not a resource type backup policies support",
                        )
                    )
        count = selection.conditions.count()
        if count > limits.MAX_CONDITIONS_PER_SELECTION:
            out.append(
                Finding(
                    join(sel_path, "conditions"),
                    count,
                    "conditions-per-selection",
                    f"at most {limits.MAX_CONDITIONS_PER_SELECTION} conditions per selection",
                )
            )
    return out


def check_custom_policies(
    settings: BackupPolicySettings, org: Organization | None, targets: Targets | None
) -> list[Finding]:
    """Only what the program needs to place a custom policy; its content is the policy pack's to judge."""
    out: list[Finding] = []
    for name, custom in settings.custom.items():
        path = join("backup_policies.custom", name)
        if not limits.PLAN_NAME_RE.fullmatch(name):
            out.append(
                Finding(
                    path,
                    name,
                    POLICY_NAME,
                    f"policy name {name!r} must match {limits.PLAN_NAME_RE.pattern}",
                )
            )
        if isinstance(custom.content, str) and not custom.content.strip():
            out.append(
                Finding(
                    join(path, "content"),
                    "",
                    "policy-content",
                    "the policy content is empty",
                )
            )
        for i, target in enumerate(custom.targets):
            is_id = bool(limits.OU_ID_RE.fullmatch(target) or limits.ACCOUNT_ID_RE.fullmatch(target))
            is_label = targets is not None and any(target == ou.name for ou in targets.organizational_units)
            is_root = org is not None and target == org.root_id
            if not (is_id or is_label or is_root):
                out.append(
                    Finding(
                        join(path, "targets", i),
                        target,
                        POLICY_TARGET,
                        "a custom policy target is an OU id, an account id, the root id or a targeted OU name",
                    )
                )
    return out
