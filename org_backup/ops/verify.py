"""``org-backup verify --stack prod``: is every targeted account and Region protected as configured?

Run after ``pulumi up`` and on a schedule. For every member account: the effective backup policy holds our
plans and rules as the program renders them; the backup role exists with its trust and managed policies;
and, in every Region, the vault exists with its own key, its Vault Lock matches the config, its access
policy denies deletion, no backup or copy job failed, aborted, expired or ended partial in the last
``--hours``, and no resource a plan copies to another account is encrypted with an AWS managed key (AWS
refuses those copies). The central vaults get the same vault checks and must accept copies from the organization.
Nothing is changed in AWS. Each family of checks is one module of ``org_backup.ops.checks``; this module runs
them over every target account and Region.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from deployment.layout import Layout
from org_backup.ops.aws import CAPTURED_ERRORS, AccessError, AccountAccess, Aws, Outcome, error_code, fan_out
from org_backup.ops.checks.air_gapped import air_gapped_findings
from org_backup.ops.checks.backup_policies import organization_findings as backup_policy_organization_findings
from org_backup.ops.checks.base import Coverage, Target
from org_backup.ops.checks.copy_paths import copy_sources
from org_backup.ops.checks.guardrail import account_findings as guardrail_account_findings
from org_backup.ops.checks.guardrail import organization_findings as guardrail_organization_findings
from org_backup.ops.checks.jobs import OrgJobs, job_findings
from org_backup.ops.checks.managed_keys import managed_key_findings
from org_backup.ops.checks.policies import compare_effective_policy, effective_policy, expected_plans
from org_backup.ops.checks.restore_tests import VERIFY_DAYS as RESTORE_TEST_DAYS
from org_backup.ops.checks.restore_tests import region_restore_findings
from org_backup.ops.checks.roles import check_backup_role
from org_backup.ops.checks.scans import scan_job_findings, scanner_role_findings
from org_backup.ops.checks.vaults import check_vault
from org_backup.ops.common import (
    Report,
    Stack,
    Table,
    attempt,
    command_parser,
    run_command,
    unreachable,
    utc_now,
)
from org_backup.ops.coverage.run import Aggregator, CoverageResult
from org_backup.ops.coverage.run import run as run_coverage
from org_backup.ops.coverage.section import add_coverage_arguments, aggregator, section
from org_backup.ops.organization import Org, connect, layout_for, org_tree, usable_regions
from policies.backup_rules.backup_policy.parse import ParsedPlan
from policies.backup_rules.findings import Finding
from stackconfig.inventory import OrgTree

__all__ = ["Verification", "coverage_table", "main", "targets", "verify"]

COMMAND = "verify"
DEFAULT_HOURS = 24


@dataclass
class Verification:
    """Everything verify found, for its own output and for the audit report."""

    org: Org
    findings: list[Finding]
    coverage: list[Coverage]
    hours: int
    admin: AccountAccess | None
    resources: CoverageResult | None = None
    """Resource-level coverage (``--coverage``; always in the audit report)."""


def targets(stack: Stack, layout: Layout, tree: OrgTree) -> list[Target]:
    config = stack.config
    vaults = config.vaults
    out = [
        Target(
            m.id,
            m.name,
            "member",
            tuple(layout.member_regions),
            vaults.member.name,
            vaults.member.lock,
        )
        for m in layout.members
    ]
    central = config.organization.central_vault_account_id
    account = tree.accounts.get(central)
    out.append(
        Target(
            central,
            account.name if account else central,
            "central",
            tuple(layout.central_regions),
            vaults.central.name,
            vaults.central.lock,
            copy_sources(stack, layout, tree),
        )
    )
    return out


@dataclass
class _AccountState:
    access: AccountAccess
    regions: list[str]
    expected: dict[str, ParsedPlan]
    effective_plans: dict[str, tuple[str, ...]]
    findings: list[Finding]


def _check_account(
    stack: Stack, aws: Aws, org: Org, expected: Mapping[str, dict[str, ParsedPlan]], target: Target
) -> _AccountState:
    home = stack.home_region
    access = aws.account(target.account_id, stack.role_arn(target.account_id), home)
    regions, findings = usable_regions(access, home, target.regions)
    plans = expected.get(target.account_id, {})
    effective: dict[str, tuple[str, ...]] = {}
    findings += guardrail_account_findings(stack, access)
    if target.kind == "member":
        findings += attempt(
            "backup-role", target.account_id, None, partial(check_backup_role, access, stack.config, home)
        )
        findings += scanner_role_findings(access, stack.config, home)

        def policy() -> list[Finding]:
            found, in_effect = compare_effective_policy(
                target.account_id, plans, effective_policy(org, target.account_id)
            )
            effective.update(in_effect)
            return found

        findings += attempt("effective-policy", target.account_id, None, policy)
    return _AccountState(access, regions, plans, effective, findings)


def _check_region(
    stack: Stack,
    admin: AccountAccess | None,
    since: datetime,
    hours: int,
    unit: tuple[Target, _AccountState, str],
    org_jobs: OrgJobs | None = None,
    resource_level: bool = False,
) -> tuple[Coverage, list[Finding]]:
    target, state, region = unit
    row, findings = check_vault(state.access, target, region, utc_now())
    lag = partial(air_gapped_findings, state.access, stack.config, target, region)
    findings += attempt("air-gapped", target.account_id, region, lag)
    if target.kind == "member":
        row.plans = sorted(name for name, regions in state.effective_plans.items() if region in regions)
        # With resource-level coverage, each resource's key is judged there (key-blocks-copy), once.
        findings += (
            []
            if resource_level
            else attempt(
                "aws-managed-key",
                target.account_id,
                region,
                partial(
                    managed_key_findings,
                    state.access,
                    stack.config.organization.partition,
                    state.expected.values(),
                    region,
                ),
            )
        )
        if admin is not None:
            jobs = attempt(
                "jobs",
                target.account_id,
                region,
                partial(job_findings, admin, target.account_id, region, since, hours, org_jobs),
            )
            row.failed_jobs = sum(f.rule.endswith("-jobs") for f in jobs)
            findings += jobs
        findings += scan_job_findings(state.access, stack.config, region, since, hours)
    return row, findings


RegionCheck = Callable[[tuple[Target, _AccountState, str]], tuple[Coverage, list[Finding]]]


def _account_then_regions(
    check_account: Callable[[Target], _AccountState], check_region: RegionCheck, target: Target
) -> tuple[_AccountState, list[Outcome[tuple[Target, _AccountState, str], tuple[Coverage, list[Finding]]]]]:
    """An account's own checks, then each of its Regions; a Region that fails does not stop the others."""
    state = check_account(target)
    out: list[Outcome[tuple[Target, _AccountState, str], tuple[Coverage, list[Finding]]]] = []
    for region in state.regions:
        unit = (target, state, region)
        try:
            out.append(Outcome(unit, check_region(unit), None))
        except CAPTURED_ERRORS as exc:
            out.append(Outcome(unit, None, exc))
    return state, out


