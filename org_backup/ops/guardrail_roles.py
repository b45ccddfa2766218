"""Exemptions by role name can be squatted: find, in an account, the roles that hold a reserved name.

The guardrail SCP exempts roles by name (the deploy role, the break-glass roles, ``stacksets-exec-*`` in
StackSet mode) and reserves the backup role's name. Once it is attached nobody else can create or change a role
of those names; a role made before (or in an account the SCP does not reach) can still trust someone it
should not. For every role of the account whose name is reserved, this reads its trust policy and reports:

- a deploy or break-glass role that admits a principal outside the management account and
  ``guardrail.trusted_account_ids``;
- a backup role that admits anything but ``backup.amazonaws.com``;
- a ``stacksets-exec-*`` role that admits anything but the management account (StackSets' service-linked role
  there assumes it: https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgAdminServiceRolePolicy.html);
- a reserved name held with another letter case or under a path: IAM names are unique regardless of case
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names),
  so it blocks the real role, and the exemption (``arn:...:role/<name>``) does not match it;
- a missing break-glass role (a warning: until the SCP is attached anyone may create it).

The management account is never checked: SCPs do not apply there
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.documents.guardrail_scp import exempt_role_names
from components.documents.member_template import STACKSETS_EXECUTION_ROLE
from org_backup.ops.aws import AccountAccess, paginate
from policies.backup_rules.findings import Finding, Severity
from policies.backup_rules.guardrail import trust_outsiders
from policies.backup_rules.names import BACKUP_SERVICE_PRINCIPAL
from stackconfig.model import StackConfig

STACKSETS_PREFIX = STACKSETS_EXECUTION_ROLE.rstrip("*").lower()
FIX_TRUST = (
    "delete the role or correct its trust policy from an exempt role (deploy or break-glass role), then run "
    "the check again"
)


@dataclass(frozen=True)
class Expectation:
    """Who may assume a role of a reserved name, and what the role is for (used in messages)."""

    kind: str
    accounts: frozenset[str]
    services: frozenset[str]


def expectations(config: StackConfig) -> dict[str, Expectation]:
    """Reserved exact names (lower case) to what their trust must be; ``stacksets-exec-*`` is matched apart."""
    org = config.organization
    admins = frozenset({org.management_account_id, *config.guardrail.trusted_account_ids})
    out = {
        name.lower(): Expectation("exempt role", admins, frozenset())
        for name in exempt_role_names(config)
        if name != STACKSETS_EXECUTION_ROLE
    }
    out[org.member_role_name.lower()] = Expectation("deploy role", admins, frozenset())
    out[config.vaults.backup_role_name.lower()] = Expectation(
        "backup role", frozenset(), frozenset({BACKUP_SERVICE_PRINCIPAL})
    )
    return out


def _expected(config: StackConfig, name: str) -> tuple[str, Expectation] | None:
    """The reserved name ``name`` stands for (exact spelling), and its expectation; None if not reserved."""
    lowered = name.lower()
    table = expectations(config)
    if lowered in table:
        spelled = next(n for n in (config.vaults.backup_role_name, *exempt_role_names(config)) if n.lower() == lowered)
        return spelled, table[lowered]
    if lowered.startswith(STACKSETS_PREFIX):
        spelled = name if name.startswith(STACKSETS_EXECUTION_ROLE.rstrip("*")) else ""
        management = frozenset({config.organization.management_account_id})
        return spelled, Expectation("StackSets execution role", management, frozenset())
    return None


def role_findings(
    config: StackConfig, access: AccountAccess, region: str, *, check: str, missing_break_glass: Severity
) -> list[Finding]:
    """Every reserved-name role of the account judged by its trust policy (see the module docstring)."""
    account_id = access.account_id
    if account_id == config.organization.management_account_id:
        return []
    iam = access.client("iam", region)
    roles: list[Mapping[str, Any]] = list(paginate(iam, "list_roles", "Roles"))
    out: list[Finding] = []
    present: set[str] = set()
    for role in roles:
        name = str(role.get("RoleName", ""))
        found = _expected(config, name)
        if found is None:
            continue
        spelled, expectation = found
        arn = str(role.get("Arn", name))
        path = str(role.get("Path", "/"))
        if name == spelled and path == "/":
            present.add(name)
        else:
            out.append(
                Finding.observed(
                    rule=check,
                    message=f"{arn} holds the reserved name of the {expectation.kind} "
                    f"{spelled or STACKSETS_EXECUTION_ROLE} with another case or path: it is not exempt, and it "
                    "stops the real role from being created",
                    remediation=FIX_TRUST,
                    account=account_id,
                    resource=arn,
                )
            )
        outsiders = trust_outsiders(
            role.get("AssumeRolePolicyDocument"),
            allowed_accounts=expectation.accounts,
            allowed_services=expectation.services,
        )
        if outsiders:
            allowed = sorted(expectation.accounts | expectation.services)
            out.append(
                Finding.observed(
                    rule=check,
                    message=f"the {expectation.kind} {arn} can be assumed by {', '.join(outsiders)}; only "
                    f"{', '.join(allowed) or 'nobody'} may assume it: whoever does escapes the guardrail",
                    remediation=FIX_TRUST,
                    account=account_id,
                    resource=arn,
                )
            )
    for name in (*config.vaults.member.break_glass_role_names, *config.vaults.central.break_glass_role_names):
        if name in present:
            continue
        present.add(name)
        out.append(
            Finding.observed(
                rule=check,
                message=f"the break-glass role {name} does not exist: recovery needs it, and until the guardrail "
                "is attached any administrator of the account can create a role of that name",
                remediation="create it with the deploy role, trusting only the management account (or "
                "guardrail.trusted_account_ids)",
                account=account_id,
                resource=name,
                severity=missing_break_glass,
            )
        )
    return out
