"""Who can destroy backups: every vault, key, backup policy and alerting resource x action class x principal class
-> allowed or denied, and why.

The action classes are in ``actions``, the principal classes (and how an administrator obtains an exempt role) in
``principals``. Two kinds of cells matter: an attacker's cell of a destructive class that is allowed (the
mandatory rule fails), and a liveness cell that is denied (``required``: the backup role of a targeted account
copying into a central vault, through the vault policy, the central key with ``kms:ViaService`` =
``backup.<region>.<the partition's endpoint domain>`` and the SCPs of the source account; if it cannot, copies fail silently).

Only SCPs the stack registers are known: an SCP counts for an account when one of its attachments targets the
account, the root, or an OU that ``ou_accounts`` places the account in; anything else is treated as not attached
(the safe side). Principals of accounts the stack does not know are bounded by no SCP. Results are cached per
distinct request after the analysed account and Region and the principal's account are renamed to tokens where
that is sound (``canonical``), so the member vaults of 1,000 accounts, and the copies of 1,000 source accounts into
a central vault, cost what one costs in Z3; and a member target whose account and Region can be renamed as a whole
takes the cells of the first target of its shape (``shapes``), so they cost little more in Python either.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .actions import (
    ACTION_CLASSES,
    COPY_INTO,
    RECOVERY_POINT_ACTIONS,
    START_COPY_JOB,
    USE_FOR_COPIES,
    actions_for,
    kinds_of,
)
from .canonical import decide_canonically
from .evaluator import Decision, Principal, Request
from .partition import role_arn, service_endpoint
from .principals import (
    ADMIN_ROLE,
    ADMINISTRATOR_ACCESS,
    CLOSED,
    DEPENDS,
    OTHER_ORG_ACCOUNT,
    OUTSIDER_ACCOUNT,
    OUTSIDER_ORG,
    STACKSETS_EXECUTION_ROLE,
    Obtain,
    PrincipalClass,
    obtain,
)
from .shapes import Shapes, labels_for
from .stack import SAMPLE_ACCOUNT, ResourceLike, StackFacts, Target, read_stack

UNKNOWN_PATH = (
    "the account's aws:PrincipalOrgPaths is not known (no OrganizationView output names it, no organizationPaths "
    "in the policy config), so a policy conditioned on OU paths cannot admit it: the cell fails closed"
)
CROSS_ACCOUNT_COPY_URL = "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html"


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
    destructive: bool = False
    """Whether this class, on this target, for this principal, destroys or unlocks backups."""
    required: bool = False
    """A liveness cell: the program relies on it being allowed."""
    severity: str = "tracked"

    @property
    def open_to_attacker(self) -> bool:
        return self.attacker and self.allowed and self.destructive

    @property
    def weakening_open(self) -> bool:
        return self.attacker and self.allowed and self.severity == "weakening"

    @property
    def broken(self) -> bool:
        return self.required and not self.allowed

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
            "destructive": self.destructive,
            "required": self.required,
        }


@dataclass(frozen=True)
class AccessMatrix:
    cells: tuple[Cell, ...]
    targets: tuple[Target, ...]
    scps: tuple[str, ...]

    def open_to_attackers(self) -> list[Cell]:
        return [c for c in self.cells if c.open_to_attacker]

    def weakening(self) -> list[Cell]:
        return [c for c in self.cells if c.weakening_open]

    def broken(self) -> list[Cell]:
        return [c for c in self.cells if c.broken]

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
            "weakening": [c.as_dict() for c in self.weakening()],
            "broken_liveness": [c.as_dict() for c in self.broken()],
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


def scps_for_account(
    facts: StackFacts, account: str, ou_accounts: Mapping[str, Iterable[str]], stack_set: str | None = None
) -> tuple[str, ...] | None:
    """The SCP documents that bound principals of ``account``; None where SCPs never apply (management account)."""
    if account in facts.management_accounts:
        return None
    if stack_set is not None:
        needed = facts.stack_set_targets.get(stack_set) or set()
        return tuple(
            text
            for _, text, scp_targets in facts.scps
            if text and needed and all(_covers(scp_targets, ids, ou_accounts) for ids in needed)
        )
    return tuple(
        text for _, text, scp_targets in facts.scps if text and _covers(scp_targets, frozenset({account}), ou_accounts)
    )


def scps_for(facts: StackFacts, target: Target, ou_accounts: Mapping[str, Iterable[str]]) -> tuple[str, ...] | None:
    """The SCP documents that bound principals of the target's account; None where SCPs never apply."""
    return scps_for_account(facts, target.account, ou_accounts, target.stack_set)


