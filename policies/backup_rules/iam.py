"""Least-privilege checks for IAM-style JSON policies around AWS Backup.

One reader serves every resource policy the stack writes (KMS key policies, vault access policies, trust
policies, bucket/topic/event-bus policies, the Organizations resource policy), so each rule is written once.
All functions accept the JSON text or the parsed mapping and never raise; an unusable document yields a
``policy-json`` finding.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .findings import Finding, join
from .limits import MAX_PRINCIPAL_ARN_LIST

# Rule ids (one home each: the loader, the pack and the tests import them).
NO_NOT_PRINCIPAL = "no-not-principal"
POLICY_JSON = "policy-json"

COPY_INTO_VAULT = "backup:CopyIntoBackupVault"
DELETION_ACTIONS = (
    "backup:DeleteRecoveryPoint",
    "backup:UpdateRecoveryPointLifecycle",
    "backup:PutBackupVaultAccessPolicy",
)
# Actions that destroy recovery points or remove the vault's protection: a Deny of them may exempt roles by exact
# ARN only. Any role name pattern (``stacksets-exec-*``...) can be obtained by an account administrator creating a
# role of a matching name, and no global condition key tells such a role from the one the pattern meant
# (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn).
# What a vault access policy's Deny must cover: the control's three and the deletion of the access policy itself
# ("Deletes the policy document that manages permissions on a backup vault":
# https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultAccessPolicy.html), or whoever may
# delete the policy removes the Deny with it. A policy written to the Audit Manager control alone leaves it open.
DENY_REQUIRED_ACTIONS = (*DELETION_ACTIONS, "backup:DeleteBackupVaultAccessPolicy")
EXACT_EXEMPTION_ACTIONS = (
    *DENY_REQUIRED_ACTIONS,
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:DisassociateRecoveryPoint",
    "backup:DisassociateRecoveryPointFromParent",
)
# Every vault and recovery-point mutation org-backup's vault access policies deny (one home: the program's builder,
# components/documents/vault_policy.py, and the pack import it): the exact-exemption actions and writing the lock.
VAULT_PROTECTED_ACTIONS = tuple(sorted((*EXACT_EXEMPTION_ACTIONS, "backup:PutBackupVaultLockConfiguration")))
# Denied on every vault key to all but the break-glass (and deploying) roles: what makes the key unusable for AWS
# Backup, and so every recovery point it encrypts unrestorable: a disabled key cannot be used in any cryptographic
# operation (https://docs.aws.amazon.com/kms/latest/developerguide/enabling-keys.html), a deleted key's data
# "becomes unrecoverable" (https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html), and a new
# key policy can lock the backup role out (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html).
# Left out: DisableKeyRotation (old key material stays usable), CreateGrant/RevokeGrant (how AWS Backup, EC2 and
# RDS use the key and clean up after a job), and the imported-material and multi-Region actions (the keys are
# single-Region keys of origin AWS_KMS).
KEY_PROTECTED_ACTIONS = ("kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")
EFFECTS = ("Allow", "Deny")

_ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})
_SCOPING_OPERATORS = frozenset({"stringequals", "stringlike", "stringequalsignorecase"})
_EXEMPTION_OPERATORS = frozenset({"arnnotlike", "arnnotequals", "stringnotlike"})
_PRINCIPAL_ARN_KEY = "aws:principalarn"
_VIA_SERVICE_KEY = "kms:viaservice"
_SID_RE = re.compile(r"^[A-Za-z0-9]*$")
_VIA_SERVICE_RE = re.compile(r"^[a-z0-9-]+\.(?:\*|[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d)\.amazonaws\.com(?:\.cn)?$")
_VAULT_RESOURCE_RE = re.compile(r"^arn:aws(?:-[a-z]+)*:backup:[^:]*:[^:]*:backup-vault:.+$")
_KEY_RESOURCE_RE = re.compile(r"^arn:aws(?:-[a-z]+)*:kms:[^:]*:[^:]*:key/.+$")


@dataclass(frozen=True)
class _Condition:
    """One condition key under one operator, with the operator split into its parts."""

    operator: str
    key: str
    base: str
    set_operator: str
    if_exists: bool
    values: tuple[Any, ...]


@dataclass(frozen=True)
class _Statement:
    path: str
    effect: Any
    principal: Any
    has_not_principal: bool
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditions: tuple[_Condition, ...]
    sid: Any

    def covers(self, action: str) -> bool:
        """Whether the statement's Action (or the complement of its NotAction) includes ``action``."""
        if self.actions:
            return any(_action_matches(pattern, action) for pattern in self.actions)
        if self.not_actions:
            return not any(_action_matches(pattern, action) for pattern in self.not_actions)
        return False


