"""Does AWS allow one request? IAMSpy's Z3 model decides each statement; AWS's evaluation logic combines them.

Why IAMSpy (PyPI ``zeuscloud-iamspy``, the maintained fork of WithSecure's IAMSpy): it encodes IAM statements
(Action/NotAction, Resource/NotResource, Principal, and the condition operators String*, Arn*, Bool, Numeric,
Date, IpAddress, Null, ...IfExists) as Z3 formulas written by people who are not us, which is what an
independent check of our own generated documents needs. The alternatives do not evaluate requests:
policy_sentry and parliament write or lint policies, policyuniverse expands wildcards, principalmapper does
not import on Python 3.10+, Cedar (cedarpy) evaluates Cedar, not IAM JSON, sibyl-aws only matches SCP Deny
statements against CloudTrail events, and IAM's own ``SimulateCustomPolicy`` needs AWS credentials, which a
pull request from a fork does not have.

What IAMSpy 0.8.0 does not model, and how this module covers it (each tested in tests/policies/access):

- SCPs and KMS key policies: its request logic knows identity and resource policies only (the upstream SCP
  model is not on PyPI). ``decide`` combines the statement verdicts as AWS documents
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): an explicit
  Deny in any policy wins; an SCP bounds principals of member accounts, never the management account nor
  service-linked roles (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html),
  and ``FullAWSAccess`` is assumed attached at every level, so only SCP Deny statements restrict; within one
  account an identity or a resource Allow suffices; across accounts both are needed; a KMS key policy must
  allow, an identity policy counts only where the key policy delegates to the account
  (https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html). IAMSpy's own encoding of an
  account-root principal (``identity`` and the caller's account) is that delegation.
- Multi-valued operators (``ForAnyValue:``/``ForAllValues:``): IAMSpy skips them, which would make a Deny
  apply to everyone. Every context key here holds one value (an account sits in exactly one OU, so
  ``aws:PrincipalOrgPaths`` has one path), for which ``ForAnyValue:Op`` is ``Op`` and ``ForAllValues:Op`` is
  ``OpIfExists`` (true when the key is absent, per the condition-operators page
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html).
- Condition key names are case-insensitive
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html); IAMSpy uses
  them as written, so documents and contexts are lower-cased here.
- ``NotPrincipal`` and any operator IAMSpy lacks: the statement's verdict is "maybe"; a maybe-Allow counts as
  an Allow and a maybe-Deny does not deny, so the answer errs towards "someone can", never towards "safe".
- Letter case. AWS matches ``Resource`` and the ``Arn*`` operators case-sensitively
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN);
  IAMSpy lower-cases both sides. In an Allow, and in a Deny's exemption (``ArnNotLike``, ``NotResource``), that
  matches more than AWS does, which errs towards "someone can". In a Deny's ``Resource`` or positive ``ArnLike`` /
  ``ArnEquals`` it does not: a request that spells a name in another case (``role/backupbreakglass`` for the
  reserved ``BackupBreakGlass``; IAM names are unique regardless of case,
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names) would be
  denied by IAMSpy and not by AWS. So a Deny that IAMSpy applies is checked again, case-sensitively, against the
  request as spelt; where only the case-insensitive match holds the Deny is "maybe" (it does not deny, and the
  answer is marked not exact). AWS does not document which spelling the authorized ARN takes when a request
  names an existing role in another case, so "maybe" is the honest answer.

IAMSpy declares ``pydantic`` without a bound but is written against pydantic 1; pydantic 2 ships that API as
``pydantic.v1``, so the import binds IAMSpy to it (``_iamspy``) without touching anyone else's pydantic.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import ModuleType
from typing import Any

import z3  # type: ignore[import-untyped]

EVALUATION_LOGIC_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
KMS_KEY_POLICY_URL = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html"
SCP_EFFECTS_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"
ARN_PARTS = ("arn", "partition", "service", "region", "account", "resource")
IFEXISTS_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_IfExists"
RESOURCE_AS_SPELT = "request_resource_as_spelt"
"""Not an IAMSpy variable: the resource ARN as the request spells it, for the case-sensitive check of a Deny."""


def _iamspy() -> tuple[ModuleType, ModuleType]:
    """IAMSpy's ``iam`` (document model) and ``parse`` (statement -> Z3) modules, on pydantic's v1 API."""
    import pydantic

    if pydantic.VERSION.startswith("1."):
        from zeuscloud_iamspy import iam, parse  # type: ignore[import-untyped]

        return iam, parse
    import pydantic.v1
    import pydantic.v1.dataclasses
    import pydantic.v1.json

    names = ("pydantic", "pydantic.dataclasses", "pydantic.json")
    saved = {name: sys.modules.get(name) for name in names}
    sys.modules.update(
        {"pydantic": pydantic.v1, "pydantic.dataclasses": pydantic.v1.dataclasses, "pydantic.json": pydantic.v1.json}
    )
    try:
        from zeuscloud_iamspy import iam, parse
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    return iam, parse


_IAM, _PARSE = _iamspy()


def _free(formula: z3.ExprRef) -> tuple[tuple[str, z3.ExprRef], ...]:
    """The free variables of a formula, with their names. Regular expressions are not entered: IAMSpy builds each
    from a policy's literal text (``zeuscloud_iamspy.datatypes._regex_parse_string``), so they hold none, and
    walking their terms from Python was most of the cost of compiling a document."""
    found: dict[int, z3.ExprRef] = {}
    seen: set[int] = set()
    todo = [formula]
    while todo:
        node = todo.pop()
        if node.get_id() in seen or node.sort_kind() == z3.Z3_RE_SORT:
            continue
        seen.add(node.get_id())
        if z3.is_const(node) and node.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            found[node.get_id()] = node
        else:
            todo.extend(node.children())
    return tuple((c.decl().name(), c) for c in found.values())


@dataclass(frozen=True, eq=False)
class Formula:
    """A Z3 formula with its free variables, and its verdicts so far per assignment of the variables it reads
    (kept on the formula, so a verdict cannot outlive it or be read for another one)."""

    formula: z3.BoolRef
    constants: tuple[tuple[str, z3.ExprRef], ...]
    verdicts: dict[tuple[Any, ...], bool | None] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, formula: z3.BoolRef) -> Formula:
        return cls(formula, _free(formula))

    def key(self, context: Mapping[str, Any]) -> tuple[Any, ...]:
        return tuple(context.get(name) for name, _ in self.constants)


@dataclass(frozen=True, eq=False)
class Statement:
    """One statement as IAMSpy encodes it, with what a report shows about it."""

    label: str
    effect: str
    formula: Formula
    actions: tuple[str, ...] | None
    exact: bool
    case_checks: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For a Deny: (context variable, patterns) that AWS matches case-sensitively (``Resource``, ``ArnLike``...)."""
    conjuncts: tuple[Formula, ...] = ()
    """The formula's top-level conjuncts (action, resource, principal, each condition), each reading fewer
    variables than the whole: one that is false decides the statement for every request that agrees on its
    variables."""


