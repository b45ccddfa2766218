"""Copy paths judged by the documents the program deploys: the second phase of ``stackconfig.copy_paths``.

For every member account, workload Region and central copy, the central vault's generated access policy
admits the account's backup role (organization id and OU path from the tree), and both keys allow the copy.
The documents are the ones ``pulumi up`` deploys (``components.documents``), never a re-implementation; the
rules are ``policies.backup_rules.copy_paths``, shared with the pack and verify.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from components.documents.central_vault import central_access_policy
from components.documents.kms import central_backup_key_policy
from components.documents.member_vault import member_key_policy
from policies.backup_rules import copy_paths as rules
from policies.backup_rules.arns import backup_service_linked_role_arn, role_arn
from policies.backup_rules.findings import Finding, join
from stackconfig.copy_paths import account_org_path, copy_paths
from stackconfig.inventory import MemberAccount, OrgTree
from stackconfig.model import StackConfig


def check_in_organization(config: StackConfig, tree: OrgTree, members: Sequence[MemberAccount]) -> list[Finding]:
    """Admission of every source account into the central vaults, by the generated vault and key policies."""
    org = config.organization
    central = config.vaults.central
    admins = org.vault_admin_role_arns(org.central_vault_account_id, central.break_glass_role_names)
    try:
        vault_policy = central_access_policy(config, admin_role_arns=admins)
    except ValueError:
        return []  # the loader already reported what the builder refuses
    sources = {name: [m.id for m in members if name in m.plans] for name in config.plans}
    central_path = account_org_path(config, tree, org.central_vault_account_id)
    central_principal = backup_service_linked_role_arn(org.central_vault_account_id, org.partition)
    key_policies: dict[str, Any] = {}
    pairs: list[tuple[rules.CopyPath, Finding]] = []
    for path in copy_paths(config.plans, org, config.vaults, sources):
        if not path.disaster_recovery or path.source_account is None or not path.cross_account:
            continue
        source = path.source_account
        principal = role_arn(source, config.vaults.backup_role_name, org.partition)
        source_path = account_org_path(config, tree, source)
        pairs += [
            (path, f)
            for f in rules.check_vault_admits(
                path,
                vault_policy,
                principal_arn=principal,
                organization_id=org.id,
                organization_path=source_path,
                policy_name="the central vault's access policy (vaults.central)",
                remedy="widen vaults.central.allowed_organization_paths to cover the account's OU",
            )
        ]
        region = path.destination_region
        if region not in key_policies:
            try:
                key_policies[region] = central_backup_key_policy(
                    account_id=org.central_vault_account_id,
                    region=region,
                    organization_id=org.id,
                    organization_paths=central.allowed_organization_paths,
                    break_glass_role_arns=admins,
                    partition=org.partition,
                )
            except ValueError:
                key_policies[region] = None
        try:
            source_key_policy = member_key_policy(
                config,
                account_id=source,
                region=path.source_region,
                admin_role_arns=org.vault_admin_role_arns(source, config.vaults.member.break_glass_role_names),
            )
        except ValueError:
            continue  # a key nobody could administer: the layout reports it (management-member-role)
        pairs += [
            (path, f)
            for f in rules.check_keys_admit(
                path,
                source_key_policy=source_key_policy,
                destination_key_policy=key_policies[region],
                source_principal_arn=principal,
                destination_principal_arn=central_principal,
                organization_id=org.id,
                source_organization_path=source_path,
                destination_organization_path=central_path,
            )
        ]
    generated = len(vault_policy["Statement"]) - len(central.extra_access_policy_statements)
    return [_statement_paths(f, generated) for f in rules.grouped(pairs)]


def _statement_paths(finding: Finding, generated: int) -> Finding:
    """Name a team's own statement by its config path, not by its index in the deployed document."""

    def config_path(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index < generated:
            return f"the generated statement {index}"
        return join("vaults.central.extra_access_policy_statements", index - generated)

    message = re.sub(r"policy\.Statement\[(\d+)\]", config_path, finding.message)
    return Finding(finding.path, finding.value, finding.rule, message, finding.severity)