def _decide(request: Request, target: Target) -> Decision:
    """``decide``, cached per distinct request once the target's account and Region and the principal's account
    are renamed to tokens where no document can tell them apart (``canonical``)."""
    return decide_canonically(request, target.account, target.region)


@dataclass(frozen=True)
class _Scope:
    """What every principal of one analysis shares."""

    facts: StackFacts
    org_id: str | None
    ou_accounts: Mapping[str, Iterable[str]]
    known: dict[tuple[str, str, str | None], Any] = field(default_factory=dict, compare=False, repr=False)
    """Each account's SCPs and path, worked out once (each reads every OU's accounts: once per principal of every
    target made the analysis quadratic in the accounts)."""

    def scps(self, account: str, stack_set: str | None = None) -> tuple[str, ...] | None:
        key = ("scps", account, stack_set)
        if key not in self.known:
            self.known[key] = scps_for_account(self.facts, account, self.ou_accounts, stack_set)
        found: tuple[str, ...] | None = self.known[key]
        return found

    def path(self, account: str, stack_set: str | None = None) -> str | None:
        """The account's ``aws:PrincipalOrgPaths``; for a StackSet's sample account, that of an OU it targets."""
        if account != SAMPLE_ACCOUNT:
            return self.facts.organization_paths.get(account)
        key = ("path", account, stack_set)
        if key not in self.known:
            self.known[key] = self._sample_path(stack_set)
        found: str | None = self.known[key]
        return found

    def _sample_path(self, stack_set: str | None) -> str | None:
        for ids in sorted(self.facts.stack_set_targets.get(stack_set or "", ()), key=sorted):
            for ou in sorted(ids):
                found = sorted(p for p in self.facts.organization_paths.values() if p.endswith(f"/{ou}/"))
                if found:
                    return found[0]
        return None


def _administrator(scope: _Scope, account: str) -> tuple[str, bool]:
    """The name and attacker flag of an account's administrator class."""
    if account in scope.facts.management_accounts:
        return "management account administrator", False
    if account in scope.facts.backup_admin_accounts:
        return "delegated backup-admin account administrator", True
    return "account administrator", True


