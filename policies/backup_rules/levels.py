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

from .central_copy import CENTRAL_COPY_RULE
from .copy_paths import DESTINATION_KEY, DR_SAME_REGION, SOURCE_KEY, SOURCE_NOT_ADMITTED
from .findings import Severity
from .lifecycle import (
    COLD_STORAGE_PLUS_90,
    COMPLETION_AFTER_START,
    COMPLETION_WINDOW_POSITIVE,
    CONTINUOUS_RETENTION,
    LOCK_CHANGEABLE_RANGE,
    LOCK_MAX_ABOVE_MIN,
    RETENTION_RANGE,
    RETENTION_WITHIN_LOCK,
    START_WINDOW_MIN,
)

# Rule ids (one home each: the loader, the pack and the tests import them).
FORCE_DESTROY = "force-destroy"
KMS_DELETION_WINDOW = "kms-deletion-window"
VAULT_UNLOCKED = "vault-unlocked"

KMS_MIN_DELETION_WINDOW_DAYS: Final = 30

# loader finding id -> (pack rule name, level in both)
SHARED_RULES: Final[dict[str, tuple[str, Severity]]] = {
    START_WINDOW_MIN: ("backup-plan-windows", "error"),
    COMPLETION_WINDOW_POSITIVE: ("backup-plan-windows", "error"),
    COMPLETION_AFTER_START: ("backup-plan-completion-window", "warning"),
    COLD_STORAGE_PLUS_90: ("backup-lifecycle-cold-plus-90", "error"),
    RETENTION_RANGE: ("backup-lifecycle-cold-plus-90", "error"),
    CONTINUOUS_RETENTION: ("backup-continuous-retention", "error"),
    RETENTION_WITHIN_LOCK: ("backup-plan-retention-within-lock", "error"),
    LOCK_CHANGEABLE_RANGE: ("backup-vault-lock-bounds", "error"),
    LOCK_MAX_ABOVE_MIN: ("backup-vault-lock-bounds", "error"),
    VAULT_UNLOCKED: ("backup-every-vault-locked", "error"),
    FORCE_DESTROY: ("backup-vault-no-force-destroy", "error"),
    KMS_DELETION_WINDOW: ("kms-key-deletion-safety", "error"),
    SOURCE_NOT_ADMITTED: ("backup-copy-destination-accepts-org", "error"),
    DESTINATION_KEY: ("backup-copy-keys-admit", "error"),
    SOURCE_KEY: ("backup-copy-keys-admit", "error"),
    DR_SAME_REGION: ("backup-copy-is-cross-boundary", "warning"),
    CENTRAL_COPY_RULE: ("backup-central-vault-copy-backup-role-only", "error"),
}