def _normalised_condition(condition: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """Lower-cased keys, single-valued forms of the set operators; False when an operator is not modelled."""
    out: dict[str, dict[str, Any]] = {}
    exact = True
    for operator, block in condition.items():
        op = str(operator)
        if op.startswith("ForAnyValue:"):
            op = op.split(":", 1)[1]
        elif op.startswith("ForAllValues:"):
            op = op.split(":", 1)[1]
            op = op if op.endswith("IfExists") else f"{op}IfExists"
        base = op[: -len("IfExists")] if op.endswith("IfExists") else op
        if base not in _condition_functions() or not isinstance(block, Mapping):
            exact = False
            continue
        target = out.setdefault(op, {})
        for key, values in block.items():
            target[str(key).lower()] = values
    return out, exact


@lru_cache(maxsize=1)
def _condition_functions() -> frozenset[str]:
    from zeuscloud_iamspy.conditions import condition_functions  # type: ignore[import-untyped]

    return frozenset(condition_functions)


def _statement_actions(raw: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The Action patterns, for a quick pre-filter (None: NotAction, which cannot be pre-filtered)."""
    action = raw.get("Action")
    if action is None:
        return None
    return tuple(str(a).lower() for a in (action if isinstance(action, list) else [action]))


def _glob(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard pattern (``*``, ``?``) as a case-sensitive regular expression."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def _as_tuple(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in (value if isinstance(value, list) else [value]))


def _case_checks(raw: Mapping[str, Any]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """What a Deny matches positively and AWS compares case-sensitively: ``Resource``, ``ArnLike``/``ArnEquals``."""
    if raw.get("Effect") != "Deny":
        return ()
    out = []
    if "Resource" in raw:
        out.append((RESOURCE_AS_SPELT, _as_tuple(raw["Resource"])))
    condition = raw.get("Condition")
    for operator, block in condition.items() if isinstance(condition, Mapping) else ():
        base = str(operator).split(":")[-1].removesuffix("IfExists")
        if base in ("ArnLike", "ArnEquals") and isinstance(block, Mapping):
            out += [(f"condition_{str(key).lower()}", _as_tuple(values)) for key, values in block.items()]
    return tuple(out)


def _compile(raw: Mapping[str, Any], label: str) -> Statement:
    exact = "NotPrincipal" not in raw
    statement = {k: v for k, v in raw.items() if k != "NotPrincipal"}
    if isinstance(statement.get("Condition"), Mapping):
        statement["Condition"], exact_condition = _normalised_condition(statement["Condition"])
        exact = exact and exact_condition
        if not statement["Condition"]:
            statement.pop("Condition")
    parsed = _IAM.Statements(**statement)
    effect = "Deny" if parsed.Effect == _IAM.Effects.DENY else "Allow"
    formula = _PARSE._parse_statement(parsed)
    if not z3.is_and(formula):
        return Statement(label, effect, Formula.of(formula), _statement_actions(raw), exact, _case_checks(raw))
    conjuncts = tuple(Formula.of(c) for c in formula.children())
    whole = Formula(formula, tuple({name: c for part in conjuncts for name, c in part.constants}.items()))
    return Statement(label, effect, whole, _statement_actions(raw), exact, _case_checks(raw), conjuncts)


@lru_cache(maxsize=512)
def compile_document(text: str, source: str) -> tuple[Statement, ...]:
    """Every statement of one policy document (JSON text), compiled once per distinct text and source."""
    document = json.loads(text)
    raw = document.get("Statement", []) if isinstance(document, Mapping) else []
    statements = raw if isinstance(raw, list) else [raw]
    out = []
    for index, statement in enumerate(statements):
        if isinstance(statement, Mapping):
            sid = statement.get("Sid") or f"statement {index + 1}"
            out.append(_compile(statement, f"{source}: {sid}"))
    return tuple(out)


def document_text(document: str | Mapping[str, Any]) -> str:
    return document if isinstance(document, str) else json.dumps(document, sort_keys=True)


@dataclass(frozen=True)
class Principal:
    """Who asks: an IAM role ARN, its account, and the request context keys AWS sets for it."""

    arn: str
    org_id: str | None = None
    org_path: str | None = None
    identity: tuple[str, ...] = ()
    """Identity-based policy documents (JSON text) attached to the principal."""
    scps: tuple[str, ...] | None = None
    """SCP documents that bound the principal's account; None when no SCP applies (management account...)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((self.arn, self.org_id, self.org_path, self.identity, self.scps)))

    def __hash__(self) -> int:
        """Computed once: a principal keys the analysis's caches once per request."""
        return self._hash  # type: ignore[attr-defined]

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]


@dataclass(frozen=True)
class Request:
    principal: Principal
    action: str
    resource: str
    resource_policies: tuple[tuple[str, str], ...] = ()
    """(source label, JSON text) of the resource's own policies (vault access policy, key policy)."""
    kms_key: bool = False
    extra_context: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Decision:
    allowed: bool
    decided_by: tuple[str, ...]
    reason: str
    exact: bool = True


def _context(request: Request) -> dict[str, Any]:
    """Variable name -> value for IAMSpy's formulas: the request and its present condition keys."""
    principal = request.principal
    keys: dict[str, str] = {"aws:principalarn": principal.arn, "aws:principalaccount": principal.account}
    if principal.org_id:
        keys["aws:principalorgid"] = principal.org_id
    if principal.org_path:
        keys["aws:principalorgpaths"] = principal.org_path
    keys.update({k.lower(): v for k, v in request.extra_context})
    values: dict[str, Any] = {
        "s": principal.arn.lower(),
        "s_account": principal.account,
        "a": request.action.lower(),
        "r": request.resource.lower(),
        RESOURCE_AS_SPELT: request.resource,
    }
    for key, value in keys.items():
        values[f"condition_{key}"] = value
        values[f"condition_{key}_exists"] = True
        if value.startswith("arn:"):
            for part, text in zip(ARN_PARTS, value.lower().split(":", 5), strict=False):
                values[f"condition_{key}_{part}"] = text
    return values


def _value(const: z3.ExprRef, value: Any) -> z3.ExprRef | None:
    if z3.is_bool(const):
        return z3.BoolVal(value is True or str(value).lower() == "true")
    if z3.is_string(const):
        return z3.StringVal(str(value))
    if z3.is_int(const):
        try:
            return z3.IntVal(int(value))
        except ValueError:
            return None
    return None


def matches(statement: Statement, context: Mapping[str, Any]) -> bool | None:
    """Whether the statement applies to the request; None when IAMSpy leaves it open ("maybe").

    A conjunct that Z3 simplifies to false under the request's values makes the statement false, and when every
    conjunct simplifies to true so does the statement; otherwise the whole formula is judged as before. Each
    verdict is cached on its formula per the values of the variables it reads."""
    if statement.actions is not None and not any(fnmatch.fnmatchcase(context["a"], p) for p in statement.actions):
        return False
    decided = bool(statement.conjuncts)
    for conjunct in statement.conjuncts:
        key = conjunct.key(context)
        if key not in conjunct.verdicts:
            conjunct.verdicts[key] = _ground(conjunct, context)
        verdict = conjunct.verdicts[key]
        if verdict is False:
            return False
        decided = decided and verdict is True
    if decided:
        return statement.exact or None
    whole = statement.formula
    key = whole.key(context)
    if key not in whole.verdicts:
        whole.verdicts[key] = _matches(whole, context, statement.exact)
    return whole.verdicts[key]


def _substituted(formula: Formula, context: Mapping[str, Any]) -> z3.BoolRef:
    """The formula simplified with the request's values (an absent key's ``_exists`` is false)."""
    pairs = []
    for name, const in formula.constants:
        if name in context:
            value = _value(const, context[name])
        elif name.startswith("condition_") and name.endswith("_exists"):
            value = z3.BoolVal(False)
        else:
            value = None
        if value is not None:
            pairs.append((const, value))
    return z3.simplify(z3.substitute(formula.formula, *pairs)) if pairs else z3.simplify(formula.formula)


def _ground(conjunct: Formula, context: Mapping[str, Any]) -> bool | None:
    """True or False where Z3 simplifies the conjunct to a constant; None (not decided here) otherwise."""
    result = _substituted(conjunct, context)
    return True if z3.is_true(result) else False if z3.is_false(result) else None


def _matches(formula: Formula, context: Mapping[str, Any], exact: bool) -> bool | None:
    result = _substituted(formula, context)
    if z3.is_true(result):
        return exact or None
    if z3.is_false(result):
        return False
    # A free variable is left for a key the request lacks under ...IfExists (IAMSpy encodes the operator without
    # its "true when the key is absent" half). AWS: "If the policy key is not present in the request context, the
    # condition evaluates to true" (IFEXISTS_URL). Each such key appears under one operator of the statement, so
    # the condition holds exactly when some value satisfies it. Any other free variable leaves the answer open.
    solver = z3.Solver()
    solver.add(result)
    if solver.check() != z3.sat:
        return False
    left = {name for name, _ in _free(result)}
    absent = all(name.startswith("condition_") and name not in context for name in left)
    return (exact or None) if absent else None


@dataclass
class _Verdicts:
    allows: list[str] = field(default_factory=list)
    denies: list[str] = field(default_factory=list)
    maybe: list[str] = field(default_factory=list)


def _holds_as_spelt(statement: Statement, context: Mapping[str, Any]) -> bool:
    """Whether each case-sensitive part of a Deny that IAMSpy applied also matches with the request's own case."""
    for variable, patterns in statement.case_checks:
        value = context.get(variable)
        if isinstance(value, str) and not any(_glob(p).fullmatch(value) for p in patterns):
            return False
    return True


def _judge(statements: Iterable[Statement], context: Mapping[str, Any]) -> _Verdicts:
    out = _Verdicts()
    for statement in statements:
        verdict = matches(statement, context)
        if verdict and statement.effect == "Deny" and not _holds_as_spelt(statement, context):
            verdict = None
        if verdict is None:
            out.maybe.append(statement.label)
            if statement.effect == "Allow":
                out.allows.append(statement.label)
        elif verdict:
            (out.allows if statement.effect == "Allow" else out.denies).append(statement.label)
    return out


def _statements(documents: Sequence[tuple[str, str]]) -> list[Statement]:
    return [s for source, text in documents for s in compile_document(text, source)]


def decide(request: Request) -> Decision:
    """AWS's answer to the request, with the statements that decided it."""
    principal = request.principal
    context = _context(request)
    scp = _judge(_statements([("SCP", t) for t in principal.scps or ()]), context)
    identity = _judge(_statements([("identity policy", t) for t in principal.identity]), context)
    context["identity"] = bool(identity.allows) and not identity.denies
    resource = _judge(_statements(request.resource_policies), context)
    exact = not (scp.maybe or identity.maybe or resource.maybe)
    denies = scp.denies + identity.denies + resource.denies
    if denies:
        return Decision(False, tuple(denies), "explicit Deny", exact)
    same_account = principal.account == request.resource.split(":")[4]
    if request.kms_key:
        if resource.allows and not same_account and not identity.allows:
            return Decision(False, (), "implicit deny: the caller's own account does not allow the key's use", exact)
        if resource.allows:
            return Decision(True, tuple(resource.allows + identity.allows), "the key policy allows", exact)
        return Decision(False, (), "implicit deny: the key policy does not allow (nor delegate to IAM)", exact)
    if same_account and (identity.allows or resource.allows):
        return Decision(True, tuple(resource.allows + identity.allows), "allowed within the account", exact)
    if not same_account and identity.allows and resource.allows:
        return Decision(True, tuple(resource.allows + identity.allows), "identity and resource policy allow", exact)
    if not same_account and identity.allows:
        return Decision(False, (), "implicit deny: the resource policy does not admit the other account", exact)
    return Decision(False, (), "implicit deny: no policy allows", exact)
