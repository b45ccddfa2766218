"""The audit report's malware-scanning section: what verify found about scans (org_backup/ops/checks/scans.py)."""

from __future__ import annotations

from collections.abc import Iterable

from policies.backup_rules.findings import Finding

SCAN_CHECKS = ("malware-found", "scan-jobs", "scanner-role")
TITLE = "Malware scans of recovery points (GuardDuty)"
HEADERS = ("Severity", "Check", "Account", "Region", "Recovery point or role", "Finding")


def scan_rows(findings: Iterable[Finding]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Malware found first, then failed or partial scans, then scanner roles; an empty table means no scan of
    the checked period found malware or failed (or no plan scans)."""
    order = {check: n for n, check in enumerate(SCAN_CHECKS)}
    chosen = sorted((f for f in findings if f.rule in order), key=lambda f: (order[f.rule], f.sort_key()))
    return HEADERS, [
        (f.severity, f.rule, f.account or "-", f.region or "-", f.resource or "-", f.message) for f in chosen
    ]