def _principals(scope: _Scope, target: Target) -> list[PrincipalClass]:
    facts, org_id, account, partition = scope.facts, scope.org_id, target.account, target.partition
    role = role_arn(partition, account, "")
    scps = scope.scps(account, target.stack_set)
    path = scope.path(account, target.stack_set)
    admin, attacker = _administrator(scope, account)
    out = [PrincipalClass(admin, attacker, role + ADMIN_ROLE, org_id, scps, path)]
    names = _exempt_names([target.policy, *(scps or ())], account) | facts.deploy_role_names
    if target.stack_set:
        names.add(STACKSETS_EXECUTION_ROLE)
    for name in sorted(names):
        arn = role + _concrete(name)
        made = (account, name) in facts.role_tags
        how = Obtain(role + ADMIN_ROLE, arn, facts.role_tags.get((account, name), ()), trust_known=made)
        out.append(PrincipalClass(f"{admin} as {name}", attacker, arn, org_id, scps, path, how))
        if name == STACKSETS_EXECUTION_ROLE:
            kind = "StackSet deployer"
        else:
            kind = "deploy role" if name in facts.deploy_role_names else "exempt role"
        out.append(PrincipalClass(f"{kind} {name}", False, arn, org_id, scps, path))
    if target.kind in ("vault", "key"):
        for name in sorted(facts.backup_role_names):
            if account in facts.backup_role_accounts.get(name, ()):
                out.append(PrincipalClass(f"backup role {name}", False, role + name, org_id, scps, path))
    for other in sorted(facts.backup_admin_accounts | facts.management_accounts):
        if other != account:
            name, hostile = _administrator(scope, other)
            arn = role_arn(partition, other, ADMIN_ROLE)
            out.append(PrincipalClass(name, hostile, arn, org_id, scope.scps(other), scope.path(other)))
    if target.kind == "vault" and target.role == "central":
        out += _copy_principals(scope, target)
    out.append(
        PrincipalClass(
            "other organization account", True, role_arn(partition, OTHER_ORG_ACCOUNT, ADMIN_ROLE), org_id, None
        )
    )
    out.append(PrincipalClass("outsider", True, role_arn(partition, OUTSIDER_ACCOUNT, ADMIN_ROLE), OUTSIDER_ORG, None))
    return out


def _source_label(account: str) -> str:
    return "every account of the StackSet" if account == SAMPLE_ACCOUNT else account


def _copy_principals(scope: _Scope, target: Target) -> list[PrincipalClass]:
    """Who may copy into a central vault: the backup role of each targeted account (liveness), an administrator
    passing that role to a copy job, and any organization account creating a role of the same name."""
    out = []
    facts, org_id, partition = scope.facts, scope.org_id, target.partition
    for name in sorted(facts.backup_role_names):
        out.append(
            PrincipalClass(
                f"other organization account as {name}",
                True,
                role_arn(partition, OTHER_ORG_ACCOUNT, name),
                org_id,
                None,
            )
        )
        for source in sorted(facts.backup_role_accounts.get(name, ())):
            stack_set = _stack_set_of(facts, source)
            scps = scope.scps(source, stack_set)
            path = scope.path(source, stack_set)
            arn = role_arn(partition, source, name)
            label = _source_label(source)
            out.append(
                PrincipalClass(
                    f"backup role {name} of {label}",
                    False,
                    arn,
                    org_id,
                    scps,
                    path,
                    required=True,
                    targeted_backup_role=True,
                )
            )
            admin, attacker = _administrator(scope, source)
            how = Obtain(role_arn(partition, source, ADMIN_ROLE), arn, pass_only=True)
            out.append(PrincipalClass(f"{admin} of {label} passing {name}", attacker, arn, org_id, scps, path, how))
    return out


def _stack_set_of(facts: StackFacts, account: str) -> str | None:
    if account != SAMPLE_ACCOUNT:
        return None
    return next(iter(sorted(facts.stack_set_targets)), None)


def _resource_arn(target: Target, action: str) -> str:
    if action in RECOVERY_POINT_ACTIONS or action == START_COPY_JOB:
        return f"arn:{target.partition}:backup:{target.region}:{target.account}:recovery-point:analysed"
    return target.arn


def _context(target: Target, principal: PrincipalClass) -> tuple[tuple[str, str], ...]:
    """Resource tags, and for a backup role the keys AWS Backup's own calls carry: it calls KMS through its regional
    endpoint, named in the target's partition (``partition.service_endpoint``; ``kms:ViaService``, https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)
    and creates grants for AWS resources (``kms:GrantIsForAWSResource``). ``aws:CalledVia`` is not set: AWS does not
    document it for AWS Backup's copies, and no generated policy reads it."""
    context = [(f"aws:resourcetag/{k}", v) for k, v in target.tags]
    if principal.targeted_backup_role:
        context += [
            ("kms:viaservice", service_endpoint("backup", target.region, target.partition)),
            ("kms:calleraccount", principal.arn.split(":")[4]),
            ("kms:grantisforawsresource", "true"),
        ]
    return tuple(context)


