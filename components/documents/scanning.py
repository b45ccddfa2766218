"""Malware scanning of recovery points (GuardDuty Malware Protection for AWS Backup), rendered from the config.

Pure, like every builder here. The documents and names AWS prescribes are in policies/backup_rules/scanning.py
(with their sources); this module turns a plan's ``malware_scanning`` into the backup-policy nodes, and says
which roles, policies, alert rules and reports the member accounts and the audit need.

Deployment route: the scan settings and actions travel in the Organizations backup policies (documented keys,
rendered here); the scanner role is a plain ``aws.iam.Role`` (pulumi-aws 7.51) in every member account, or a
resource of the member StackSet's template. Nothing needs pulumi-aws-native or a dynamic provider.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from components.documents.iam import Document, policy_document, service_principal, statement
from components.documents.indexing import INDEXING_MANAGED_POLICY, indexing_used
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER, require_partition
from policies.backup_rules.backup_policy.operators import ASSIGN
from policies.backup_rules.scanning import (
    BACKUP_ROLE_SCAN_MANAGED_POLICY,
    GUARDDUTY,
    MALWARE_PROTECTION_SERVICE,
    SCAN_JOB_DETAIL_TYPE,
    SCAN_JOB_FAILURE_STATES,
    SCAN_JOB_REPORT,
    SCANNER_MANAGED_POLICY,
    THREATS_FOUND,
)
from stackconfig.model import Plan, StackConfig
from stackconfig.scanning import plan_scans, rule_scan_mode, scanning_used

Node = dict[str, Any]

SCAN_ALERT_RULE_NAME = "org-backup-malware-scans"


def scanner_role_names(config: StackConfig) -> list[str]:
    """The scanner role's name when a plan scans (the guardrail keeps administrators away from it)."""
    return [config.vaults.scanner_role_name] if scanning_used(config) else []


def scanner_role_arn(config: StackConfig) -> str:
    """The scanner role of whichever account runs the plan: one policy serves all of them through ``$account``."""
    partition = config.organization.partition
    return f"arn:{partition}:iam::{ACCOUNT_PLACEHOLDER}:role/{config.vaults.scanner_role_name}"


def add_scanning(config: StackConfig, plan: Plan, node: Node) -> None:
    """Put the plan's ``scan_settings`` and each scanning rule's ``scan_actions`` into a rendered plan node.

    Nothing is added for a plan that does not scan. Every leaf is an ``@@assign`` string (list), as in the
    syntax page's example 8.
    """
    if not plan_scans(plan) or plan.malware_scanning is None:
        return
    for name, rule in plan.rules.items():
        mode = rule_scan_mode(plan, rule)
        if mode is not None:
            node["rules"][name]["scan_actions"] = {GUARDDUTY: {"scan_mode": {ASSIGN: mode}}}
    node["scan_settings"] = {
        GUARDDUTY: {
            "resource_types": {ASSIGN: list(dict.fromkeys(plan.malware_scanning.resource_types))},
            "scanner_role_arn": {ASSIGN: scanner_role_arn(config)},
        }
    }


def scanner_role_trust_policy() -> Document:
    """Only GuardDuty Malware Protection assumes the scanner role (the trust of AWS's own template, plan-cfn.html).

    No ``aws:SourceAccount`` condition: AWS documents none for this principal, and a condition the service
    does not send would fail every scan; the role's only permissions are the read access of AWS's managed policy.
    """
    return policy_document(
        statement(
            sid="AllowGuardDutyMalwareProtectionAssumeRole",
            effect="Allow",
            principal=service_principal(MALWARE_PROTECTION_SERVICE),
            actions=["sts:AssumeRole"],
        )
    )


def managed_policy_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{require_partition(partition)}:iam::aws:policy/{name}"


def scanner_role_managed_policy_arns(partition: str = "aws") -> list[str]:
    return [managed_policy_arn(SCANNER_MANAGED_POLICY, partition)]


