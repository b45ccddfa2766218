"""Verify checks of the guardrail: every SCP exists with the content the program renders, attached to every
target the config says; and no role squats a reserved name in a member or central vault account.

Hooked into ``org_backup.ops.verify``: ``organization_findings`` once per run, ``account_findings`` per account. Reads
with DescribePolicy, ListPolicies and ListTargetsForPolicy from the management account
(https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListTargetsForPolicy.html).
"""

from __future__ import annotations

import json
from functools import partial
from typing import Any

from components.documents.guardrail_scp import guardrail_attachment_targets, guardrail_policies
from org_backup.ops.aws import AccountAccess, paginate
from org_backup.ops.common import Stack, attempt
from org_backup.ops.guardrail_roles import role_findings
from org_backup.ops.organization import Org
from org_backup.ops.preflight_roles import POLICY_TYPE_CHECK, policy_type_enabled
from policies.backup_rules.findings import Finding
from policies.backup_rules.guardrail import SERVICE_CONTROL_POLICY, policy_mapping
from stackconfig.inventory import OrgTree

CHECK = "guardrail"
ROLE_CHECK = "reserved-role"
REDEPLOY = "run `pulumi up` for the stack"


def _canonical(content: Any) -> str | None:
    document = policy_mapping(content)
    return None if document is None else json.dumps(document, sort_keys=True, separators=(",", ":"))


def _policies(stack: Stack, org: Org, tree: OrgTree) -> list[Finding]:
    config = stack.config
    management = config.organization.management_account_id
    organizations = org.organizations()
    if not policy_type_enabled(org):
        return [
            Finding.observed(
                rule=POLICY_TYPE_CHECK,
                message=f"the {SERVICE_CONTROL_POLICY} policy type is not enabled on the root: no SCP applies, "
                "the guardrail included",
                remediation="enable service control policies in Organizations, then run `pulumi up`",
                account=management,
                resource=config.organization.root_id,
            )
        ]
    existing = {
        p["Name"]: p for p in paginate(organizations, "list_policies", "Policies", Filter=SERVICE_CONTROL_POLICY)
    }
    targets = set(guardrail_attachment_targets(config, tree))
    out: list[Finding] = []
    for expected in guardrail_policies(config):
        summary = existing.get(expected.name)
        if summary is None:
            out.append(
                Finding.observed(
                    rule=CHECK,
                    message=f"the guardrail SCP {expected.name} does not exist: member-account administrators are "
                    "not kept away from vaults, keys and reserved roles",
                    remediation=REDEPLOY,
                    account=management,
                    resource=expected.name,
                )
            )
            continue
        policy_id = summary["Id"]
        content = organizations.describe_policy(PolicyId=policy_id)["Policy"].get("Content")
        if _canonical(content) != _canonical(expected.content):
            out.append(
                Finding.observed(
                    rule=CHECK,
                    message=f"the content of SCP {expected.name} ({policy_id}) differs from what the program "
                    "renders: someone changed it outside the stack",
                    remediation=REDEPLOY,
                    account=management,
                    resource=policy_id,
                )
            )
        attached = {
            t["TargetId"] for t in paginate(organizations, "list_targets_for_policy", "Targets", PolicyId=policy_id)
        }
        for target in sorted(targets - attached):
            out.append(
                Finding.observed(
                    rule=CHECK,
                    message=f"SCP {expected.name} is not attached to {target}: the accounts there are not guarded",
                    remediation=REDEPLOY,
                    account=management,
                    resource=target,
                )
            )
        for target in sorted(attached - targets):
            out.append(
                Finding.observed(
                    rule=CHECK,
                    message=f"SCP {expected.name} is also attached to {target}, which the config does not target",
                    remediation="detach it there if nobody meant to, or add the target to the config",
                    account=management,
                    resource=target,
                    severity="warning",
                )
            )
    return out


def organization_findings(stack: Stack, org: Org, tree: OrgTree) -> list[Finding]:
    if not stack.config.guardrail.enabled:
        return []
    management = stack.config.organization.management_account_id
    return attempt(CHECK, management, None, partial(_policies, stack, org, tree))


def account_findings(stack: Stack, access: AccountAccess) -> list[Finding]:
    """Reserved-name roles; after deploy a missing break-glass role is still a warning (recovery needs it)."""
    return attempt(
        ROLE_CHECK,
        access.account_id,
        None,
        partial(
            role_findings, stack.config, access, stack.home_region, check=ROLE_CHECK, missing_break_glass="warning"
        ),
    )
