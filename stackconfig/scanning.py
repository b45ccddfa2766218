"""What a plan's ``malware_scanning`` settings mean, read once.

The loader judges them (``scanning_checks``) and the builders render them (``components.documents.scanning``);
both ask here which rules scan and in which API scan mode, so they cannot disagree.
"""

from __future__ import annotations

from policies.backup_rules.scanning import FULL_SCAN, INCREMENTAL_SCAN

from .model import Plan, Rule, ScanMode, StackConfig

SCAN_MODES: dict[ScanMode, str] = {"full": FULL_SCAN, "incremental": INCREMENTAL_SCAN}


def rule_scan_mode(plan: Plan, rule: Rule) -> str | None:
    """The API scan mode of a rule's recovery points, or None when the rule does not scan."""
    scanning = plan.malware_scanning
    own = rule.malware_scanning
    if own is not None and not own.enabled:
        return None
    if scanning is None or not scanning.enabled:
        # A rule cannot scan without its plan's scan settings: the loader reports it (scanning_checks.py).
        return None
    return SCAN_MODES[(own.mode if own is not None and own.mode is not None else scanning.mode)]


def plan_scans(plan: Plan) -> bool:
    return any(rule_scan_mode(plan, rule) is not None for rule in plan.rules.values())


def scanning_used(config: StackConfig) -> bool:
    """Whether any plan of the stack scans: then every member account gets the scanner role."""
    return any(plan_scans(plan) for plan in config.plans.values())
