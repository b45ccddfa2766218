"""Preflight (StackSet mode): who else can rewrite the member template in every member account.

A service-managed stack set is created and updated from the management account or from any account registered as
a CloudFormation StackSets delegated administrator
(https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html), and every
stack set of an account runs there as the same ``stacksets-exec-*`` execution role. The guardrail lets that role
write what the member template writes (the member vault, its access policy and lock, the key policy, the program's
roles, the failed-job rule, the framework), so each delegated administrator is a root of trust like the management
account: its administrators can change the template org-wide. Read with ListDelegatedAdministrators filtered by
the StackSets service principal
(https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListDelegatedAdministrators.html), from the
management account.
"""

from __future__ import annotations

from org_backup.ops.aws import paginate
from org_backup.ops.common import Stack
from org_backup.ops.organization import Org
from policies.backup_rules.findings import Finding
from policies.backup_rules.names import STACKSETS_MEMBER_SERVICE_PRINCIPAL

__all__ = ["CHECK", "stacksets_admin_findings"]

CHECK = "stacksets-delegated-admins"


def stacksets_admin_findings(stack: Stack, org: Org) -> list[Finding]:
    """One warning per StackSets delegated administrator (StackSet mode only): a trust root the guardrail cannot bind."""
    config = stack.config
    if config.member_deployment.mode != "stackset":
        return []
    admins = paginate(
        org.organizations(),
        "list_delegated_administrators",
        "DelegatedAdministrators",
        ServicePrincipal=STACKSETS_MEMBER_SERVICE_PRINCIPAL,
    )
    ours = config.organization.backup_admin_account_id
    out = []
    for admin in sorted(admins, key=lambda a: str(a.get("Id"))):
        account = str(admin.get("Id"))
        role = "the backup-admin account, which deploys the member stack set" if account == ours else "not ours"
        out.append(
            Finding.observed(
                rule=CHECK,
                message=f"account {account} ({admin.get('Name', '?')}, {role}) is a CloudFormation StackSets delegated "
                "administrator: its administrators can update any service-managed stack set, including the member "
                "template, in every member account, and act there as the StackSets execution role",
                remediation="keep the StackSets delegated administrators to accounts you trust like the management account "
                "(deregister the others: organizations deregister-delegated-administrator), and guard who may "
                "administer them (docs/security.md, StackSet mode)",
                account=account,
                severity="warning",
            )
        )
    return out
