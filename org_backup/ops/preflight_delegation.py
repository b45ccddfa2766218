"""Preflight: what ``pulumi up`` will do to the organization's delegation policy, before it does it.

The program owns only the statements whose Sid starts with ``OrgBackup`` and keeps every other statement
(``components.delegation_policy``). This reads the current policy (DescribeResourcePolicy, from the
management account: https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeResourcePolicy.html)
and runs the same merge the provider will run: it lists the statements that will be kept, and reports as
errors what would make ``pulumi up`` refuse (a statement of someone else under one of our Sids, a policy
that cannot be parsed or would grow over the API's size limit, statements of the earlier
``aws.organizations.ResourcePolicy`` whose resource must first leave the state).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from components.delegation_policy import LEGACY_URN_HINT
from components.documents.delegation_policy import (
    DelegationPolicyError,
    backup_delegation_document,
    legacy_statements,
    merge,
)
from org_backup.ops.aws import error_code
from org_backup.ops.common import Stack
from org_backup.ops.organization import Org
from policies.backup_rules.findings import Finding

__all__ = ["CHECK", "delegation_policy_findings"]

CHECK = "delegation-policy"


def delegation_policy_findings(stack: Stack, org: Org) -> list[Finding]:
    config = stack.config.organization
    account = config.management_account_id
    try:
        content = org.organizations().describe_resource_policy()["ResourcePolicy"].get("Content")
    except ClientError as exc:
        if error_code(exc) != "ResourcePolicyNotFoundException":
            raise
        content = None
    ours = backup_delegation_document(
        management_account_id=config.management_account_id,
        organization_id=config.id,
        root_id=config.root_id,
        delegate_account_id=config.backup_admin_account_id,
        partition=config.partition,
    )["Statement"]
    try:
        result = merge(content, ours)
    except DelegationPolicyError as exc:
        return [Finding.observed(CHECK, str(exc), "fix the delegation policy as the message says", account=account)]
    legacy = legacy_statements(ours)
    old = [s.get("Sid") for s in result.kept if isinstance(s, dict) and legacy.get(str(s.get("Sid"))) == s]
    others = [s for s in result.kept if not (isinstance(s, dict) and s.get("Sid") in old)]
    findings: list[Finding] = []
    if old:
        findings.append(
            Finding.observed(
                CHECK, f"the delegation policy holds statements {old} of an earlier version", LEGACY_URN_HINT, account
            )
        )
    if others:
        sids = ", ".join(str(s.get("Sid", "(no Sid)")) if isinstance(s, dict) else "(not an object)" for s in others)
        findings.append(
            Finding.observed(
                CHECK,
                f"the delegation policy has {len(others)} statement(s) of others, which pulumi up keeps as they are: "
                f"{sids}",
                "nothing: only statements whose Sid starts with OrgBackup are changed",
                account=account,
                severity="info",
            )
        )
    return findings
