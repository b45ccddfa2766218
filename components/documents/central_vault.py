"""The central vault's access policy from the configuration: copies admitted from the targeted OUs and accounts
only, not from the whole organization (security review F4).

An account of the organization that the backup policies and the guardrail do not reach (an excluded OU, a sandbox,
an account no plan targets) is not bound by the guardrail SCP, so its administrator can create a role of the backup
role's name, trusted by AWS Backup, and copy into the locked vault, whose lock then keeps, and bills, what it
received. The sources are the config's targets and every plan's (``plan_target_ids``), minus the exclusions, which
win. ``vaults.central.allowed_organization_paths``, when set, replaces the derived OU paths (explicit choice).
"""

from __future__ import annotations

from components.documents.iam import Document
from components.documents.vault_policy import central_vault_policy, with_extra_statements
from stackconfig.inventory import plan_target_ids
from stackconfig.model import StackConfig


def _subtree(organization_id: str, node_id: str) -> str:
    """``aws:PrincipalOrgPaths`` pattern of every account at any depth under ``node_id`` (an OU or the root)."""
    return f"{organization_id}/*/{node_id}/*"


def central_copy_sources(config: StackConfig) -> tuple[list[str], list[str], list[str], list[str]]:
    """(OU paths, account ids) admitted and (OU paths, account ids) excluded, all sorted."""
    org = config.organization
    targets = config.targets
    wanted = [ou.id for ou in targets.organizational_units] + list(targets.accounts)
    for plan in sorted(config.plans):
        wanted += plan_target_ids(config, plan)
    nodes = sorted({t for t in wanted if not t.isdigit()})
    if config.vaults.central.allowed_organization_paths:
        paths = sorted(config.vaults.central.allowed_organization_paths)
    else:
        paths = [f"{org.id}/{org.root_id}/*" if n == org.root_id else _subtree(org.id, n) for n in nodes]
    excluded_accounts = sorted(set(targets.exclude_accounts))
    accounts = sorted({t for t in wanted if t.isdigit()} - set(excluded_accounts))
    excluded_paths = sorted(_subtree(org.id, ou) for ou in set(targets.exclude_organizational_units))
    return paths, accounts, excluded_paths, excluded_accounts


def central_access_policy(config: StackConfig, *, admin_role_arns: list[str]) -> Document:
    """The central vault's access policy: copies from the sources only, the protected actions denied to all but
    ``admin_role_arns``, plus the team's extra statements."""
    paths, accounts, excluded_paths, excluded_accounts = central_copy_sources(config)
    central = config.vaults.central
    return with_extra_statements(
        central_vault_policy(
            organization_id=config.organization.id,
            organization_paths=paths,
            break_glass_role_arns=admin_role_arns,
            backup_role_name=config.vaults.backup_role_name,
            source_account_ids=accounts,
            excluded_organization_paths=excluded_paths,
            excluded_account_ids=excluded_accounts,
        ),
        central.extra_access_policy_statements,
    )
