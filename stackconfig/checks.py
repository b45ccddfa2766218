"""Rules that relate configuration values to each other and to AWS limits.

Each section is checked as soon as it parsed, and cross-section rules run when the sections they need
parsed, so a typo in one place never hides a lifecycle mistake in another. The AWS arithmetic itself lives
in ``policies.backup_rules`` (shared with the policy pack); this module only says where to apply it.
"""

from __future__ import annotations

import difflib
import ipaddress
import string
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from components.documents.iam import require_organization_paths
from policies.backup_rules import audit as audit_rules
from policies.backup_rules import copy_paths as copy_path_rules
from policies.backup_rules import iam as iam_rules
from policies.backup_rules import lifecycle, limits, schedule
from policies.backup_rules import selections as selection_rules
from policies.backup_rules.findings import Finding, join
from stackconfig.air_gapped_checks import check_air_gapped
from stackconfig.guardrail_checks import check_guardrail
from stackconfig.scanning_checks import check_scanning

from . import copy_paths
from . import regions as region_rules
from .model import (
    SCHEDULE_PRESETS,
    Accounts,
    Alerting,
    Audit,
    BackupPolicySettings,
    CentralVault,
    MemberVault,
    Organization,
    Plan,
    RestoreTesting,
    Rule,
    Targets,
    VaultLock,
    Vaults,
    schedule_expression,
)
from .subscriptions import check_subscriptions

# Findings that only follow from a mistake in another section: when that section did not parse whole (or
# its Regions are not real: "organization.regions"), they would blame the wrong path, so only the cause is
# reported. Each rule here reads values of that section; a rule absent from a section's set does not.
_COPY_TOPOLOGY = frozenset(
    {
        "copy-region-dr",
        "copy-region-member",
        "plan-region",
        "lag-region-dr",
        "copy-to-itself",
        copy_path_rules.DR_SAME_REGION,
        copy_path_rules.RDS_ONE_STEP,
    }
)
CONSEQUENCES: dict[str, frozenset[str]] = {
    # A salvaged organization may have lost an account id or a role name: copies, paths and lock-out
    # statements are judged against the wrong accounts and roles.
    "organization": _COPY_TOPOLOGY | {"organization-path", copy_paths.LOCKOUT},
    # An unreal or misspelt Region: every copy or plan Region is then measured against the wrong list.
    "organization.regions": _COPY_TOPOLOGY,
    "targets": frozenset({"plan-target", "policy-target"}),
    # A salvaged vaults section has lost a lock or a break-glass role name.
    "vaults": frozenset({"retention-within-lock", "copy-destination-unlocked", copy_paths.LOCKOUT}),
    # Entries that did not parse were dropped: "needs at least one" and "is ignored" would only repeat it.
    "accounts": frozenset({"listed-ignored", "accounts-listed-empty"}),
    "restore_testing": frozenset({"restore-selections"}),
}
_REGION_RULES = frozenset({"region-unknown", "region-partition", "region-service"})


def check_config(parsed: dict[str, Any], damaged: frozenset[str] = frozenset()) -> list[Finding]:
    """Every rule on the parsed sections; ``damaged`` names the sections that did not parse whole."""
    findings = _check_sections(parsed)
    if any(f.rule in _REGION_RULES and f.path.startswith("organization.") for f in findings):
        damaged |= {"organization.regions"}
    dropped = frozenset().union(*(CONSEQUENCES.get(section, frozenset()) for section in damaged))
    return _one_per_statement([f for f in findings if f.rule not in dropped])


def _one_per_statement(findings: list[Finding]) -> list[Finding]:
    """A Deny with NotPrincipal that locks the deploying role out is one mistake: the lock-out error (which
    says why NotPrincipal does not exempt a role) replaces the general NotPrincipal advice on it."""
    locked_out = {f.path for f in findings if f.rule == copy_paths.LOCKOUT and f.severity == "error"}
    return [f for f in findings if not (f.rule == "no-not-principal" and f.path in locked_out)]


