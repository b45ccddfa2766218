"""The backup role every backup policy names exists, trusts AWS Backup and holds its managed policies."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from components.documents.iam import backup_role_managed_policy_arns
from org_backup.ops.aws import AccountAccess, error_code, paginate
from org_backup.ops.checks.base import REDEPLOY
from policies.backup_rules.findings import Finding
from policies.backup_rules.names import BACKUP_SERVICE_PRINCIPAL
from stackconfig.model import StackConfig


def _trusts_backup(document: Any) -> bool:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        services = statement.get("Principal", {}).get("Service", [])
        actions = statement.get("Action", [])
        if (
            statement.get("Effect") == "Allow"
            and BACKUP_SERVICE_PRINCIPAL in ([services] if isinstance(services, str) else services)
            and "sts:AssumeRole" in ([actions] if isinstance(actions, str) else actions)
        ):
            return True
    return False


def check_backup_role(access: AccountAccess, config: StackConfig, region: str) -> list[Finding]:
    """The role every backup policy names (``$account``): without it, every job in the account fails."""
    name = config.vaults.backup_role_name
    iam = access.client("iam", region)
    account_id = access.account_id
    try:
        role = iam.get_role(RoleName=name)["Role"]
    except ClientError as exc:
        if error_code(exc) != "NoSuchEntity":
            raise
        return [
            Finding.observed(
                rule="backup-role",
                message=f"the backup role {name} does not exist: every backup job in this account fails",
                remediation=REDEPLOY,
                account=account_id,
                resource=name,
            )
        ]
    out = []
    if not _trusts_backup(role.get("AssumeRolePolicyDocument", {})):
        out.append(
            Finding.observed(
                rule="backup-role",
                message=f"{name} does not let {BACKUP_SERVICE_PRINCIPAL} assume it",
                remediation=REDEPLOY,
                account=account_id,
                resource=role["Arn"],
            )
        )
    attached = {p["PolicyArn"] for p in paginate(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name)}
    missing = [arn for arn in backup_role_managed_policy_arns(config.organization.partition) if arn not in attached]
    if missing:
        out.append(
            Finding.observed(
                rule="backup-role",
                message=f"{name} lacks the managed policies {', '.join(missing)}: some backups or restores fail",
                remediation=REDEPLOY,
                account=account_id,
                resource=role["Arn"],
            )
        )
    return out
