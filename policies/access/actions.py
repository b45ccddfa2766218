"""The action classes of the access matrix: what each does to backups, on which kind of target, with which API actions.

Severity: ``destructive`` classes destroy or unlock backups (the mandatory rule ``backup-destructive-access-exempt-only``
fails when one is open to an attacker); ``weakening`` classes stop new backups or blind alerting without touching
what exists (an advisory rule reports them); ``tracked`` classes are shown, never judged (copying data out gives
nobody more than the data's owner already holds).

Sources: the action names and resource types are the Service Authorization Reference's
(https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html,
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsns.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DESTRUCTIVE = "destructive"
WEAKENING = "weakening"
TRACKED = "tracked"


@dataclass(frozen=True)
class ActionClass:
    applies_to: Mapping[str, tuple[str, ...]]
    """Target kind (``vault``, ``central-vault``, ``key``, ``central-key``, ``backup-policy``, ``event-bus``,
    ``event-rule``, ``topic``) -> the API actions. The class is open when any of them is allowed."""
    severity: str

    @property
    def destructive(self) -> bool:
        return self.severity == DESTRUCTIVE


RECOVERY_POINT_ACTIONS = (
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:DisassociateRecoveryPoint",
    "backup:DisassociateRecoveryPointFromParent",
)
"""Actions on a recovery point (resource type ``recoveryPoint``), not on its vault."""
START_COPY_JOB = "backup:StartCopyJob"
COPY_INTO = "backup:CopyIntoBackupVault"

ACTION_CLASSES: dict[str, ActionClass] = {
    "delete recovery points": ActionClass({"vault": RECOVERY_POINT_ACTIONS}, DESTRUCTIVE),
    "change or delete the lock": ActionClass(
        {"vault": ("backup:PutBackupVaultLockConfiguration", "backup:DeleteBackupVaultLockConfiguration")},
        DESTRUCTIVE,
    ),
    "change or delete the vault policy": ActionClass(
        {"vault": ("backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy")}, DESTRUCTIVE
    ),
    "delete the vault": ActionClass({"vault": ("backup:DeleteBackupVault",)}, DESTRUCTIVE),
    "disable the key": ActionClass({"key": ("kms:DisableKey",)}, DESTRUCTIVE),
    "schedule key deletion": ActionClass({"key": ("kms:ScheduleKeyDeletion",)}, DESTRUCTIVE),
    "change the key policy": ActionClass({"key": ("kms:PutKeyPolicy",)}, DESTRUCTIVE),
    # Revoking AWS Backup's grants breaks the copies and restores that run through them; removing the backup-key tag
    # takes the key out of the guardrail's tag-conditioned Deny.
    "revoke grants on the key": ActionClass({"key": ("kms:RevokeGrant",)}, DESTRUCTIVE),
    "untag the key": ActionClass({"key": ("kms:UntagResource",)}, DESTRUCTIVE),
    # Fills a compliance-locked vault with points nobody can delete (cost, junk in audit evidence): destructive on a
    # compliance-locked central vault for anyone but the backup role of a targeted account (Cell.destructive).
    "copy into the vault": ActionClass({"central-vault": (COPY_INTO,)}, TRACKED),
    # Changing or detaching the organization's backup policies stops or redirects new backups organization-wide.
    "change backup policies": ActionClass(
        {"backup-policy": ("organizations:UpdatePolicy", "organizations:DetachPolicy", "organizations:DeletePolicy")},
        WEAKENING,
    ),
    "disable alerting": ActionClass(
        {
            "event-bus": ("events:DeleteEventBus", "events:PutPermission", "events:RemovePermission"),
            "event-rule": (
                "events:DeleteRule",
                "events:DisableRule",
                "events:PutRule",
                "events:PutTargets",
                "events:RemoveTargets",
            ),
            "topic": ("sns:DeleteTopic", "sns:SetTopicAttributes", "sns:RemovePermission"),
        },
        WEAKENING,
    ),
    # Copying out: a copy job started on a recovery point of the vault (to a vault elsewhere), and the source
    # vault's permission a cross-account copy needs.
    "copy out": ActionClass({"vault": (START_COPY_JOB, "backup:CopyFromBackupVault")}, TRACKED),
}

LIVENESS_KEY_ACTIONS = (
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptTo",
)
"""What the destination key must let the source account's backup role do, through AWS Backup, for a cross-account
copy (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html, the destination
key policy); every one is needed (a liveness cell holds only when all are allowed)."""
USE_FOR_COPIES = "encrypt copies (via AWS Backup)"
ACTION_CLASSES[USE_FOR_COPIES] = ActionClass({"central-key": LIVENESS_KEY_ACTIONS}, TRACKED)
"""Asked of the targeted accounts' backup roles only (liveness), never of the other principal classes."""


def kinds_of(kind: str, role: str) -> tuple[str, ...]:
    """The target kinds a target answers to: a central vault is also a ``central-vault``."""
    if kind == "vault" and role == "central":
        return ("vault", "central-vault")
    if kind == "key" and role == "central":
        return ("key", "central-key")
    return (kind,)


def actions_for(action_class: str, kinds: tuple[str, ...]) -> tuple[str, ...]:
    found = ACTION_CLASSES[action_class].applies_to
    return tuple(a for kind in kinds for a in found.get(kind, ()))
