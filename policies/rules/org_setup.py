"""The organization's side of its backup policies, judged over the whole stack: the BACKUP_POLICY type and
trusted access enabled and each policy attached, at most 10 policies per target, one delegated administrator,
cross-account backup enabled when a plan copies to another account, and every reached account and Region
meeting the frequency and retention baseline. Same domain as ``org_policies`` (the documents themselves).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import ACCOUNT_PLACEHOLDER, parse_vault_arn
from backup_rules.limits import (
    MAX_BACKUP_POLICIES_PER_TARGET,
    MAX_DELEGATED_ADMINS,
)
from backup_rules.names import BACKUP_SERVICE_PRINCIPAL
from backup_rules.schedule import EXAMPLE_SCHEDULE, min_interval_minutes

from .adapter import is_unknown
from .base import ADVISORY, MANDATORY, Rule, integer_setting, stack_policy
from .org_policies import DOMAIN, OU_ACCOUNTS_SCHEMA, PLAN_KEYS_HINT
from .plan_views import (
    PREVIEW_UNKNOWN,
    RuleView,
    document_rule_views,
    is_backup_policy,
    plan_rule_views,
    unverified,
)
from .resources import (
    BACKUP_POLICY_TYPE,
    DELEGATED_ADMIN,
    DYNAMIC_RESOURCE,
    GLOBAL_SETTINGS,
    ORG_POLICY,
    ORGANIZATION,
    PLAN,
    SERVICE_ACCESS,
    Resource,
    StackIndex,
)

CROSS_ACCOUNT_SETTING = "isCrossAccountBackupEnabled"


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
    config_section="organization",
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
    config_section="organization",
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
    config_section="organization",
)


POLICIES: list[Policy] = [
    stack_policy(MIN_FREQUENCY, _check_min_frequency),
    stack_policy(ENABLED_AND_ATTACHED, _check_enabled_and_attached),
    stack_policy(PER_TARGET, _check_policies_per_target),
    stack_policy(DELEGATED_ADMIN_RULE, _check_delegated_admin),
    stack_policy(CROSS_ACCOUNT_ENABLED, _check_cross_account_enabled),
]
