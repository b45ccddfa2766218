"""verify's copy-path check: would the central vaults, as deployed, accept every copy the plans make?

For each DR Region's central vault, verify already reads the vault (``DescribeBackupVault``: ``Locked``,
``MinRetentionDays``, ``MaxRetentionDays``, ``EncryptionKeyArn``) and its access policy
(``GetBackupVaultAccessPolicy``); this module adds the vault key's policy (KMS ``GetKeyPolicy``) and judges
every copy path of the configuration's plans into that Region, from every member account of the organization
as verify reads it (with each account's ``aws:PrincipalOrgPaths`` value), through the shared rules of
``policies.backup_rules.copy_paths``: the vault policy admits the source's backup role, the key lets it
re-encrypt the copy, and the copy's retention fits the lock. The pack and the configuration loader judge their
own view of the same paths with the same functions, so a vault policy or key policy edited by hand after
``pulumi up`` is the only way for verify to disagree with them.

AWS sources: https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeBackupVault.html,
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_GetBackupVaultAccessPolicy.html,
https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html (the only policy name is
``default``), and the rule sources listed in ``policies/backup_rules/copy_paths.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deployment.layout import Layout
from org_backup.ops.aws import AccountAccess, error_code
from org_backup.ops.common import Stack
from policies.backup_rules import copy_paths as rules
from policies.backup_rules.arns import role_arn
from policies.backup_rules.findings import Finding
from policies.backup_rules.lifecycle import RETENTION_WITHIN_LOCK
from stackconfig.copy_paths import copy_paths, organization_paths
from stackconfig.inventory import OrgTree

CHECK = "copy-path"
KEY_POLICY_NAME = "default"
ACTIONS = {
    rules.SOURCE_NOT_ADMITTED: (
        "widen vaults.central.allowed_organization_paths to cover the account's OU and run `pulumi up`; if the "
        "config already covers it, the deployed vault policy was changed outside the stack: run `pulumi up`"
    ),
    rules.DESTINATION_KEY: (
        "the central vault key's policy does not admit this account: widen "
        "vaults.central.allowed_organization_paths and run `pulumi up`, or restore the key policy with `pulumi up`"
    ),
    RETENTION_WITHIN_LOCK: (
        "bring the copy's retention_days within the central vault's lock (a compliance lock past its grace "
        "period cannot change)"
    ),
}
READ_ACTION = "give the role kms:GetKeyPolicy on the central vault key (see README, Operations) and run again"


@dataclass(frozen=True)
class CopySources:
    """Every copy into a central vault the config's plans make, from every member account as verify read the
    organization, with the facts the vault and key policies are evaluated against."""

    paths: tuple[rules.CopyPath, ...]
    organization_id: str
    organization_paths: Mapping[str, str]
    backup_role_name: str
    partition: str


def copy_sources(stack: Stack, layout: Layout, tree: OrgTree) -> CopySources:
    config = stack.config
    organization_id = tree.organization_id or config.organization.id
    reached = {name: [m.id for m in layout.members if name in m.plans] for name in config.plans}
    paths = [
        path
        for path in copy_paths(config.plans, config.organization, config.vaults, reached)
        if path.disaster_recovery and path.cross_account
    ]
    return CopySources(
        tuple(paths),
        organization_id,
        organization_paths(tree, organization_id),
        config.vaults.backup_role_name,
        config.organization.partition,
    )


def _key_policy(access: AccountAccess, region: str, vault: Mapping[str, Any]) -> tuple[str | None, Finding | None]:
    """The vault key's policy, or the finding that says why it could not be read (never a traceback)."""
    account, arn = access.account_id, vault.get("BackupVaultArn")
    key = vault.get("EncryptionKeyArn")
    if not isinstance(key, str):
        message = "DescribeBackupVault gave no EncryptionKeyArn, so the key of the central vault could not be checked"
        return None, Finding.observed(CHECK, message, READ_ACTION, account, region, arn)
    try:
        answer = access.client("kms", region).get_key_policy(KeyId=key, PolicyName=KEY_POLICY_NAME)
    except (ClientError, BotoCoreError) as exc:
        message = f"could not read the policy of the central vault key {key}: {error_code(exc)}: {exc}"
        return None, Finding.observed(CHECK, message, READ_ACTION, account, region, key)
    policy = answer.get("Policy")
    if not isinstance(policy, str):
        return None, Finding.observed(
            CHECK, f"GetKeyPolicy gave no Policy for {key}", READ_ACTION, account, region, key
        )
    return policy, None


def _finding(path: rules.CopyPath, found: Finding, destination: str) -> Finding:
    message = (
        f"plan {path.plan!r} rule {path.rule!r} ({path.where}) copies from {path.source_account}/"
        f"{path.source_region} to {destination}, and the deployed vault refuses it: {found.message}"
    )
    return Finding.observed(
        CHECK,
        message,
        ACTIONS.get(found.rule, "run `pulumi up`"),
        path.source_account,
        path.source_region,
        destination,
    )


def copy_path_findings(
    sources: CopySources | None,
    access: AccountAccess,
    region: str,
    vault_policy: str | None,
    vault: Mapping[str, Any],
) -> list[Finding]:
    """Every copy path into the central vault of ``region`` that its real policies or lock refuse."""
    if sources is None:
        return []
    here = [path for path in sources.paths if path.destination_region == region]
    if not here:
        return []
    destination = str(vault.get("BackupVaultArn") or f"{access.account_id}/{region}")
    key_policy, unreadable = _key_policy(access, region, vault)
    out = [unreadable] if unreadable is not None else []
    locked = bool(vault.get("Locked"))
    low = vault.get("MinRetentionDays") if locked else None
    high = vault.get("MaxRetentionDays") if locked else None
    for path in here:
        if path.source_account is None:
            continue  # copy_sources gives every path its account
        principal = role_arn(path.source_account, sources.backup_role_name, sources.partition)
        org_path = sources.organization_paths.get(path.source_account, False)
        found = rules.check_vault_admits(
            path,
            vault_policy,
            principal_arn=principal,
            organization_id=sources.organization_id,
            organization_path=org_path,
            policy_name="the central vault's access policy",
        )
        if key_policy is not None:
            found += rules.check_destination_key(
                path,
                key_policy,
                source_principal_arn=principal,
                organization_id=sources.organization_id,
                source_organization_path=org_path,
            )
        found += rules.check_retention_fits(path, low, high, destination)
        out += [_finding(path, f, destination) for f in found]
    return out
