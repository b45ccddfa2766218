"""KMS key policies for the backup vault keys (aws-backup-rules.md §4.3).

Two keys per account and Region:

- the **member** key encrypts the member vault. AWS Backup in the account uses it (through the backup role
  and ``AWSServiceRoleForBackup``), and so does AWS Backup in the central account when it copies a recovery
  point back for a restore;
- the **central** key encrypts a copy-destination vault. Every account of the organization (or of the chosen
  OU paths) must be able to re-encrypt copies with it, and nobody but the break-glass roles may disable it,
  schedule its deletion or change its policy.

Neither policy gives ``kms:*`` to the account root (as the AWS default policy and every corpus example do):
the root gets an explicit list of administrative actions, which keeps the key manageable and the policy
lockout-safe (``kms:PutKeyPolicy`` stays allowed) without letting every IAM principal of the account decrypt.
All use is bound to the services that copy recovery points, with their *regional* ``kms:ViaService`` values
(corpus kms-policy/03 shows the non-regional ``backup.amazonaws.com`` form, which never matches): AWS Backup
itself for the types it fully manages, and EC2 (EBS snapshots, AMIs) and RDS (RDS, Aurora, Neptune, DocumentDB
snapshots) for the types it does not, whose copies that service makes and re-encrypts with the destination
vault's key (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption,
https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html).

Both keys deny the actions that make a key unusable or unmanageable (disable, schedule deletion, replace the
policy, ...) to every principal but the break-glass and deploying roles: the account root is not exempt, so
an account administrator cannot lock the backup role out of a key whose recovery points it must restore.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.documents.iam import (
    ANY_PRINCIPAL,
    Conditions,
    Document,
    Principal,
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
    backup_service_linked_role_arn,
    require_account_id,
    require_organization_id,
    require_partition,
    require_role_arns,
    role_arn,
    service_endpoint,
)

# Denied on every vault key to all but the break-glass (and deploying) roles; the pack requires that Deny of every
# vault key (policies.backup_rules.iam.key_policy_denies_destruction), hence its home there.
from policies.backup_rules.iam import KEY_PROTECTED_ACTIONS
from policies.backup_rules.names import BACKUP_KEY_TAG

# The AWS "key administrators" set (Create*, Describe*, Enable*, List*, Put*, Update*, Revoke*, Disable*,
# Get*, Delete*, tagging, deletion scheduling, on-demand rotation), spelled out and limited to the actions
# that act on a key. Left out on purpose: CreateGrant (a grant is a way to use the key), CreateKey, ListKeys,
# ListAliases and the custom-key-store actions (not key actions), and the imported-key-material actions
# (the keys are AWS_KMS-origin).
KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:UpdatePrimaryRegion",
)

# What AWS Backup needs to create, copy and restore encrypted recovery points.
BACKUP_KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
)

# What makes a key, and every copy it encrypts, unusable for good: denied to everyone on the key of a compliance-locked
# vault (central_backup_key_policy). kms:PutKeyPolicy is not among them: KMS's lockout check needs the deployer to
# keep it (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html).
UNRECOVERABLE_KEY_ACTIONS = ("kms:DisableKey", "kms:ScheduleKeyDeletion")

# Grants let the services behind AWS Backup (EBS, RDS…) use the key for the resources they create.
BACKUP_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")

# The services whose regional endpoints may use a vault key (kms:ViaService): AWS Backup, and the services that
# copy the recovery points of the types AWS Backup does not fully manage (EC2 for EBS snapshots and AMIs; RDS for
# RDS, Aurora, Neptune and DocumentDB snapshots): https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html
# and https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service.
KEY_USER_SERVICES = ("backup", "ec2", "rds")

_GRANT_FOR_AWS_RESOURCE = {"Bool": {"kms:GrantIsForAWSResource": "true"}}


def _via_backup(region: str, partition: str) -> Conditions:
    """The condition binding key use to the copying services in ``region`` (regional ``kms:ViaService`` values)."""
    return {"StringEquals": {"kms:ViaService": [service_endpoint(s, region, partition) for s in KEY_USER_SERVICES]}}


POLICY_WRITE_ACTION = "kms:PutKeyPolicy"


def _deny_key_destruction_split(exempt_role_arns: Sequence[str], policy_writers: Sequence[str]) -> list[Statement]:
    """The Deny of :data:`KEY_PROTECTED_ACTIONS`, with ``policy_writers`` also exempt from ``kms:PutKeyPolicy`` only
    (security review F1: the StackSets execution role, which KMS's lockout check requires to keep PutKeyPolicy on a
    key it creates, never disables the key nor schedules its deletion)."""
    if not policy_writers:
        return [_deny_key_destruction(exempt_role_arns)]
    return [
        deny_all_except(
            "DenyKeyDisableAndDeletionExceptBreakGlass",
            [a for a in KEY_PROTECTED_ACTIONS if a != POLICY_WRITE_ACTION],
            exempt_role_arns,
        ),
        deny_all_except(
            "DenyKeyPolicyChangeExceptBreakGlassAndDeployer",
            [POLICY_WRITE_ACTION],
            sorted({*exempt_role_arns, *policy_writers}),
        ),
    ]


def _deny_key_destruction(exempt_role_arns: Sequence[str]) -> Statement:
    """Deny :data:`KEY_PROTECTED_ACTIONS` to every principal whose ARN is not one of ``exempt_role_arns``."""
    return deny_all_except(
        "DenyKeyDisableDeletionAndPolicyChangeExceptBreakGlass", KEY_PROTECTED_ACTIONS, exempt_role_arns
    )


def _deny_backup_tag_and_grant_changes(exempt_role_arns: Sequence[str]) -> list[Statement]:
    """Security review F10: what the guardrail SCP also denies, held by the key policy itself (an explicit Deny in the
    key policy binds the account's administrators, root included, with or without the SCP).

    - tagging or untagging the ``BACKUP_KEY_TAG`` tag: the SCP's key statements find backup keys by it
      (``aws:TagKeys`` on TagResource/UntagResource: https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html);
    - revoking a grant, unless an integrated AWS service calls on the principal's behalf: AWS Backup and the services
      behind it manage the grants they create for their resources (AWS Backup's own key policy for copies allows
      kms:RevokeGrant with kms:GrantIsForAWSResource:
      https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html), so their revocations
      stay open (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource);
      a direct call (key absent) is denied by BoolIfExists.
    """
    exempt = {"ArnNotLike": {"aws:PrincipalArn": list(exempt_role_arns)}}
    return [
        statement(
            sid="DenyBackupKeyTagChangesExceptBreakGlass",
            effect="Deny",
            principal=ANY_PRINCIPAL,
            actions=["kms:TagResource", "kms:UntagResource"],
            resources=["*"],
            conditions={**exempt, "ForAnyValue:StringEquals": {"aws:TagKeys": [BACKUP_KEY_TAG]}},
        ),
        statement(
            sid="DenyGrantRevocationOutsideAWSServices",
            effect="Deny",
            principal=ANY_PRINCIPAL,
            actions=["kms:RevokeGrant"],
            resources=["*"],
            conditions={**exempt, "BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
        ),
    ]


def _exempt_roles(arns: Sequence[str], *, account: str, partition: str, what: str) -> list[str]:
    """Roles of the key's own account (they act through the root delegation), at least one."""
    roles = require_role_arns(arns, partition=partition, what=what, allow_wildcards=True)
    if not roles:
        raise ValueError(f"{what}: at least one role must be able to administer the key")
    foreign = [arn for arn in roles if arn.split(":")[4] != account]
    if foreign:
        raise ValueError(f"{what}: {foreign} are not roles of the key's account {account}")
    return roles


def _backup_use_statements(*, who: str, principal: Principal, conditions: Conditions) -> list[Statement]:
    """The pair of statements letting ``principal`` use the key and create grants through AWS Backup.

    The Sids are ``Allow{who}ToUseKey`` and ``Allow{who}ToCreateGrants``; grants also require
    ``kms:GrantIsForAWSResource``.
    """
    return [
        statement(
            sid=f"Allow{who}ToUseKey",
            effect="Allow",
            principal=principal,
            actions=BACKUP_KEY_USE_ACTIONS,
            resources=["*"],
            conditions=conditions,
        ),
        statement(
            sid=f"Allow{who}ToCreateGrants",
            effect="Allow",
            principal=principal,
            actions=BACKUP_GRANT_ACTIONS,
            resources=["*"],
            conditions=merge_conditions(conditions, _GRANT_FOR_AWS_RESOURCE),
        ),
    ]


def key_administration_statement(
    *, account_id: str, admin_role_arns: Sequence[str] = (), partition: str = "aws"
) -> Statement:
    """Administration (not use) of the key for the account root and any extra admin roles.

    The account root keeps ``kms:PutKeyPolicy``, so the key stays manageable through IAM (lockout-safe).
    """
    p = require_partition(partition)
    admins = require_role_arns(admin_role_arns, partition=p, what="admin_role_arns")
    return statement(
        sid="AllowKeyAdministration",
        effect="Allow",
        principal=aws_principal([account_root_arn(account_id, p), *admins]),
        actions=KEY_ADMIN_ACTIONS,
        resources=["*"],
    )


def member_backup_key_policy(
    *,
    account_id: str,
    region: str,
    organization_id: str,
    backup_role_name: str,
    central_account_id: str,
    protected_by_role_arns: Sequence[str],
    admin_role_arns: Sequence[str] = (),
    partition: str = "aws",
    policy_writer_role_arns: Sequence[str] = (),
) -> Document:
    """Key policy of a member account's vault key in ``region``.

    - administration for the account root (+ ``admin_role_arns``), explicit actions;
    - use and grants for the account's backup role and ``AWSServiceRoleForBackup``, only via AWS Backup in
      this Region. These roles are matched with ``aws:PrincipalArn`` under ``Principal: "*"`` (plus the
      organization condition) rather than named as principals: KMS rejects a policy naming a role that does
      not exist yet, and the service-linked role only appears once AWS Backup first runs in the account;
    - use and grants for the central account via AWS Backup, so that a copy from the central vault back into
      this vault (the restore path) can be encrypted with this key. The central account's IAM policies decide
      which of its roles may do so;
    - a Deny of :data:`KEY_PROTECTED_ACTIONS` to every principal but ``protected_by_role_arns`` (the
      break-glass roles and the role that deploys the key, which KMS's lockout check requires to keep
      ``kms:PutKeyPolicy``: https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html);
      ``policy_writer_role_arns`` (the StackSets execution role) are exempt from ``kms:PutKeyPolicy`` only;
    - a Deny of tagging/untagging ``BACKUP_KEY_TAG`` and of grant revocations outside AWS services (F10).
    """
    p = require_partition(partition)
    account = require_account_id(account_id)
    central = require_account_id(central_account_id, "central_account_id")
    org = require_organization_id(organization_id)
    exempt = _exempt_roles(protected_by_role_arns, account=account, partition=p, what="protected_by_role_arns")
    via_backup = _via_backup(region, p)
    backup_roles = sorted([role_arn(account, backup_role_name, p), backup_service_linked_role_arn(account, p)])
    own_backup = merge_conditions(
        organization_conditions(org), via_backup, {"ArnEquals": {"aws:PrincipalArn": backup_roles}}
    )
    statements = [
        key_administration_statement(account_id=account, admin_role_arns=admin_role_arns, partition=p),
        *_backup_use_statements(who="AccountBackupRoles", principal=ANY_PRINCIPAL, conditions=own_backup),
    ]
    if central != account:
        central_root = aws_principal([account_root_arn(central, p)])
        statements += _backup_use_statements(who="CentralAccountBackup", principal=central_root, conditions=via_backup)
    writers = (
        _exempt_roles(policy_writer_role_arns, account=account, partition=p, what="policy_writer_role_arns")
        if policy_writer_role_arns
        else []
    )
    statements += _deny_key_destruction_split(exempt, writers)
    statements += _deny_backup_tag_and_grant_changes(exempt)
    return policy_document(*statements)


def central_backup_key_policy(
    *,
    account_id: str,
    region: str,
    organization_id: str,
    organization_paths: Sequence[str] = (),
    break_glass_role_arns: Sequence[str],
    admin_role_arns: Sequence[str] = (),
    compliance_locked: bool = False,
    partition: str = "aws",
) -> Document:
    """Key policy of a central (copy-destination) vault key in ``region``.

    - administration for the account root (+ ``admin_role_arns``), explicit actions;
    - use and grants via AWS Backup, EC2 and RDS in this Region for any principal of the organization
      (``aws:PrincipalOrgID``), narrowed to ``organization_paths`` when given. With paths, the central account
      itself may sit outside them, so its own AWS Backup use (copy-back, same-account jobs) gets a statement;
    - a Deny of :data:`KEY_PROTECTED_ACTIONS` for every principal whose ARN is not one of
      ``break_glass_role_arns`` (``ArnNotLike aws:PrincipalArn``). The account root user is *not* exempt.

    - with ``compliance_locked`` (the vault's lock is in compliance mode): a second Deny of
      :data:`UNRECOVERABLE_KEY_ACTIONS` to *every* principal, break-glass and deploy role included. A compliance
      lock stops the deletion of recovery points, not of their key, and a copy in the vault is encrypted with this
      key (https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption): whoever may
      schedule the key's deletion could still make every copy unreadable after the 7-day waiting period
      (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html). The residual path is
      kms:PutKeyPolicy, which the break-glass and deploy roles keep (a policy without the Deny, then the deletion):
      that is the root of trust (the management account's role), and the key-state alert rule reports it
      (components/key_alerting.py).

    Lockout safety: the break-glass roles must be roles of this account (they act through the root
    delegation and their own IAM policy). KMS refuses a policy that would stop its *caller* from calling
    PutKeyPolicy again (https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html: "The key
    policy must allow the calling principal to make a subsequent PutKeyPolicy request"), so the role that deploys
    this policy must be one of the break-glass roles, or later updates fail. The compliance Deny leaves
    kms:PutKeyPolicy out, so that check still passes.
    """
    p = require_partition(partition)
    account = require_account_id(account_id)
    org = require_organization_id(organization_id)
    break_glass = _exempt_roles(break_glass_role_arns, account=account, partition=p, what="break_glass_role_arns")
    via_backup = _via_backup(region, p)
    org_backup = merge_conditions(organization_conditions(org, organization_paths), via_backup)
    statements = [
        key_administration_statement(account_id=account, admin_role_arns=admin_role_arns, partition=p),
        *_backup_use_statements(who="OrganizationBackup", principal=ANY_PRINCIPAL, conditions=org_backup),
    ]
    if organization_paths:
        own_root = aws_principal([account_root_arn(account, p)])
        statements += _backup_use_statements(who="AccountBackup", principal=own_root, conditions=via_backup)
    statements.append(_deny_key_destruction(break_glass))
    if compliance_locked:
        statements.append(
            statement(
                sid="DenyKeyDisableAndDeletionToEveryone",
                effect="Deny",
                principal=ANY_PRINCIPAL,
                actions=UNRECOVERABLE_KEY_ACTIONS,
                resources=["*"],
            )
        )
    return policy_document(*statements)