@dataclass(frozen=True)
class _Policy:
    statements: tuple[_Statement, ...]
    findings: tuple[Finding, ...]
    usable: bool


# --------------------------------------------------------------------------- reading


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(item for item in _as_list(value) if isinstance(item, str))


def _read_policy(doc: object, path: str) -> _Policy:
    """Parse once into statements; structural problems become ``policy-json`` findings, never exceptions."""
    document: Any = doc
    if isinstance(doc, str):
        try:
            document = json.loads(doc)
        except (ValueError, RecursionError) as exc:
            return _Policy((), (Finding(path, None, POLICY_JSON, f"the policy is not valid JSON: {exc}"),), False)
    if not isinstance(document, Mapping):
        return _Policy((), (Finding(path, None, POLICY_JSON, "a policy document must be a JSON object"),), False)
    raw_statements = document.get("Statement")
    if isinstance(raw_statements, Mapping):
        entries = [(join(path, "Statement"), raw_statements)]
    elif isinstance(raw_statements, list):
        entries = [(join(path, "Statement", index), entry) for index, entry in enumerate(raw_statements)]
    else:
        finding = Finding(join(path, "Statement"), raw_statements, POLICY_JSON, "Statement must be an object or a list")
        return _Policy((), (finding,), False)
    statements: list[_Statement] = []
    findings: list[Finding] = []
    for statement_path, entry in entries:
        if isinstance(entry, Mapping):
            statements.append(_read_statement(entry, statement_path))
        else:
            findings.append(Finding(statement_path, entry, POLICY_JSON, "each statement must be a JSON object"))
    return _Policy(tuple(statements), tuple(findings), True)


def _read_statement(entry: Mapping[str, Any], path: str) -> _Statement:
    return _Statement(
        path=path,
        effect=entry.get("Effect"),
        principal=entry.get("Principal"),
        has_not_principal="NotPrincipal" in entry,
        actions=_strings(entry.get("Action")),
        not_actions=_strings(entry.get("NotAction")),
        resources=_strings(entry.get("Resource")),
        conditions=_read_conditions(entry.get("Condition")),
        sid=entry.get("Sid"),
    )


def _read_conditions(block: Any) -> tuple[_Condition, ...]:
    """Flatten ``{operator: {key: value}}``, splitting off ``ForAnyValue:`` prefixes and ``IfExists``."""
    if not isinstance(block, Mapping):
        return ()
    out: list[_Condition] = []
    for operator, keys in block.items():
        if not isinstance(operator, str) or not isinstance(keys, Mapping):
            continue
        set_operator, _, base = operator.lower().rpartition(":")
        if_exists = base.endswith("ifexists")
        base = base.removesuffix("ifexists")
        out.extend(
            _Condition(operator, key.lower(), base, set_operator, if_exists, tuple(_as_list(value)))
            for key, value in keys.items()
            if isinstance(key, str)
        )
    return tuple(out)


@lru_cache(maxsize=1024)
def _action_pattern(pattern: str) -> re.Pattern[str]:
    body = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE)


