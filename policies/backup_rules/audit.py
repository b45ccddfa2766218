"""AWS rules for Backup Audit Manager and vault notifications (aws-backup-rules.md §6 and §7).

Frameworks, report plans and vault notifications are accepted by the API in shapes that never produce
evidence or never notify, so these checks catch them before deployment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .findings import Finding, join
from .limits import (
    AUDIT_CONTROLS,
    COMPLIANCE_REPORT_TEMPLATES,
    MAX_CROSS_ACCOUNT_LIST,
    MAX_FRAMEWORK_SCOPE_TAGS,
    MAX_PRINCIPAL_ARN_LIST,
    REPORT_FORMATS,
    REPORT_TEMPLATES,
    SUPPORTED_VAULT_EVENTS,
    VAULT_EVENTS,
)

_LIST_PARAMETER_LIMITS = {"principalArnList": MAX_PRINCIPAL_ARN_LIST, "crossAccountList": MAX_CROSS_ACCOUNT_LIST}
CSV = "CSV"


def list_parameter(value: object) -> list[str]:
    """Audit Manager list parameters are one comma-separated string."""
    if not isinstance(value, str):
        return []
    return [item.strip() for item in value.split(",") if item.strip()]


def check_framework_control(
    path: str,
    name: object,
    parameters: Mapping[str, object],
    scope_tags: Mapping[str, object] | None = None,
) -> list[Finding]:
    """One framework control: a known control, the parameter names it takes, list sizes, one scope tag."""
    allowed = AUDIT_CONTROLS.get(name) if isinstance(name, str) else None
    if allowed is None:
        return [
            Finding(
                join(path, "name"),
                name,
                "audit-control",
                f"{name!r} is not an Audit Manager control (known: {', '.join(sorted(AUDIT_CONTROLS))})",
            )
        ]
    out: list[Finding] = []
    for parameter, value in parameters.items():
        parameter_path = join(path, "inputParameters", parameter)
        if parameter not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            out.append(
                Finding(parameter_path, parameter, "audit-parameter", f"{name} takes no {parameter!r} (known: {known})")
            )
            continue
        limit = _LIST_PARAMETER_LIMITS.get(parameter)
        entries = list_parameter(value)
        if limit is not None and len(entries) > limit:
            out.append(
                Finding(
                    parameter_path,
                    value,
                    "audit-list-max",
                    f"{parameter} lists {len(entries)} entries; Audit Manager takes at most {limit}",
                )
            )
    if scope_tags is not None and len(scope_tags) > MAX_FRAMEWORK_SCOPE_TAGS:
        out.append(
            Finding(
                join(path, "scope", "tags"),
                sorted(scope_tags),
                "audit-scope-tags",
                f"a control scope takes at most {MAX_FRAMEWORK_SCOPE_TAGS} tag key/value pair, got {len(scope_tags)}",
            )
        )
    return out


def check_vault_events(path: str, events: Iterable[object]) -> list[Finding]:
    """Errors for values outside the API enum; warnings for enum values AWS Backup may never emit."""
    out: list[Finding] = []
    for index, event in enumerate(events):
        event_path = join(path, index)
        if event not in VAULT_EVENTS:
            out.append(
                Finding(
                    event_path,
                    event,
                    "vault-event",
                    f"{event!r} is not a vault notification event (PutBackupVaultNotifications rejects it)",
                )
            )
        elif event not in SUPPORTED_VAULT_EVENTS:
            out.append(
                Finding(
                    event_path,
                    event,
                    "vault-event-unsupported",
                    f"{event} is accepted by the API but is not among the events AWS Backup documents as "
                    "sent to SNS: it may never notify (UNCONFIRMED); subscribe to "
                    f"{', '.join(sorted(SUPPORTED_VAULT_EVENTS))} instead",
                    "warning",
                )
            )
    return out


def check_report_setting(
    path: str,
    *,
    template: object,
    formats: Iterable[object],
    organization_wide: bool,
    cross_region: bool,
    names_frameworks: bool = False,
) -> list[Finding]:
    """A known template (``None``: not known, skipped) and format; organization and cross-Region reports are CSV;
    an organization-wide compliance report names no frameworks.

    CreateReportPlan answers a multi-account compliance report that names FrameworkArns with "For
    multi-account, multi-Region reports, use Accounts, OrganizationUnits and Regions" and accepts it without
    them (hashicorp/terraform-provider-aws#32235); AWS documents neither, so this is a warning. Such a report
    reads the frameworks of the accounts it covers ("create frameworks in each of those member accounts",
    https://docs.aws.amazon.com/aws-backup/latest/devguide/working-with-audit-reports.html).
    """
    out: list[Finding] = []
    if organization_wide and names_frameworks and template in COMPLIANCE_REPORT_TEMPLATES:
        out.append(
            Finding(
                join(path, "reportSetting", "frameworkArns"),
                template,
                "report-org-frameworks",
                "an organization-wide compliance report is reported to be rejected when it names frameworkArns "
                "(UNCONFIRMED); leave them out: the report reads each covered account's own frameworks",
                "warning",
            )
        )
    if template is not None and template not in REPORT_TEMPLATES:
        out.append(
            Finding(
                join(path, "reportSetting", "reportTemplate"),
                template,
                "report-template",
                f"{template!r} is not a report template (known: {', '.join(sorted(REPORT_TEMPLATES))})",
            )
        )
    formats = list(formats)
    formats_path = join(path, "reportDeliveryChannel", "formats")
    out.extend(
        Finding(formats_path, value, "report-format", f"{value!r} is not a report format (CSV or JSON)")
        for value in formats
        if value not in REPORT_FORMATS
    )
    if (organization_wide or cross_region) and any(value != CSV for value in formats if value in REPORT_FORMATS):
        scope = "organization/cross-account" if organization_wide else "cross-Region"
        out.append(
            Finding(
                formats_path,
                formats,
                "report-format-csv-only",
                f"{scope} reports are delivered as CSV only; drop the other formats",
            )
        )
    return out