@lru_cache(maxsize=65536)
def _obtained(principal: PrincipalClass, account: str, region: str) -> tuple[str, tuple[str, ...], str, bool]:
    """``obtain``, once per principal class and target account and Region rather than once per action class."""
    return obtain(principal, lambda r: decide_canonically(r, account, region))


def _cell(target: Target, action_class: str, principal: PrincipalClass) -> Cell:
    kinds = kinds_of(target.kind, target.role)
    actions = actions_for(action_class, kinds)
    severity = ACTION_CLASSES[action_class].severity
    destructive = ACTION_CLASSES[action_class].destructive or (
        action_class == "copy into the vault" and target.compliance_locked and not principal.targeted_backup_role
    )
    # The copy destination of the plans is the standard central vault; an air-gapped one is judged, not required.
    required = principal.required and not target.air_gapped and action_class in ("copy into the vault", USE_FOR_COPIES)

    def cell(allowed: bool, decided_by: tuple[str, ...], reason: str, exact: bool) -> Cell:
        return Cell(
            target.label,
            target.arn,
            action_class,
            principal.name,
            principal.attacker,
            allowed,
            decided_by,
            reason,
            exact,
            destructive,
            required,
            "destructive" if destructive else severity,
        )

    if target.policy is None:
        return cell(True, (), "policy not known: fail closed", False)
    source = {"vault": "vault access policy", "key": "key policy"}.get(target.kind, f"{target.kind} policy")
    who = Principal(principal.arn, principal.org_id, principal.org_path, (ADMINISTRATOR_ACCESS,), principal.scps)
    context = _context(target, principal)
    decisions = [
        _decide(
            Request(
                who, action, _resource_arn(target, action), ((source, target.policy),), target.kind == "key", context
            ),
            target,
        )
        for action in actions
    ]
    allowed = [d for d in decisions if d.allowed]
    exact = all(d.exact for d in decisions)
    if required:
        denied = [d for d in decisions if not d.allowed]
        if denied:
            by = tuple(dict.fromkeys(x for d in denied for x in d.decided_by))
            missing = ", ".join(a for a, d in zip(actions, decisions, strict=True) if not d.allowed)
            unknown = "" if principal.org_path else f"; {UNKNOWN_PATH}"
            reason = f"{denied[0].reason} ({missing}): copies from this account would fail{unknown}"
            return cell(False, by, reason, exact)
        by = tuple(dict.fromkeys(x for d in decisions for x in d.decided_by))
        return cell(True, by, f"{decisions[0].reason} ({CROSS_ACCOUNT_COPY_URL})", exact)
    decision = allowed[0] if allowed else decisions[0]
    decided_by: tuple[str, ...] = tuple(dict.fromkeys(x for d in (allowed or decisions) for x in d.decided_by))
    reason = decision.reason
    if allowed and principal.obtain is not None:
        status, how_by, how_reason, how_exact = _obtained(principal, target.account, target.region)
        if status == CLOSED:
            return cell(False, how_by, how_reason, exact and how_exact)
        if status == DEPENDS:
            return cell(False, how_by, how_reason, False)
        decided_by = (*how_by, *decided_by)
        reason = f"the administrator can obtain the role, and then {reason}"
    return cell(bool(allowed), decided_by, reason, exact)


def _classes_for(target: Target) -> list[str]:
    kinds = kinds_of(target.kind, target.role)
    return [name for name in ACTION_CLASSES if name != USE_FOR_COPIES and actions_for(name, kinds)]


