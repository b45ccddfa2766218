"""Rules that both the configuration loader and the policy pack enforce, and the one level each has.

A loader finding is an ``error`` (the config is refused, exit 2) or a ``warning``; a pack rule is mandatory
(the preview fails, exit 1) or advisory, the enforcement ``findings.LEVELS`` gives each severity. The same rule must stop a change in both places or in neither, or the
preview passes what a deploy refuses (or the reverse). ``tests/policies/backup_rules/test_levels.py`` checks
every entry against the loader's actual finding and the pack's declared enforcement.

Choices where AWS's limit and our safety policy differ (documented in the README):

- KMS deletion window: AWS accepts 7-30 days
  (https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html); org-backup requires 30,
  the longest time to notice and cancel a deletion of the key that makes recovery points readable;
- a completion window not longer than the start window: AWS documents no such limit, so it is advice (warning,
  advisory), not an error;
- ``force_destroy`` and a vault without Vault Lock: AWS allows both; both let an administrator delete recovery
  points, so both are errors (mandatory).
"""

from __future__ import annotations

from typing import Final

from .findings import Severity

KMS_MIN_DELETION_WINDOW_DAYS: Final = 30

# loader finding id -> (pack rule name, level in both)
SHARED_RULES: Final[dict[str, tuple[str, Severity]]] = {
    "start-window-min": ("backup-plan-windows", "error"),
    "completion-window-positive": ("backup-plan-windows", "error"),
    "completion-after-start": ("backup-plan-completion-window", "warning"),
    "cold-storage-plus-90": ("backup-lifecycle-cold-plus-90", "error"),
    "retention-range": ("backup-lifecycle-cold-plus-90", "error"),
    "continuous-retention": ("backup-continuous-retention", "error"),
    "retention-within-lock": ("backup-plan-retention-within-lock", "error"),
    "lock-changeable-range": ("backup-vault-lock-bounds", "error"),
    "lock-max-above-min": ("backup-vault-lock-bounds", "error"),
    "vault-unlocked": ("backup-every-vault-locked", "error"),
    "force-destroy": ("backup-vault-no-force-destroy", "error"),
    "kms-deletion-window": ("kms-key-deletion-safety", "error"),
    "copy-source-not-admitted": ("backup-copy-destination-accepts-org", "error"),
    "copy-destination-key": ("backup-copy-keys-admit", "error"),
    "copy-source-key": ("backup-copy-keys-admit", "error"),
    "copy-dr-same-region": ("backup-copy-is-cross-boundary", "warning"),
    "central-copy-backup-role-only": ("backup-central-vault-copy-backup-role-only", "error"),
}
