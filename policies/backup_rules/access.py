"""Whether one resource policy allows or denies one request: the part of IAM's evaluation that copy paths
and lock-out checks need, applied to the documents the program generates (or AWS returns).

IAM's rules, as AWS documents them:

- an explicit Deny that applies wins over any Allow; without an applicable Allow the request is implicitly
  denied (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html);
- a statement applies when its Action (or NotAction), Principal (or NotPrincipal), Resource and every
  condition match; the operators of one condition key are ANDed, its values ORed;
- a condition key missing from the request: positive operators are false, negated operators
  (``StringNotEquals``, ``ArnNotLike`` ...) true, ``...IfExists`` true, ``ForAllValues`` true,
  ``ForAnyValue`` false (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html);
- ``ArnLike`` compares each of the six colon-separated ARN parts on its own, with ``*`` and ``?``;
- ``NotPrincipal`` with a Deny does not exempt a role's *sessions* unless the session ARN
  (``arn:aws:sts::<account>:assumed-role/<role>/<session>``) is listed, which a policy cannot know in advance
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).

Where the evaluator meets an operator, key or shape it does not model, the statement's effect is
``None`` ("maybe"): callers take the safe side (a maybe-Deny counts as a denial, a maybe-Allow does not
count as a grant) and say so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .findings import join

ContextValue = str | tuple[str, ...] | None


@dataclass(frozen=True)
class Request:
    """A principal calling ``action``; ``context`` maps lower-cased condition keys to values (None: absent).

    Keys not in ``context`` are keys the caller does not know; a condition on them makes the statement a maybe.
    """

    action: str
    principal_arn: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    resource: str | None = None

    @property
    def account(self) -> str:
        parts = self.principal_arn.split(":")
        return parts[4] if len(parts) > 4 else ""

    @property
    def partition(self) -> str:
        parts = self.principal_arn.split(":")
        return parts[1] if len(parts) > 1 else "aws"


def principal_request(
    action: str,
    principal_arn: str,
    *,
    organization_id: str | bool | None,
    organization_path: str | bool | None = None,
    extra: Mapping[str, ContextValue] | None = None,
) -> Request:
    """A request by an IAM role: ``aws:PrincipalArn``/``aws:PrincipalAccount`` from its ARN, the organization
    id, and its OU path (``False``: unknown to the caller, so conditions on it are a maybe; None: absent)."""
    account = principal_arn.split(":")[4] if principal_arn.count(":") >= 5 else ""
    context: dict[str, ContextValue] = {
        "aws:principalarn": principal_arn,
        "aws:principalaccount": account,
        "aws:principaltype": "AssumedRole",
        "aws:principalisawsservice": "false",
    }
    if organization_id is not False:
        context["aws:principalorgid"] = organization_id if isinstance(organization_id, str) else None
    if organization_path is not False:
        context["aws:principalorgpaths"] = (organization_path,) if isinstance(organization_path, str) else None
    context.update(extra or {})
    return Request(action, principal_arn, context)


@dataclass(frozen=True)
class Decision:
    """The outcome for one request. ``allowed`` only when an Allow surely applies and no Deny may apply."""

    allowed: bool
    denied_by: tuple[str, ...] = ()
    maybe_denied_by: tuple[str, ...] = ()
    allowed_by: tuple[str, ...] = ()
    maybe_allowed_by: tuple[str, ...] = ()
    unreadable: bool = False

    @property
    def denied(self) -> bool:
        return bool(self.denied_by)


# --------------------------------------------------------------------------- matching


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(f"^{body}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _like(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_glob(pattern, ignore_case).match(value))


def _arn_like(pattern: str, value: str) -> bool:
    """Each of the six ARN parts separately (the resource part keeps its colons)."""
    p_parts, v_parts = pattern.split(":", 5), value.split(":", 5)
    if len(p_parts) != 6 or len(v_parts) != 6:
        return _like(pattern, value)
    return all(_like(p, v) for p, v in zip(p_parts, v_parts, strict=True))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _action_applies(entry: Mapping[str, Any], action: str) -> bool:
    if "Action" in entry:
        return any(isinstance(p, str) and _like(p, action, ignore_case=True) for p in _as_list(entry["Action"]))
    if "NotAction" in entry:
        return not any(isinstance(p, str) and _like(p, action, ignore_case=True) for p in _as_list(entry["NotAction"]))
    return False


def _resource_applies(entry: Mapping[str, Any], resource: str | None) -> bool:
    if resource is None:
        return True
    if "Resource" in entry:
        return any(isinstance(p, str) and _arn_like(p, resource) for p in _as_list(entry["Resource"]))
    if "NotResource" in entry:
        return not any(isinstance(p, str) and _arn_like(p, resource) for p in _as_list(entry["NotResource"]))
    return True


def _names_principal(principal: Any, request: Request) -> bool | None:
    """Whether a Principal block names the caller: ``*``, its ARN, its account (root ARN or id)."""
    if principal == "*":
        return True
    if not isinstance(principal, Mapping):
        return None
    root = f"arn:{request.partition}:iam::{request.account}:root"
    for kind, values in principal.items():
        for value in _as_list(values):
            if not isinstance(value, str):
                return None
            if kind == "AWS" and value in ("*", request.principal_arn, root, request.account):
                return True
    return False


def _not_principal_applies(not_principal: Any, request: Request) -> bool | None:
    """A Deny with NotPrincipal applies to the caller unless its *session* is listed; listing the role or
    the account only maybe exempts it (see the module docstring)."""
    if not isinstance(not_principal, Mapping):
        return None
    session_prefix = (
        f"arn:{request.partition}:sts::{request.account}:assumed-role/{request.principal_arn.split('/')[-1]}/"
    )
    listed = [v for values in not_principal.values() for v in _as_list(values)]
    if any(isinstance(v, str) and v.startswith(session_prefix) for v in listed):
        return None
    return True


_STRING_OPS = {
    "stringequals": lambda p, v: p == v,
    "stringequalsignorecase": lambda p, v: p.lower() == v.lower(),
    "stringlike": _like,
    "arnequals": lambda p, v: p == v,
    "arnlike": _arn_like,
    "bool": lambda p, v: p.lower() == v.lower(),
}
_NEGATED = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


def _condition(operator: str, key: str, expected: Any, request: Request) -> bool | None:
    """One operator on one key; None when this evaluator cannot decide it."""
    op = operator.lower()
    set_op = ""
    if ":" in op:
        set_op, op = op.split(":", 1)
        if set_op not in ("foranyvalue", "forallvalues"):
            return None
    if_exists = op.endswith("ifexists")
    op = op.removesuffix("ifexists")
    key = key.lower()
    if key not in request.context:
        return None
    actual = request.context[key]
    wanted = [str(v).lower() if isinstance(v, bool) else v for v in _as_list(expected)]
    if not all(isinstance(v, str) for v in wanted):
        return None
    if op == "null":
        return any((actual is None) == (w.lower() == "true") for w in wanted)
    negated = op in _NEGATED
    base = _NEGATED.get(op, op)
    match = _STRING_OPS.get(base)
    if match is None:
        return None
    values = () if actual is None else (actual,) if isinstance(actual, str) else tuple(actual)
    if not values:
        if if_exists or set_op == "forallvalues":
            return True
        return negated and set_op == ""

    def hits(value: str) -> bool:
        found = any(match(w, value) for w in wanted)
        return not found if negated else found

    if set_op == "foranyvalue":
        return any(hits(v) for v in values)
    if set_op == "forallvalues":
        return all(hits(v) for v in values)
    if len(values) > 1:
        return None
    return hits(values[0])


def _conditions_hold(block: Any, request: Request) -> bool | None:
    if block is None:
        return True
    if not isinstance(block, Mapping):
        return None
    unsure = False
    for operator, keys in block.items():
        if not isinstance(keys, Mapping):
            return None
        for key, expected in keys.items():
            result = _condition(str(operator), str(key), expected, request)
            if result is False:
                return False
            unsure = unsure or result is None
    return None if unsure else True


def statement_applies(entry: Mapping[str, Any], request: Request) -> bool | None:
    """Whether one statement applies to the request: True, False, or None (cannot tell)."""
    if not _action_applies(entry, request.action) or not _resource_applies(entry, request.resource):
        return False
    if "Principal" in entry:
        named = _names_principal(entry["Principal"], request)
    elif "NotPrincipal" in entry:
        named = _not_principal_applies(entry["NotPrincipal"], request) if entry.get("Effect") == "Deny" else None
    else:
        named = None
    if named is False:
        return False
    held = _conditions_hold(entry.get("Condition"), request)
    if held is False:
        return False
    return None if named is None or held is None else True


def statements(document: str | Mapping[str, Any] | None, path: str = "policy") -> list[tuple[str, Mapping[str, Any]]]:
    """(path, statement) pairs of a policy document; an unreadable document has none."""
    doc: Any = document
    if isinstance(document, str):
        try:
            doc = json.loads(document)
        except (ValueError, RecursionError):
            return []
    if not isinstance(doc, Mapping):
        return []
    raw = doc.get("Statement")
    if isinstance(raw, Mapping):
        return [(join(path, "Statement"), raw)]
    if isinstance(raw, list):
        return [(join(path, "Statement", i), s) for i, s in enumerate(raw) if isinstance(s, Mapping)]
    return []


def decide(document: str | Mapping[str, Any] | None, request: Request, path: str = "policy") -> Decision:
    """Evaluate one resource policy for one request."""
    found = statements(document, path)
    if not found:
        return Decision(False, unreadable=document is not None)
    denied: list[str] = []
    maybe_denied: list[str] = []
    allowed: list[str] = []
    maybe_allowed: list[str] = []
    for where, entry in found:
        applies = statement_applies(entry, request)
        if applies is False:
            continue
        effect = entry.get("Effect")
        if effect == "Deny":
            (denied if applies else maybe_denied).append(where)
        elif effect == "Allow":
            (allowed if applies else maybe_allowed).append(where)
    return Decision(
        allowed=bool(allowed) and not denied and not maybe_denied,
        denied_by=tuple(denied),
        maybe_denied_by=tuple(maybe_denied),
        allowed_by=tuple(allowed),
        maybe_allowed_by=tuple(maybe_allowed),
    )


def denials(statements_: Sequence[Mapping[str, Any]], request: Request) -> list[tuple[int, bool]]:
    """(index, certain) of each Deny among ``statements_`` that applies (or may apply) to the request."""
    out: list[tuple[int, bool]] = []
    for i, entry in enumerate(statements_):
        if not isinstance(entry, Mapping) or entry.get("Effect") != "Deny":
            continue
        applies = statement_applies(entry, request)
        if applies is not False:
            out.append((i, applies is True))
    return out
