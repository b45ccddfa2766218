"""Loader rules of malware scanning (``plans.<plan>.malware_scanning``, ``rules.<rule>.malware_scanning``,
``vaults.scanner_role_name``): each mistake with its path, before anything is rendered or deployed."""

from __future__ import annotations

from typing import Any

from policies.backup_rules.backup_policy.plans import SCAN_SETTINGS_MISSING
from policies.backup_rules.findings import Finding, join
from policies.backup_rules.scanning import FULL_SCAN, INCREMENTAL_SCAN
from stackconfig.model import Plan, Vaults
from stackconfig.scanning import rule_scan_mode

SYNTAX_PAGE = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html"
MONITORING_PAGE = "https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-backup-scans.html"
# Resource types GuardDuty scans (ScanSetting ResourceTypes: EBS, EC2, S3, ALL), as selection ARN patterns.
SCANNED_SELECTION_TYPES = ("arn:aws:ec2:*:*:instance/*", "arn:aws:ec2:*:*:volume/*", "arn:aws:s3:::*", "*")


def check_scanning(parsed: dict[str, Any]) -> list[Finding]:
    """Every scanning rule on the parsed sections (sections that did not parse are skipped)."""
    plans: dict[str, Plan] | None = parsed.get("plans")
    vaults: Vaults | None = parsed.get("vaults")
    out: list[Finding] = []
    if vaults is not None and vaults.scanner_role_name == vaults.backup_role_name:
        out.append(
            Finding(
                "vaults.scanner_role_name",
                vaults.scanner_role_name,
                "scanner-role-name",
                "the scanner role must not be the backup role: GuardDuty assumes one "
                "(malware-protection.guardduty.amazonaws.com), AWS Backup the other, each with its own managed policy",
            )
        )
    for name, plan in (plans or {}).items():
        out += _check_plan(join("plans", name), plan)
    return out


def _check_plan(path: str, plan: Plan) -> list[Finding]:
    out: list[Finding] = []
    scanning = plan.malware_scanning
    settings_on = scanning is not None and scanning.enabled
    for name, rule in plan.rules.items():
        own = rule.malware_scanning
        if own is not None and own.enabled and not settings_on:
            out.append(
                Finding(
                    join(path, "rules", name, "malware_scanning"),
                    own.model_dump(),
                    SCAN_SETTINGS_MISSING,
                    "a rule scans only when its plan has malware_scanning (the plan's scan_settings: scanner role and "
                    f"resource types); AWS starts no scan job for scan_actions alone ({SYNTAX_PAGE})",
                )
            )
    if not settings_on or scanning is None:
        return out
    modes = [mode for rule in plan.rules.values() if (mode := rule_scan_mode(plan, rule)) is not None]
    if not modes:
        out.append(
            Finding(
                join(path, "malware_scanning"),
                scanning.model_dump(),
                "scan-without-rules",
                "every rule of the plan turns scanning off, so the plan's scan settings scan nothing",
                "warning",
            )
        )
    elif FULL_SCAN not in modes and INCREMENTAL_SCAN in modes:
        out.append(
            Finding(
                join(path, "malware_scanning", "mode"),
                "incremental",
                "scan-incremental-only",
                "an incremental scan reads only what changed since an earlier scanned recovery point; GuardDuty skips "
                f"it when there is none (BASE_RESOURCE_NOT_SCANNED, {MONITORING_PAGE}): add a rule that scans in full "
                "mode, e.g. monthly, as AWS's example 8 pairs a daily incremental with a monthly full scan",
                "warning",
            )
        )
    if "ALL" in scanning.resource_types and len(set(scanning.resource_types)) > 1:
        out.append(
            Finding(
                join(path, "malware_scanning", "resource_types"),
                list(scanning.resource_types),
                "scan-resource-types",
                "ALL already takes EBS, EC2 and S3: give ALL alone or the types to scan",
                "warning",
            )
        )
    if plan.selections.resources and not any(
        t in SCANNED_SELECTION_TYPES or t.startswith(("arn:aws:s3:::", "arn:aws:ec2:"))
        for selection in plan.selections.resources.values()
        for t in selection.resource_types
    ):
        out.append(
            Finding(
                join(path, "selections", "resources"),
                sorted({t for s in plan.selections.resources.values() for t in s.resource_types}),
                "scan-nothing-selected",
                "the plan scans recovery points, but selects no EC2 instance, EBS volume or S3 bucket, the only "
                f"types GuardDuty scans ({SYNTAX_PAGE}, scan settings)",
                "warning",
            )
        )
    return out
