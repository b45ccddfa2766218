"""Organizations backup policies, and the plan-rule arithmetic they share with ``aws:backup/plan:Plan``.

A BACKUP_POLICY document is judged by ``backup_rules.backup_policy.validate_backup_policy`` (run once per
document text and cached, since four rules read it); its findings are split so that each is reported by
exactly one rule: lifecycle, continuous-backup and window findings by their dedicated rules, the other errors
by ``org-backup-policy-valid`` and the warnings by ``org-backup-policy-advisories``. Plans are read into the
same ``RuleView`` shape (with the properties that are unknown during a preview) and judged by
``backup_rules.lifecycle``. The organization-wide stack rules (policy type, attachments, delegated administrator, cross-account setting,
frequency baseline) are in ``org_setup``; the shared rule views in ``plan_views``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import role_name
from backup_rules.findings import Finding, join
from backup_rules.lifecycle import (
    COLD_STORAGE_PLUS_90,
    COMPLETION_AFTER_START,
    COMPLETION_WINDOW_POSITIVE,
    CONTINUOUS_NO_COLD_STORAGE,
    CONTINUOUS_RETENTION,
    KEEP_FOREVER,
    RETENTION_RANGE,
    START_WINDOW_MIN,
    check_lifecycle,
    check_windows,
)
from backup_rules.limits import (
    CONTINUOUS_BACKUP_MAX_DAYS,
    MAX_RETENTION_DAYS,
    MIN_START_WINDOW_MINUTES,
)

from .adapter import is_unknown
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy
from .plan_views import (
    PREVIEW_UNKNOWN,
    RuleView,
    document_findings,
    is_backup_policy,
    plan_rule_views,
    resource_rule_views,
    unverified,
)
from .resources import (
    BACKUP_POLICY_TYPE,
    ORG_POLICY,
    PLAN,
    SELECTION,
    Resource,
)

DOMAIN = "organization-backup-policies"


LIFECYCLE_FINDINGS = frozenset({RETENTION_RANGE, COLD_STORAGE_PLUS_90})


CONTINUOUS_FINDINGS = frozenset({CONTINUOUS_RETENTION, CONTINUOUS_NO_COLD_STORAGE})


WINDOW_FINDINGS = frozenset({START_WINDOW_MIN, COMPLETION_WINDOW_POSITIVE, COMPLETION_AFTER_START})


UNCONFIRMED_WINDOW_FINDING = COMPLETION_AFTER_START


DEDICATED_FINDINGS = LIFECYCLE_FINDINGS | CONTINUOUS_FINDINGS | WINDOW_FINDINGS


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


def _check_policy_advisories(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not is_backup_policy(resource) or is_unknown(resource.get("content")):
        return
    ignored = set(config["ignoreFindings"]) | {UNCONFIRMED_WINDOW_FINDING}
    for finding in document_findings(resource.get("content")):
        if finding.severity == "warning" and finding.rule not in ignored:
            yield str(finding)


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


def _window_message(finding: Finding) -> str:
    if finding.rule == UNCONFIRMED_WINDOW_FINDING:
        return (
            f"{finding} UNCONFIRMED: AWS documents no such limit, so this is advice; set the rule config "
            "checkCompletionAfterStart to false to silence it"
        )
    return str(finding)


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


def _check_windows(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """The confirmed window rules (mandatory); the UNCONFIRMED one is ``_check_completion_window``'s, so that
    the pack and the loader give it the same level (a warning: advisory)."""
    yield from _windows(resource, WINDOW_FINDINGS - {UNCONFIRMED_WINDOW_FINDING}, int(config["minStartWindowMinutes"]))


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


def _check_completion_window(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if config["checkCompletionAfterStart"]:
        yield from _windows(resource, frozenset({UNCONFIRMED_WINDOW_FINDING}), None)


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


POLICIES: list[Policy] = [
    resource_policy(POLICY_VALID, [ORG_POLICY], _check_policy_valid),
    resource_policy(POLICY_ADVISORIES, [ORG_POLICY], _check_policy_advisories),
    resource_policy(COLD_PLUS_90, [PLAN, ORG_POLICY], _check_cold_plus_90),
    resource_policy(CONTINUOUS, [PLAN, ORG_POLICY], _check_continuous),
    resource_policy(WINDOWS, [PLAN, ORG_POLICY], _check_windows),
    resource_policy(COMPLETION_WINDOW, [PLAN, ORG_POLICY], _check_completion_window),
    resource_policy(SELECTION_SANE, [SELECTION], _check_selection),
]
