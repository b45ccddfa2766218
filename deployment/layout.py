"""What the program deploys where, computed from the configuration alone (no Pulumi).

The layout is the one place that decides which accounts are members, which backup-policy documents exist
and where each is attached, so the program, the offline preview and the tests agree by construction.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field

from components.documents.backup_policy import (
    POLICY_NAME_CLASH,
    BackupPolicyDocument,
    BackupPolicyError,
    overfull_target,
    render_backup_policies,
)
from components.documents.backup_policy_migration import migrated
from deployment.copy_admission import check_in_organization
from deployment.stackset_checks import check_stackset
from policies.backup_rules.findings import Finding, errors
from policies.backup_rules.limits import MAX_BACKUP_POLICIES_PER_TARGET
from stackconfig.inventory import (
    MemberAccount,
    OrgTree,
    attachment_targets,
    member_accounts,
    plan_target_ids,
    resolve_target,
)
from stackconfig.load import ConfigError
from stackconfig.model import StackConfig
from stackconfig.references import check_references


@dataclass(frozen=True)
class AttachedPolicy:
    """A document, where it is attached, and the member accounts it reaches through inheritance."""

    document: BackupPolicyDocument
    attach_to: tuple[str, ...]
    reaches: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackSetTarget:
    """A deployment target of the member StackSet: a whole OU or root (auto-deployment then covers accounts
    that join it later), or one ``account`` of that OU (service-managed StackSets only target OUs)."""

    organizational_unit_id: str
    account: str | None = None


@dataclass(frozen=True)
class Layout:
    members: list[MemberAccount]
    member_regions: list[str]
    central_regions: list[str]
    policies: list[AttachedPolicy]
    stackset_targets: list[StackSetTarget] = field(default_factory=list)
    # What the organization tells about the configuration that is not an error (a plan reaching nobody).
    warnings: list[Finding] = field(default_factory=list)


def custom_policy_name(config: StackConfig, name: str) -> str:
    return f"{config.backup_policies.name_prefix}-custom-{name}"


def custom_documents(config: StackConfig) -> list[BackupPolicyDocument]:
    """Hand-written policies, placed like ours but rendered byte for byte as given (a mapping is minified)."""
    out = []
    for name, custom in sorted(config.backup_policies.custom.items()):
        content = (
            custom.content
            if isinstance(custom.content, str)
            else json.dumps(custom.content, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
        )
        plans = custom.content.get("plans") if isinstance(custom.content, dict) else None
        targets = tuple(sorted(dict.fromkeys(resolve_target(config, t) or t for t in custom.targets)))
        out.append(
            BackupPolicyDocument(
                name=custom_policy_name(config, name),
                plan_names=tuple(sorted(plans)) if isinstance(plans, dict) else (name,),
                target_ids=targets,
                content=content,
            )
        )
    return out


def reached_accounts(config: StackConfig, tree: OrgTree, attach_to: tuple[str, ...]) -> tuple[str, ...]:
    """Active accounts that inherit a policy attached to ``attach_to`` (explicit account ids count as given)."""
    out = {t for t in attach_to if t.isdigit()}
    for account in tree.accounts.values():
        if account.status == "ACTIVE" and any(tree.is_under(account.id, t) for t in attach_to):
            out.add(account.id)
    return tuple(sorted(out))


def stackset_targets(config: StackConfig, tree: OrgTree, attached: set[str]) -> list[StackSetTarget]:
    """The member StackSet goes exactly where the plans' policies are attached, so an excluded OU or account
    (which no policy reaches) gets no stack. StackSets never deploy to the management account, and an account
    already under an attached OU needs no target of its own."""
    ous = sorted(t for t in attached if not t.isdigit())
    out = [StackSetTarget(ou) for ou in ous]
    for account_id in sorted(t for t in attached if t.isdigit()):
        account = tree.accounts.get(account_id)
        if (
            account is None
            or account.status != "ACTIVE"
            or account_id == config.organization.management_account_id
            or any(tree.is_under(account_id, ou) for ou in ous)
        ):
            continue
        out.append(StackSetTarget(account.parent_id, account_id))
    return out


def _management_vaults_without_admin(config: StackConfig, members: list[MemberAccount]) -> list[Finding]:
    """A vault (and its key) in the management account that no role could administer once created.

    Backup policies apply to the management account too (unlike SCPs), so a targeted OU or root holding it makes
    it a member: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html (table
    "Affects management account"). Without ``organization.management_role_name`` the caller's own credentials
    deploy there, which no policy can name, so the vault and key policies would exempt no role from their Deny
    (the key builders refuse that; this says it at the path to change).
    """
    org = config.organization
    management = org.management_account_id
    vaults = config.vaults
    cases = [
        (
            "member",
            vaults.member.break_glass_role_names,
            any(m.id == management for m in members),
            "plans reach the management account {} (backup policies apply to it too)",
            "exclude the account (targets.exclude_accounts)",
        ),
        (
            "central",
            vaults.central.break_glass_role_names,
            org.central_vault_account_id == management,
            "the central vault is in the management account {}",
            "move the central vault to a dedicated account (organization.central_vault_account_id)",
        ),
    ]
    return [
        Finding(
            f"vaults.{kind}.break_glass_role_names",
            list(names),
            f"management-{kind}-role",
            f"{where.format(management)}, where org-backup deploys with your own credentials rather than a role, so "
            f"no role could administer its {kind} vault and vault key once created: name a break-glass role here, "
            f"or set organization.management_role_name, or {remedy}",
        )
        for kind, names, in_management, where, remedy in cases
        if in_management and not org.vault_admin_role_arns(management, names)
    ]


def _name_clashes(
    config: StackConfig, documents: list[BackupPolicyDocument], custom: list[BackupPolicyDocument]
) -> list[Finding]:
    """A plan's policy named like a hand-written one or a guardrail SCP (``<guardrail prefix>-<n>``).

    Organizations refuses a second policy of the same name (DuplicatePolicyException,
    https://docs.aws.amazon.com/organizations/latest/APIReference/API_CreatePolicy.html); whether that holds
    across policy types or cases AWS does not say, so both count (the safe side). The attachments would also
    share URNs: every policy attachment is named ``<policy>-<target>`` under the same parent type.
    """
    taken = {document.name.lower(): f"backup_policies.custom {document.name!r}" for document in custom}
    guardrail = re.compile(rf"{re.escape(config.guardrail.name_prefix)}-[0-9]+", re.IGNORECASE)
    out = []
    for document in documents:
        other = taken.get(document.name.lower())
        if other is None and config.guardrail.enabled and guardrail.fullmatch(document.name):
            other = "the guardrail SCPs (guardrail.name_prefix)"
        if other is not None:
            out.append(
                Finding(
                    f"plans.{document.plan_names[0]}",
                    document.name,
                    POLICY_NAME_CLASH,
                    f"the backup policy {document.name!r} would have the name of {other}: rename the plan, or "
                    "change backup_policies.name_prefix",
                )
            )
    return out


def _packed_warning(
    config: StackConfig, targets_by_plan: dict[str, list[str]], elsewhere: Counter[str]
) -> list[Finding]:
    """Say when plans share policies: then adding or removing a plan renames the policies of its target set."""
    overfull = overfull_target(config, targets_by_plan, elsewhere)
    if overfull is None:
        return []
    target, count = overfull
    return [
        Finding(
            "plans",
            target,
            "backup-policies-packed",
            f"one backup policy per plan would put {count} policies on {target} (Organizations allows "
            f"{MAX_BACKUP_POLICIES_PER_TARGET}), so plans with the same targets share policies named after the "
            "plans they hold: adding or removing such a plan renames those policies, which Pulumi replaces "
            "(README, 'Everyday changes'); fewer plans on that target keep one policy per plan",
            "warning",
        )
    ]


def build_layout(config: StackConfig, tree: OrgTree) -> Layout:
    """Members, Regions and attached policy documents; ``ConfigError`` when a policy cannot be placed."""
    # Unknown OU and account ids first: every later finding would only be a consequence of them.
    references = check_references(config, tree, member_accounts(config, tree))
    if errors(references):
        raise ConfigError(references)
    targets_by_plan = {name: plan_target_ids(config, name) for name in sorted(config.plans)}
    custom = custom_documents(config)
    custom_counts = Counter(target for document in custom for target in document.target_ids)
    try:
        documents = render_backup_policies(config, targets_by_plan, custom_counts)
    except BackupPolicyError as exc:
        raise ConfigError([Finding(exc.path, exc.value, exc.rule, exc.message)]) from None
    clashes = _name_clashes(config, documents, custom)
    if clashes:
        raise ConfigError(clashes)
    documents = migrated(config, targets_by_plan, documents)
    packed = _packed_warning(config, targets_by_plan, custom_counts)
    documents += custom
    custom_names = {document.name for document in custom}
    policies: list[AttachedPolicy] = []
    per_target: dict[str, int] = dict(config.backup_policies.policies_attached_elsewhere)
    findings: list[Finding] = []
    for document in documents:
        attach_to: list[str] = []
        for target in document.target_ids:
            attach_to.extend(attachment_targets(config, tree, target))
        attach_to = sorted(dict.fromkeys(attach_to))
        for target in attach_to:
            per_target[target] = per_target.get(target, 0) + 1
        if not attach_to:
            findings.append(
                Finding(
                    f"plans.{document.plan_names[0]}.targets",
                    list(document.target_ids),
                    "policy-unattached",
                    "every target of this plan is excluded: its backup policy would protect nothing",
                )
            )
        policies.append(AttachedPolicy(document, tuple(attach_to)))
    members = member_accounts(config, tree)
    findings += _management_vaults_without_admin(config, members)
    policies = [
        AttachedPolicy(
            p.document,
            p.attach_to,
            tuple(m.id for m in members if set(m.plans) & set(p.document.plan_names))
            if p.document.name not in custom_names
            else reached_accounts(config, tree, p.attach_to),
        )
        for p in policies
    ]
    for target, count in sorted(per_target.items()):
        if count > MAX_BACKUP_POLICIES_PER_TARGET:
            findings.append(
                Finding(
                    "backup_policies",
                    target,
                    "policies-per-target",
                    f"{count} backup policies would be attached to {target}; AWS allows "
                    f"{MAX_BACKUP_POLICIES_PER_TARGET}",
                )
            )
    findings += check_in_organization(config, tree, members)
    findings += check_stackset(config)
    if findings:
        raise ConfigError(findings)
    attached = {t for p in policies if p.document.name not in custom_names for t in p.attach_to}
    return Layout(
        members=members,
        member_regions=list(config.organization.workload_regions),
        central_regions=list(config.organization.dr_regions),
        policies=policies,
        stackset_targets=stackset_targets(config, tree, attached),
        warnings=references + packed,
    )