def _check_sections(parsed: dict[str, Any]) -> list[Finding]:
    org: Organization | None = parsed.get("organization")
    targets: Targets | None = parsed.get("targets")
    vaults: Vaults | None = parsed.get("vaults")
    plans: dict[str, Plan] | None = parsed.get("plans")
    out: list[Finding] = []
    if org is not None:
        out += check_organization(org)
    if targets is not None:
        out += check_targets(targets)
    if vaults is not None:
        out += check_vaults(vaults, org)
    if plans is not None:
        out += check_plans(plans, org, targets, vaults)
        if vaults is not None:
            out = _copies_need_central_lock(out, vaults, plans)
    out += copy_paths.check(parsed)
    if parsed.get("backup_policies") is not None:
        out += check_custom_policies(parsed["backup_policies"], org, targets)
    if parsed.get("audit") is not None:
        out += check_audit(parsed["audit"])
    if parsed.get("alerting") is not None:
        out += check_alerting(parsed["alerting"], org.partition if org is not None else "aws")
    if parsed.get("restore_testing") is not None:
        out += check_restore_testing(parsed["restore_testing"])
    out += check_guardrail(parsed)
    out += check_scanning(parsed)
    out += check_air_gapped(parsed)
    if parsed.get("accounts") is not None:
        out += check_inventory_file(parsed["accounts"])
        out += _duplicates("accounts.listed", [a.id for a in parsed["accounts"].listed], "account id", "id")
        out += _listed_only_when_listed(parsed["accounts"])
        if parsed["accounts"].source == "listed" and not parsed["accounts"].listed:
            out.append(
                Finding(
                    "accounts.listed",
                    [],
                    "accounts-listed-empty",
                    "source 'listed' needs at least one account",
                )
            )
    return out


def _listed_only_when_listed(accounts: Accounts) -> list[Finding]:
    """Listed accounts are read only with ``source: listed``: anywhere else they would be ignored silently."""
    if accounts.source == "listed":
        return []
    return [
        Finding(
            join("accounts", key),
            len(getattr(accounts, key)),
            "listed-ignored",
            f"accounts.{key} is read only with accounts.source: listed (source is {accounts.source}): "
            + (
                "refresh the inventory file instead (`org-backup inventory`), or set source: listed and list "
                "every account the stack names"
                if accounts.source == "inventory"
                else "Organizations answers at deploy time (the offline preview reads the inventory file)"
            ),
        )
        for key in ("listed", "organizational_units")
        if getattr(accounts, key)
    ]


def check_inventory_file(accounts: Accounts) -> list[Finding]:
    """``{stack}`` is the only placeholder: anything else would fail (or run arbitrary format specs) when the
    program formats the path."""
    pattern = accounts.inventory_file
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(pattern)]
    except ValueError:
        fields = [("{", None, None)]
    if "\x00" in pattern or any(f != ("stack", "", None) for f in fields if f[0] is not None):
        return [
            Finding(
                "accounts.inventory_file",
                pattern,
                "inventory-file-pattern",
                "a file path whose only placeholder is {stack} (write {{ and }} for literal braces)",
            )
        ]
    return []


def _duplicates(path: str, values: Iterable[str], what: str, field: str | None = None) -> list[Finding]:
    """One finding per repeated entry, at that entry (the one to remove), naming where it first appeared."""
    first: dict[str, int] = {}
    out: list[Finding] = []
    for i, value in enumerate(values):
        if value in first:
            where = join(path, i, field) if field else join(path, i)
            out.append(Finding(where, value, "duplicate", f"{what} {value!r} is already listed at [{first[value]}]"))
        else:
            first[value] = i
    return out


def check_organization(org: Organization) -> list[Finding]:
    out = _duplicates("organization.workload_regions", org.workload_regions, "Region")
    out += _duplicates("organization.dr_regions", org.dr_regions, "Region")
    if org.backup_admin_account_id == org.management_account_id:
        out.append(
            Finding(
                "organization.backup_admin_account_id",
                org.backup_admin_account_id,
                "delegated-admin-not-management",
                "the delegated backup administrator must be a member account, not the management account",
            )
        )
    if org.central_vault_account_id == org.management_account_id:
        out.append(
            Finding(
                "organization.central_vault_account_id",
                org.central_vault_account_id,
                "central-not-management",
                "keep the central vault account out of the management account (AWS advises a dedicated one)",
                "warning",
            )
        )
    out += organization_region_findings(org)
    return out


