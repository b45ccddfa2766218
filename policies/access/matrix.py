"""Who can destroy backups: every vault and key x action class x principal class -> allowed or denied, and why.

The principal classes are the people the design must hold against (``attacker``) and the ones it must keep
working. Each is an IAM role; "administrator" means an identity policy that allows every action
(``AdministratorAccess``), the strongest thing an account's administrator can give any principal:

- ``account administrator``: a role of the vault's (key's) own account, bounded by the SCPs of that account;
- ``account administrator as <name>``: a role the administrator creates, or takes over by changing its trust,
  under a name that some policy exempts (``BackupBreakGlass``, ``stacksets-exec-*``, the deploy role). Its ARN
  matches the exemption, so it can do what the exempt role can, unless the SCP denies the administrator
  ``iam:CreateRole`` and ``iam:UpdateAssumeRolePolicy`` on that ARN: the analysis asks exactly that;
- ``other organization account`` and ``outsider`` (another organization, or none): administrators elsewhere;
- ``exempt role <name>`` / ``deploy role <name>``: the legitimate holder of an exempt name (may act: that is
  what break-glass and ``pulumi up`` need); ``backup role``: the role AWS Backup assumes. Its managed policies
  are AWS's, not in the stack, so it is given the worst case (every action).

Only SCPs the stack registers are known: an SCP counts for an account when one of its attachments targets
the account, the root, or an OU that ``ou_accounts`` places the account in; anything else is treated as not
attached (the safe side). Principals of other accounts are not bounded by any SCP (their SCPs are unknown).
Results are cached per distinct request after the analysed account and Region are replaced by placeholders,
so the member vaults of 1,000 accounts cost what one costs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .evaluator import Decision, Principal, Request, decide
from .stack import SAMPLE_ACCOUNT, ResourceLike, StackFacts, Target, read_stack

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
_ACCOUNT_TOKEN = "900000000009"
_REGION_TOKEN = "zz-analysed-9"

ACTION_CLASSES: dict[str, tuple[str, tuple[str, ...], bool]] = {
    "delete recovery points": (
        "vault",
        ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle", "backup:DisassociateRecoveryPoint"),
        True,
    ),
    "change or delete the lock": (
        "vault",
        ("backup:PutBackupVaultLockConfiguration", "backup:DeleteBackupVaultLockConfiguration"),
        True,
    ),
    "change or delete the vault policy": (
        "vault",
        ("backup:PutBackupVaultAccessPolicy", "backup:DeleteBackupVaultAccessPolicy"),
        True,
    ),
    "delete the vault": ("vault", ("backup:DeleteBackupVault",), True),
    "disable the key": ("key", ("kms:DisableKey",), True),
    "schedule key deletion": ("key", ("kms:ScheduleKeyDeletion",), True),
    "change the key policy": ("key", ("kms:PutKeyPolicy",), True),
    "copy into the vault": ("central-vault", ("backup:CopyIntoBackupVault",), False),
}
"""Action class -> (what it applies to, the API actions, destructive). A class is open when any action is."""

SQUAT_ACTIONS = ("iam:CreateRole", "iam:UpdateAssumeRolePolicy")
"""How an administrator obtains a principal with a given role ARN: create the role, or take it over."""


@dataclass(frozen=True)
class PrincipalClass:
    name: str
    attacker: bool
    arn: str
    org_id: str | None
    bounded: bool
    """Whether the SCPs of the analysed account bound it."""
    squats: str | None = None
    """For a taken-over name: the role ARN the administrator must obtain first."""


@dataclass(frozen=True)
class Cell:
    target: str
    target_arn: str
    action_class: str
    principal: str
    attacker: bool
    allowed: bool
    decided_by: tuple[str, ...]
    reason: str
    exact: bool = True

    @property
    def open_to_attacker(self) -> bool:
        return self.attacker and self.allowed and ACTION_CLASSES[self.action_class][2]

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "arn": self.target_arn,
            "action_class": self.action_class,
            "principal": self.principal,
            "attacker": self.attacker,
            "allowed": self.allowed,
            "decided_by": list(self.decided_by),
            "reason": self.reason,
            "exact": self.exact,
        }


@dataclass(frozen=True)
class AccessMatrix:
    cells: tuple[Cell, ...]
    targets: tuple[Target, ...]
    scps: tuple[str, ...]

    def open_to_attackers(self) -> list[Cell]:
        return [c for c in self.cells if c.open_to_attacker]

    def cell(self, target: str, action_class: str, principal: str) -> Cell:
        (found,) = [
            c for c in self.cells if c.target == target and c.action_class == action_class and c.principal == principal
        ]
        return found

    def as_dict(self) -> dict[str, Any]:
        return {
            "targets": [t.label for t in self.targets],
            "scps": list(self.scps),
            "cells": [c.as_dict() for c in self.cells],
            "open_to_attackers": [c.as_dict() for c in self.open_to_attackers()],
        }


def _exempt_names(documents: Iterable[str | None], account: str) -> set[str]:
    """Role names that an ``...Not...`` condition on ``aws:PrincipalArn`` exempts in ``account``."""
    out: set[str] = set()
    for text in documents:
        document = json.loads(text) if text else {}
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            condition = statement.get("Condition") if isinstance(statement, Mapping) else None
            for operator, block in (condition or {}).items():
                if "Not" not in operator or not isinstance(block, Mapping):
                    continue
                for key, values in block.items():
                    if key.lower() != "aws:principalarn":
                        continue
                    for arn in values if isinstance(values, list) else [values]:
                        parts = str(arn).split(":", 5)
                        if len(parts) == 6 and parts[4] in (account, "*") and parts[5].startswith("role/"):
                            out.add(parts[5].rsplit("/", 1)[-1])
    return out


def _concrete(name: str) -> str:
    return name.replace("*", "attacker").replace("?", "x")


def _covers(scp_targets: Iterable[str], ids: frozenset[str], ou_accounts: Mapping[str, Iterable[str]]) -> bool:
    targets = set(scp_targets)
    if ids & targets or any(t.startswith("r-") for t in targets):
        return True
    under = {ou: set(accounts) for ou, accounts in ou_accounts.items() if ou in targets}
    for given in ids:
        accounts = set(ou_accounts.get(given, ())) or {given}
        if any(accounts <= covered for covered in under.values()):
            return True
    return False


def scps_for(facts: StackFacts, target: Target, ou_accounts: Mapping[str, Iterable[str]]) -> tuple[str, ...] | None:
    """The SCP documents that bound principals of the target's account; None where SCPs never apply."""
    if target.account in facts.management_accounts:
        return None
    if target.stack_set is not None:
        needed = facts.stack_set_targets.get(target.stack_set) or set()
        applies = [
            text
            for _, text, scp_targets in facts.scps
            if text and needed and all(_covers(scp_targets, ids, ou_accounts) for ids in needed)
        ]
    else:
        applies = [
            text
            for _, text, scp_targets in facts.scps
            if text and _covers(scp_targets, frozenset({target.account}), ou_accounts)
        ]
    return tuple(applies)


