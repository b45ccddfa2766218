"""The principal classes of the access matrix, and how an administrator obtains a principal it is not.

Each class is an IAM role; "administrator" means an identity policy that allows every action
(``AdministratorAccess``), the strongest thing an account's administrator can give any principal:

- ``account administrator``: a role of the target's own account, bounded by the SCPs of that account. In the
  delegated backup-admin account it is the ``delegated backup-admin account administrator`` (an attacker like any
  other: SCPs bind a delegated administrator's account); in the management account it is the
  ``management account administrator``, shown and never flagged: SCPs do not bind it and it can assume the deploy
  role in every account, so it is the root of trust
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html);
- ``<administrator> as <name>``: a role under a name that some policy exempts (break-glass, the deploy role,
  ``stacksets-exec-*``). Its ARN matches the exemption, so it can do what the exempt role can once the
  administrator has it. The administrator gets it by creating it (``iam:CreateRole``) or re-trusting it
  (``iam:UpdateAssumeRolePolicy``), including with the name spelt in another letter case; or by assuming an
  existing one (``sts:AssumeRole``) or passing it to a service (``iam:PassRole``). The SCP is evaluated for each;
  where it allows assuming or passing, the answer depends on the existing role's trust policy, which the stack
  does not hold (the break-glass roles are the customer's): the cell is then not exact and says so, and verify's
  reserved-role check (org_backup/ops/guardrail_roles.py) reads the real trust;
- ``exempt role``/``deploy role``/``StackSet deployer <name>``: the legitimate holders (they may act: break-glass
  and ``pulumi up`` need it); ``backup role``: the role AWS Backup assumes, given the worst case (every action);
- for a central vault: the ``backup role`` of every targeted account (liveness: it must be able to copy in),
  an ``other organization account as <backup role>`` (any account of the organization can create a role of that
  name), and the ``administrator of <account> passing <backup role>`` (a copy job run as the real role);
- ``other organization account`` and ``outsider`` (another organization): administrators elsewhere, bounded by no
  SCP the stack knows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from .evaluator import Decision, Principal, Request

ADMINISTRATOR_ACCESS = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "AdministratorAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}],
    },
    sort_keys=True,
)
OTHER_ORG_ACCOUNT = "200000000002"
OUTSIDER_ACCOUNT = "300000000003"
OUTSIDER_ORG = "o-outsider0000"
ADMIN_ROLE = "AccountAdministrator"
STACKSETS_EXECUTION_ROLE = "stacksets-exec-*"

OPEN, DEPENDS, CLOSED = "open", "depends", "closed"
TRUST_NOTE = (
    "whether the administrator can assume or pass the existing role depends on its trust policy, which the stack "
    "does not hold (verify's reserved-role check reads it: org_backup/ops/guardrail_roles.py)"
)
CASE_NOTE = (
    "a request naming the role in another letter case escapes a Deny that matches the name case-sensitively; AWS "
    "does not document which spelling the authorized ARN takes (IAM names are unique regardless of case), so it "
    "depends on the role carrying the guardrail's reserved tag, which the stack does not give a role it does not make"
)
CREATE_ACTIONS = ("iam:CreateRole", "iam:UpdateAssumeRolePolicy")
TAKE_ACTIONS = ("sts:AssumeRole", "iam:PassRole")


@dataclass(frozen=True)
class Obtain:
    """How the administrator of ``admin_arn``'s account gets the role ``role_arn``."""

    admin_arn: str
    role_arn: str
    role_tags: tuple[tuple[str, str], ...] = ()
    """Tags the stack gives the existing role (its trust is then the stack's: a service's only)."""
    pass_only: bool = False
    """A service-trusted role the stack makes (the backup role): only passing it to its service gets it."""
    trust_known: bool = False
    """The stack makes the role, trusting a service only: nobody assumes it, and passing it lets that service, not
    the administrator, act as it (the copy cells judge that pass)."""


@dataclass(frozen=True)
class PrincipalClass:
    name: str
    attacker: bool
    arn: str
    org_id: str | None
    scps: tuple[str, ...] | None
    """The SCP documents that bound it; None where none applies or none is known."""
    org_path: str | None = None
    obtain: Obtain | None = None
    required: bool = False
    """A liveness principal: the program fails silently if it cannot act (the backup role copying in)."""
    targeted_backup_role: bool = False


def _variant(arn: str) -> str:
    """The role ARN with its name in another letter case."""
    head, name = arn.rsplit("/", 1)
    other = name.lower() if name.lower() != name else name.upper()
    return f"{head}/{other}"


def obtain(principal: PrincipalClass, decide: Callable[[Request], Decision]) -> tuple[str, tuple[str, ...], str, bool]:
    """(OPEN/DEPENDS/CLOSED, deciding statements, reason, exact) for the administrator getting the role."""
    how = principal.obtain
    assert how is not None
    admin = Principal(how.admin_arn, principal.org_id, None, (ADMINISTRATOR_ACCESS,), principal.scps)
    tags = tuple((f"aws:resourcetag/{k}", v) for k, v in how.role_tags)
    denials: list[str] = []
    if how.pass_only:
        decision = decide(Request(admin, "iam:PassRole", how.role_arn, (), False, tags))
        if decision.allowed:
            return OPEN, ("iam:PassRole allowed to the administrator", *decision.decided_by), "", decision.exact
        return CLOSED, decision.decided_by, "the administrator cannot pass the role", decision.exact
    for action in CREATE_ACTIONS:
        decision = decide(Request(admin, action, how.role_arn, (), False, tags))
        if decision.allowed:
            return OPEN, (f"{action} allowed to the administrator", *decision.decided_by), "", decision.exact
        denials += decision.decided_by
    notes: list[str] = []
    retrust = decide(Request(admin, "iam:UpdateAssumeRolePolicy", _variant(how.role_arn), (), False, tags))
    if retrust.allowed and retrust.exact:
        by = ("iam:UpdateAssumeRolePolicy (name in another case) allowed", *retrust.decided_by)
        return OPEN, by, "", True
    if retrust.allowed:
        notes.append(CASE_NOTE)
    takes = () if how.trust_known else TAKE_ACTIONS
    taken = [a for a in takes if decide(Request(admin, a, how.role_arn, (), False, tags)).allowed]
    if taken:
        notes.append(f"{' and '.join(taken)} not denied by any SCP: {TRUST_NOTE}")
    for action in takes:
        if action not in taken:
            denials += decide(Request(admin, action, how.role_arn, (), False, tags)).decided_by
    reason = "the administrator cannot create or re-trust the role"
    if notes:
        return DEPENDS, tuple(dict.fromkeys(denials)), f"{reason}; {'; '.join(notes)}", False
    return CLOSED, tuple(dict.fromkeys(denials)), f"{reason}, nor assume or pass it", True