def verify(
    stack: Stack,
    aws: Aws,
    *,
    hours: int,
    workers: int,
    with_coverage: bool = False,
    aggregator: Aggregator | None = None,
) -> Verification:
    """Every check, over every target account and Region, on a bounded thread pool."""
    org = connect(stack, aws)
    tree = org_tree(stack, org)
    layout = layout_for(stack, tree)
    documents: dict[str, list[str]] = {}
    for policy in layout.policies:
        for account_id in policy.reaches:
            documents.setdefault(account_id, []).append(policy.document.content)
    expected = {account_id: expected_plans(contents) for account_id, contents in documents.items()}
    all_targets = targets(stack, layout, tree)
    # Resource-level coverage runs beside the checks (its own bounded pool); both read each account's effective
    # policy once (Org.effective_policies).
    background = ThreadPoolExecutor(max_workers=1) if with_coverage else None
    resources_pending = (
        background.submit(run_coverage, stack, aws, workers=workers, aggregator=aggregator, org=org)
        if background is not None
        else None
    )
    findings: list[Finding] = guardrail_organization_findings(stack, org, tree)
    findings += backup_policy_organization_findings(stack, org, layout)
    coverage: list[Coverage] = []
    admin_id = stack.config.organization.backup_admin_account_id
    admin: AccountAccess | None = None
    try:
        admin = aws.account(admin_id, stack.role_arn(admin_id), stack.home_region)
    except AccessError as exc:
        findings.append(unreachable(admin_id, stack.role_arn(admin_id), exc))
    since = utc_now() - timedelta(hours=hours)
    # One organization-wide job listing per Region and state instead of one per account (checks/jobs.py).
    org_jobs = OrgJobs(admin, since) if admin is not None else None
    check_region = partial(_check_region, stack, admin, since, hours, org_jobs=org_jobs, resource_level=with_coverage)
    # Each account's Regions run right after its own checks on the same worker: one call at a time per account,
    # and early accounts' Regions overlap later accounts' Organizations calls (the management account's rate).
    accounts = fan_out(
        all_targets,
        partial(_account_then_regions, partial(_check_account, stack, aws, org, expected), check_region),
        workers=workers,
        label=f"{COMMAND}: accounts",
    )
    regions: list[Outcome[tuple[Target, _AccountState, str], tuple[Coverage, list[Finding]]]] = []
    for outcome in accounts:
        target, value = outcome.item, outcome.value
        if value is None:
            findings.append(
                unreachable(target.account_id, stack.role_arn(target.account_id), outcome.error or AccessError())
            )
            coverage += [
                Coverage(target.account_id, target.name, r, target.kind, reachable=False) for r in target.regions
            ]
            continue
        state, checked = value
        findings += state.findings
        coverage += [
            Coverage(target.account_id, target.name, r, target.kind, region_enabled=False)
            for r in target.regions
            if r not in state.regions
        ]
        regions += checked
    for done in regions:
        target, _, region = done.item
        if done.error is not None:
            findings.append(
                Finding.observed(
                    "region",
                    f"could not check the Region: {error_code(done.error)}: {done.error}",
                    "check that the Region is enabled and the role may read AWS Backup",
                    target.account_id,
                    region,
                )
            )
            coverage.append(Coverage(target.account_id, target.name, region, target.kind, checked=False))
            continue
        row, found = done.unwrap()
        row.findings = sum(f.counts for f in found)
        coverage.append(row)
        findings += found
    coverage.sort(key=lambda c: (c.kind != "member", c.account_id, c.region))
    if with_coverage and admin is not None:
        tested = utc_now() - timedelta(days=RESTORE_TEST_DAYS)
        for region in sorted({r for t in all_targets if t.kind == "member" for r in t.regions}):
            check = partial(region_restore_findings, admin, region, tested)
            findings += attempt("restore-tests", admin.account_id, region, check)
    resources = resources_pending.result() if resources_pending is not None else None
    if background is not None:
        background.shutdown()
    return Verification(org, findings, coverage, hours, admin, resources)