def _normalise(value: str, account: str, region: str) -> str:
    return value.replace(account, _ACCOUNT_TOKEN).replace(region, _REGION_TOKEN)


@lru_cache(maxsize=65536)
def _decide_normalised(request: Request) -> Decision:
    return decide(request)


def _decide(request: Request, account: str, region: str) -> Decision:
    """``decide`` with the analysed account and Region replaced by placeholders, cached per distinct request."""
    p = request.principal

    def n(text: str) -> str:
        return _normalise(text, account, region)

    normalised = Request(
        Principal(
            n(p.arn),
            p.org_id,
            p.org_path and n(p.org_path),
            tuple(n(t) for t in p.identity),
            None if p.scps is None else tuple(n(t) for t in p.scps),
        ),
        request.action,
        n(request.resource),
        tuple((source, n(text)) for source, text in request.resource_policies),
        request.kms_key,
        tuple((k, n(v)) for k, v in request.extra_context),
    )
    return _decide_normalised(normalised)


def _principals(
    facts: StackFacts, target: Target, org_id: str | None, scps: tuple[str, ...] | None
) -> list[PrincipalClass]:
    account = target.account
    role = f"arn:aws:iam::{account}:role/"
    bounded = scps is not None
    out = [PrincipalClass("account administrator", True, role + ADMIN_ROLE, org_id, bounded)]
    names = _exempt_names([target.policy, *(scps or ())], account) | facts.deploy_role_names
    for name in sorted(names):
        arn = role + _concrete(name)
        out.append(PrincipalClass(f"account administrator as {name}", True, arn, org_id, bounded, squats=arn))
        kind = "deploy role" if name in facts.deploy_role_names else "exempt role"
        out.append(PrincipalClass(f"{kind} {name}", False, arn, org_id, bounded))
    for name in sorted(facts.backup_role_names):
        out.append(PrincipalClass(f"backup role {name}", False, role + name, org_id, bounded))
    out.append(
        PrincipalClass(
            "other organization account", True, f"arn:aws:iam::{OTHER_ORG_ACCOUNT}:role/{ADMIN_ROLE}", org_id, False
        )
    )
    out.append(
        PrincipalClass("outsider", True, f"arn:aws:iam::{OUTSIDER_ACCOUNT}:role/{ADMIN_ROLE}", OUTSIDER_ORG, False)
    )
    return out