def _action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, ``*`` and ``?`` wildcards."""
    return bool(_action_pattern(pattern).match(action))


def _principal_values(principal: Any) -> list[Any]:
    if isinstance(principal, Mapping):
        return [value for values in principal.values() for value in _as_list(values)]
    return _as_list(principal)


def _is_everyone(principal: Any) -> bool:
    """``"*"`` or ``{"AWS": "*"}`` (or a list holding ``"*"``): any principal at all."""
    if principal == "*":
        return True
    return isinstance(principal, Mapping) and "*" in _as_list(principal.get("AWS"))


def _names_explicit_principals(principal: Any) -> bool:
    """Account, role or service principals written out, none of them a wildcard."""
    if not isinstance(principal, Mapping):
        return False
    values = _principal_values(principal)
    return bool(values) and all(isinstance(value, str) and value and "*" not in value for value in values)


def _org_scoped(statement: _Statement) -> bool:
    """A positive aws:PrincipalOrgID/OrgPaths match that cannot pass when the key is missing.

    ``...IfExists`` and ``ForAllValues:`` both evaluate to true when the request carries no such key (a
    principal outside any organization), and a bare ``*`` value matches every organization.
    """
    return any(
        condition.key in _ORG_KEYS
        and condition.base in _SCOPING_OPERATORS
        and condition.set_operator != "forallvalues"
        and not condition.if_exists
        and bool(condition.values)
        and all(isinstance(value, str) and value.strip() not in ("", "*") for value in condition.values)
        for condition in statement.conditions
    )


# --------------------------------------------------------------------------- per-statement rules


def _check_effect(statement: _Statement) -> list[Finding]:
    if statement.effect in EFFECTS:
        return []
    return [Finding(join(statement.path, "Effect"), statement.effect, "effect-value", "Effect must be Allow or Deny")]


def _check_not_principal(statement: _Statement) -> list[Finding]:
    if not statement.has_not_principal:
        return []
    return [
        Finding(
            join(statement.path, "NotPrincipal"),
            None,
            NO_NOT_PRINCIPAL,
            "NotPrincipal is hard to reason about; name the principals, or condition on aws:PrincipalArn",
        )
    ]


def _check_not_action(statement: _Statement) -> list[Finding]:
    if statement.effect != "Allow" or not statement.not_actions:
        return []
    return [
        Finding(
            join(statement.path, "NotAction"),
            list(statement.not_actions),
            "no-allow-not-action",
            "Allow with NotAction grants every other action, including future ones; list the actions",
        )
    ]


def _check_wildcard_actions(statement: _Statement) -> list[Finding]:
    if statement.effect != "Allow":
        return []
    wildcards = [action for action in statement.actions if "*" in action]
    if not wildcards:
        return []
    return [
        Finding(
            join(statement.path, "Action"),
            wildcards,
            "no-wildcard-action",
            f"Allow with wildcard actions {', '.join(wildcards)}: generated policies list actions explicitly",
        )
    ]


def _check_wildcard_principal(statement: _Statement) -> list[Finding]:
    if statement.effect != "Allow" or not _is_everyone(statement.principal) or _org_scoped(statement):
        return []
    return [
        Finding(
            join(statement.path, "Principal"),
            statement.principal,
            "wildcard-principal-org-condition",
            "Allow for Principal * needs a StringEquals/StringLike condition on aws:PrincipalOrgID or "
            "aws:PrincipalOrgPaths (not IfExists, not ForAllValues, not '*')",
        )
    ]


def _check_via_service(statement: _Statement) -> list[Finding]:
    out: list[Finding] = []
    for condition in statement.conditions:
        if condition.key != _VIA_SERVICE_KEY:
            continue
        path = join(statement.path, "Condition", condition.operator)
        for value in condition.values:
            if not isinstance(value, str) or not _VIA_SERVICE_RE.match(value):
                out.append(
                    Finding(
                        path,
                        value,
                        "kms-via-service-form",
                        f"kms:ViaService {value!r} never matches: values are regional, "
                        "<service>.<region>.amazonaws.com, or backup.*.amazonaws.com with StringLike",
                    )
                )
            elif "*" in value and "like" not in condition.base:
                out.append(
                    Finding(
                        path,
                        value,
                        "kms-via-service-form",
                        f"{condition.operator} compares {value!r} literally; use StringLike for a '*' Region",
                    )
                )
    return out


def _check_sids(statements: tuple[_Statement, ...]) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for statement in statements:
        sid = statement.sid
        if sid is None:
            continue
        path = join(statement.path, "Sid")
        if not isinstance(sid, str):
            out.append(Finding(path, sid, "sid-format", "Sid must be a string"))
            continue
        if not _SID_RE.match(sid):
            out.append(
                Finding(
                    path,
                    sid,
                    "sid-format",
                    f"Sid {sid!r} is not alphanumeric as the IAM grammar asks "
                    "(resource policies outside IAM appear to accept it)",
                    "warning",
                )
            )
        if sid and sid in seen:
            out.append(Finding(path, sid, "duplicate-sid", f"Sid {sid!r} is used by more than one statement"))
        seen.add(sid)
    return out


_STATEMENT_RULES = (
    _check_effect,
    _check_not_principal,
    _check_not_action,
    _check_wildcard_actions,
    _check_wildcard_principal,
    _check_via_service,
)


def check_policy_document(doc: str | Mapping[str, Any], *, path: str = "policy") -> list[Finding]:
    """Least-privilege findings for any IAM-style policy (key, vault, trust, bucket, topic, bus, org)."""
    policy = _read_policy(doc, path)
    out = list(policy.findings)
    for statement in policy.statements:
        for rule in _STATEMENT_RULES:
            out += rule(statement)
    out += _check_sids(policy.statements)
    return out


# --------------------------------------------------------------------------- vault access policies


def _targets_vault(statement: _Statement) -> bool:
    return any(resource == "*" or _VAULT_RESOURCE_RE.match(resource) for resource in statement.resources)


def _exempt_principals(statement: _Statement) -> list[str] | None:
    """The ARNs a deny statement spares; None when another condition narrows it (it then proves nothing)."""
    exempt: list[str] = []
    for condition in statement.conditions:
        if condition.key != _PRINCIPAL_ARN_KEY or condition.base not in _EXEMPTION_OPERATORS:
            return None
        if condition.set_operator:
            return None
        exempt += [str(value) for value in condition.values if str(value) not in exempt]
    return exempt


def _is_pattern(arn: str) -> bool:
    return "*" in arn or "?" in arn


def _unbounded(arn: str) -> bool:
    """An exemption no narrower than "some role of some account": a wildcard in the account, before the role
    name, or at the start of it (``*``, ``arn:aws:iam::*:role/X``, ``arn:aws:iam::111122223333:role/*``)."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return _is_pattern(arn)
    resource = parts[5]
    name = resource.removeprefix("role/") if resource.startswith("role/") else resource
    return _is_pattern(":".join(parts[:5])) or _is_pattern(resource[: len(resource) - len(name)]) or name[:1] in "*?"


def _pattern_exemptions(policy: _Policy, actions: tuple[str, ...]) -> list[Finding]:
    """One finding per Deny statement through which a role name pattern escapes some of ``actions``: those that
    every Deny covering them lets a pattern escape (an action no Deny covers is not reported here)."""
    escaped: dict[str, tuple[list[str], list[str]]] = {}
    for action in actions:
        denies = [
            (statement, exempt)
            for statement in policy.statements
            if statement.effect == "Deny"
            and _is_everyone(statement.principal)
            and _targets_vault(statement)
            and statement.covers(action)
            and (exempt := _exempt_principals(statement)) is not None
        ]
        if not denies or any(not any(_is_pattern(arn) for arn in exempt) for _, exempt in denies):
            continue
        statement, exempt = denies[0]
        escaped.setdefault(statement.path, ([arn for arn in exempt if _is_pattern(arn)], []))[1].append(action)
    return [
        Finding(
            join(path, "Condition"),
            patterns,
            "vault-exempts-role-pattern",
            f"{', '.join(found)} {'is' if len(found) == 1 else 'are'} denied to every principal but "
            f"{', '.join(patterns)}: a name pattern, which an account administrator can match by creating a role; "
            "exempt roles by their exact ARN",
        )
        for path, (patterns, found) in escaped.items()
    ]


def vault_policy_denies_deletion(
    doc: str | Mapping[str, Any], *, path: str = "policy", max_exempt: int = MAX_PRINCIPAL_ARN_LIST
) -> list[Finding]:
    """Recovery points survive a compromised admin only if the vault policy denies deletion to everyone.

    Mirrors the Audit Manager control BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED, whose
    ``principalArnList`` allows at most five exempt principals, and also requires the Deny of deleting the access
    policy (:data:`DENY_REQUIRED_ACTIONS`), which the control does not check. The exemptions from what destroys recovery
    points or the vault's protection (:data:`EXACT_EXEMPTION_ACTIONS`) must be exact ARNs, not name patterns.
    """
    policy = _read_policy(doc, path)
    if not policy.usable:
        return list(policy.findings)
    out: list[Finding] = _pattern_exemptions(policy, EXACT_EXEMPTION_ACTIONS)
    covered: set[str] = set()
    for statement in policy.statements:
        if statement.effect != "Deny" or not _is_everyone(statement.principal) or not _targets_vault(statement):
            continue
        exempt = _exempt_principals(statement)
        if exempt is None:
            continue
        if len(exempt) > max_exempt:
            out.append(
                Finding(
                    join(statement.path, "Condition"),
                    exempt,
                    "vault-denies-deletion",
                    f"{len(exempt)} principals are exempt from the deletion deny; at most {max_exempt}",
                )
            )
        covered.update(action for action in DENY_REQUIRED_ACTIONS if statement.covers(action))
    missing = [action for action in DENY_REQUIRED_ACTIONS if action not in covered]
    if missing:
        out.insert(
            0,
            Finding(
                path,
                missing,
                "vault-denies-deletion",
                f"no Deny for Principal * on the vault covers {', '.join(missing)}; exempt principals only "
                f"through ArnNotLike on aws:PrincipalArn (at most {max_exempt})",
            ),
        )
    return out


def _targets_key(statement: _Statement) -> bool:
    return any(resource == "*" or _KEY_RESOURCE_RE.match(resource) for resource in statement.resources)


def key_policy_denies_destruction(doc: str | Mapping[str, Any], *, path: str = "policy") -> list[Finding]:
    """A vault key outlives a compromised account administrator only if its policy denies
    :data:`KEY_PROTECTED_ACTIONS` to every principal (the account root included) but named roles.

    Allows alone do not protect: the account's administrators reach the key through the root delegation and their
    IAM policies (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html). The exemptions
    (``ArnNotLike aws:PrincipalArn``) may hold a role name pattern with a literal prefix (the StackSets execution
    role, which KMS's lockout check requires to keep ``kms:PutKeyPolicy`` on a key it creates), but not one that
    exempts any role or any account.
    """
    policy = _read_policy(doc, path)
    if not policy.usable:
        return list(policy.findings)
    out: list[Finding] = []
    covered: set[str] = set()
    for statement in policy.statements:
        if statement.effect != "Deny" or not _is_everyone(statement.principal) or not _targets_key(statement):
            continue
        exempt = _exempt_principals(statement)
        if exempt is None or not any(statement.covers(action) for action in KEY_PROTECTED_ACTIONS):
            continue
        unbounded = [arn for arn in exempt if _unbounded(arn)]
        if unbounded:
            out.append(
                Finding(
                    join(statement.path, "Condition"),
                    unbounded,
                    "key-denies-destruction",
                    f"the Deny of {', '.join(a for a in KEY_PROTECTED_ACTIONS if statement.covers(a))} exempts "
                    f"{', '.join(unbounded)}: any role (of any account) escapes it; exempt named roles",
                )
            )
            continue
        covered.update(action for action in KEY_PROTECTED_ACTIONS if statement.covers(action))
    missing = [action for action in KEY_PROTECTED_ACTIONS if action not in covered]
    if missing:
        out.insert(
            0,
            Finding(
                path,
                missing,
                "key-denies-destruction",
                f"no Deny for Principal * covers {', '.join(missing)}: an account administrator can disable the key, "
                "schedule its deletion or replace its policy, and every recovery point it encrypts becomes "
                "unrestorable; deny them to all but the break-glass roles (ArnNotLike aws:PrincipalArn)",
            ),
        )
    return out


def admits_backup_use(doc: str | Mapping[str, Any]) -> bool:
    """Whether a key policy lets AWS Backup use the key (an Allow conditioned on ``kms:ViaService``
    ``backup.<region>...``): the mark of a vault key when no tag or vault reference says so."""
    return any(
        statement.effect == "Allow"
        and any(
            condition.key == _VIA_SERVICE_KEY
            and any(isinstance(value, str) and value.startswith("backup.") for value in condition.values)
            for condition in statement.conditions
        )
        for statement in _read_policy(doc, "policy").statements
    )


def vault_policy_copy_into_scoped(doc: str | Mapping[str, Any], *, path: str = "policy") -> list[Finding]:
    """A destination vault must take copies only from named principals or from inside the organization."""
    policy = _read_policy(doc, path)
    if not policy.usable:
        return list(policy.findings)
    return [
        Finding(
            join(statement.path, "Principal"),
            statement.principal,
            "copy-into-scoped",
            f"{COPY_INTO_VAULT} is allowed to unnamed principals without an aws:PrincipalOrgID or "
            "aws:PrincipalOrgPaths condition: any AWS account could copy into this vault",
        )
        for statement in policy.statements
        if statement.effect == "Allow"
        and statement.covers(COPY_INTO_VAULT)
        and not _org_scoped(statement)
        and not _names_explicit_principals(statement.principal)
    ]


def allows_copy_into(doc: str | Mapping[str, Any]) -> bool:
    """Whether some Allow statement grants ``backup:CopyIntoBackupVault`` (cross-account copies need one)."""
    return any(
        statement.effect == "Allow" and statement.covers(COPY_INTO_VAULT)
        for statement in _read_policy(doc, "policy").statements
    )


def trusts_service(doc: str | Mapping[str, Any], service: str) -> bool:
    """Whether a trust policy lets the service principal assume the role (an Allow of sts:AssumeRole)."""
    return any(
        statement.effect == "Allow"
        and statement.covers("sts:AssumeRole")
        and isinstance(statement.principal, Mapping)
        and service in _strings(statement.principal.get("Service"))
        for statement in _read_policy(doc, "policy").statements
    )