def analyse(
    resources: Iterable[ResourceLike],
    *,
    ou_accounts: Mapping[str, Iterable[str]] | None = None,
    organization_paths: Mapping[str, str] | None = None,
) -> AccessMatrix:
    """The access matrix of a stack's registered resources; ``organization_paths`` (account -> its
    ``aws:PrincipalOrgPaths``) overrides the stack's OrganizationView per account."""
    facts = read_stack(resources)
    facts.organization_paths.update(organization_paths or {})
    scope = _Scope(facts, sorted(facts.org_ids)[0] if facts.org_ids else None, ou_accounts or {})
    shapes = _shapes(scope)
    roles: dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]] = {}
    for (account, name), tags in sorted(facts.role_tags.items()):
        roles.setdefault(account, []).append((name, tags))
    backup_roles: dict[str, list[str]] = {}
    for name, accounts in sorted(facts.backup_role_accounts.items()):
        for account in accounts:
            backup_roles.setdefault(account, []).append(name)
    cells: list[Cell] = []
    for target in facts.targets:
        account = target.account
        shape = shapes.shape(
            target,
            scope.scps(account, target.stack_set),
            scope.path(account, target.stack_set),
            tuple(roles.get(account, ())),
            tuple(backup_roles.get(account, ())),
        )
        kept = shapes.kept(shape) if shape is not None else None
        if shape is not None and kept is not None:
            renames = shape.renames
            cells += [_moved(cell, target, labels and labels_for(labels, renames)) for cell, labels in kept]
            continue
        made = _target_cells(scope, target)
        if shape is not None and not shapes.seen(shape):
            shapes.keep(shape, target, made)
        cells += made
    return AccessMatrix(tuple(cells), tuple(facts.targets), tuple(label for label, _, _ in facts.scps))


def _shapes(scope: _Scope) -> Shapes[Cell]:
    """Reuse of whole targets (``shapes``) for this analysis: what the principal classes of every member target
    share (the other administrators, their SCPs and paths, role names, the organization) is its shared part."""
    facts, partition = scope.facts, scope.facts.partition
    others = sorted(facts.backup_admin_accounts | facts.management_accounts)
    documents = [ADMINISTRATOR_ACCESS, *(text for other in others for text in scope.scps(other) or ())]
    values = [
        scope.org_id or "",
        OUTSIDER_ORG,
        ADMIN_ROLE,
        STACKSETS_EXECUTION_ROLE,
        role_arn(partition, OTHER_ORG_ACCOUNT, ADMIN_ROLE),
        role_arn(partition, OUTSIDER_ACCOUNT, ADMIN_ROLE),
        *(role_arn(partition, other, ADMIN_ROLE) for other in others),
        *(scope.path(other) or "" for other in others),
        *sorted(facts.deploy_role_names),
        *sorted(facts.backup_role_names),
    ]
    return Shapes({*others, SAMPLE_ACCOUNT}, documents, values)


def _moved(cell: Cell, target: Target, labels: tuple[str, ...] | None) -> Cell:
    """A kept cell of the target's shape, for the target (``labels``: its own statement labels where they differ)."""
    return Cell(
        target.label,
        target.arn,
        cell.action_class,
        cell.principal,
        cell.attacker,
        cell.allowed,
        cell.decided_by if labels is None else labels,
        cell.reason,
        cell.exact,
        cell.destructive,
        cell.required,
        cell.severity,
    )


def _target_cells(scope: _Scope, target: Target) -> list[Cell]:
    """Every cell of one target: each principal class x each action class that applies to it."""
    cells = []
    classes = _classes_for(target)
    for principal in _principals(scope, target):
        for action_class in classes:
            if principal.required and action_class not in ("copy into the vault", USE_FOR_COPIES):
                continue
            cells.append(_cell(target, action_class, principal))
    if target.kind == "key" and target.role == "central":
        for principal in _copy_principals(scope, target):
            if principal.required:
                cells.append(_cell(target, USE_FOR_COPIES, principal))
    return cells


__all__ = [
    "ACTION_CLASSES",
    "ADMINISTRATOR_ACCESS",
    "COPY_INTO",
    "SAMPLE_ACCOUNT",
    "AccessMatrix",
    "Cell",
    "PrincipalClass",
    "analyse",
    "scps_for",
    "scps_for_account",
]
