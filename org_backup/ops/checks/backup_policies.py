"""Verify: every backup policy exists with the content the program renders (security review F2).

The delegated administrator of backup policies (the backup-admin account) may update, detach and delete them
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html), and so may the management
account: a policy pointed at an unlocked vault, with its selections emptied or its retention shortened, leaves the
recovery points already made alone but silently weakens every new backup organization-wide. The effective-policy
check (``checks.policies``) sees only what reaches each account; this compares each policy itself, as the guardrail
check does for the SCPs. Read from the management account with ListPolicies and DescribePolicy
(https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribePolicy.html).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from components.documents.iam import BACKUP_POLICY_TYPE
from deployment.layout import Layout
from org_backup.ops.aws import paginate
from org_backup.ops.checks.base import REDEPLOY
from org_backup.ops.common import Stack, attempt
from org_backup.ops.organization import Org
from policies.backup_rules.findings import Finding
from policies.backup_rules.guardrail import policy_mapping

CHECK = "backup-policy-content"
CHANGED = (
    "someone changed it outside the stack (the backup-admin account's administrators and the management account "
    "can): read the difference, then run `pulumi up` for the stack to put it back"
)


def _canonical(content: Any) -> str | None:
    document = policy_mapping(content)
    return None if document is None else json.dumps(document, sort_keys=True, separators=(",", ":"))


def _policies(stack: Stack, org: Org, layout: Layout) -> list[Finding]:
    management = stack.config.organization.management_account_id
    organizations = org.organizations()
    existing = {p["Name"]: p for p in paginate(organizations, "list_policies", "Policies", Filter=BACKUP_POLICY_TYPE)}
    out: list[Finding] = []
    for attached in layout.policies:
        expected = attached.document
        summary = existing.get(expected.name)
        if summary is None:
            out.append(
                Finding.observed(
                    rule=CHECK,
                    message=f"the backup policy {expected.name} does not exist: its plans run nowhere",
                    remediation=REDEPLOY,
                    account=management,
                    resource=expected.name,
                )
            )
            continue
        content = organizations.describe_policy(PolicyId=summary["Id"])["Policy"].get("Content")
        if _canonical(content) != _canonical(expected.content):
            out.append(
                Finding.observed(
                    rule=CHECK,
                    message=f"the content of backup policy {expected.name} ({summary['Id']}) differs from what the "
                    "program renders",
                    remediation=CHANGED,
                    account=management,
                    resource=summary["Id"],
                )
            )
    return out


def organization_findings(stack: Stack, org: Org, layout: Layout) -> list[Finding]:
    """Once per verify run; an AWS error becomes a finding (``attempt``)."""
    management = stack.config.organization.management_account_id
    return attempt(CHECK, management, None, partial(_policies, stack, org, layout))
