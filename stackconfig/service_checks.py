"""The audit, alerting and restore-testing sections. Hooked into ``checks.check_config``."""

from __future__ import annotations

import ipaddress
from dataclasses import replace

from policies.backup_rules import audit as audit_rules
from policies.backup_rules import limits
from policies.backup_rules.findings import Finding, join

from .common_checks import duplicates
from .model import (
    Alerting,
    Audit,
    RestoreTesting,
)
from .plan_checks import check_schedule
from .subscriptions import check_subscriptions

# Rule ids (one home each: the loader, the pack and the tests import them).
RESTORE_SELECTIONS = "restore-selections"

# S3 general purpose bucket naming rules beyond the model's character pattern.
_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _bucket_name(name: str) -> list[Finding]:
    problems = []
    if ".." in name:
        problems.append("two adjacent periods")
    if name.startswith(_BUCKET_PREFIXES) or name.endswith(_BUCKET_SUFFIXES):
        problems.append(f"a reserved prefix {_BUCKET_PREFIXES} or suffix {_BUCKET_SUFFIXES}")
    try:
        ipaddress.IPv4Address(name)
        problems.append("the form of an IP address")
    except ValueError:
        pass
    return [
        Finding(
            "audit.report_bucket_name",
            name,
            "bucket-name",
            f"S3 refuses a bucket name with {problem}",
        )
        for problem in problems
    ]


def check_audit(audit: Audit) -> list[Finding]:
    """Controls and reports are judged by the same rules the policy pack applies to Framework/ReportPlan."""
    out: list[Finding] = []
    if audit.report_bucket_name is not None:
        out += _bucket_name(audit.report_bucket_name)
    for name, control in audit.controls.items():
        path = join("audit.controls", name)
        for finding in audit_rules.check_framework_control(path, name, control.parameters):
            config_path = finding.path.replace(".inputParameters.", ".parameters.").removesuffix(".name")
            out.append(replace(finding, path=config_path))
    for i, template in enumerate(audit.reports):
        out += [
            replace(f, path=join("audit.reports", i))
            for f in audit_rules.check_report_setting(
                "audit",
                template=template,
                formats=[],
                organization_wide=True,
                cross_region=True,
            )
        ]
    out += duplicates("audit.reports", audit.reports, "report template")
    out += [
        replace(f, path="audit.formats")
        for f in audit_rules.check_report_setting(
            "audit",
            template=None,
            formats=audit.formats,
            organization_wide=True,
            cross_region=True,
        )
    ]
    return out


def check_alerting(alerting: Alerting, partition: str = "aws") -> list[Finding]:
    out: list[Finding] = []
    if alerting.enabled and not alerting.subscriptions:
        out.append(
            Finding(
                "alerting.subscriptions",
                [],
                "alert-no-subscriber",
                "failed-job alerts reach nobody without a subscription",
                "warning",
            )
        )
    out += check_subscriptions(alerting, partition)
    return out


def check_restore_testing(rt: RestoreTesting) -> list[Finding]:
    out: list[Finding] = []
    if not rt.enabled:
        return out
    lo, hi = limits.RESTORE_START_WINDOW_HOURS
    if not lo <= rt.start_window_hours <= hi:
        out.append(
            Finding(
                "restore_testing.start_window_hours",
                rt.start_window_hours,
                "restore-start-window",
                f"must be between {lo} and {hi} hours",
            )
        )
    lo, hi = limits.RESTORE_SELECTION_WINDOW_DAYS
    if not lo <= rt.selection_window_days <= hi:
        out.append(
            Finding(
                "restore_testing.selection_window_days",
                rt.selection_window_days,
                "restore-selection-window",
                f"must be between {lo} and {hi} days",
            )
        )
    out += check_schedule("restore_testing.schedule", rt.schedule)
    if not rt.selections:
        out.append(
            Finding(
                "restore_testing.selections",
                {},
                RESTORE_SELECTIONS,
                "restore testing needs at least one selection",
            )
        )
    lo, hi = limits.RESTORE_VALIDATION_WINDOW_HOURS
    for name, sel in rt.selections.items():
        path = join("restore_testing.selections", name)
        if "*" in sel.resource_arns and len(sel.resource_arns) > 1:
            out.append(
                Finding(
                    join(path, "resource_arns"),
                    sel.resource_arns,
                    "restore-arns",
                    "use either ['*'] with conditions or specific ARNs, not both",
                )
            )
        if len(sel.resource_arns) > 30:
            out.append(
                Finding(
                    join(path, "resource_arns"),
                    len(sel.resource_arns),
                    "restore-arns",
                    "at most 30 protected resource ARNs",
                )
            )
        if not lo <= sel.validation_window_hours <= hi:
            out.append(
                Finding(
                    join(path, "validation_window_hours"),
                    sel.validation_window_hours,
                    "restore-validation-window",
                    f"must be between {lo} and {hi} hours",
                )
            )
        if len(name) > 50 or not name.replace("_", "").isalnum():
            out.append(
                Finding(
                    path,
                    name,
                    "restore-selection-name",
                    "selection names are letters, digits and underscores, at most 50",
                )
            )
    return out
