"""The program's steps: load and check everything, then build the components, then say what to export.

``__main__.py`` calls these three functions; the offline preview and the tests run the same file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.alerting import CentralAlerting
from components.audit import AuditReporting
from components.backup_policies import BackupPolicies
from components.central_vaults import CentralVaults
from components.documents.guardrail_scp import guardrail_attachment_targets, guardrail_policies
from components.guardrail import Guardrail
from components.member_account import MemberAccount
from components.member_stackset import MemberStackSet
from components.organization import OrganizationSettings
from components.organization_view import OrganizationView
from components.providers import AccountProviders
from deployment.layout import Layout, build_layout
from deployment.load import config_from_pulumi, with_organization_findings
from stackconfig.inventory import (
    InventoryError,
    OrgTree,
    inventory_path,
    load_inventory,
    tree_from_organizations,
)
from stackconfig.load import ConfigError, format_report
from stackconfig.model import StackConfig
from stackconfig.organization_view import organization_view, target_accounts

PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Loaded:
    config: StackConfig
    layout: Layout
    providers: AccountProviders
    guardrail_targets: tuple[str, ...] = ()
    tree: OrgTree | None = None


def _discover(config: StackConfig, providers: AccountProviders) -> OrgTree:
    """Ask Organizations (through the management account) for the accounts under each target."""
    invoke = pulumi.InvokeOptions(provider=providers.get(config.organization.management_account_id))

    def list_children(parent_id: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        ous = aws.organizations.get_organizational_units(parent_id=parent_id, opts=invoke).children
        accounts = aws.organizations.get_organizational_unit_child_accounts(parent_id=parent_id, opts=invoke).accounts
        return (
            [{"id": ou.id, "name": ou.name} for ou in ous],
            [{"id": a.id, "name": a.name, "status": a.state} for a in accounts],
        )

    targets = [ou.id for ou in config.targets.organizational_units] + list(config.targets.accounts)
    return tree_from_organizations(config.organization.root_id, targets, list_children)


def offline_tree(config: StackConfig, stack: str) -> OrgTree:
    """The organization without AWS access: the listed accounts, else the inventory file (also for
    ``discover``, which is how the offline preview sees the accounts a deploy would discover)."""
    if config.accounts.source == "listed":
        return OrgTree.from_listed(config)
    path = inventory_path(config, stack, PROJECT_DIR)
    return OrgTree.from_inventory(load_inventory(path), source=config.accounts.inventory_file.format(stack=stack))


def org_tree(config: StackConfig, providers: AccountProviders, stack: str) -> OrgTree:
    if config.accounts.source == "discover":
        return _discover(config, providers)
    return offline_tree(config, stack)


def load() -> Loaded:
    """Every check runs here, before any resource is registered; a mistake ends the run with the report."""
    try:
        try:
            loaded = config_from_pulumi()
        except ConfigError as exc:
            stack = pulumi.get_stack()
            # A deploy that discovers its accounts asks Organizations only once the configuration is valid.
            raise with_organization_findings(
                exc, lambda c: offline_tree(c, stack) if c.accounts.source != "discover" else None
            ) from None
        providers = AccountProviders(loaded.config.organization)
        tree = org_tree(loaded.config, providers, pulumi.get_stack())
        layout = build_layout(loaded.config, tree)
    except (ConfigError, InventoryError) as exc:
        raise pulumi.RunError(format_report(exc.findings)) from None
    for warning in [*loaded.warnings, *layout.warnings]:
        pulumi.log.warn(str(warning))
    return Loaded(loaded.config, layout, providers, tuple(guardrail_attachment_targets(loaded.config, tree)), tree)


def build(loaded: Loaded) -> dict[str, Any]:
    """Create the components and return what operators need as stack outputs."""
    config, layout, providers = loaded.config, loaded.layout, loaded.providers
    org = config.organization
    # What the pack needs of the organization (OU membership, OU paths), so a real preview needs no policy config.
    view = organization_view(loaded.tree, org.id) if loaded.tree is not None else None
    if view is not None:
        OrganizationView("organization-view", view=view)
    management = providers.get(org.management_account_id)
    settings = OrganizationSettings(
        "organization",
        org=org,
        provider=management,
        management_role_arn=org.deploy_role_arn(org.management_account_id),
    )
    policy_account = (
        org.backup_admin_account_id
        if config.backup_policies.managed_from == "delegated_admin"
        else org.management_account_id
    )
    central = CentralVaults(
        "central",
        config=config,
        provider=providers.get(org.central_vault_account_id),
        mpa_prerequisites=[settings.global_settings],
    )
    direct_members = layout.members
    member_stacks: list[pulumi.Resource] = []
    if config.member_deployment.mode == "stackset":
        stackset = config.member_deployment.stackset
        stackset_account = (
            org.backup_admin_account_id if stackset.managed_from == "delegated_admin" else org.management_account_id
        )
        member_stacks.append(
            MemberStackSet(
                "member-stackset",
                config=config,
                targets=layout.stackset_targets,
                regions=layout.member_regions,
                provider=providers.get(stackset_account),
                management_provider=management,
            )
        )
        # StackSets never deploy to the management account: if it is a member, it keeps direct-mode resources.
        direct_members = [a for a in layout.members if a.id == org.management_account_id]
    members = {
        account.id: MemberAccount(
            f"member-{account.id}",
            account=account,
            config=config,
            regions=layout.member_regions,
            provider=providers.get(account.id),
            mpa_prerequisites=[settings.global_settings],
        )
        for account in direct_members
    }
    # Policies name the vaults and roles: create them first so no account receives a plan it cannot run.
    policies = BackupPolicies(
        "backup-policies",
        policies=layout.policies,
        provider=providers.get(policy_account),
        depends_on=[*settings.ready, central, *(r for m in members.values() for r in m.ready), *member_stacks],
    )
    admin = providers.get(org.backup_admin_account_id)
    outputs: dict[str, Any] = {
        "backup_policy_ids": {name: p.id for name, p in policies.policies.items()},
        "central_vault_arns": {region: v.vault.arn for region, v in central.vaults.items()},
        "member_vault_arns": {
            account_id: {region: v.vault.arn for region, v in m.vaults.items()} for account_id, m in members.items()
        },
        "member_accounts": [a.id for a in layout.members],
    }
    if config.audit.enabled:
        audit = AuditReporting(
            "audit",
            config=config,
            provider=admin,
            organization_prerequisites=[settings.service_access, settings.delegated_admin],
        )
        outputs["report_bucket"] = audit.bucket.bucket
    if config.alerting.enabled:
        alerting = CentralAlerting("alerting", config=config, provider=admin)
        outputs["alert_topic_arn"] = alerting.topic.arn
        outputs["alert_event_bus_arn"] = alerting.bus.arn
    if config.guardrail.enabled:
        guardrail = Guardrail(
            "guardrail",
            policies=guardrail_policies(config),
            targets=loaded.guardrail_targets,
            provider=management,
            target_accounts=target_accounts(loaded.guardrail_targets, view.ou_accounts) if view else None,
        )
        outputs["guardrail_policy_ids"] = {name: p.id for name, p in guardrail.policies.items()}
    return outputs
