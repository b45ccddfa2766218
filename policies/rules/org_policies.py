"""Organizations backup policies, and the plan-rule arithmetic they share with ``aws:backup/plan:Plan``.

A BACKUP_POLICY document is judged by ``backup_rules.backup_policy.validate_backup_policy`` (run once per
document text and cached, since four rules read it); its findings are split so that each is reported by
exactly one rule: lifecycle, continuous-backup and window findings by their dedicated rules, the other errors
by ``org-backup-policy-valid`` and the warnings by ``org-backup-policy-advisories``. Plans are read into the
same ``RuleView`` shape (with the properties that are unknown during a preview) and judged by
``backup_rules.lifecycle``. Stack rules read the parsed documents the ``StackIndex`` caches.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import ACCOUNT_PLACEHOLDER, parse_vault_arn, role_name
from backup_rules.backup_policy import ParsedBackupPolicy, ParsedPlan, validate_backup_policy
from backup_rules.findings import Finding, join
from backup_rules.lifecycle import KEEP_FOREVER, check_lifecycle, check_windows
from backup_rules.limits import (
    CONTINUOUS_BACKUP_MAX_DAYS,
    MAX_BACKUP_POLICIES_PER_TARGET,
    MAX_DELEGATED_ADMINS,
    MAX_RETENTION_DAYS,
    MIN_START_WINDOW_MINUTES,
)
from backup_rules.schedule import EXAMPLE_SCHEDULE, min_interval_minutes

from .adapter import as_int, is_unknown
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy, stack_policy
from .resources import (
    BACKUP_POLICY_TYPE,
    DELEGATED_ADMIN,
    DYNAMIC_RESOURCE,
    GLOBAL_SETTINGS,
    ORG_POLICY,
    ORGANIZATION,
    PLAN,
    SELECTION,
    SERVICE_ACCESS,
    Resource,
    StackIndex,
    parsed_backup_policy,
)

DOMAIN = "organization-backup-policies"
BACKUP_SERVICE_PRINCIPAL = "backup.amazonaws.com"
CROSS_ACCOUNT_SETTING = "isCrossAccountBackupEnabled"

LIFECYCLE_FINDINGS = frozenset({"retention-range", "cold-storage-plus-90"})
CONTINUOUS_FINDINGS = frozenset({"continuous-retention", "continuous-no-cold-storage"})
WINDOW_FINDINGS = frozenset({"start-window-min", "completion-window-positive", "completion-after-start"})
UNCONFIRMED_WINDOW_FINDING = "completion-after-start"
DEDICATED_FINDINGS = LIFECYCLE_FINDINGS | CONTINUOUS_FINDINGS | WINDOW_FINDINGS

PREVIEW_UNKNOWN = "could not be verified during preview (its value is not known yet)"


# --------------------------------------------------------------------------- reading documents and plans


@lru_cache(maxsize=1024)
def _validated(content: str) -> tuple[Finding, ...]:
    return tuple(validate_backup_policy(content))


def document_findings(content: Any) -> tuple[Finding, ...]:
    """Every finding of one document; the text is validated once however many rules ask."""
    return _validated(content) if isinstance(content, str) else tuple(validate_backup_policy(content))


def is_backup_policy(resource: Resource) -> bool:
    return resource.type == ORG_POLICY and resource.get("type") == BACKUP_POLICY_TYPE


@dataclass(frozen=True)
class LifecycleView:
    """A rule's or copy's lifecycle; ``unknown`` names the properties a preview does not know yet."""

    where: str
    cold_after_days: int | None
    delete_after_days: int | None
    unknown: tuple[str, ...] = ()

    @property
    def keeps_forever(self) -> bool:
        return self.delete_after_days is None or self.delete_after_days == KEEP_FOREVER

    @property
    def is_empty(self) -> bool:
        """No values: a copy without a lifecycle keeps its source rule's lifecycle."""
        return self.cold_after_days is None and self.delete_after_days is None and not self.unknown


@dataclass(frozen=True)
class CopyView:
    where: str
    destination: str | None
    lifecycle: LifecycleView
    destination_unknown: bool = False


@dataclass(frozen=True)
class RuleView:
    """One backup rule of a Plan or of a BACKUP_POLICY plan, in the units the AWS rules take."""

    where: str
    name: str
    target_vault_name: str | None
    lag_vault_arn: str | None
    schedule: str | None
    start_minutes: int | None
    completion_minutes: int | None
    continuous: bool
    lifecycle: LifecycleView
    copies: tuple[CopyView, ...]
    target_unknown: tuple[str, ...] = ()
    schedule_unknown: tuple[str, ...] = ()
    windows_unknown: tuple[str, ...] = ()
    continuous_unknown: tuple[str, ...] = ()
    copies_unknown: tuple[str, ...] = ()

    def copy_retention(self, copy: CopyView) -> int | None:
        """Days a copy is kept (None = forever); without a lifecycle it inherits the rule's."""
        source = self.lifecycle if copy.lifecycle.is_empty else copy.lifecycle
        return None if source.keeps_forever else source.delete_after_days


