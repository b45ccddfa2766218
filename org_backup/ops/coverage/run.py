"""Coverage over every targeted member account and Region: read, judge, summarise, stream.

Accounts are taken in batches (the aggregator is asked once per batch); each account runs on one worker
thread, its Regions one after the other, so no account sees more than one call at a time from this command,
and every client is rate-limited per account, Region and API (``org_backup.ops.aws``). Each judged resource
goes to ``sink`` as soon as it is known and only the unprotected ones stay in memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deployment.layout import Layout, MemberAccount
from org_backup.ops.aws import AccessError, AccountAccess, Aws, error_code, fan_out
from org_backup.ops.checks.managed_keys import KeyResolver, cross_account_copies
from org_backup.ops.checks.policies import effective_policy, expected_plans
from org_backup.ops.common import Stack, unreachable, utc_now
from org_backup.ops.coverage.selection import (
    central_copy_regions,
    effective_plans,
    max_age,
    selecting_plans,
    target_vaults,
)
from org_backup.ops.coverage.sources import (
    AGGREGATOR_BATCH,
    KEYED_TYPES,
    ProtectedResource,
    Resource,
    TagsUnavailableError,
    aggregator_resources,
    central_copies,
    describe_resources,
    protected_resources,
    recovery_points,
    s3_buckets,
)
from org_backup.ops.coverage.status import CoverageSummary, ResourceCoverage
from org_backup.ops.organization import Org, connect, layout_for, org_tree
from policies.backup_rules.arns import parse_vault_arn
from policies.backup_rules.backup_policy.parse import ParsedPlan
from policies.backup_rules.findings import Finding
from stackconfig.inventory import OrgTree

__all__ = ["Aggregator", "CoverageResult", "Sink", "run"]

Sink = Callable[[ResourceCoverage], None]
COPY_LOOKBACK_FALLBACK = timedelta(days=40)


@dataclass(frozen=True)
class Aggregator:
    """An AWS Config aggregator: its name, the account that owns it, the Region it is in."""

    name: str
    account_id: str
    region: str


@dataclass
class CoverageResult:
    """What ``run`` found: summaries, the unprotected resources, and what it could not read."""

    summary: CoverageSummary
    findings: list[Finding]
    accounts: int
    regions: tuple[str, ...]
    source: str
    generated_at: datetime
    excluded: int = 0
    copies_checked: dict[str, bool] = field(default_factory=dict)


@dataclass(frozen=True)
class _Context:
    stack: Stack
    aws: Aws
    org: Org
    tree: OrgTree
    regions: tuple[str, ...]
    now: datetime
    copies: Mapping[str, Mapping[str, datetime] | None]
    effective: Callable[[str], str | None]


def _ou_name(tree: OrgTree, parent_id: str) -> str:
    return tree.ou_names.get(parent_id, "Root" if parent_id == tree.root_id else parent_id)


def _judge(
    ctx: _Context,
    member: MemberAccount,
    access: AccountAccess,
    plans: tuple[ParsedPlan, ...],
    protected: Mapping[str, ProtectedResource],
    keys: Callable[[], KeyResolver],
    resource: Resource,
) -> ResourceCoverage:
    base: dict[str, Any] = {
        "account": resource.account,
        "account_name": member.name,
        "ou": _ou_name(ctx.tree, member.parent_id),
        "region": resource.region,
        "type": resource.type,
        "arn": resource.arn,
        "key": resource.key,
    }
    try:
        selecting = selecting_plans(plans, resource.region, resource.arn, resource.tags)
    except TagsUnavailableError as exc:
        return ResourceCoverage(**base, status="could-not-check", reason=f"its tags could not be read ({exc})")
    if not selecting:
        running = [p.name for p in plans if resource.region in p.regions]
        reason = (
            f"no plan of the effective backup policy selects it (plans in {resource.region}: {', '.join(running)})"
            if running
            else f"no plan of the effective backup policy runs in {resource.region}"
        )
        return ResourceCoverage(**base, status="not-selected", reason=reason)
    names = tuple(p.name for p in selecting)
    allowed = max_age(selecting)
    base |= {"plans": names, "max_age": allowed}
    vaults = target_vaults(selecting)
    latest, problem = _latest_recovery_point(access, resource, protected.get(resource.arn), vaults)
    if problem is not None:
        return ResourceCoverage(**base, status="could-not-check", reason=problem)
    if latest is None:
        return ResourceCoverage(
            **base,
            status="no-recovery-point",
            reason="no completed recovery point in " + (", ".join(sorted(vaults)) or "the plans' vaults"),
        )
    base["latest_recovery_point"] = latest
    if allowed is not None and ctx.now - latest > allowed:
        return ResourceCoverage(
            **base,
            status="stale",
            reason=f"newest recovery point {_hours(ctx.now - latest)} old; the schedule allows {_hours(allowed)}",
        )
    copy_regions = central_copy_regions(
        selecting, ctx.stack.config.organization.central_vault_account_id, resource.region
    )
    copied = _copy_state(ctx, resource.arn, copy_regions, allowed)
    base["copy_in_central"] = copied
    if (
        resource.key
        and resource.type in KEYED_TYPES
        and cross_account_copies(selecting, access.account_id, resource.region)
    ):
        verdict = keys().verdict(resource.key)
        if verdict.manager == "AWS":
            return ResourceCoverage(
                **base,
                status="key-blocks-copy",
                reason=f"encrypted with {verdict.name}: AWS refuses cross-account copies of its backups",
            )
    if copied is False:
        return ResourceCoverage(
            **base,
            status="copy-missing",
            reason=f"no copy in the central vault ({', '.join(sorted(copy_regions))}) within {_hours(allowed)}"
            if allowed
            else f"no copy in the central vault ({', '.join(sorted(copy_regions))})",
        )
    return ResourceCoverage(**base, status="protected", reason="")


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"


def _latest_recovery_point(
    access: AccountAccess, resource: Resource, protected: ProtectedResource | None, vaults: frozenset[str]
) -> tuple[datetime | None, str | None]:
    """The newest completed recovery point in one of ``vaults``: ListProtectedResources' latest when it is in
    one of them, else ListRecoveryPointsByResource (a recovery point elsewhere, e.g. in a vault the account's
    own admins made, is not the plan's)."""
    if protected is None:
        return None, None
    vault = parse_vault_arn(protected.vault_arn)
    if protected.last_backup is not None and (not vaults or (vault is not None and vault.name in vaults)):
        return protected.last_backup, None
    try:
        points = recovery_points(access, resource.region, resource.arn)
    except (ClientError, BotoCoreError) as exc:
        return None, f"its recovery points could not be listed ({error_code(exc)})"
    for point in points:
        if not vaults or point.get("BackupVaultName") in vaults:
            return point["CreationDate"], None
    return None, None


def _copy_state(ctx: _Context, arn: str, regions: Iterable[str], allowed: timedelta | None) -> bool | None:
    """True/False: a recent enough copy is (not) in the central vault; None: no copy expected or unknown."""
    regions = list(regions)
    if not regions:
        return None
    for region in regions:
        copies = ctx.copies.get(region)
        if copies is None:
            return None
        copied = copies.get(arn)
        if copied is None or (allowed is not None and ctx.now - copied > allowed):
            return False
    return True


def _account(
    ctx: _Context, sink: Sink, batch: Mapping[tuple[str, str], list[Resource]] | None, member: MemberAccount
) -> list[Finding]:
    """Every Region of one account: each judged resource goes to ``sink``; returns what could not be read."""
    stack = ctx.stack
    home = stack.home_region
    access = ctx.aws.account(member.id, stack.role_arn(member.id), home)
    partition = stack.config.organization.partition
    rows: list[ResourceCoverage] = []
    findings: list[Finding] = []
    unchecked: str | None = None
    try:
        plans = effective_plans(ctx.effective(member.id))
    except (ClientError, BotoCoreError) as exc:
        findings.append(_could_not_read(member.id, None, "the effective backup policy", exc))
        plans, unchecked = (), "the account's effective backup policy could not be read"
    buckets: dict[str, list[Resource]] = {}
    if batch is None:
        try:
            for bucket in s3_buckets(access, home, partition, ctx.regions):
                buckets.setdefault(bucket.region, []).append(bucket)
        except (ClientError, BotoCoreError) as exc:
            findings.append(_could_not_read(member.id, None, "S3 buckets", exc))
    for region in ctx.regions:
        try:
            protected = protected_resources(access, region)
        except (ClientError, BotoCoreError) as exc:
            findings.append(_could_not_read(member.id, region, "recovery points (ListProtectedResources)", exc))
            protected = None
        why = unchecked or (None if protected is not None else "the account's recovery points could not be listed")
        keys = _key_resolver(access, region)

        try:
            if batch is None:
                resources: Iterable[Resource] = [
                    *describe_resources(access, region, partition),
                    *buckets.get(region, []),
                ]
            else:
                resources = [
                    *batch.get((member.id, region), []),
                    *describe_resources(access, region, partition, types=frozenset({"FSx"})),
                ]
            for resource in resources:
                if why is not None or protected is None:
                    rows.append(
                        ResourceCoverage(
                            member.id,
                            member.name,
                            _ou_name(ctx.tree, member.parent_id),
                            region,
                            resource.type,
                            resource.arn,
                            "could-not-check",
                            why or "",
                        )
                    )
                    continue
                rows.append(_judge(ctx, member, access, plans, protected, keys, resource))
        except (ClientError, BotoCoreError) as exc:
            findings.append(_could_not_read(member.id, region, "resources", exc))
    for row in rows:
        sink(row)
    return findings


def _key_resolver(access: AccountAccess, region: str) -> Callable[[], KeyResolver]:
    """KMS is asked only when a resource's key matters (a keyed type that a plan copies cross-account)."""
    made: list[KeyResolver] = []

    def get() -> KeyResolver:
        if not made:
            made.append(KeyResolver(access.client("kms", region)))
        return made[0]

    return get


def _could_not_read(account: str, region: str | None, what: str, exc: Exception) -> Finding:
    return Finding.observed(
        rule="coverage",
        message=f"could not check: cannot read {what}: {error_code(exc)}",
        remediation="give the role read access (see README, Operations, coverage permissions) and run again",
        account=account,
        region=region,
    )


def _copy_lookback(layout: Layout) -> timedelta:
    """How far back a copy can still count: the largest allowance of the plans the stack renders."""
    plans = expected_plans([p.document.content for p in layout.policies]).values()
    ages = [age for plan in plans if (age := max_age([plan])) is not None]
    return max(ages, default=COPY_LOOKBACK_FALLBACK)


def run(
    stack: Stack,
    aws: Aws,
    *,
    workers: int = 16,
    aggregator: Aggregator | None = None,
    sink: Sink | None = None,
    now: datetime | None = None,
    org: Org | None = None,
    effective: Callable[[str], str | None] | None = None,
) -> CoverageResult:
    """Coverage of every targeted member account and Region; see the package docstring."""
    org = org or connect(stack, aws)
    tree = org_tree(stack, org)
    layout = layout_for(stack, tree)
    moment = now or utc_now()
    config = stack.config
    summary = CoverageSummary()
    findings: list[Finding] = []
    central_id = config.organization.central_vault_account_id
    copies: dict[str, Mapping[str, datetime] | None] = {}
    try:
        central = aws.account(central_id, stack.role_arn(central_id), stack.home_region)
    except AccessError as exc:
        findings.append(unreachable(central_id, stack.role_arn(central_id), exc))
        central = None
    since = moment - _copy_lookback(layout)
    for region in layout.central_regions:
        if central is None:
            copies[region] = None
            continue
        try:
            copies[region] = central_copies(central, region, config.vaults.central.name, since)
        except (ClientError, BotoCoreError) as exc:
            copies[region] = None
            findings.append(_could_not_read(central_id, region, "the central vault's recovery points", exc))
    ctx = _Context(
        stack,
        aws,
        org,
        tree,
        tuple(layout.member_regions),
        moment,
        copies,
        effective or (lambda account_id: effective_policy(org, account_id)),
    )

    def emit(row: ResourceCoverage) -> None:
        summary.add(row)
        if sink is not None:
            sink(row)

    members = list(layout.members)
    batch_size = AGGREGATOR_BATCH if aggregator else max(1, workers) * 4
    config_client = None
    if aggregator is not None:
        owner = aws.account(aggregator.account_id, stack.role_arn(aggregator.account_id), stack.home_region)
        config_client = owner.client("config", aggregator.region)
    for start in range(0, len(members), batch_size):
        chunk = members[start : start + batch_size]
        grouped: dict[tuple[str, str], list[Resource]] | None = None
        if config_client is not None and aggregator is not None:
            grouped = {}
            try:
                for resource in aggregator_resources(
                    config_client, aggregator.name, [m.id for m in chunk], ctx.regions
                ):
                    grouped.setdefault((resource.account, resource.region), []).append(resource)
            except (ClientError, BotoCoreError) as exc:
                findings.append(
                    _could_not_read(
                        aggregator.account_id, aggregator.region, f"the Config aggregator {aggregator.name}", exc
                    )
                )
                grouped = None
        collected: list[ResourceCoverage] = []
        lock = threading.Lock()

        def work(
            member: MemberAccount,
            grouped: Any = grouped,
            collected: list[ResourceCoverage] = collected,
            lock: threading.Lock = lock,
        ) -> list[Finding]:
            rows: list[ResourceCoverage] = []
            found = _account(ctx, rows.append, grouped, member)
            with lock:
                collected.extend(rows)
            return found

        for outcome in fan_out(chunk, work, workers=workers, label="coverage: accounts"):
            if outcome.error is not None:
                member = outcome.item
                findings.append(unreachable(member.id, stack.role_arn(member.id), outcome.error))
                continue
            findings += outcome.unwrap()
        for row in collected:
            emit(row)
    return CoverageResult(
        summary,
        findings,
        len(members),
        ctx.regions,
        f"AWS Config aggregator {aggregator.name}" if aggregator else "each service's describe calls",
        moment,
        copies_checked={region: value is not None for region, value in copies.items()},
    )