def organization_region_findings(org: Organization) -> list[Finding]:
    """Each workload, DR and home Region exists in the partition and has AWS Backup (at its own path)."""
    out: list[Finding] = []
    for field_name in ("workload_regions", "dr_regions"):
        for i, region in enumerate(getattr(org, field_name)):
            out += region_rules.check_region(join("organization", field_name, i), region, org.partition)
    if org.home_region is not None:
        out += region_rules.check_region("organization.home_region", org.home_region, org.partition)
    return out


def check_targets(targets: Targets) -> list[Finding]:
    ous = targets.organizational_units
    out = _duplicates("targets.organizational_units", [ou.name for ou in ous], "OU name", "name")
    out += _duplicates("targets.organizational_units", [ou.id for ou in ous], "OU id", "id")
    out += _duplicates("targets.accounts", targets.accounts, "account id")
    for i, ou in enumerate(targets.organizational_units):
        if ou.id in targets.exclude_organizational_units:
            out.append(
                Finding(
                    join("targets.organizational_units", i, "id"),
                    ou.id,
                    "target-excluded",
                    f"OU {ou.id} is both targeted and excluded",
                )
            )
    for i, account in enumerate(targets.accounts):
        if account in targets.exclude_accounts:
            out.append(
                Finding(
                    join("targets.accounts", i),
                    account,
                    "target-excluded",
                    f"account {account} is both targeted and excluded",
                )
            )
    if not targets.organizational_units and not targets.accounts:
        out.append(Finding("targets", None, "targets-empty", "target at least one OU or account"))
    return out


def _check_lock(path: str, lock: VaultLock) -> list[Finding]:
    out = lifecycle.check_lock(
        path,
        changeable_for_days=lock.changeable_for_days,
        min_retention_days=lock.min_retention_days,
        max_retention_days=lock.max_retention_days,
    )
    if lock.mode == "compliance" and lock.changeable_for_days is None:
        out.append(
            Finding(
                join(path, "changeable_for_days"),
                None,
                "compliance-needs-grace",
                "mode compliance needs changeable_for_days (>= 3): the grace period before the lock becomes immutable",
            )
        )
    if lock.mode == "governance" and lock.changeable_for_days is not None:
        out.append(
            Finding(
                join(path, "changeable_for_days"),
                lock.changeable_for_days,
                "governance-no-grace",
                "changeable_for_days makes the lock compliance mode; set mode: compliance or remove it",
            )
        )
    return out


def check_vaults(vaults: Vaults, org: Organization | None) -> list[Finding]:
    out: list[Finding] = []
    for where, vault in (("vaults.member", vaults.member), ("vaults.central", vaults.central)):
        out += _check_vault(where, vault)
    if vaults.member.name == vaults.central.name:
        out.append(
            Finding(
                "vaults.central.name",
                vaults.central.name,
                "vault-names-differ",
                "the central vault needs a name of its own: the central account may also be a member",
            )
        )
    if vaults.central.name == "Default":
        out.append(
            Finding(
                "vaults.central.name",
                "Default",
                "copy-not-default-vault",
                "the Default vault cannot receive cross-account copies (its key cannot be shared)",
            )
        )
    if org is not None:
        out += _organization_paths(vaults.central.allowed_organization_paths, org.id)
    lag = vaults.central.air_gapped
    if lag is not None:
        out += _vault_name("vaults.central.air_gapped.name", lag.name)
        out += lifecycle.check_air_gapped_retention(
            "vaults.central.air_gapped",
            min_retention_days=lag.min_retention_days,
            max_retention_days=lag.max_retention_days,
        )
        out += _air_gapped_regions(lag.regions, org)
    return out