class _Reader:
    """Reads Plan inputs, recording each property the preview does not know instead of guessing it."""

    def __init__(self) -> None:
        self.unknown: list[str] = []

    def value(self, block: Any, key: str, where: str) -> Any:
        if is_unknown(block):
            self.unknown.append(where)
            return None
        value = block.get(key) if isinstance(block, Mapping) else None
        if is_unknown(value):
            self.unknown.append(join(where, key))
            return None
        return value

    def take(self) -> tuple[str, ...]:
        taken, self.unknown = tuple(dict.fromkeys(self.unknown)), []
        return taken


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _plan_lifecycle(block: Any, where: str, reader: _Reader) -> LifecycleView:
    cold = as_int(reader.value(block, "coldStorageAfter", where))
    delete = as_int(reader.value(block, "deleteAfter", where))
    return LifecycleView(where, cold, delete, reader.take())


def plan_rule_views(plan: Resource) -> tuple[list[RuleView], tuple[str, ...]]:
    """The rules of an ``aws:backup/plan:Plan``, and the rule entries a preview does not know at all."""
    rules = plan.get("rules")
    if is_unknown(rules):
        return [], ("rules",)
    views: list[RuleView] = []
    unknown_rules: list[str] = []
    reader = _Reader()
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        where = join("rules", index)
        if is_unknown(rule):
            unknown_rules.append(where)
            continue
        if not isinstance(rule, Mapping):
            continue
        target = _text(reader.value(rule, "targetVaultName", where))
        lag = _text(reader.value(rule, "targetLogicallyAirGappedBackupVaultArn", where))
        target_unknown = reader.take()
        start = as_int(reader.value(rule, "startWindow", where))
        completion = as_int(reader.value(rule, "completionWindow", where))
        windows_unknown = reader.take()
        continuous = reader.value(rule, "enableContinuousBackup", where) is True
        continuous_unknown = reader.take()
        schedule = _text(reader.value(rule, "schedule", where))
        schedule_unknown = reader.take()
        lifecycle = _plan_lifecycle(reader.value(rule, "lifecycle", where), join(where, "lifecycle"), reader)
        copies_node = reader.value(rule, "copyActions", where)
        copies_unknown = reader.take()
        copies: list[CopyView] = []
        for copy_index, action in enumerate(copies_node if isinstance(copies_node, list) else []):
            copy_where = join(where, "copyActions", copy_index)
            if is_unknown(action):
                copies_unknown += (copy_where,)
                continue
            destination = _text(reader.value(action, "destinationVaultArn", copy_where))
            destination_unknown = bool(reader.take())
            copy_lifecycle = _plan_lifecycle(
                reader.value(action, "lifecycle", copy_where), join(copy_where, "lifecycle"), reader
            )
            copies.append(CopyView(copy_where, destination, copy_lifecycle, destination_unknown))
        name = rule.get("ruleName")
        views.append(
            RuleView(
                where=where,
                name=name if isinstance(name, str) else where,
                target_vault_name=target,
                lag_vault_arn=lag,
                schedule=schedule,
                start_minutes=start,
                completion_minutes=completion,
                continuous=continuous,
                lifecycle=lifecycle,
                copies=tuple(copies),
                target_unknown=target_unknown,
                schedule_unknown=schedule_unknown,
                windows_unknown=windows_unknown,
                continuous_unknown=continuous_unknown,
                copies_unknown=copies_unknown,
            )
        )
    return views, tuple(unknown_rules)


def document_rule_views(parsed: ParsedBackupPolicy) -> list[tuple[ParsedPlan, list[RuleView]]]:
    """The rules of each plan of a parsed BACKUP_POLICY, with document paths (``plans.<plan>.rules.<rule>``)."""
    out: list[tuple[ParsedPlan, list[RuleView]]] = []
    for plan in parsed.plans:
        views: list[RuleView] = []
        for rule in plan.rules:
            where = join("plans", plan.name, "rules", rule.name)
            copies = tuple(
                CopyView(
                    join(where, "copy_actions", copy.destination_arn),
                    copy.destination_arn,
                    LifecycleView(
                        join(where, "copy_actions", copy.destination_arn, "lifecycle"),
                        copy.cold_after_days,
                        copy.delete_after_days,
                    ),
                )
                for copy in rule.copy_actions
            )
            views.append(
                RuleView(
                    where=where,
                    name=rule.name,
                    target_vault_name=rule.target_vault_name,
                    lag_vault_arn=rule.lag_vault_arn,
                    schedule=rule.schedule,
                    start_minutes=rule.start_minutes,
                    completion_minutes=rule.completion_minutes,
                    continuous=rule.continuous,
                    lifecycle=LifecycleView(join(where, "lifecycle"), rule.cold_after_days, rule.delete_after_days),
                    copies=copies,
                )
            )
        out.append((plan, views))
    return out


