"""Backup vault access policies (aws-backup-rules.md §4.2, §6.2).

Every vault (member and central) denies the actions that delete or weaken recovery points, or loosen the
vault itself, to every principal except a short list of break-glass roles. The Deny uses a wildcard
``Principal`` and ``Resource`` and lists DeleteRecoveryPoint, UpdateRecoveryPointLifecycle and
PutBackupVaultAccessPolicy, which is what the ``BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED`` control (and
the AWS Config rule behind it) looks for; its ``principalArnList`` takes at most 5 ARNs, hence the limit on
break-glass roles.

The central vault also allows ``backup:CopyIntoBackupVault``, the only cross-account action a vault policy can
grant, to the backup role (and AWS Backup's service-linked role) of the organization's accounts (or of the
chosen OU paths): see :func:`central_vault_policy`.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.documents.iam import (
    ANY_PRINCIPAL,
    Document,
    Statement,
    aws_principal,
    deny_all_except,
    merge_conditions,
    organization_conditions,
    policy_document,
    statement,
)
from policies.backup_rules.arns import (
    account_root_arn,
    require_account_id,
    require_organization_paths,
    require_role_arns,
    require_role_name,
)
from policies.backup_rules.iam import VAULT_PROTECTED_ACTIONS as _PROTECTED_ACTIONS
from policies.backup_rules.limits import MAX_PRINCIPAL_ARN_LIST
from policies.backup_rules.names import BACKUP_SERVICE_LINKED_ROLE

MAX_BREAK_GLASS_ROLES = MAX_PRINCIPAL_ARN_LIST
COPY_INTO_ACTION = "backup:CopyIntoBackupVault"


def protected_actions() -> list[str]:
    """The vault and recovery-point mutations a vault access policy denies (sorted; a fresh list each call).

    Deleting or disassociating (for continuous backups, deleting) a recovery point, shortening its lifecycle,
    and removing or replacing the vault, its access policy or its Vault Lock.
    """
    return list(_PROTECTED_ACTIONS)


def _break_glass(break_glass_role_arns: Sequence[str]) -> list[str]:
    arns = require_role_arns(break_glass_role_arns, partition=None, what="break_glass_role_arns", allow_wildcards=True)
    if not arns:
        # With nobody exempt, not even a break-glass role could ever change or remove the policy again.
        raise ValueError("break_glass_role_arns: at least one break-glass role is required")
    partitions = sorted({arn.split(":")[1] for arn in arns})
    if len(partitions) > 1:
        raise ValueError(f"break_glass_role_arns: roles from several partitions {partitions}")
    if len(arns) > MAX_BREAK_GLASS_ROLES:
        raise ValueError(
            f"break_glass_role_arns: {len(arns)} roles given, at most {MAX_BREAK_GLASS_ROLES} "
            "(the Audit Manager control BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED principalArnList "
            "takes at most 5 ARNs and must list the same roles)"
        )
    return arns


LOCK_WRITE_ACTION = "backup:PutBackupVaultLockConfiguration"


def _deny_protected_actions(break_glass: list[str], lock_writers: Sequence[str] = ()) -> list[Statement]:
    """The Deny of the protected actions; ``lock_writers`` are exempt from writing the lock only (own statement)."""
    if not lock_writers:
        return [deny_all_except("DenyRecoveryPointAndVaultChangesExceptBreakGlass", _PROTECTED_ACTIONS, break_glass)]
    writers = require_role_arns(lock_writers, partition=None, what="lock_writer_role_arns", allow_wildcards=True)
    return [
        deny_all_except(
            "DenyRecoveryPointAndVaultChangesExceptBreakGlass",
            [a for a in _PROTECTED_ACTIONS if a != LOCK_WRITE_ACTION],
            break_glass,
        ),
        deny_all_except(
            "DenyVaultLockChangesExceptBreakGlassAndDeployer", [LOCK_WRITE_ACTION], sorted({*break_glass, *writers})
        ),
    ]


def member_vault_policy(
    *,
    break_glass_role_arns: Sequence[str],
    copy_source_account_ids: Sequence[str] = (),
    lock_writer_role_arns: Sequence[str] = (),
) -> Document:
    """Access policy of a member vault: deny the protected actions to all but the break-glass roles (1 to 5).

    ``copy_source_account_ids`` (typically the central vault account) may copy recovery points *into* this
    vault: restores are never cross-account, so restoring a central copy means copying it back here first,
    and a cross-account copy needs the destination vault to allow ``backup:CopyIntoBackupVault``. Their IAM
    policies decide which of their roles may do so. The partition of their ARNs is the break-glass roles'.

    The role that deploys this policy must be a break-glass role, or it cannot update the policy later.
    ``lock_writer_role_arns`` may only write the Vault Lock (CloudFormation does not document whether it writes a
    vault's lock before or after its access policy, so the StackSets execution role keeps that and nothing
    else; see ``member_template``).
    """
    break_glass = _break_glass(break_glass_role_arns)
    if isinstance(copy_source_account_ids, str):
        raise ValueError("copy_source_account_ids: expected a list of account ids")
    sources = sorted({require_account_id(a, "copy_source_account_ids") for a in copy_source_account_ids})
    partition = break_glass[0].split(":")[1]
    statements = []
    if sources:
        statements.append(
            statement(
                sid="AllowCopyIntoVaultFromCopySourceAccounts",
                effect="Allow",
                principal=aws_principal([account_root_arn(a, partition) for a in sources]),
                actions=["backup:CopyIntoBackupVault"],
                resources=["*"],
            )
        )
    statements += _deny_protected_actions(break_glass, lock_writer_role_arns)
    return policy_document(*statements)


def copy_role_arn_patterns(backup_role_name: str, partition: str) -> list[str]:
    """The roles, in any account, whose sessions call ``backup:CopyIntoBackupVault`` for a copy job (sorted).

    A copy job runs as the IAM role it is given ("the IAM role ARN used to copy the target recovery point":
    https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html); a backup plan's copy runs as its
    selection's role, which the organization's backup policies name: the backup role. That role's own policy
    must allow the action (https://repost.aws/knowledge-center/backup-resolve-access-denied-error), which
    AWSBackupServiceRolePolicyForBackup does (statement BackupVaultPermissions:
    https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForBackup.html).
    The service-linked role's policy does not grant it
    (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceLinkedRolePolicyForBackup.html),
    but AWS falls back to that role for some work when a job's role is gone
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-iam.html) and does not say which principal a
    copy would then use: ``AWSServiceRoleForBackup`` is admitted too, on the safe side. It opens nothing: a
    service-linked role trusts only its service and its trust policy cannot be edited, so no account
    administrator can act as it (https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html).
    """
    name = require_role_name(backup_role_name, "backup_role_name")
    return sorted(
        {
            f"arn:{partition}:iam::*:role/{name}",
            f"arn:{partition}:iam::*:role/{BACKUP_SERVICE_LINKED_ROLE}",
        }
    )


def central_vault_policy(
    *,
    organization_id: str,
    organization_paths: Sequence[str] = (),
    break_glass_role_arns: Sequence[str],
    backup_role_name: str,
    source_account_ids: Sequence[str] = (),
    excluded_organization_paths: Sequence[str] = (),
    excluded_account_ids: Sequence[str] = (),
) -> Document:
    """Access policy of a central (copy-destination) vault.

    Allows ``backup:CopyIntoBackupVault`` to the roles of :func:`copy_role_arn_patterns` (``ArnLike
    aws:PrincipalArn``) of the organization (``aws:PrincipalOrgID``), narrowed to ``organization_paths`` when
    given (``ForAnyValue:StringLike aws:PrincipalOrgPaths``), and denies the protected actions like a member
    vault. The partition of the copy roles is the break-glass roles'.

    Why not every principal of the organization (AWS's example,
    https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html): ``CopyIntoBackupVault``
    has no API of its own, it is checked for the role a copy job runs as. Organization-wide, a job running as any
    role that trusts AWS Backup (an application team's own backup role, or one made for the purpose) could fill
    the central vault, whose lock then keeps what it received, and bills it, for the lock's minimum retention.
    Narrowed, only jobs that run as the organization's backup role get in. This does not stop a member-account
    administrator, who may pass that role to ``StartCopyJob`` in their own account: what they can copy is their
    own account's recovery points, and nothing in this vault becomes deletable or readable to them.

    Narrowed to the sources (security review F4): an account the guardrail does not reach (an excluded OU, a sandbox)
    can create a role of the backup role's name, trusting AWS Backup, and fill the locked vault. With
    ``organization_paths`` (the targeted OUs, ``<org>/*/<ou>/*``) and ``source_account_ids`` (accounts targeted
    directly, ``aws:PrincipalAccount``) only those admit copies, in two Allow statements (conditions in one
    statement are ANDed); ``excluded_organization_paths`` and ``excluded_account_ids`` get an explicit Deny, since a
    path pattern cannot leave out an OU below it (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalaccount).
    """
    break_glass = _break_glass(break_glass_role_arns)
    partition = break_glass[0].split(":")[1]
    copy_roles = {"ArnLike": {"aws:PrincipalArn": copy_role_arn_patterns(backup_role_name, partition)}}
    accounts = sorted({require_account_id(a, "source_account_ids") for a in source_account_ids})
    allows = []
    if organization_paths or not accounts:
        allows.append(
            statement(
                sid="AllowCopyIntoVaultFromOrganization",
                effect="Allow",
                principal=ANY_PRINCIPAL,
                actions=[COPY_INTO_ACTION],
                resources=["*"],
                conditions=merge_conditions(organization_conditions(organization_id, organization_paths), copy_roles),
            )
        )
    if accounts:
        allows.append(
            statement(
                sid="AllowCopyIntoVaultFromTargetedAccounts",
                effect="Allow",
                principal=ANY_PRINCIPAL,
                actions=[COPY_INTO_ACTION],
                resources=["*"],
                conditions=merge_conditions(
                    organization_conditions(organization_id),
                    {"StringEquals": {"aws:PrincipalAccount": accounts}},
                    copy_roles,
                ),
            )
        )
    denies = []
    if excluded_organization_paths:
        denies.append(
            statement(
                sid="DenyCopyIntoVaultFromExcludedOUs",
                effect="Deny",
                principal=ANY_PRINCIPAL,
                actions=[COPY_INTO_ACTION],
                resources=["*"],
                conditions={
                    "ForAnyValue:StringLike": {
                        "aws:PrincipalOrgPaths": require_organization_paths(
                            excluded_organization_paths, organization_id=organization_id
                        )
                    }
                },
            )
        )
    if excluded_account_ids:
        excluded = sorted({require_account_id(a, "excluded_account_ids") for a in excluded_account_ids})
        denies.append(
            statement(
                sid="DenyCopyIntoVaultFromExcludedAccounts",
                effect="Deny",
                principal=ANY_PRINCIPAL,
                actions=[COPY_INTO_ACTION],
                resources=["*"],
                conditions={"StringEquals": {"aws:PrincipalAccount": excluded}},
            )
        )
    return policy_document(*allows, *denies, *_deny_protected_actions(break_glass))


def with_extra_statements(document: Document, statements: Sequence[Statement]) -> Document:
    """A generated vault policy plus a team's own statements, held to the same checks (``ValueError``)."""
    return policy_document(*document["Statement"], *(dict(s) for s in statements))
