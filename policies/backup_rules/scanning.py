"""GuardDuty Malware Protection for AWS Backup: the facts the builder, the pack, alerting and verify share.

How AWS documents it:

- Backup policies carry a plan's ``scan_settings`` (``GUARDDUTY``: ``resource_types`` among EBS, EC2, S3,
  ALL, and ``scanner_role_arn``) and each rule's ``scan_actions`` (``GUARDDUTY``: ``scan_mode`` FULL_SCAN or
  INCREMENTAL_SCAN); a rule's scan actions start no scan without its plan's scan settings
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html, "scan
  settings" and example 8). So the route is the Organizations policy, as for every other plan setting.
- The scanner role is passed by AWS Backup to GuardDuty: it trusts ``malware-protection.guardduty.amazonaws.com``
  and carries the AWS managed policy ``AWSBackupGuardDutyRolePolicyForScans``; the backup role (the selection's
  ``iam_role_arn``) needs ``AWSBackupServiceRolePolicyForScans`` to start the scan and pass the scanner role
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/plan-cfn.html, the malware-scanning template;
  https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupGuardDutyRolePolicyForScans.html,
  https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForScans.html).
- Scan jobs emit ``Scan Job State Change`` events (source ``aws.backup``) whose ``detail.state`` is CREATED,
  RUNNING, COMPLETED, COMPLETED_WITH_ISSUES, FAILED or CANCELED and, once complete,
  ``detail.scanResult.scanResultStatus`` NO_THREATS_FOUND or THREATS_FOUND
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html, "Malware scan job events"); the
  API's ``ScanState`` and ``ScanResultStatus`` enums (botocore backup 2018-11-15) have the same values.
- The audit report template of scan jobs is ``SCAN_JOB_REPORT`` in the API's ReportSetting
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ReportSetting.html, botocore 1.44); the console
  page "Choosing your report template" captions its sample ``MALWARE_JOB_REPORT``, a name the API does not
  list: the API's name is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .backup_policy.operators import APPEND, ASSIGN, OPERATOR_PREFIX

GUARDDUTY = "GUARDDUTY"
MALWARE_PROTECTION_SERVICE = "malware-protection.guardduty.amazonaws.com"
SCANNER_MANAGED_POLICY = "AWSBackupGuardDutyRolePolicyForScans"
BACKUP_ROLE_SCAN_MANAGED_POLICY = "AWSBackupServiceRolePolicyForScans"
FULL_SCAN, INCREMENTAL_SCAN = "FULL_SCAN", "INCREMENTAL_SCAN"
SCAN_JOB_REPORT = "SCAN_JOB_REPORT"

SCAN_JOB_DETAIL_TYPE = "Scan Job State Change"
# Terminal scan states that leave a recovery point unscanned or partly scanned (ScanState enum).
SCAN_JOB_FAILURE_STATES = ("FAILED", "CANCELED", "COMPLETED_WITH_ISSUES")
THREATS_FOUND = "THREATS_FOUND"


@dataclass(frozen=True)
class PlanScanning:
    """What one plan of a backup policy asks of the scanner: the role, the types, and the scanning rules."""

    plan: str
    scanner_role_arn: str | None
    resource_types: tuple[str, ...]
    rules: tuple[tuple[str, str | None], ...]  # (rule name, scan mode) of every rule with a GuardDuty scan action


def _value(node: Any) -> Any:
    """A leaf's value under the documented ``@@assign`` (or ``@@append``), or the node itself."""
    if isinstance(node, Mapping):
        for operator in (ASSIGN, APPEND):
            if operator in node:
                return node[operator]
    return node


def _guardduty(node: Any) -> Any:
    """The GUARDDUTY child of a scan node; effective policies lower-case identifiers, so any case."""
    if not isinstance(node, Mapping):
        return None
    return next((value for key, value in node.items() if isinstance(key, str) and key.upper() == GUARDDUTY), None)


def plan_scanning(plans: Any) -> list[PlanScanning]:
    """Every plan of a backup policy's ``plans`` node that has scan settings or scanning rules."""
    out: list[PlanScanning] = []
    if not isinstance(plans, Mapping):
        return out
    for name, plan in plans.items():
        if not isinstance(plan, Mapping) or str(name).startswith(OPERATOR_PREFIX):
            continue
        settings = _guardduty(plan.get("scan_settings"))
        rules_node = plan.get("rules")
        rules: list[tuple[str, str | None]] = []
        if isinstance(rules_node, Mapping):
            for rule_name, rule in rules_node.items():
                action = _guardduty(rule.get("scan_actions")) if isinstance(rule, Mapping) else None
                if isinstance(action, Mapping):
                    mode = _value(action.get("scan_mode"))
                    rules.append((str(rule_name), mode if isinstance(mode, str) else None))
        if settings is None and not rules:
            continue
        role = _value(settings.get("scanner_role_arn")) if isinstance(settings, Mapping) else None
        types = _value(settings.get("resource_types")) if isinstance(settings, Mapping) else None
        out.append(
            PlanScanning(
                plan=str(name),
                scanner_role_arn=role if isinstance(role, str) else None,
                resource_types=tuple(t for t in types if isinstance(t, str)) if isinstance(types, list) else (),
                rules=tuple(rules),
            )
        )
    return out