def coverage_table(coverage: Sequence[Coverage]) -> Table:
    def yes(flag: bool) -> str:
        return "yes" if flag else "NO"

    rows = [
        (
            c.account_id,
            c.name,
            c.region,
            c.kind,
            c.why_unchecked or yes(c.vault),
            yes(c.key),
            f"{c.lock_mode} {c.min_retention_days}-{c.max_retention_days}" if c.locked else "NO",
            yes(c.denies_deletion),
            ",".join(c.plans) or "-",
            str(c.failed_jobs),
        )
        for c in coverage
    ]
    protected = sum(c.protected for c in coverage)
    return Table(
        f"{protected}/{len(coverage)} account-Regions fully protected",
        ("ACCOUNT", "NAME", "REGION", "KIND", "VAULT", "KEY", "LOCK", "DENIES DELETE", "PLANS", "FAILING"),
        rows,
    )


def run(args: argparse.Namespace, stack: Stack, aws: Aws) -> Report:
    result = verify(
        stack,
        aws,
        hours=args.hours,
        workers=args.workers,
        with_coverage=args.coverage,
        aggregator=aggregator(args, stack),
    )
    extra = section(result.resources)
    return Report(
        COMMAND,
        stack.name,
        result.org.description["Id"],
        result.findings + extra.findings,
        [coverage_table(result.coverage), *extra.tables],
        {
            "hours": args.hours,
            "coverage": [vars(c) | {"protected": c.protected} for c in result.coverage],
            **extra.data,
        },
    )


def main(argv: Sequence[str] | None = None, *, aws: Aws | None = None) -> int:
    parser = command_parser(COMMAND, "Is every targeted account and Region protected as configured?")
    parser.add_argument(
        "--hours", type=int, default=DEFAULT_HOURS, help=f"look for failed jobs this far back (default {DEFAULT_HOURS})"
    )
    add_coverage_arguments(parser)
    return run_command(COMMAND, parser, run, argv, aws)
