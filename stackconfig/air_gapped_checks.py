"""Loader checks of logically air-gapped (LAG) vaults: air-gapped plan rules, the member LAG vault, Multi-party
approval. Hooked into ``checks.check_config``; the AWS rules live in ``policies.backup_rules`` (lifecycle,
limits) and ``stackconfig.regions`` (the Regions that offer LAG vaults).

- A LAG vault needs both retention bounds, min >= 7 and max >= min; jobs whose retention is outside them fail
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html).
- A rule's LAG target is in the account and Region the rule runs in
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/lag-vault-primary-backup.html), so each of its plan's
  Regions must offer LAG vaults.
- Multi-party approval works only once ``isMpaEnabled`` is on for the organization
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/multipartyapproval.html, prerequisites: the primary
  organization's management account opted in), and AWS advises keeping the approval team in a separate recovery
  organization (same page, best practices).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from policies.backup_rules import lifecycle, limits
from policies.backup_rules.findings import Finding, join
from policies.backup_rules.limits import VAULT_NAME
from stackconfig.regions import LAG_REGION

from . import regions as region_rules
from .model import Accounts, MemberDeployment, Organization, Plan, Vaults

# Rule ids (one home each: the loader, the pack and the tests import them).
VAULT_NAMES_DIFFER = "vault-names-differ"

MPA_URL = "https://docs.aws.amazon.com/aws-backup/latest/devguide/multipartyapproval.html"


def check_air_gapped(parsed: dict[str, Any]) -> list[Finding]:
    """Every air-gapped mistake at its path; sections that did not parse are skipped (reported elsewhere)."""
    org: Organization | None = parsed.get("organization")
    vaults: Vaults | None = parsed.get("vaults")
    plans: dict[str, Plan] | None = parsed.get("plans")
    out: list[Finding] = []
    if vaults is not None:
        out += _member_vault(vaults)
        out += _mpa(org, vaults, parsed.get("accounts"))
    if plans is not None:
        out += _rules(org, vaults, plans, parsed.get("member_deployment"))
    return out


def _member_vault(vaults: Vaults) -> list[Finding]:
    lag = vaults.member.air_gapped
    if lag is None:
        return []
    path = "vaults.member.air_gapped"
    out = lifecycle.check_air_gapped_retention(
        path, min_retention_days=lag.min_retention_days, max_retention_days=lag.max_retention_days
    )
    if not limits.VAULT_NAME_RE.fullmatch(lag.name):
        out.append(
            Finding(join(path, "name"), lag.name, VAULT_NAME, f"vault name must match {limits.VAULT_NAME_RE.pattern}")
        )
    # Vault names are unique per account and Region whatever the vault type, and the central account may be a
    # member: the member LAG vault needs a name no other vault of the stack uses.
    others = {vaults.member.name: "vaults.member.name", vaults.central.name: "vaults.central.name"}
    if vaults.central.air_gapped is not None:
        others[vaults.central.air_gapped.name] = "vaults.central.air_gapped.name"
    if lag.name in others:
        out.append(
            Finding(
                join(path, "name"),
                lag.name,
                VAULT_NAMES_DIFFER,
                f"{others[lag.name]} already uses this name: vault names are unique in an account and Region",
            )
        )
    return out


def _rules(
    org: Organization | None, vaults: Vaults | None, plans: dict[str, Plan], deployment: MemberDeployment | None
) -> list[Finding]:
    out: list[Finding] = []
    lag = vaults.member.air_gapped if vaults is not None else None
    partition = org.partition if org is not None else "aws"
    for plan_name, plan in plans.items():
        air_gapped = [
            (n, r) for n, r in plan.rules.items() if (plan.air_gapped if r.air_gapped is None else r.air_gapped)
        ]
        if not air_gapped:
            continue
        plan_path = join("plans", plan_name)
        where = [join(plan_path, "rules", n, "air_gapped") for n, r in air_gapped if r.air_gapped is not None]
        first = where[0] if where else join(plan_path, "air_gapped")
        if vaults is not None and lag is None:
            out.append(
                Finding(
                    first,
                    True,
                    "air-gapped-vault-missing",
                    "an air-gapped rule backs up into each member account's logically air-gapped vault: configure "
                    "vaults.member.air_gapped (name, min_retention_days, max_retention_days)",
                )
            )
        if deployment is not None and deployment.mode == "stackset":
            out.append(
                Finding(
                    first,
                    True,
                    "air-gapped-stackset",
                    "member_deployment.mode stackset does not create member air-gapped vaults yet, and a policy "
                    "naming a vault an account lacks fails every job there: use mode direct for air-gapped plans",
                )
            )
        out += _regions(org, plan, plan_path, partition)
        if lag is not None:
            for rule_name, rule in air_gapped:
                rule_path = join(plan_path, "rules", rule_name)
                for finding in lifecycle.check_retention_within_lock(
                    rule_path,
                    delete_after_days=rule.retention_days,
                    lock_min_days=lag.min_retention_days,
                    lock_max_days=lag.max_retention_days,
                    vault=lag.name,
                ):
                    out.append(
                        replace(
                            finding,
                            path=join(rule_path, "retention_days"),
                            rule="air-gapped-retention",
                            message=finding.message.replace("delete_after_days", "retention_days")
                            + " (the member air-gapped vault's bounds, vaults.member.air_gapped)",
                        )
                    )
    return out


def _regions(org: Organization | None, plan: Plan, plan_path: str, partition: str) -> list[Finding]:
    """Each Region an air-gapped rule runs in offers LAG vaults (other Region mistakes are reported elsewhere)."""
    if plan.regions is not None:
        regions = [(join(plan_path, "regions", i), r) for i, r in enumerate(plan.regions)]
    elif org is not None:
        regions = [(join("organization.workload_regions", i), r) for i, r in enumerate(org.workload_regions)]
    else:
        return []
    out = []
    for path, region in regions:
        for finding in region_rules.check_region(path, region, partition, air_gapped=True):
            if finding.rule == LAG_REGION:
                out.append(replace(finding, message=f"{finding.message}; plan rules there cannot be air-gapped"))
    return out


def _mpa(org: Organization | None, vaults: Vaults, accounts: Accounts | None) -> list[Finding]:
    teams = []
    if vaults.member.air_gapped is not None and vaults.member.air_gapped.mpa_approval_team_arn:
        teams.append(("vaults.member.air_gapped.mpa_approval_team_arn", vaults.member.air_gapped.mpa_approval_team_arn))
    central = vaults.central.air_gapped
    if central is not None and central.mpa_approval_team_arn:
        teams.append(("vaults.central.air_gapped.mpa_approval_team_arn", central.mpa_approval_team_arn))
    if not teams or org is None:
        return []
    out: list[Finding] = []
    path, arn = teams[0]
    if "enable_mpa" in org.model_fields_set and not org.enable_mpa:
        out.append(
            Finding(
                "organization.enable_mpa",
                False,
                "mpa-disabled",
                f"{path} associates an approval team, but enable_mpa false turns isMpaEnabled off for the whole "
                f"organization, so nobody could request access to the vault through it ({MPA_URL})",
            )
        )
    elif "enable_mpa" not in org.model_fields_set:
        out.append(
            Finding(
                "organization.enable_mpa",
                None,
                "mpa-not-set",
                f"{path} associates an approval team; it works once isMpaEnabled is true for the organization: "
                f"set organization.enable_mpa: true, or check that the management account enabled it ({MPA_URL})",
                severity="warning",
            )
        )
    ours = {org.management_account_id, org.backup_admin_account_id, org.central_vault_account_id}
    if accounts is not None:
        ours |= {a.id for a in accounts.listed}
    for path, arn in teams:
        team_account = arn.split(":")[4]
        if team_account in ours:
            out.append(
                Finding(
                    path,
                    arn,
                    "mpa-team-same-organization",
                    f"the approval team lives in account {team_account} of this organization: if the organization "
                    f"is compromised so is the team; AWS advises a separate recovery organization ({MPA_URL})",
                    severity="warning",
                )
            )
    return out
