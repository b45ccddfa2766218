"""Copy destinations: where each rule's copies land, whether that place is immutable, reachable and apart.

Every copy action of an ``aws:backup/plan:Plan`` and of each BACKUP_POLICY plan is resolved, for each
(account, Region) it runs in, to the vault it writes to: ``$account``/``$region`` in a policy's destination ARN
stand for the account and Region the effective plan runs in (the policy's reached accounts by its plan
Regions). A copy without a lifecycle keeps its source rule's lifecycle (AWS Backup applies the source
backup's lifecycle when a copy action has none; Security Hub ``AwsBackupBackupPlanRuleCopyActionsDetails``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER, VaultArn, parse_vault_arn
from backup_rules.findings import join
from backup_rules.lifecycle import check_retention_within_lock

from . import copy_paths
from .adapter import as_int, is_unknown
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy, stack_policy
from .org_policies import OU_ACCOUNTS_SCHEMA
from .plan_views import RuleView, document_rule_views, plan_rule_views, resource_rule_views, unverified
from .resources import AIR_GAPPED_VAULT, ORG_POLICY, PLAN, Resource, StackIndex

DOMAIN = "copy-destinations"
MAX_PLACES_SHOWN = 5

Location = tuple[str | None, str | None]
VaultKey = tuple[str | None, str | None, str]


@dataclass(frozen=True)
class CopyRoute:
    """One copy action, with the rule it belongs to and every (account, Region) the rule runs in."""

    urn: str
    where: str
    sources: tuple[Location, ...]
    destination_text: str | None
    destination: VaultArn | None
    destination_unknown: bool
    retention: int | None
    retention_unknown: tuple[str, ...]

    def destinations(self) -> dict[VaultKey, list[Location]]:
        """Each concrete destination vault and the sources that copy into it; a literal ARN is checked even
        when the policy reaches no account yet."""
        arn = self.destination
        if arn is None:
            return {}
        out: dict[VaultKey, list[Location]] = defaultdict(list)
        literal = arn.account != ACCOUNT_PLACEHOLDER and arn.region != REGION_PLACEHOLDER
        for account, region in self.sources or ([(None, None)] if literal else []):
            key = (
                account if arn.account == ACCOUNT_PLACEHOLDER else arn.account,
                region if arn.region == REGION_PLACEHOLDER else arn.region,
                arn.name,
            )
            out[key].append((account, region))
        return out


@dataclass(frozen=True)
class SourceRule:
    """A backup rule and every (account, Region) it runs in."""

    urn: str
    view: RuleView
    sources: tuple[Location, ...]


def source_rules(index: StackIndex, ou_accounts: Mapping[str, Any]) -> Iterator[SourceRule]:
    """Plan rules run in the Plan's account and Region; policy rules in each reached account and plan Region."""
    for plan in index.of_type(PLAN):
        for view in plan_rule_views(plan)[0]:
            yield SourceRule(plan.urn, view, ((plan.account, plan.region),))
    for policy, parsed, reached, _ in index.backup_policies(ou_accounts):
        for plan_doc, views in document_rule_views(parsed):
            sources = tuple((account, region) for account in sorted(reached) for region in plan_doc.regions)
            for view in views:
                yield SourceRule(policy.urn, view, sources)


def copy_routes(index: StackIndex, ou_accounts: Mapping[str, Any]) -> Iterator[CopyRoute]:
    for rule in source_rules(index, ou_accounts):
        for copy in rule.view.copies:
            retention_unknown = copy.lifecycle.unknown or (
                rule.view.lifecycle.unknown if copy.lifecycle.is_empty else ()
            )
            yield CopyRoute(
                urn=rule.urn,
                where=copy.where,
                sources=rule.sources,
                destination_text=copy.destination,
                destination=parse_vault_arn(copy.destination),
                destination_unknown=copy.destination_unknown,
                retention=rule.view.copy_retention(copy),
                retention_unknown=retention_unknown,
            )


def _arn(key: VaultKey, partition: str = "aws") -> str:
    account, region, name = key
    return f"arn:{partition}:backup:{region}:{account}:backup-vault:{name}"


def _destination(route: CopyRoute, key: VaultKey) -> str:
    """How a message names the destination: the path already shows a literal ARN, a template needs resolving."""
    resolved = _arn(key, route.destination.partition if route.destination else "aws")
    return "the destination vault" if resolved == str(route.destination) else f"the destination {resolved}"


def _places(locations: Iterable[Location]) -> str:
    names = sorted({f"{account or '?'}/{region or '?'}" for account, region in locations})
    more = f" and {len(names) - MAX_PLACES_SHOWN} more" if len(names) > MAX_PLACES_SHOWN else ""
    return ", ".join(names[:MAX_PLACES_SHOWN]) + more