def _air_gapped_regions(explicit: list[str] | None, org: Organization | None) -> list[Finding]:
    """Air-gapped vaults go to ``regions`` (default: every DR Region), each real and offering them."""
    partition = org.partition if org is not None else "aws"
    if explicit is None:
        out: list[Finding] = []
        for region in org.dr_regions if org is not None else []:
            for finding in region_rules.check_region(
                "vaults.central.air_gapped.regions", region, partition, air_gapped=True
            ):
                if finding.rule == "lag-region":
                    out.append(
                        replace(
                            finding,
                            message=f"{finding.message}; the air-gapped vaults default to every DR Region: "
                            "list the ones to use under vaults.central.air_gapped.regions",
                        )
                    )
        return out
    out = _duplicates("vaults.central.air_gapped.regions", explicit, "Region")
    for i, region in enumerate(explicit):
        path = join("vaults.central.air_gapped.regions", i)
        found = region_rules.check_region(path, region, partition, air_gapped=True)
        out += found
        if not found and org is not None and region not in org.dr_regions:
            out.append(Finding(path, region, "lag-region-dr", f"{region} is not one of organization.dr_regions"))
    return out


def _organization_paths(paths: list[str], organization_id: str) -> list[Finding]:
    """The key and vault policy builders' rule for ``aws:PrincipalOrgPaths`` values, reported per path."""
    out: list[Finding] = []
    for i, path in enumerate(paths):
        try:
            require_organization_paths([path], organization_id=organization_id)
        except ValueError as exc:
            out.append(
                Finding(
                    join("vaults.central.allowed_organization_paths", i),
                    path,
                    "organization-path",
                    f"{exc} (an OU path such as {organization_id}/r-…/ou-…/*)",
                )
            )
    return out


def _extra_statements(path: str, statements: list[dict[str, Any]]) -> list[Finding]:
    """A team's own vault-policy statements meet the same least-privilege rules as the generated ones."""
    out: list[Finding] = []
    for i, stmt in enumerate(statements):
        document = {"Version": "2012-10-17", "Statement": [stmt]}
        for finding in iam_rules.check_policy_document(document, path=join(path, i)):
            out.append(replace(finding, path=join(path, i)))
    return out


def _vault_name(path: str, name: str) -> list[Finding]:
    if limits.VAULT_NAME_RE.fullmatch(name):
        return []
    return [Finding(path, name, "vault-name", f"vault name {name!r} must match {limits.VAULT_NAME_RE.pattern}")]


def _check_vault(where: str, vault: MemberVault | CentralVault) -> list[Finding]:
    out = _vault_name(join(where, "name"), vault.name)
    if vault.lock is None:
        out.append(
            Finding(
                join(where, "lock"),
                None,
                "vault-unlocked",
                "the vault has no Vault Lock: recovery points can be deleted by an account administrator",
                "warning",
            )
        )
    else:
        out += _check_lock(join(where, "lock"), vault.lock)
    out += _extra_statements(join(where, "extra_access_policy_statements"), vault.extra_access_policy_statements)
    if vault.force_destroy:
        out.append(
            Finding(
                join(where, "force_destroy"),
                True,
                "force-destroy",
                "force_destroy lets `pulumi destroy` delete every recovery point in the vault",
                "warning",
            )
        )
    if len(vault.break_glass_role_names) > limits.MAX_PRINCIPAL_ARN_LIST - 1:
        out.append(
            Finding(
                join(where, "break_glass_role_names"),
                len(vault.break_glass_role_names),
                "break-glass-max",
                f"at most {limits.MAX_PRINCIPAL_ARN_LIST - 1} break-glass roles: with the deploying role they "
                f"fill the {limits.MAX_PRINCIPAL_ARN_LIST} ARNs of the Audit Manager principalArnList",
            )
        )
    out += _duplicates(join(where, "break_glass_role_names"), vault.break_glass_role_names, "role")
    return out