def _resource_arn(target: Target, action: str) -> str:
    if action in (
        "backup:DeleteRecoveryPoint",
        "backup:UpdateRecoveryPointLifecycle",
        "backup:DisassociateRecoveryPoint",
    ):
        return f"arn:aws:backup:{target.region}:{target.account}:recovery-point:analysed"
    return target.arn


def _obtainable(principal: PrincipalClass, scps: tuple[str, ...] | None, account: str, region: str) -> Decision:
    """Can the account's administrator create, or take over, a role with the squatted ARN?"""
    admin = Principal(
        principal.arn.rsplit("/", 1)[0] + "/" + ADMIN_ROLE, principal.org_id, None, (ADMINISTRATOR_ACCESS,), scps
    )
    denials: list[str] = []
    for action in SQUAT_ACTIONS:
        decision = _decide(Request(admin, action, principal.squats or ""), account, region)
        if decision.allowed:
            return Decision(True, (f"{action} allowed to the administrator", *decision.decided_by), decision.reason)
        denials += decision.decided_by
    return Decision(False, tuple(dict.fromkeys(denials)), "the administrator cannot create or take over the role")


def _cell(target: Target, action_class: str, principal: PrincipalClass, scps: tuple[str, ...] | None) -> Cell:
    _, actions, _ = ACTION_CLASSES[action_class]
    if target.policy is None:
        return Cell(
            target.label,
            target.arn,
            action_class,
            principal.name,
            principal.attacker,
            True,
            (),
            "policy not known: fail closed",
            False,
        )
    sources = "vault access policy" if target.kind == "vault" else "key policy"
    identity = (ADMINISTRATOR_ACCESS,)
    who = Principal(principal.arn, principal.org_id, None, identity, scps if principal.bounded else None)
    context = tuple((f"aws:resourcetag/{k}", v) for k, v in target.tags)
    decisions = [
        _decide(
            Request(
                who, action, _resource_arn(target, action), ((sources, target.policy),), target.kind == "key", context
            ),
            target.account,
            target.region,
        )
        for action in actions
    ]
    allowed = [d for d in decisions if d.allowed]
    exact = all(d.exact for d in decisions)
    decision = allowed[0] if allowed else decisions[0]
    decided_by: tuple[str, ...] = tuple(dict.fromkeys(x for d in (allowed or decisions) for x in d.decided_by))
    reason = decision.reason
    if allowed and principal.squats:
        obtain = _obtainable(principal, scps if principal.bounded else None, target.account, target.region)
        if not obtain.allowed:
            return Cell(
                target.label,
                target.arn,
                action_class,
                principal.name,
                principal.attacker,
                False,
                obtain.decided_by,
                obtain.reason,
                exact and obtain.exact,
            )
        decided_by = (*obtain.decided_by, *decided_by)
        reason = f"the administrator can create the role, and then {reason}"
    return Cell(
        target.label,
        target.arn,
        action_class,
        principal.name,
        principal.attacker,
        bool(allowed),
        decided_by,
        reason,
        exact,
    )


def analyse(
    resources: Iterable[ResourceLike], *, ou_accounts: Mapping[str, Iterable[str]] | None = None
) -> AccessMatrix:
    """The access matrix of a stack's registered resources."""
    facts = read_stack(resources)
    org_id = sorted(facts.org_ids)[0] if facts.org_ids else None
    known_ous = ou_accounts or {}
    cells: list[Cell] = []
    for target in facts.targets:
        scps = scps_for(facts, target, known_ous)
        for principal in _principals(facts, target, org_id, scps):
            for action_class, (applies_to, _, _) in ACTION_CLASSES.items():
                wanted = "central-vault" if target.kind == "vault" and target.role == "central" else None
                if applies_to not in (target.kind, wanted):
                    continue
                cells.append(_cell(target, action_class, principal, scps))
    return AccessMatrix(tuple(cells), tuple(facts.targets), tuple(label for label, _, _ in facts.scps))


__all__ = ["ACTION_CLASSES", "SAMPLE_ACCOUNT", "AccessMatrix", "Cell", "PrincipalClass", "analyse", "scps_for"]