def resource_rule_views(resource: Resource) -> list[RuleView]:
    """Rule views of a Plan or a BACKUP_POLICY (empty when unknown or unreadable: advisory rules skip those)."""
    if resource.type == PLAN:
        return plan_rule_views(resource)[0]
    if not is_backup_policy(resource):
        return []
    parsed = parsed_backup_policy(resource.get("content"))
    return [view for _, views in document_rule_views(parsed) for view in views] if parsed else []


def unverified(what: str | Iterable[str]) -> str:
    names = [what] if isinstance(what, str) else list(what)
    return f"{', '.join(names)} {PREVIEW_UNKNOWN}; the rule fails closed until it is known"


# --------------------------------------------------------------------------- document rules


def _document_or_unknown(resource: Resource) -> tuple[Any, str | None]:
    """The content of a BACKUP_POLICY, or the fail-closed message when it is unknown during a preview."""
    content = resource.get("content")
    if is_unknown(content):
        return None, unverified("content")
    return content, None


def _check_policy_valid(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    kind = resource.get("type")
    if is_unknown(kind):
        yield f"type {PREVIEW_UNKNOWN}: if it is BACKUP_POLICY its content goes unchecked, so the rule fails closed"
        return
    if kind != BACKUP_POLICY_TYPE:
        return
    content, unknown = _document_or_unknown(resource)
    if unknown:
        yield unknown
        return
    ignored = set(config["ignoreFindings"])
    for finding in document_findings(content):
        if finding.severity == "error" and finding.rule not in DEDICATED_FINDINGS and finding.rule not in ignored:
            yield str(finding)


def _check_policy_advisories(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not is_backup_policy(resource) or is_unknown(resource.get("content")):
        return
    ignored = set(config["ignoreFindings"]) | {UNCONFIRMED_WINDOW_FINDING}
    for finding in document_findings(resource.get("content")):
        if finding.severity == "warning" and finding.rule not in ignored:
            yield str(finding)


def _dedicated(resource: Resource, finding_rules: frozenset[str]) -> Iterator[str]:
    """The document findings one dedicated rule owns, or its fail-closed message for unknown content."""
    content, unknown = _document_or_unknown(resource)
    if unknown:
        yield unknown
        return
    yield from (str(f) for f in document_findings(content) if f.rule in finding_rules)


def _label(resource: Resource, view: RuleView) -> str:
    """Plan findings name the rule (document paths already do)."""
    return f"rule {view.name!r}: " if resource.type == PLAN else ""


def _plan_views_or_unknown(resource: Resource) -> tuple[list[RuleView], list[str]]:
    views, unknown_rules = plan_rule_views(resource)
    return views, [unverified(unknown_rules)] if unknown_rules else []


def _check_cold_plus_90(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    ceiling = int(config["maxRetentionDays"])
    if resource.type == PLAN:
        views, messages = _plan_views_or_unknown(resource)
        yield from messages
        for view in views:
            label = _label(resource, view)
            if view.copies_unknown:
                yield label + unverified(view.copies_unknown)
            for lifecycle, continuous in [(view.lifecycle, view.continuous)] + [
                (c.lifecycle, False) for c in view.copies
            ]:
                if lifecycle.unknown:
                    yield label + unverified(lifecycle.unknown)
                    continue
                findings = check_lifecycle(
                    lifecycle.where,
                    cold_after_days=lifecycle.cold_after_days,
                    delete_after_days=lifecycle.delete_after_days,
                    continuous=continuous,
                )
                yield from (label + str(f) for f in findings if f.rule in LIFECYCLE_FINDINGS)
    elif is_backup_policy(resource):
        yield from _dedicated(resource, LIFECYCLE_FINDINGS)
        views = resource_rule_views(resource)
    else:
        return
    if ceiling >= MAX_RETENTION_DAYS:
        return
    for view in views:
        for lifecycle in [view.lifecycle, *(c.lifecycle for c in view.copies)]:
            days = lifecycle.delete_after_days
            if days is not None and days != KEEP_FOREVER and days > ceiling:
                yield (
                    f"{_label(resource, view)}{join(lifecycle.where, 'delete_after_days')}: {days} days exceeds the "
                    f"organization's retention ceiling maxRetentionDays {ceiling}"
                )


def _check_continuous(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    ceiling = int(config["maxContinuousRetentionDays"])
    if resource.type == PLAN:
        views, messages = _plan_views_or_unknown(resource)
        yield from messages
        for view in views:
            label = _label(resource, view)
            if view.continuous_unknown:
                yield label + unverified(view.continuous_unknown)
                continue
            if not view.continuous:
                continue
            if view.lifecycle.unknown:
                yield label + unverified(view.lifecycle.unknown)
                continue
            findings = check_lifecycle(
                view.lifecycle.where,
                cold_after_days=view.lifecycle.cold_after_days,
                delete_after_days=view.lifecycle.delete_after_days,
                continuous=True,
            )
            yield from (label + str(f) for f in findings if f.rule in CONTINUOUS_FINDINGS)
    elif is_backup_policy(resource):
        yield from _dedicated(resource, CONTINUOUS_FINDINGS)
        views = resource_rule_views(resource)
    else:
        return
    for view in views:
        days = view.lifecycle.delete_after_days
        if view.continuous and days is not None and ceiling < days <= CONTINUOUS_BACKUP_MAX_DAYS:
            yield (
                f"{_label(resource, view)}{join(view.lifecycle.where, 'delete_after_days')}: continuous backups kept "
                f"{days} days exceed the organization's maxContinuousRetentionDays {ceiling}"
            )


def _window_message(finding: Finding) -> str:
    if finding.rule == UNCONFIRMED_WINDOW_FINDING:
        return (
            f"{finding} UNCONFIRMED: AWS documents no such limit, so this is advice; set the rule config "
            "checkCompletionAfterStart to false to silence it"
        )
    return str(finding)


def _check_windows(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """The confirmed window rules (mandatory); the UNCONFIRMED one is ``_check_completion_window``'s, so that
    the pack and the loader give it the same level (a warning: advisory)."""
    yield from _windows(resource, WINDOW_FINDINGS - {UNCONFIRMED_WINDOW_FINDING}, int(config["minStartWindowMinutes"]))


def _check_completion_window(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if config["checkCompletionAfterStart"]:
        yield from _windows(resource, frozenset({UNCONFIRMED_WINDOW_FINDING}), None)


def _windows(resource: Resource, wanted: frozenset[str], minimum: int | None) -> Iterator[str]:
    """Window findings of a Plan or BACKUP_POLICY; unknowns fail closed only for the mandatory rule."""
    fail_closed = minimum is not None
    if resource.type == PLAN:
        views, messages = _plan_views_or_unknown(resource)
        if fail_closed:
            yield from messages
        for view in views:
            label = _label(resource, view)
            if view.windows_unknown:
                if fail_closed:
                    yield label + unverified(view.windows_unknown)
                continue
            findings = check_windows(
                view.where, start_minutes=view.start_minutes, completion_minutes=view.completion_minutes
            )
            yield from (label + _window_message(f) for f in findings if f.rule in wanted)
    elif is_backup_policy(resource):
        content, unknown = _document_or_unknown(resource)
        if unknown:
            if fail_closed:
                yield unknown
            return
        yield from (_window_message(f) for f in document_findings(content) if f.rule in wanted)
        views = resource_rule_views(resource)
    else:
        return
    for view in views:
        start = view.start_minutes
        if minimum is not None and start is not None and MIN_START_WINDOW_MINUTES <= start < minimum:
            yield (
                f"{_label(resource, view)}{join(view.where, 'start_backup_window_minutes')}: {start} minutes is "
                f"below the organization's minStartWindowMinutes {minimum}"
            )


# --------------------------------------------------------------------------- selections


def _has_entries(value: Any) -> bool:
    """Some non-empty value inside, or an unknown one (a preview may fill it: the advisory rule allows it)."""
    if is_unknown(value):
        return True
    if isinstance(value, Mapping):
        return any(_has_entries(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_entries(v) for v in value)
    return bool(value)


def _check_selection(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    resources = resource.get("resources")
    if not any(_has_entries(resource.get(key)) for key in ("resources", "selectionTags", "conditions")):
        yield "the selection has no resources, selectionTags or conditions: it backs up nothing"
    role = resource.get("iamRoleArn")
    pattern = str(config["allowedRoleNamePattern"])
    if isinstance(role, str):
        name = role_name(role)
        if name is None:
            yield f"iamRoleArn {role!r} is not an IAM role ARN"
        elif re.fullmatch(pattern, name) is None:
            yield f"iamRoleArn uses role {name!r}, which does not match allowedRoleNamePattern {pattern!r}"
    if not config["allowWildcardResources"] and isinstance(resources, list) and "*" in resources:
        yield (
            'resources contains "*": the selection backs up every supported resource in the account and Region; '
            "select by tag or condition instead, or set allowWildcardResources"
        )


# --------------------------------------------------------------------------- stack rules


def _meets_baseline(view: RuleView, max_interval_minutes: int, min_retention_days: int) -> bool:
    interval = min_interval_minutes(view.schedule or EXAMPLE_SCHEDULE)
    retention = view.lifecycle.delete_after_days
    keeps_long_enough = view.lifecycle.keeps_forever or (retention is not None and retention >= min_retention_days)
    return interval is not None and interval <= max_interval_minutes and keeps_long_enough


def _check_min_frequency(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    hours, days = int(config["requiredFrequencyHours"]), int(config["requiredRetentionDays"])
    baseline = f"runs at least every {hours} h and keeps recovery points at least {days} days"
    for plan in index.of_type(PLAN):
        views, unknown_rules = plan_rule_views(plan)
        if unknown_rules or any(v.lifecycle.unknown or v.schedule_unknown for v in views):
            continue
        if not any(_meets_baseline(v, hours * 60, days) for v in views):
            yield plan.urn, f"no rule of this plan {baseline}"
    protected: dict[tuple[str, str], bool] = {}
    policies_of: dict[tuple[str, str], list[Resource]] = defaultdict(list)
    for policy, parsed, reached, _ in index.backup_policies(config["ouAccounts"]):
        for plan_doc, views in document_rule_views(parsed):
            meets = any(_meets_baseline(v, hours * 60, days) for v in views)
            for place in ((account, region) for account in reached for region in plan_doc.regions):
                protected[place] = protected.get(place, False) or meets
                policies_of[place].append(policy)
    for (account, region), meets in sorted(protected.items()):
        if not meets:
            names = sorted({p.get("name") or p.name for p in policies_of[(account, region)]})
            yield (
                policies_of[(account, region)][0].urn,
                f"account {account} in {region}: no rule of the backup policies reaching it ({', '.join(names)}) "
                f"{baseline}",
            )


def _names(values: Any) -> list[str]:
    return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _enables(candidates: Iterable[tuple[Resource, str]], wanted: str) -> tuple[bool, list[str]]:
    """Whether some ``(resource, property)`` holds or lists ``wanted``; else the properties a preview lacks."""
    unknown: list[str] = []
    for resource, key in candidates:
        value = resource.get(key)
        if is_unknown(value):
            unknown.append(f"{resource.name}.{key}")
        elif value == wanted or wanted in _names(value):
            return True, []
    return False, unknown


def _check_enabled_and_attached(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    policies = [p for p in index.of_type(ORG_POLICY) if is_backup_policy(p)]
    if not policies:
        return
    for policy in policies:
        if not index.attachments_by_policy.get(policy.urn):
            yield (
                policy.urn,
                "this BACKUP_POLICY has no PolicyAttachment: it protects nothing until it is attached to the "
                "root, an OU or an account",
            )
    if config["organizationManagedElsewhere"]:
        return
    organizations = index.of_type(ORGANIZATION)
    type_enabled, unknown = _enables(
        [(o, "enabledPolicyTypes") for o in organizations]
        + [(r, "policy_type") for r in index.of_type(DYNAMIC_RESOURCE) if "policy_type" in r.props],
        BACKUP_POLICY_TYPE,
    )
    if not type_enabled:
        yield (
            None,
            "no resource in this stack enables the BACKUP_POLICY policy type on the root (the policy-type "
            "resource, or Organization.enabledPolicyTypes): attaching backup policies fails"
            + (f"; {unverified(unknown)}" if unknown else ""),
        )
    trusted, unknown = _enables(
        [(o, "awsServiceAccessPrincipals") for o in organizations]
        + [(r, "servicePrincipal") for r in index.of_type(SERVICE_ACCESS)],
        BACKUP_SERVICE_PRINCIPAL,
    )
    if not trusted:
        yield (
            None,
            "no resource in this stack enables trusted access for backup.amazonaws.com (AwsServiceAccess, or "
            "Organization.awsServiceAccessPrincipals): AWS Backup cannot apply organization policies"
            + (f"; {unverified(unknown)}" if unknown else ""),
        )


def _check_policies_per_target(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    elsewhere = config["attachedElsewhere"]
    counts: Counter[str] = Counter(
        {target: int(n) for target, n in elsewhere.items() if isinstance(n, int | float)}
        if isinstance(elsewhere, Mapping)
        else {}
    )
    attachments_to: dict[str, list[Resource]] = defaultdict(list)
    for policy in index.of_type(ORG_POLICY):
        if not is_backup_policy(policy):
            continue
        for attachment in index.attachments_by_policy.get(policy.urn, ()):
            target = attachment.get("targetId")
            if is_unknown(target):
                yield attachment.urn, unverified("targetId") + ": the backup policies on its target cannot be counted"
            elif isinstance(target, str):
                counts[target] += 1
                attachments_to[target].append(attachment)
    for target, count in sorted(counts.items()):
        if count > MAX_BACKUP_POLICIES_PER_TARGET:
            here = attachments_to.get(target)
            yield (
                here[0].urn if here else None,
                f"target {target} has {count} backup policies attached (in this stack plus attachedElsewhere); "
                f"Organizations allows at most {MAX_BACKUP_POLICIES_PER_TARGET}",
            )


def _check_delegated_admin(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    admins = [r for r in index.of_type(DELEGATED_ADMIN) if r.get("servicePrincipal") == BACKUP_SERVICE_PRINCIPAL]
    if not admins:
        if any(is_backup_policy(p) for p in index.of_type(ORG_POLICY)):
            yield (
                None,
                "no DelegatedAdministrator for backup.amazonaws.com: backup policies are managed from the management account",
            )
        return
    if len(admins) > 1:
        limit = f"; AWS allows at most {MAX_DELEGATED_ADMINS}" if len(admins) > MAX_DELEGATED_ADMINS else ""
        yield (
            admins[1].urn,
            f"{len(admins)} delegated administrators for backup.amazonaws.com: register exactly one{limit}",
        )
    allowed = _names(config["allowedAccounts"])
    for admin in admins:
        account = admin.get("accountId")
        if not isinstance(account, str):
            continue
        if allowed and account not in allowed:
            yield admin.urn, f"delegated administrator {account} is not in allowedAccounts ({', '.join(allowed)})"
        if admin.account is not None and account == admin.account:
            yield (
                admin.urn,
                f"delegated administrator {account} is the management account (the account of its provider): "
                "delegate to a separate backup administrator account",
            )


def _cross_account_copies(index: StackIndex) -> Iterator[tuple[str, str]]:
    """(URN, description) of each copy to another account, and of each copy whose destination is unknown."""
    for plan in index.of_type(PLAN):
        views, _ = plan_rule_views(plan)
        for view in views:
            for copy in view.copies:
                if copy.destination_unknown:
                    yield plan.urn, f"{copy.where} (destinationVaultArn {PREVIEW_UNKNOWN})"
                    continue
                arn = parse_vault_arn(copy.destination)
                if arn is not None and arn.account != plan.account:
                    yield plan.urn, f"{copy.where} copies to account {arn.account}"
    for policy, parsed, _, _ in index.backup_policies():
        for _, views in document_rule_views(parsed):
            for view in views:
                for copy in view.copies:
                    arn = parse_vault_arn(copy.destination)
                    if arn is not None and arn.account != ACCOUNT_PLACEHOLDER:
                        yield policy.urn, f"{copy.where} copies to account {arn.account}"


def _check_cross_account_enabled(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    if config["globalSettingsManagedElsewhere"]:
        return
    unknown: list[str] = []
    for settings in index.of_type(GLOBAL_SETTINGS):
        values = settings.get("globalSettings")
        value = values.get(CROSS_ACCOUNT_SETTING) if isinstance(values, Mapping) else None
        if is_unknown(values) or is_unknown(value):
            unknown.append(f"{settings.name}.globalSettings")
        elif value is True or (isinstance(value, str) and value.lower() == "true"):
            return
    note = f" ({unverified(unknown)})" if unknown else ""
    copies: dict[str, list[str]] = defaultdict(list)
    for urn, description in _cross_account_copies(index):
        copies[urn].append(description)
    for urn, descriptions in copies.items():
        more = f" and {len(descriptions) - 1} more" if len(descriptions) > 1 else ""
        yield (
            urn,
            f"{descriptions[0]}{more}, but no GlobalSettings in this stack sets {CROSS_ACCOUNT_SETTING} "
            f'to "true": cross-account copy jobs fail{note}',
        )


# --------------------------------------------------------------------------- declarations

OU_ACCOUNTS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "default": {},
    "description": (
        "Accounts under each OU/root id (OU id -> account ids). The pack reads them from the stack first (the "
        "OrganizationView component's ou_accounts output, the Guardrail's target_accounts); an entry here "
        "overrides the stack's for that OU. Needed only for stacks that publish neither."
    ),
}
PLAN_KEYS_HINT = (
    "For org-backup users: fix it in the stack configuration, plans.<plan>.rules.<rule>.{key}. For a "
    "hand-written policy (backup_policies.custom.<name>.content) or an aws:backup/plan:Plan: fix the path the "
    "message names."
)

POLICY_VALID = Rule(
    name="org-backup-policy-valid",
    description=(
        "Checks every Organizations BACKUP_POLICY document against the documented syntax and limits: valid JSON "
        "of at most 10,000 characters, no duplicate keys, values under inheritance operators, known keys, "
        "6-field cron schedules, copy actions keyed by a vault ARN (upper case in the key needs an explicit "
        "target_backup_vault_arn) and never cross-account into a Default vault, not both tags and resources "
        "selections, no RDS/Aurora copy that is cross-account and cross-Region at once. Organizations rejects "
        "such a policy, or every account that inherits it gets a plan that fails. Lifecycle, continuous-backup "
        "and window errors are reported by their own rules. Fails closed: content or type unknown during "
        "preview is a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "Fix the document at the path the message names. For org-backup users the document is rendered from "
        "plans.<plan> (schedule, copies, selections) and backup_policies.custom.<name>.content; the bracketed "
        "id says which rule broke. Add an id to ignoreFindings only when AWS has been shown to accept it."
    ),
    config={
        "ignoreFindings": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Finding ids (the bracketed id in a message) not to report.",
        }
    },
    domain=DOMAIN,
)
POLICY_ADVISORIES = Rule(
    name="org-backup-policy-advisories",
    description=(
        "Reports the warnings about BACKUP_POLICY documents: points AWS leaves unconfirmed or advises against "
        "(keys the effective policy requires but a parent policy may supply, such as regions, selections or "
        "iam_role_arn; a copy_actions key that differs from its target; "
        "missing schedule_expression that the API defaults, empty objects, warm retention under 7 days, tag "
        "selections that may include RDS/Aurora in a cross-account cross-Region copy, old spellings). They do "
        "not block a deployment but usually hide a mistake."
    ),
    enforcement=ADVISORY,
    severity=Severity.LOW,
    remediation=(
        "Change the document at the path the message names (for org-backup users: the plans.<plan> setting "
        "that renders it), or add the bracketed id to ignoreFindings if the behaviour is intended."
    ),
    config={
        "ignoreFindings": {"type": "array", "items": {"type": "string"}, "default": [], "description": "Ids to skip."}
    },
    domain=DOMAIN,
)
COLD_PLUS_90 = Rule(
    name="backup-lifecycle-cold-plus-90",
    description=(
        "Checks the lifecycle of every rule and copy action of aws:backup/plan:Plan and BACKUP_POLICY "
        "documents: delete_after_days >= move_to_cold_storage_after_days + 90 (cold storage keeps recovery "
        "points at least 90 days) and retention within 1..36,500 days, or within the organization's "
        "maxRetentionDays. AWS rejects such a plan, or every inheriting account's plan fails. Fails closed: a "
        "lifecycle unknown during preview is a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=PLAN_KEYS_HINT.format(key="retention_days (and cold_storage_after_days, copies[].retention_days)")
    + " Keep retention at least cold storage + 90 days.",
    config={
        "maxRetentionDays": integer_setting(
            minimum=1,
            maximum=MAX_RETENTION_DAYS,
            default=MAX_RETENTION_DAYS,
            description="The organization's retention ceiling (AWS allows 36,500 days).",
        )
    },
    domain=DOMAIN,
)
CONTINUOUS = Rule(
    name="backup-continuous-retention",
    description=(
        "Checks continuous (point-in-time) backup rules (Plan enableContinuousBackup, BACKUP_POLICY "
        "enable_continuous_backup): they must keep recovery points 1..35 days (or config "
        "maxContinuousRetentionDays) and never move them to cold storage, or AWS rejects the rule. Fails "
        "closed: an unknown continuous flag or lifecycle during preview is a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=PLAN_KEYS_HINT.format(key="retention_days (at most 35 when continuous: true)")
    + " Use a separate snapshot rule for longer retention.",
    config={
        "maxContinuousRetentionDays": integer_setting(
            minimum=1,
            maximum=CONTINUOUS_BACKUP_MAX_DAYS,
            default=CONTINUOUS_BACKUP_MAX_DAYS,
            description="The organization's ceiling for continuous backups (AWS allows 35 days).",
        )
    },
    domain=DOMAIN,
)
WINDOWS = Rule(
    name="backup-plan-windows",
    description=(
        "Checks the backup windows of Plan rules and BACKUP_POLICY rules: a start window, when set, of at least "
        "60 minutes (or config minStartWindowMinutes), since AWS rejects shorter ones, and a positive completion "
        "window. Fails closed: windows unknown during preview are a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.MEDIUM,
    remediation=PLAN_KEYS_HINT.format(key="start_window_minutes / completion_window_minutes"),
    config={
        "minStartWindowMinutes": integer_setting(
            minimum=MIN_START_WINDOW_MINUTES,
            default=MIN_START_WINDOW_MINUTES,
            description="The shortest start window allowed (AWS requires 60 minutes).",
        ),
    },
    domain=DOMAIN,
)
COMPLETION_WINDOW = Rule(
    name="backup-plan-completion-window",
    description=(
        "Advises a completion window longer than the start window in Plan rules and BACKUP_POLICY rules, so "
        "that jobs are not cancelled as soon as they start. UNCONFIRMED by AWS documentation, hence advisory, "
        "as the configuration loader reports it (a warning)."
    ),
    enforcement=ADVISORY,
    severity=Severity.LOW,
    remediation=PLAN_KEYS_HINT.format(key="completion_window_minutes"),
    config={
        "checkCompletionAfterStart": {
            "type": "boolean",
            "default": True,
            "description": "Report completion windows not longer than the start window (unconfirmed AWS rule).",
        },
    },
    domain=DOMAIN,
)
MIN_FREQUENCY = Rule(
    name="backup-plan-min-frequency-retention",
    description=(
        "Checks the recovery point objective baseline (AWS Config backup-plan-min-frequency-and-min-retention-"
        "check): each aws:backup/plan:Plan, and each account and Region reached by the stack's BACKUP_POLICY "
        "documents (reach output, account attachments, config ouAccounts), has a rule that runs at least every "
        "requiredFrequencyHours and keeps recovery points at least requiredRetentionDays."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=PLAN_KEYS_HINT.format(key="schedule and retention_days")
    + " Add or change a rule (e.g. schedule: daily, retention_days: 35) in a plan targeting the account.",
    config={
        "requiredFrequencyHours": integer_setting(minimum=1, default=24),
        "requiredRetentionDays": integer_setting(minimum=1, default=35),
        "ouAccounts": OU_ACCOUNTS_SCHEMA,
    },
    domain=DOMAIN,
)
SELECTION_SANE = Rule(
    name="backup-selection-sane",
    description=(
        "Checks each aws:backup/selection:Selection: it selects something (resources, selectionTags or "
        'conditions), uses a role whose name matches allowedRoleNamePattern, and has no "*" in resources '
        "unless allowWildcardResources. An empty selection or a wrong role silently backs up nothing; a "
        "wildcard backs up (and bills) everything."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Set resources, selectionTags or conditions on the Selection and a backup role matching the pattern. "
        "org-backup users select through plans.<plan>.selections (tags or resources) instead."
    ),
    config={
        "allowedRoleNamePattern": {"type": "string", "default": ".*"},
        "allowWildcardResources": {"type": "boolean", "default": False},
    },
    domain=DOMAIN,
)
ENABLED_AND_ATTACHED = Rule(
    name="org-backup-policy-enabled-and-attached",
    description=(
        "Checks that every BACKUP_POLICY has at least one attachment, and that the stack enables the "
        "BACKUP_POLICY policy type and trusted access for backup.amazonaws.com (unless "
        "organizationManagedElsewhere): an unattached policy protects nothing, and without the type or "
        "trusted access Organizations refuses to apply it. Fails closed: a policy type or service principal "
        "unknown during preview does not count as enabled."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Attach each policy (org-backup: give plans.<plan>.targets at least one OU or account) and keep the "
        "organization component that enables the policy type and trusted access; if another stack manages "
        "them, set organizationManagedElsewhere."
    ),
    config={"organizationManagedElsewhere": {"type": "boolean", "default": False}},
    domain=DOMAIN,
)
PER_TARGET = Rule(
    name="backup-policies-per-target",
    description=(
        "Counts the BACKUP_POLICY attachments per root, OU or account (plus config attachedElsewhere): "
        "Organizations allows at most 10 directly attached backup policies per target and fails the attach "
        "otherwise. Fails closed: an attachment whose targetId is unknown during preview is a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Merge plans into fewer policies (org-backup packs plans that share targets: give plans the same "
        "plans.<plan>.targets) or detach policies; record policies attached outside the stack in "
        "backup_policies.policies_attached_elsewhere and in this rule's attachedElsewhere."
    ),
    config={
        "attachedElsewhere": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "default": {},
            "description": "Backup policies attached outside this stack, per target id.",
        }
    },
    domain=DOMAIN,
)
DELEGATED_ADMIN_RULE = Rule(
    name="backup-delegated-admin",
    description=(
        "Checks the delegated administrator for backup.amazonaws.com: exactly one (AWS allows at most 5), in "
        "allowedAccounts when set, and not the management account, so that day-to-day backup administration "
        "does not need the management account's credentials."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Register one backup administrator account: org-backup users set organization.backup_admin_account_id "
        "to an account other than organization.management_account_id."
    ),
    config={"allowedAccounts": {"type": "array", "items": {"type": "string"}, "default": []}},
    domain=DOMAIN,
)
CROSS_ACCOUNT_ENABLED = Rule(
    name="backup-cross-account-enabled",
    description=(
        'Checks that a GlobalSettings resource sets isCrossAccountBackupEnabled to "true" when any Plan or '
        "BACKUP_POLICY copies to another account (a literal account id in the destination ARN), unless "
        "globalSettingsManagedElsewhere: without it every cross-account copy job fails. Fails closed: a copy "
        "destination or setting unknown during preview counts against it."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        'Keep the organization component\'s Backup global settings (isCrossAccountBackupEnabled "true") in '
        "the stack, or set globalSettingsManagedElsewhere if the management account sets it elsewhere."
    ),
    config={"globalSettingsManagedElsewhere": {"type": "boolean", "default": False}},
    domain=DOMAIN,
)

POLICIES: list[Policy] = [
    resource_policy(POLICY_VALID, [ORG_POLICY], _check_policy_valid),
    resource_policy(POLICY_ADVISORIES, [ORG_POLICY], _check_policy_advisories),
    resource_policy(COLD_PLUS_90, [PLAN, ORG_POLICY], _check_cold_plus_90),
    resource_policy(CONTINUOUS, [PLAN, ORG_POLICY], _check_continuous),
    resource_policy(WINDOWS, [PLAN, ORG_POLICY], _check_windows),
    resource_policy(COMPLETION_WINDOW, [PLAN, ORG_POLICY], _check_completion_window),
    stack_policy(MIN_FREQUENCY, _check_min_frequency),
    resource_policy(SELECTION_SANE, [SELECTION], _check_selection),
    stack_policy(ENABLED_AND_ATTACHED, _check_enabled_and_attached),
    stack_policy(PER_TARGET, _check_policies_per_target),
    stack_policy(DELEGATED_ADMIN_RULE, _check_delegated_admin),
    stack_policy(CROSS_ACCOUNT_ENABLED, _check_cross_account_enabled),
]
