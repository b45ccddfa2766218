"""Rules that relate configuration values to each other and to AWS limits.

Each section is checked as soon as it parsed, and cross-section rules run when the sections they need
parsed, so a typo in one place never hides a lifecycle mistake in another. The AWS arithmetic itself lives
in ``policies.backup_rules`` (shared with the policy pack); this module only says where to apply it. The
sections' own rules are split by job: here the accounts, organization, targets and vaults; ``plan_checks``
(plans and hand-written policies), ``service_checks`` (audit, alerting, restore testing), and the
``*_checks`` modules of the guardrail, air-gapped vaults, scanning and StackSets.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from policies.backup_rules import copy_paths as copy_path_rules
from policies.backup_rules import iam as iam_rules
from policies.backup_rules import levels, lifecycle, limits
from policies.backup_rules.arns import require_organization_paths
from policies.backup_rules.findings import Finding, join
from policies.backup_rules.iam import NO_NOT_PRINCIPAL
from policies.backup_rules.levels import FORCE_DESTROY, KMS_DELETION_WINDOW, VAULT_UNLOCKED
from policies.backup_rules.lifecycle import RETENTION_WITHIN_LOCK
from policies.backup_rules.limits import VAULT_NAME
from stackconfig.air_gapped_checks import VAULT_NAMES_DIFFER, check_air_gapped
from stackconfig.plan_checks import (
    COPY_DESTINATION_UNLOCKED,
    COPY_REGION_DR,
    COPY_REGION_MEMBER,
    COPY_TO_ITSELF,
    PLAN_REGION,
    PLAN_TARGET,
    POLICY_TARGET,
)
from stackconfig.regions import LAG_REGION, REGION_PARTITION, REGION_SERVICE, REGION_UNKNOWN
from stackconfig.scanning_checks import check_scanning
from stackconfig.service_checks import RESTORE_SELECTIONS

from . import copy_paths
from . import regions as region_rules
from .common_checks import duplicates
from .model import (
    Accounts,
    CentralVault,
    MemberVault,
    Organization,
    Plan,
    Targets,
    VaultLock,
    Vaults,
)
from .plan_checks import check_custom_policies, check_plans, copies_need_central_lock
from .service_checks import check_alerting, check_audit, check_restore_testing

# Findings that only follow from a mistake in another section: when that section did not parse whole (or
# its Regions are not real: "organization.regions"), they would blame the wrong path, so only the cause is
# reported. Each rule here reads values of that section; a rule absent from a section's set does not.
_COPY_TOPOLOGY = frozenset(
    {
        COPY_REGION_DR,
        COPY_REGION_MEMBER,
        PLAN_REGION,
        "lag-region-dr",
        COPY_TO_ITSELF,
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
    "targets": frozenset({PLAN_TARGET, POLICY_TARGET}),
    # A salvaged vaults section has lost a lock or a break-glass role name.
    "vaults": frozenset({RETENTION_WITHIN_LOCK, COPY_DESTINATION_UNLOCKED, copy_paths.LOCKOUT}),
    # Entries that did not parse were dropped: "needs at least one" and "is ignored" would only repeat it.
    "accounts": frozenset({"listed-ignored", "accounts-listed-empty"}),
    "restore_testing": frozenset({RESTORE_SELECTIONS}),
}
_REGION_RULES = frozenset({REGION_UNKNOWN, REGION_PARTITION, REGION_SERVICE})


# A check that judges the parsed sections through the documents the program deploys (guardrail SCP sizes, the
# member template): they live a layer above (``deployment``), which builds those documents, and are handed in.
DocumentCheck = Callable[[Mapping[str, Any]], list[Finding]]


def check_config(
    parsed: dict[str, Any], damaged: frozenset[str] = frozenset(), document_checks: Sequence[DocumentCheck] = ()
) -> list[Finding]:
    """Every rule on the parsed sections; ``damaged`` names the sections that did not parse whole."""
    findings = _check_sections(parsed) + [f for check in document_checks for f in check(parsed)]
    if any(f.rule in _REGION_RULES and f.path.startswith("organization.") for f in findings):
        damaged |= {"organization.regions"}
    dropped = frozenset().union(*(CONSEQUENCES.get(section, frozenset()) for section in damaged))
    return _one_per_statement([f for f in findings if f.rule not in dropped])


def _one_per_statement(findings: list[Finding]) -> list[Finding]:
    """A Deny with NotPrincipal that locks the deploying role out is one mistake: the lock-out error (which
    says why NotPrincipal does not exempt a role) replaces the general NotPrincipal advice on it."""
    locked_out = {f.path for f in findings if f.rule == copy_paths.LOCKOUT and f.severity == "error"}
    return [f for f in findings if not (f.rule == NO_NOT_PRINCIPAL and f.path in locked_out)]


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
            out = copies_need_central_lock(out, vaults, plans)
    out += copy_paths.check(parsed)
    if parsed.get("backup_policies") is not None:
        out += check_custom_policies(parsed["backup_policies"], org, targets)
    if parsed.get("audit") is not None:
        out += check_audit(parsed["audit"])
    if parsed.get("alerting") is not None:
        out += check_alerting(parsed["alerting"], org.partition if org is not None else "aws")
    if parsed.get("restore_testing") is not None:
        out += check_restore_testing(parsed["restore_testing"])
    out += check_scanning(parsed)
    out += check_air_gapped(parsed)
    if parsed.get("accounts") is not None:
        out += check_inventory_file(parsed["accounts"])
        out += duplicates(
            "accounts.listed",
            [a.id for a in parsed["accounts"].listed],
            "account id",
            "id",
        )
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


def check_organization(org: Organization) -> list[Finding]:
    out = duplicates("organization.workload_regions", org.workload_regions, "Region")
    out += duplicates("organization.dr_regions", org.dr_regions, "Region")
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
    out = duplicates("targets.organizational_units", [ou.name for ou in ous], "OU name", "name")
    out += duplicates("targets.organizational_units", [ou.id for ou in ous], "OU id", "id")
    out += duplicates("targets.accounts", targets.accounts, "account id")
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
    for where, vault in (
        ("vaults.member", vaults.member),
        ("vaults.central", vaults.central),
    ):
        out += _check_vault(where, vault)
    if vaults.member.name == vaults.central.name:
        out.append(
            Finding(
                "vaults.central.name",
                vaults.central.name,
                VAULT_NAMES_DIFFER,
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
                if finding.rule == LAG_REGION:
                    out.append(
                        replace(
                            finding,
                            message=f"{finding.message}; the air-gapped vaults default to every DR Region: "
                            "list the ones to use under vaults.central.air_gapped.regions",
                        )
                    )
        return out
    out = duplicates("vaults.central.air_gapped.regions", explicit, "Region")
    for i, region in enumerate(explicit):
        path = join("vaults.central.air_gapped.regions", i)
        found = region_rules.check_region(path, region, partition, air_gapped=True)
        out += found
        if not found and org is not None and region not in org.dr_regions:
            out.append(
                Finding(
                    path,
                    region,
                    "lag-region-dr",
                    f"{region} is not one of organization.dr_regions",
                )
            )
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
    return [
        Finding(
            path,
            name,
            VAULT_NAME,
            f"vault name {name!r} must match {limits.VAULT_NAME_RE.pattern}",
        )
    ]


def _check_vault(where: str, vault: MemberVault | CentralVault) -> list[Finding]:
    out = _vault_name(join(where, "name"), vault.name)
    if vault.lock is None:
        out.append(
            Finding(
                join(where, "lock"),
                None,
                VAULT_UNLOCKED,
                "the vault has no Vault Lock: recovery points can be deleted by an account administrator; add "
                "lock (mode, min_retention_days, max_retention_days)",
            )
        )
    else:
        out += _check_lock(join(where, "lock"), vault.lock)
    out += _extra_statements(
        join(where, "extra_access_policy_statements"),
        vault.extra_access_policy_statements,
    )
    if vault.force_destroy:
        out.append(
            Finding(
                join(where, "force_destroy"),
                True,
                FORCE_DESTROY,
                "force_destroy lets `pulumi destroy` delete every recovery point in the vault; remove it",
            )
        )
    if vault.key.deletion_window_days < levels.KMS_MIN_DELETION_WINDOW_DAYS:
        out.append(
            Finding(
                join(where, "key", "deletion_window_days"),
                vault.key.deletion_window_days,
                KMS_DELETION_WINDOW,
                f"must be {levels.KMS_MIN_DELETION_WINDOW_DAYS}, got {vault.key.deletion_window_days}: AWS allows "
                "7-30 days, org-backup keeps the longest window to notice and cancel the deletion of the key that "
                "makes the recovery points readable",
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
    out += duplicates(join(where, "break_glass_role_names"), vault.break_glass_role_names, "role")
    return out
