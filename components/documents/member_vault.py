"""The member vault's key and access policies from the configuration: one definition for both deployment
modes, so a Pulumi-made vault and a StackSet-made vault are guarded by the same documents."""

from __future__ import annotations

from collections.abc import Sequence

from components.documents.iam import Document
from components.documents.kms import member_backup_key_policy
from components.documents.vault_policy import member_vault_policy, with_extra_statements
from stackconfig.model import StackConfig


def member_key_policy(
    config: StackConfig,
    *,
    account_id: str,
    region: str,
    admin_role_arns: Sequence[str],
    policy_writer_role_arns: Sequence[str] = (),
) -> Document:
    """Key destruction denied to all but ``admin_role_arns`` (break-glass roles and the deploying role);
    ``policy_writer_role_arns`` may also put the key policy."""
    org = config.organization
    return member_backup_key_policy(
        account_id=account_id,
        region=region,
        organization_id=org.id,
        backup_role_name=config.vaults.backup_role_name,
        central_account_id=org.central_vault_account_id,
        protected_by_role_arns=admin_role_arns,
        partition=org.partition,
        policy_writer_role_arns=policy_writer_role_arns,
    )


def member_access_policy(
    config: StackConfig, *, admin_role_arns: Sequence[str], lock_writer_role_arns: Sequence[str] = ()
) -> Document:
    """Deletion denied to all but ``admin_role_arns`` (``lock_writer_role_arns`` may also write the lock);
    copy-back from the central account; the team's extras."""
    return with_extra_statements(
        member_vault_policy(
            break_glass_role_arns=admin_role_arns,
            copy_source_account_ids=[config.organization.central_vault_account_id],
            lock_writer_role_arns=lock_writer_role_arns,
        ),
        config.vaults.member.extra_access_policy_statements,
    )
