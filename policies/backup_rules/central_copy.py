"""Who may copy into the central vault: the organization's backup role and AWS Backup's service-linked role only.

The generated central vault policy admits ``backup:CopyIntoBackupVault`` from exactly those roles under the
organization condition (``components.documents.vault_policy.central_vault_policy`` says why: a copy job runs as
the role it is given, https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html, and a locked
vault keeps, and bills, whatever it received). A team's extra statement that allows the action to anyone else
(the whole organization, an account, another role) re-opens what the generated statement closes, whatever
conditions it adds: vault policy statements are evaluated independently and one Allow suffices
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html). The loader judges
``vaults.central.extra_access_policy_statements`` and the pack every central vault's policy with this one rule
(``CENTRAL_COPY_RULE``, an error in both: ``levels.SHARED_RULES``).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any

from .findings import Finding, join
from .iam import COPY_INTO_VAULT, _is_everyone, _org_scoped, _principal_values, _read_policy, _Statement
from .names import BACKUP_SERVICE_LINKED_ROLE

CENTRAL_COPY_RULE = "central-copy-backup-role-only"
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(?:[0-9]{12}|\*):role/(?P<name>.+)$")
_PRINCIPAL_ARN_KEY = "aws:principalarn"
_ARN_MATCH_OPERATORS = frozenset({"arnlike", "arnequals", "stringlike", "stringequals"})


def _admitted(arn: Any, role_names: Collection[str]) -> bool:
    """A role ARN (or pattern whose only wildcard is the account) of the backup role or the service-linked role."""
    found = _ROLE_ARN.match(arn) if isinstance(arn, str) else None
    return found is not None and (
        found.group("name") in role_names or found.group("name") == BACKUP_SERVICE_LINKED_ROLE
    )


def _beyond(statement: _Statement, role_names: Collection[str]) -> list[str]:
    """What the statement lets in besides the admitted roles: its named principals that are not admitted, or for
    ``*`` (or NotPrincipal) "any principal" unless some aws:PrincipalArn bound, which every request must match,
    lists admitted roles only."""
    if not statement.has_not_principal and not _is_everyone(statement.principal):
        return [str(v) for v in _principal_values(statement.principal) if not _admitted(v, role_names)]
    bounds = [
        c.values
        for c in statement.conditions
        if c.key == _PRINCIPAL_ARN_KEY and c.base in _ARN_MATCH_OPERATORS and not c.if_exists and not c.set_operator
    ]
    if any(values and all(_admitted(v, role_names) for v in values) for values in bounds):
        return []
    return [str(v) for v in bounds[0] if not _admitted(v, role_names)] if bounds else ["any principal"]


def copy_beyond_backup_role(
    doc: str | Mapping[str, Any], *, backup_role_names: Collection[str], path: str = "policy"
) -> list[Finding]:
    """One error per Allow of CopyIntoBackupVault to a principal other than the backup role(s) or AWS Backup's
    service-linked role (in any account of the organization, the organization condition being the generated
    statement's)."""
    policy = _read_policy(doc, path)
    out: list[Finding] = []
    for statement in policy.statements:
        if statement.effect != "Allow" or not statement.covers(COPY_INTO_VAULT):
            continue
        if statement.has_not_principal or (_is_everyone(statement.principal) and not _org_scoped(statement)):
            continue  # one mistake, one error: the least-privilege checks refuse these (no-not-principal, ...)
        beyond = _beyond(statement, backup_role_names)
        if beyond:
            roles = ", ".join(f"role/{name}" for name in sorted(backup_role_names)) or "the backup role"
            out.append(
                Finding(
                    join(statement.path, "Principal"),
                    beyond,
                    CENTRAL_COPY_RULE,
                    f"{COPY_INTO_VAULT} is allowed to {', '.join(beyond)}: the central vault admits copies only "
                    f"from {roles} and AWS Backup's service-linked role; a copy job runs as whichever role it is "
                    "given, so any other principal could fill the locked vault",
                )
            )
    return out
