"""Hand-written audit resources and the audit rules under test, shared by the tests/pack/test_audit_* files."""

from __future__ import annotations

from typing import Any

from rules import audit
from rules.resources import (
    FRAMEWORK,
)

from .harness import Spec, by_name

ACCOUNT = "444455556666"
ADMIN = "111122223333"
FRAMEWORK_COMPLETE = by_name(audit.POLICIES, "backup-audit-framework-complete")
CONTROLS_QUOTA = by_name(audit.POLICIES, "backup-audit-controls-quota")
REPORT_PLAN_RULE = by_name(audit.POLICIES, "backup-report-plan")
FAILED_JOB_ALERTING = by_name(audit.POLICIES, "backup-failed-job-alerting")
VAULT_NOTIFICATIONS_VALID = by_name(audit.POLICIES, "backup-vault-notifications-valid")
CONTROLS_MATCH_PLANS = by_name(audit.POLICIES, "backup-audit-controls-match-plans")
PLAN_CHECK = "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK"
POINT_CHECK = "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK"


def control(name: str, scope: dict[str, Any] | None = None, **parameters: str) -> dict[str, Any]:
    out: dict[str, Any] = {"name": name}
    if parameters:
        out["inputParameters"] = [{"name": k, "value": v} for k, v in parameters.items()]
    if scope is not None:
        out["scope"] = scope
    return out


def core_controls() -> list[dict[str, Any]]:
    """The controls a member framework carries (modelled on the AWS Backup Audit Manager sample framework)."""
    return [
        control("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_PLAN"),
        control(
            "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK",
            requiredFrequencyUnit="days",
            requiredFrequencyValue="1",
            requiredRetentionDays="35",
        ),
        control(
            "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED",
            principalArnList=f"arn:aws:iam::{ACCOUNT}:role/BackupBreakGlass",
        ),
        control("BACKUP_RECOVERY_POINT_ENCRYPTED"),
        control("BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK", requiredRetentionDays="35"),
        control("BACKUP_RESOURCES_PROTECTED_BY_CROSS_REGION"),
        control("BACKUP_RESOURCES_PROTECTED_BY_CROSS_ACCOUNT"),
        control("BACKUP_RESOURCES_PROTECTED_BY_BACKUP_VAULT_LOCK"),
        control("BACKUP_LAST_RECOVERY_POINT_CREATED", recoveryPointAgeUnit="days", recoveryPointAgeValue="1"),
    ]


def framework(controls: Any = None, name: str = "framework", region: str = "us-east-1") -> Spec:
    return Spec(
        FRAMEWORK,
        {"name": "org_backup_controls", "controls": core_controls() if controls is None else controls},
        name=name,
        region=region,
    )


def with_control(name: str, replacement: dict[str, Any] | None) -> list[dict[str, Any]]:
    controls = [c for c in core_controls() if c["name"] != name]
    return [*controls, replacement] if replacement is not None else controls