def _grouped(findings: Mapping[tuple[str, str], list[Location]]) -> Iterator[tuple[str | None, str]]:
    """One violation per (resource, message), naming the source accounts/Regions it happens in."""
    for (urn, message), locations in findings.items():
        known = [location for location in locations if location != (None, None)]
        yield urn, f"{message} (from {_places(known)})" if known else message


# --------------------------------------------------------------------------- resource rules


def _check_has_copy(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    threshold = int(config["copyRequiredForRetentionDays"])
    for view in resource_rule_views(resource):
        lifecycle = view.lifecycle
        if view.copies or view.copies_unknown or lifecycle.unknown:
            continue
        if lifecycle.keeps_forever:
            kept = "keeps recovery points forever"
        elif lifecycle.delete_after_days is not None and lifecycle.delete_after_days >= threshold:
            kept = f"keeps recovery points {lifecycle.delete_after_days} days"
        else:
            continue
        yield (
            f"{view.where} ({view.name}) {kept} (>= copyRequiredForRetentionDays {threshold}) but has no copy "
            "action: losing this account or Region loses every one of them"
        )


def _check_copy_retention(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    floor = int(config["minCopyRetentionDays"])
    for view in resource_rule_views(resource):
        if view.lifecycle.unknown:
            continue
        source = None if view.lifecycle.keeps_forever else view.lifecycle.delete_after_days
        for copy in view.copies:
            if copy.lifecycle.unknown or copy.lifecycle.is_empty:
                continue
            kept = view.copy_retention(copy)
            if kept is None:
                continue
            if source is None and kept < floor:
                yield (
                    f"{copy.where}: the copy is kept {kept} days while its source rule keeps recovery points "
                    f"forever; keep the copy at least minCopyRetentionDays {floor}"
                )
            elif source is not None and kept < source:
                yield (
                    f"{copy.where}: the copy is kept {kept} days, less than the {source} days of its source rule: "
                    "the disaster-recovery copy would expire first"
                )


# --------------------------------------------------------------------------- stack rules


def _lock_problem(index: StackIndex, key: VaultKey, require_compliance: bool) -> str | None:
    vault = index.vaults.get(key)
    if vault is None:
        return "is not a vault of this stack, so its lock cannot be checked"
    if vault.type == AIR_GAPPED_VAULT:
        return None
    lock = index.locks.get(key)
    if lock is None:
        return "has no Vault Lock: the copies there can be deleted"
    changeable = lock.get("changeableForDays")
    if is_unknown(changeable):
        return unverified("its lock's changeableForDays")
    if require_compliance and changeable is None:
        return (
            "is locked in governance mode (no changeableForDays): anyone with enough IAM permissions can remove "
            "the lock and delete the copies; use a compliance-mode lock"
        )
    return None


def _check_destination_locked(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    require_compliance = bool(config["requireComplianceMode"])
    trusted = {arn.lower() for arn in config["trustedExternalVaultArns"] if isinstance(arn, str)}
    findings: dict[tuple[str, str], list[Location]] = defaultdict(list)
    for route in copy_routes(index, config["ouAccounts"]):
        if route.destination_unknown:
            yield route.urn, f"{route.where}: {unverified('destinationVaultArn')}"
            continue
        if route.destination is None:
            if route.destination_text is not None and index.by_urn[route.urn].type == PLAN:
                yield (
                    route.urn,
                    f"{route.where}: destinationVaultArn {route.destination_text!r} is not a backup vault ARN",
                )
            continue
        if str(route.destination).lower() in trusted:
            continue
        for key, sources in route.destinations().items():
            resolved = _arn(key, route.destination.partition)
            if resolved.lower() in trusted:
                continue
            problem = _lock_problem(index, key, require_compliance)
            if problem:
                findings[(route.urn, f"{route.where}: {_destination(route, key)} {problem}")].extend(sources)
    yield from _grouped(findings)


BOUNDARIES = {
    "account-or-region": "the same account and Region",
    "account": "the same account",
    "region": "the same Region",
    "account-and-region": "the same account or the same Region",
}


def _stays_inside(boundary: str, same_account: bool, same_region: bool) -> bool:
    if boundary == "account":
        return same_account
    if boundary == "region":
        return same_region
    if boundary == "account-and-region":
        return same_account or same_region
    return same_account and same_region


def _check_cross_boundary(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    boundary = str(config["requiredBoundary"])
    findings: dict[tuple[str, str], list[Location]] = defaultdict(list)
    for route in copy_routes(index, config["ouAccounts"]):
        for key, sources in route.destinations().items():
            inside = [
                (account, region)
                for account, region in sources
                if account is not None and _stays_inside(boundary, account == key[0], region == key[1])
            ]
            if inside:
                message = (
                    f"{route.where}: the copy to {route.destination} stays in {BOUNDARIES.get(boundary, boundary)} "
                    "as its source, so it gives no isolation from an account or Region failure"
                )
                findings[(route.urn, message)].extend(inside)
    yield from _grouped(findings)
    if boundary == "account-or-region":
        # Disaster-recovery (cross-account) copies within their Region: the shared rule, as the loader warns.
        yield from copy_paths.dr_same_region(index, config["ouAccounts"])


def _lock_bounds(index: StackIndex, key: VaultKey) -> tuple[int | None, int | None, list[str]] | None:
    """The retention bounds of the vault at ``key`` (lock or air-gapped vault), or None when it has none here."""
    vault = index.vaults.get(key)
    bounded = vault if vault is not None and vault.type == AIR_GAPPED_VAULT else index.locks.get(key)
    if bounded is None:
        return None
    unknown = [f"{bounded.name}.{k}" for k in ("minRetentionDays", "maxRetentionDays") if is_unknown(bounded.get(k))]
    return as_int(bounded.get("minRetentionDays")), as_int(bounded.get("maxRetentionDays")), unknown


def _within_lock(
    index: StackIndex,
    where: str,
    retention: int | None,
    targets: Mapping[VaultKey, list[Location]],
    findings: dict[tuple[str, str], list[Location]],
    urn: str,
) -> None:
    for key, sources in targets.items():
        bounds = _lock_bounds(index, key)
        if bounds is None:
            continue
        low, high, unknown = bounds
        if unknown:
            findings[(urn, f"{where}: {unverified(unknown)}")].extend(sources)
            continue
        for finding in check_retention_within_lock(
            join(where, "lifecycle"), delete_after_days=retention, lock_min_days=low, lock_max_days=high, vault=key[2]
        ):
            findings[(urn, f"{finding} (vault {_arn(key)})")].extend(sources)


def _rule_targets(rule: SourceRule) -> Iterator[dict[VaultKey, list[Location]]]:
    """The vaults a rule itself writes to in each source: its target vault, and its air-gapped target."""
    name = rule.view.target_vault_name
    if name is not None:
        yield {(account, region, name): [(account, region)] for account, region in rule.sources}
    lag = parse_vault_arn(rule.view.lag_vault_arn)
    if lag is not None:
        targets: dict[VaultKey, list[Location]] = defaultdict(list)
        for account, region in rule.sources:
            key = (
                account if lag.account == ACCOUNT_PLACEHOLDER else lag.account,
                region if lag.region == REGION_PLACEHOLDER else lag.region,
                lag.name,
            )
            targets[key].append((account, region))
        yield targets


def _check_retention_within_lock(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    findings: dict[tuple[str, str], list[Location]] = defaultdict(list)
    for rule in source_rules(index, config["ouAccounts"]):
        view = rule.view
        unknown = view.target_unknown + view.lifecycle.unknown + view.copies_unknown
        if unknown:
            yield rule.urn, unverified(unknown)
            continue
        retention = None if view.lifecycle.keeps_forever else view.lifecycle.delete_after_days
        for targets in _rule_targets(rule):
            _within_lock(index, view.where, retention, targets, findings, rule.urn)
    for route in copy_routes(index, config["ouAccounts"]):
        unknown = route.retention_unknown + (("destinationVaultArn",) if route.destination_unknown else ())
        if unknown:
            yield route.urn, f"{route.where}: {unverified(unknown)}"
            continue
        _within_lock(index, route.where, route.retention, route.destinations(), findings, route.urn)
    yield from _grouped(findings)


# --------------------------------------------------------------------------- declarations

COPY_HINT = (
    "For org-backup users: plans.<plan>.rules.<rule>.copies (region, destination) and vaults.central (lock, "
    "air_gapped). For a hand-written policy: the copy_actions entry the message names (key and "
    "target_backup_vault_arn) in backup_policies.custom.<name>.content; for an aws:backup/plan:Plan: "
    "rules[].copyActions[].destinationVaultArn."
)

HAS_COPY = Rule(
    name="backup-plan-has-copy",
    description=(
        "Checks that every rule of a Plan or BACKUP_POLICY that keeps recovery points at least "
        "copyRequiredForRetentionDays (or forever) has at least one copy action: long-lived backups kept "
        "only beside their source are lost with that account or Region (3-2-1 rule; Audit Manager "
        "BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION/CROSS_ACCOUNT)."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "For org-backup users: add a copy to plans.<plan>.rules.<rule>.copies (region, destination: central), "
        "or lower the threshold copyRequiredForRetentionDays. For a hand-written policy: add a copy_actions "
        "entry keyed by the destination vault ARN to the rule the message names; for a Plan: "
        "rules[].copyActions."
    ),
    config={"copyRequiredForRetentionDays": integer_setting(minimum=1, default=90)},
    domain=DOMAIN,
)
COPY_RETENTION = Rule(
    name="backup-copy-retention",
    description=(
        "Checks that each copy keeps recovery points at least as long as its source rule (or at least "
        "minCopyRetentionDays when the source keeps them forever): the disaster-recovery copy must outlive "
        "the primary. A copy without a lifecycle inherits the source rule's and passes."
    ),
    enforcement=ADVISORY,
    severity=Severity.LOW,
    remediation=(
        "For org-backup users: raise plans.<plan>.rules.<rule>.copies[].retention_days to at least the "
        "rule's retention_days. For a hand-written policy or a Plan: the copy's lifecycle.delete_after_days "
        "(copyActions[].lifecycle.deleteAfter)."
    ),
    config={"minCopyRetentionDays": integer_setting(minimum=1, default=365)},
    domain=DOMAIN,
)
DESTINATION_LOCKED = Rule(
    name="backup-copy-destination-locked",
    description=(
        "Checks that every copy destination (Plan destinationVaultArn; BACKUP_POLICY copy_actions, with "
        "$account/$region resolved for each reached account and plan Region) is a vault of this stack locked "
        "in compliance mode (config requireComplianceMode), a logically air-gapped vault, or listed in "
        "trustedExternalVaultArns: copies exist to survive a compromised account, which only an immutable "
        "vault guarantees. Fails closed: a destination or lock mode unknown during preview is a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=COPY_HINT
    + " Lock the destination in compliance mode (vaults.central.lock.mode: compliance with changeable_for_days),"
    " use an air-gapped vault, or list an externally locked vault in trustedExternalVaultArns.",
    config={
        "requireComplianceMode": {"type": "boolean", "default": True},
        "trustedExternalVaultArns": {"type": "array", "items": {"type": "string"}, "default": []},
        "ouAccounts": OU_ACCOUNTS_SCHEMA,
    },
    domain=DOMAIN,
    fixed_at_destination_lock=True,
)
CROSS_BOUNDARY = Rule(
    name="backup-copy-is-cross-boundary",
    description=(
        "Checks that each copy leaves its source: by default a copy into the same account and Region gives "
        "no protection against losing that account or Region (requiredBoundary can demand another account, "
        "another Region, or both). With the default boundary it also advises on each disaster-recovery "
        "(cross-account) copy that stays in its source Region: it survives losing the account, not the Region "
        "(the loader's copy-dr-same-region warning, by the same rule)."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "For org-backup users: send plans.<plan>.rules.<rule>.copies to another Region (region) and/or the "
        "central vault account (destination: central). For a hand-written policy or a Plan: point the copy "
        "action's destination vault ARN at another account or Region."
    ),
    config={
        "requiredBoundary": {"type": "string", "enum": list(BOUNDARIES), "default": "account-or-region"},
        "ouAccounts": OU_ACCOUNTS_SCHEMA,
    },
    domain=DOMAIN,
)
RETENTION_WITHIN_LOCK = Rule(
    name="backup-plan-retention-within-lock",
    description=(
        "Checks that each rule's retention lies within the Vault Lock [min, max] of its target vault (and "
        "air-gapped target) in every account and Region it runs in, and each copy's retention within the lock "
        "of its destination vault: AWS Backup fails backup and copy jobs whose retention is outside the lock. "
        "Fails closed: retention, target or lock bounds unknown during preview are a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "For org-backup users: bring plans.<plan>.rules.<rule>.retention_days (and copies[].retention_days) "
        "within vaults.member.lock / vaults.central.lock min_retention_days..max_retention_days, or widen the "
        "lock before it becomes immutable. For a hand-written policy or a Plan: the lifecycle.delete_after_days "
        "(deleteAfter) at the path named."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA},
    domain=DOMAIN,
)

POLICIES: list[Policy] = [
    resource_policy(HAS_COPY, [PLAN, ORG_POLICY], _check_has_copy),
    resource_policy(COPY_RETENTION, [PLAN, ORG_POLICY], _check_copy_retention),
    stack_policy(DESTINATION_LOCKED, _check_destination_locked),
    copy_paths.DESTINATION_ACCEPTS_POLICY,
    stack_policy(CROSS_BOUNDARY, _check_cross_boundary),
    stack_policy(RETENTION_WITHIN_LOCK, _check_retention_within_lock),
    *copy_paths.POLICIES,
]