def backup_role_scan_policy_arns(config: StackConfig) -> list[str]:
    """What the backup role needs besides its usual four when plans scan: starting scans, passing the scanner role."""
    if not scanning_used(config):
        return []
    return [managed_policy_arn(BACKUP_ROLE_SCAN_MANAGED_POLICY, config.organization.partition)]


def backup_role_extra_policy_arns(config: StackConfig) -> list[str]:
    """Every managed policy the backup role needs besides its usual four: scanning's, and indexing's when a rule
    indexes EBS snapshots (components/documents/indexing.py)."""
    index = (
        [managed_policy_arn(INDEXING_MANAGED_POLICY, config.organization.partition)] if indexing_used(config) else []
    )
    return [*backup_role_scan_policy_arns(config), *index]


def scan_alert_event_pattern() -> dict[str, Any]:
    """EventBridge pattern: scan jobs that failed, were canceled or scanned only part, and scans that found malware.

    ``$or`` inside ``detail`` picks either condition
    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html);
    field names and values from the "Malware scan job events" examples
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html).
    """
    return {
        "source": ["aws.backup"],
        "detail-type": [SCAN_JOB_DETAIL_TYPE],
        "detail": {
            "$or": [
                {"state": list(SCAN_JOB_FAILURE_STATES)},
                {"scanResult": {"scanResultStatus": [THREATS_FOUND]}},
            ]
        },
    }


def report_templates(config: StackConfig) -> list[str]:
    """The audit's report templates, with the scan-job report added when any plan scans (auditors ask for the
    evidence that recovery points were scanned and what was found)."""
    templates = list(config.audit.reports)
    if scanning_used(config) and SCAN_JOB_REPORT not in templates:
        templates.append(SCAN_JOB_REPORT)
    return templates


def scanning_plan_names(config: StackConfig) -> Iterable[str]:
    return sorted(name for name, plan in config.plans.items() if plan_scans(plan))


SCANNER_ROLE_RESOURCE, SCAN_ALERTS_RULE_RESOURCE = "MalwareScannerRole", "MalwareScansRule"
SCAN_ALERT_RULE_NAME_STACKSET = f"{SCAN_ALERT_RULE_NAME}-stackset"


def add_scanning_to_template(
    config: StackConfig,
    resources: dict[str, Any],
    *,
    role_key: str,
    home_condition: str,
    bus_arn: str,
    forwarding_role_arn: str | None,
) -> None:
    """The member StackSet's share of scanning (and indexing): the scanner role (in the stack of the roles' Region,
    like the backup role), the extra managed policies of the backup role ``role_key``, and the scan alert rule of
    each Region."""
    backup_role = resources[role_key]["Properties"]
    backup_role["ManagedPolicyArns"] = [*backup_role["ManagedPolicyArns"], *backup_role_extra_policy_arns(config)]
    if not scanning_used(config):
        return
    partition = config.organization.partition
    resources[SCANNER_ROLE_RESOURCE] = {
        "Type": "AWS::IAM::Role",
        "Condition": home_condition,
        "Properties": {
            "RoleName": config.vaults.scanner_role_name,
            "Description": "org-backup: the role GuardDuty Malware Protection assumes to scan recovery points",
            "AssumeRolePolicyDocument": scanner_role_trust_policy(),
            "ManagedPolicyArns": scanner_role_managed_policy_arns(partition),
            "Tags": [{"Key": "managed-by", "Value": "org-backup"}],
        },
    }
    if forwarding_role_arn is not None:
        resources[SCAN_ALERTS_RULE_RESOURCE] = {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": SCAN_ALERT_RULE_NAME_STACKSET,
                "Description": "org-backup: forward failed or partial malware scans and scans that found malware",
                "EventPattern": scan_alert_event_pattern(),
                "State": "ENABLED",
                "Targets": [{"Id": "central-bus", "Arn": bus_arn, "RoleArn": forwarding_role_arn}],
            },
        }