def _copies_need_central_lock(findings: list[Finding], vaults: Vaults, plans: dict[str, Plan]) -> list[Finding]:
    """Copies exist to survive a compromised member account; into an unlocked central vault they do not. One
    error at the lock to add (the warning for an unlocked vault becomes it), naming the plans that copy there."""
    copying = sorted(
        name
        for name, plan in plans.items()
        if any(c.destination == "central" for rule in plan.rules.values() for c in rule.copies)
    )
    if vaults.central.lock is not None or not copying:
        return findings
    kept = [f for f in findings if not (f.rule == "vault-unlocked" and f.path == "vaults.central.lock")]
    return [
        *kept,
        Finding(
            "vaults.central.lock",
            None,
            "copy-destination-unlocked",
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
    plans: dict[str, Plan], org: Organization | None, targets: Targets | None, vaults: Vaults | None
) -> list[Finding]:
    out: list[Finding] = []
    out += _case_collisions("plans", plans)
    for name, plan in plans.items():
        path = join("plans", name)
        if not limits.PLAN_NAME_RE.fullmatch(name):
            out.append(Finding(path, name, "plan-name", f"plan name {name!r} must match {limits.PLAN_NAME_RE.pattern}"))
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
    path: str, plan: Plan, org: Organization | None, targets: Targets | None, vaults: Vaults | None
) -> list[Finding]:
    out: list[Finding] = []
    regions = plan.regions if plan.regions is not None else (org.workload_regions if org else [])
    if org is not None and plan.regions is not None:
        out += _duplicates(join(path, "regions"), plan.regions, "Region")
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
                        "plan-region",
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
                        "plan-target",
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
    out += _check_schedule(join(path, "schedule"), rule.schedule)
    out += _rename(
        lifecycle.check_windows(
            path, start_minutes=rule.start_window_minutes, completion_minutes=rule.completion_window_minutes
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
    out += _duplicates(
        join(path, "copies"), [f"{c.destination} vault in {c.region}" for c in rule.copies], "copy to the", "region"
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
                copy_path, cold_after_days=copy.cold_storage_after_days, delete_after_days=copy.retention_days
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
                    "copy-region-dr",
                    f"central vaults exist only in organization.dr_regions {org.dr_regions}",
                )
            )
        if copy.destination == "member" and copy.region in regions:
            out.append(
                Finding(
                    join(copy_path, "region"),
                    copy.region,
                    "copy-to-itself",
                    f"the plan also runs in {copy.region}: a copy to the member vault there would "
                    "copy the vault into itself",
                )
            )
        if not unreal and copy.destination == "member" and org is not None and copy.region not in org.workload_regions:
            out.append(
                Finding(
                    join(copy_path, "region"),
                    copy.region,
                    "copy-region-member",
                    "member vaults exist only in organization.workload_regions",
                )
            )
    return out


def _check_schedule(path: str, value: str) -> list[Finding]:
    """A preset name or a cron expression; a word that is neither is most likely a misspelt preset."""
    if value in SCHEDULE_PRESETS or "(" in value:
        return schedule.check_schedule_expression(path, schedule_expression(value))
    close = difflib.get_close_matches(value.strip().lower(), list(SCHEDULE_PRESETS), n=1, cutoff=0.6)
    hint = f": did you mean '{close[0]}'?" if close else f", e.g. {schedule.EXAMPLE_SCHEDULE}"
    return [
        Finding(
            path,
            value,
            "schedule-syntax",
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
                "selection-kind",
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
        for operator in ("string_equals", "string_not_equals", "string_like", "string_not_like"):
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
                            "resource-type",
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
                Finding(path, name, "policy-name", f"policy name {name!r} must match {limits.PLAN_NAME_RE.pattern}")
            )
        if isinstance(custom.content, str) and not custom.content.strip():
            out.append(Finding(join(path, "content"), "", "policy-content", "the policy content is empty"))
        for i, target in enumerate(custom.targets):
            is_id = bool(limits.OU_ID_RE.fullmatch(target) or limits.ACCOUNT_ID_RE.fullmatch(target))
            is_label = targets is not None and any(target == ou.name for ou in targets.organizational_units)
            is_root = org is not None and target == org.root_id
            if not (is_id or is_label or is_root):
                out.append(
                    Finding(
                        join(path, "targets", i),
                        target,
                        "policy-target",
                        "a custom policy target is an OU id, an account id, the root id or a targeted OU name",
                    )
                )
    return out


# S3 general purpose bucket naming rules beyond the model's character pattern.
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name(name: str) -> list[Finding]:
    problems = []
    if ".." in name:
        problems.append("two adjacent periods")
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        problems.append(f"a reserved prefix {_BUCKET_PREFIXES} or suffix {_BUCKET_SUFFIXES}")
    try:
        ipaddress.IPv4Address(name)
        problems.append("the form of an IP address")
    except ValueError:
        pass
    return [
        Finding("audit.report_bucket_name", name, "bucket-name", f"S3 refuses a bucket name with {problem}")
        for problem in problems
    ]


def check_audit(audit: Audit) -> list[Finding]:
    """Controls and reports are judged by the same rules the policy pack applies to Framework/ReportPlan."""
    out: list[Finding] = []
    if audit.report_bucket_name is not None:
        out += _bucket_name(audit.report_bucket_name)
    for name, control in audit.controls.items():
        path = join("audit.controls", name)
        for finding in audit_rules.check_framework_control(path, name, control.parameters):
            config_path = finding.path.replace(".inputParameters.", ".parameters.").removesuffix(".name")
            out.append(replace(finding, path=config_path))
    for i, template in enumerate(audit.reports):
        out += [
            replace(f, path=join("audit.reports", i))
            for f in audit_rules.check_report_setting(
                "audit", template=template, formats=[], organization_wide=True, cross_region=True
            )
        ]
    out += _duplicates("audit.reports", audit.reports, "report template")
    out += [
        replace(f, path="audit.formats")
        for f in audit_rules.check_report_setting(
            "audit", template=None, formats=audit.formats, organization_wide=True, cross_region=True
        )
    ]
    return out


def check_alerting(alerting: Alerting, partition: str = "aws") -> list[Finding]:
    out: list[Finding] = []
    if alerting.enabled and not alerting.subscriptions:
        out.append(
            Finding(
                "alerting.subscriptions",
                [],
                "alert-no-subscriber",
                "failed-job alerts reach nobody without a subscription",
                "warning",
            )
        )
    out += check_subscriptions(alerting, partition)
    return out


def check_restore_testing(rt: RestoreTesting) -> list[Finding]:
    out: list[Finding] = []
    if not rt.enabled:
        return out
    lo, hi = limits.RESTORE_START_WINDOW_HOURS
    if not lo <= rt.start_window_hours <= hi:
        out.append(
            Finding(
                "restore_testing.start_window_hours",
                rt.start_window_hours,
                "restore-start-window",
                f"must be between {lo} and {hi} hours",
            )
        )
    lo, hi = limits.RESTORE_SELECTION_WINDOW_DAYS
    if not lo <= rt.selection_window_days <= hi:
        out.append(
            Finding(
                "restore_testing.selection_window_days",
                rt.selection_window_days,
                "restore-selection-window",
                f"must be between {lo} and {hi} days",
            )
        )
    out += _check_schedule("restore_testing.schedule", rt.schedule)
    if not rt.selections:
        out.append(
            Finding(
                "restore_testing.selections",
                {},
                "restore-selections",
                "restore testing needs at least one selection",
            )
        )
    lo, hi = limits.RESTORE_VALIDATION_WINDOW_HOURS
    for name, sel in rt.selections.items():
        path = join("restore_testing.selections", name)
        if "*" in sel.resource_arns and len(sel.resource_arns) > 1:
            out.append(
                Finding(
                    join(path, "resource_arns"),
                    sel.resource_arns,
                    "restore-arns",
                    "use either ['*'] with conditions or specific ARNs, not both",
                )
            )
        if len(sel.resource_arns) > 30:
            out.append(
                Finding(
                    join(path, "resource_arns"),
                    len(sel.resource_arns),
                    "restore-arns",
                    "at most 30 protected resource ARNs",
                )
            )
        if not lo <= sel.validation_window_hours <= hi:
            out.append(
                Finding(
                    join(path, "validation_window_hours"),
                    sel.validation_window_hours,
                    "restore-validation-window",
                    f"must be between {lo} and {hi} hours",
                )
            )
        if len(name) > 50 or not name.replace("_", "").isalnum():
            out.append(
                Finding(
                    path,
                    name,
                    "restore-selection-name",
                    "selection names are letters, digits and underscores, at most 50",
                )
            )
    return out
