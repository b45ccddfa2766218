"""Requests in canonical form, so the analysis scales with the number of distinct documents, not of accounts.

The vaults of 1,000 member accounts, and the backup roles of 1,000 source accounts copying into a central vault,
ask the same questions with a different account id and Region in every string. ``decide_canonically`` renames the
analysed account, the asking principal's account and the analysed Region to fixed tokens in every string of the
request and of its documents (SCPs, identity and resource policies), answers the renamed request once (cached),
and maps the tokens in the answer's statement labels back.

Renaming is sound only where no policy can tell the name from its token; each rename is applied only where that
is shown for this request, otherwise the request is answered as it is (exact, only cached per identical request):

- the policies compare strings only (``String*``, ``Arn*``, ``Bool``, ``Null``, and ``Action``, ``Resource`` and
  ``Principal`` patterns): IAMSpy encodes these as equality and membership in a regular expression made of literal
  characters, ``?`` and ``*`` (any printable character, ``zeuscloud_iamspy.datatypes.ANY``). A numeric, date,
  IP-address or binary operator, or a JSON number, could order or parse the name: no rename;
- the token occurs in no string of the request (so no string is renamed into another one), and every occurrence
  of the name (also after lower-casing: IAMSpy compares lower-cased) is a whole "word": an account id a whole run
  of digits, a Region a whole run of ``[A-Za-z0-9-]`` not next to a wildcard. A literal word of a pattern then
  matches a whole word of a value (both renamed alike) or, next to a ``*``, a prefix, suffix or substring of one;
- for an account id (a token of the same length, all digits): no run of digits in a pattern touches a wildcard,
  so the wildcards consume the name's digits whatever they are;
- for a Region (a token of another length): no pattern has a ``?`` (it counts characters), and every literal word
  next to a ``*`` is a prefix (suffix, substring) of the Region exactly when it is one of the token.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any, NamedTuple

from .evaluator import Decision, Principal, Request, decide

ACCOUNT_TOKEN = "900000000009"
"""The analysed resource's account."""
PRINCIPAL_ACCOUNT_TOKEN = "900000000019"
"""The asking principal's account, where it is another one (a source account copying into a central vault)."""
REGION_TOKEN = "zz-analysed-9"
STRING_OPERATORS = frozenset(
    {
        "StringEquals",
        "StringNotEquals",
        "StringEqualsIgnoreCase",
        "StringNotEqualsIgnoreCase",
        "StringLike",
        "StringNotLike",
        "ArnEquals",
        "ArnNotEquals",
        "ArnLike",
        "ArnNotLike",
        "Bool",
        "Null",
    }
)
"""Condition operators that compare strings only (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html)."""
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
_WILDCARDS = frozenset("*?")


class Rename(NamedTuple):
    """A name and its token (a tuple: hashed in C, it is part of every cache key here)."""

    old: str
    new: str
    region: bool = False
    """A Region (a word of letters, digits and hyphens); otherwise an account id (a run of digits)."""


def _operator(name: str) -> str:
    base = name.split(":", 1)[1] if name.startswith(("ForAnyValue:", "ForAllValues:")) else name
    return base.removesuffix("IfExists")


def _walk(value: Any) -> Iterator[str | None]:
    """Every string of a JSON value (keys included); None for anything else than a string, bool or null."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)
    elif not (value is None or isinstance(value, bool)):
        yield None


@lru_cache(maxsize=16384)
def _document_strings(text: str) -> tuple[str, ...] | None:
    """The strings of a policy document, or None when it compares anything but strings."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    statements = document.get("Statement", []) if isinstance(document, Mapping) else None
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition") if isinstance(statement, Mapping) else None
        if condition is None:
            continue
        if not isinstance(condition, Mapping) or any(_operator(str(op)) not in STRING_OPERATORS for op in condition):
            return None
    strings = list(_walk(document))
    return None if any(s is None for s in strings) else tuple(s for s in strings if s is not None)


@lru_cache(maxsize=16384)
def _touching(rename: Rename) -> re.Pattern[str]:
    """An occurrence of the name that is not a whole word: a digit (for a Region, a word character or a wildcard)
    right before or after it."""
    near = r"\d" if not rename.region else r"[A-Za-z0-9*?-]"
    old = re.escape(rename.old)
    return re.compile(f"(?<={near}){old}|{old}(?={near})")


@lru_cache(maxsize=262144)
def _whole(text: str, rename: Rename) -> bool:
    """Whether every occurrence of the name in ``text`` is a whole word, as written and lower-cased (IAMSpy compares
    lower-cased), and the token occurs in neither."""
    lower = text.lower()
    if rename.new in lower or rename.new in text:
        return False
    if rename.old not in lower:
        return rename.old not in text
    touching = _touching(rename)
    return (
        lower.count(rename.old) == text.count(rename.old) and not touching.search(text) and not touching.search(lower)
    )


def _pattern_safe(pattern: str, rename: Rename) -> bool:
    """Whether the wildcards of a pattern treat the name and its token alike."""
    if not _WILDCARDS & set(pattern):
        return True
    if not rename.region:
        return not re.search(r"\d[*?]|[*?]\d", pattern)
    if "?" in pattern:
        return False
    segments = pattern.lower().split("*")
    old, new = rename.old, rename.new
    for index, segment in enumerate(segments):
        after_star, before_star = index > 0, index < len(segments) - 1
        lead = re.match(r"[a-z0-9-]*", segment)
        first = lead.group(0) if lead else ""
        trail = re.search(r"[a-z0-9-]*\Z", segment)
        last = trail.group(0) if trail else ""
        if after_star and before_star and first == segment and segment:
            if (segment in old) != (segment in new):
                return False
            continue
        if after_star and first and old.endswith(first) != new.endswith(first):
            return False
        if before_star and last and old.startswith(last) != new.startswith(last):
            return False
    return True


_APART = "\x00"
"""Joins a document's strings: neither a digit, a word character nor a wildcard, so a name cannot run across it
and a check of the joined text is the check of each string."""


@lru_cache(maxsize=16384)
def _joined(text: str) -> str | None:
    strings = _document_strings(text)
    return None if strings is None else _APART.join(strings)


@lru_cache(maxsize=65536)
def _document_allows(text: str, rename: Rename) -> bool:
    joined = _joined(text)
    return joined is not None and _whole(joined, rename) and _pattern_safe(joined, rename)


def _rename_string(value: str, renames: tuple[Rename, ...]) -> str:
    for rename in renames:
        value = value.replace(rename.old, rename.new)
    return value


def _rename_json(value: Any, renames: tuple[Rename, ...]) -> Any:
    if isinstance(value, str):
        return _rename_string(value, renames)
    if isinstance(value, Mapping):
        return {_rename_string(str(k), renames): _rename_json(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_json(v, renames) for v in value]
    return value


@lru_cache(maxsize=65536)
def _renamed_document(text: str, renames: tuple[Rename, ...]) -> str:
    """The document with every string renamed. Without a backslash its JSON text spells each string as it is, and
    (holding no number: ``_document_strings``) a name occurs only inside strings, so the text is renamed as text."""
    if not renames:
        return text
    if "\\" not in text:
        return _rename_string(text, renames)
    return json.dumps(_rename_json(json.loads(text), renames), sort_keys=True)


@lru_cache(maxsize=131072)
def _documents_allow(documents: tuple[str, ...], candidates: tuple[Rename, ...]) -> tuple[Rename, ...]:
    """The candidates that have the shape of their kind and that no string of the documents can tell apart."""
    return tuple(
        rename
        for rename in candidates
        if (_REGION if rename.region else _ACCOUNT).fullmatch(rename.old)
        and all(_document_allows(text, rename) for text in documents)
    )


class _Shared(NamedTuple):
    """What the requests of one cell share (all but the action and the resource), renamed."""

    renames: tuple[Rename, ...]
    principal: Principal
    policies: tuple[tuple[str, str], ...]
    context: tuple[tuple[str, str], ...]
    key: int
    """The same for every shared part that renames to the same thing: with the action and resource, it keys the
    answers (a tuple of an int and strings hashes fast)."""


_SHARED_KEYS: dict[tuple[Principal, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]], int] = {}


@lru_cache(maxsize=131072)
def _shared(
    principal: Principal,
    policies: tuple[tuple[str, str], ...],
    context: tuple[tuple[str, str], ...],
    candidates: tuple[Rename, ...],
) -> _Shared:
    """The candidates that no string of the shared part can tell apart, and the shared part renamed by them."""
    documents = (*principal.identity, *(principal.scps or ()), *(text for _, text in policies))
    values = (principal.arn, principal.org_id or "", principal.org_path or "", *(s for pair in context for s in pair))
    out: list[Rename] = []
    for rename in _documents_allow(documents, candidates):
        if any(rename.old == r.old or rename.new == r.new for r in out):
            continue
        if all(_whole(v, rename) for v in values):
            out.append(rename)
    renames = tuple(out)

    def n(text: str) -> str:
        return _rename_string(text, renames)

    renamed = (
        Principal(
            n(principal.arn),
            principal.org_id and n(principal.org_id),
            principal.org_path and n(principal.org_path),
            tuple(_renamed_document(t, renames) for t in principal.identity),
            None if principal.scps is None else tuple(_renamed_document(t, renames) for t in principal.scps),
        ),
        tuple((source, _renamed_document(text, renames)) for source, text in policies),
        tuple((n(k), n(v)) for k, v in context),
    )
    return _Shared(renames, *renamed, _SHARED_KEYS.setdefault(renamed, len(_SHARED_KEYS)))


@lru_cache(maxsize=262144)
def _names(action: str, resource: str, renames: tuple[Rename, ...]) -> tuple[tuple[Rename, ...], str, str]:
    kept = tuple(r for r in renames if _whole(action, r) and _whole(resource, r))
    return kept, _rename_string(action, kept), _rename_string(resource, kept)


def _canonical(request: Request, candidates: tuple[Rename, ...]) -> tuple[_Shared, str, str]:
    shared = _shared(request.principal, request.resource_policies, request.extra_context, candidates)
    kept, action, resource = _names(request.action, request.resource, shared.renames)
    if kept != shared.renames:
        shared = _shared(request.principal, request.resource_policies, request.extra_context, kept)
    return shared, action, resource


def canonical(request: Request, candidates: tuple[Rename, ...]) -> tuple[Request, tuple[Rename, ...]]:
    """The request renamed by the candidates that no string of it or of its documents can tell apart (module
    docstring), and those renames."""
    shared, action, resource = _canonical(request, candidates)
    renamed = Request(shared.principal, action, resource, shared.policies, request.kms_key, shared.context)
    return renamed, shared.renames


def applicable(request: Request, candidates: tuple[Rename, ...]) -> tuple[Rename, ...]:
    """The renames that no string of the request or its documents can tell apart."""
    return canonical(request, candidates)[1]


def renamable(rename: Rename, documents: Iterable[str], values: Iterable[str]) -> bool:
    """Whether no document and no value (any string a request takes as it is) can tell the name from its token: the
    conditions of the module docstring, as ``canonical`` checks them for one request."""
    return (
        (_REGION if rename.region else _ACCOUNT).fullmatch(rename.old) is not None
        and all(_document_allows(text, rename) for text in documents)
        and all(_whole(value, rename) for value in values)
    )


_BY_FORM: dict[tuple[tuple[str, ...], str], tuple[bool, ...]] = {}


def renamable_by_form(renames: tuple[Rename, Rename], documents: tuple[str, ...]) -> tuple[bool, ...]:
    """``renamable`` of an account rename and a Region rename (in that order) for documents alone, found by the
    documents' renamed form and the Region: the documents of 1,000 accounts' vaults differ only in the account id
    and Region, and checking each costs a parse.

    Where no document holds a backslash or a token (in any case), the documents are their renamed form with the
    tokens spelt back, and each condition reads the same in both spellings: a name's neighbours are its token's
    (an account id and its token are runs of 12 digits, so digits next to a wildcard or to a name are where they
    were, whatever the id); the Region's case variants stay as they were, and which words sit next to a wildcard
    does not change either. So the answer is the same for every account whose documents have that form, and for
    a Region it is looked up with the Region. Otherwise each document is checked as it is."""
    account, region = renames
    if any("\\" in text or account.new in text or region.new in text.lower() for text in documents):
        return tuple(renamable(rename, documents, ()) for rename in renames)
    key = (tuple(_rename_string(text, renames) for text in documents), region.old)
    found = _BY_FORM.get(key)
    if found is None:
        found = _BY_FORM[key] = tuple(all(_document_allows(text, rename) for text in documents) for rename in renames)
    return tuple(
        ok and (_REGION if r.region else _ACCOUNT).fullmatch(r.old) is not None
        for ok, r in zip(found, renames, strict=True)
    )


def joined(values: Iterable[str]) -> str:
    """Strings joined so that one check of ``renamable`` is the check of each."""
    return _APART.join(values)


def renamed(value: str, renames: tuple[Rename, ...]) -> str:
    """A string with the names renamed to their tokens."""
    return _rename_string(value, renames)


def renamed_document(text: str, renames: tuple[Rename, ...]) -> str:
    """A policy document with every string renamed (JSON text)."""
    return _renamed_document(text, renames)


def named_back(value: str, renames: tuple[Rename, ...]) -> str:
    """A string with the tokens of the renames spelt as their names again."""
    for rename in renames:
        value = value.replace(rename.new, rename.old)
    return value


_DECISIONS: dict[tuple[int, str, str, bool], Decision] = {}
MAX_DECISIONS = 200_000
"""Past this many decisions every cache is dropped at once (their keys are only meaningful together)."""


def forget() -> None:
    """Drop every cached answer, the shared parts' keys with them."""
    _whole.cache_clear()
    _shared.cache_clear()
    _SHARED_KEYS.clear()
    _DECISIONS.clear()
    _BY_FORM.clear()


def distinct_questions() -> int:
    """How many distinct renamed requests were decided since the caches were last dropped."""
    return len(_DECISIONS)


@lru_cache(maxsize=65536)
def _candidates(account: str, principal_account: str, region: str) -> tuple[Rename, ...]:
    return (
        Rename(account, ACCOUNT_TOKEN),
        Rename(principal_account, PRINCIPAL_ACCOUNT_TOKEN),
        Rename(region, REGION_TOKEN, region=True),
    )


def decide_canonically(request: Request, account: str, region: str) -> Decision:
    """``decide`` on the request with ``account``, the principal's account and ``region`` renamed where sound,
    cached per distinct renamed request; the answer names the statements as the documents spell them."""
    candidates = _candidates(account, request.principal.account, region)
    if len(_DECISIONS) > MAX_DECISIONS:
        forget()
    shared, action, resource = _canonical(request, candidates)
    return _named_back(_decision(shared, action, resource, request.kms_key), shared.renames)


def _decision(shared: _Shared, action: str, resource: str, kms_key: bool) -> Decision:
    key = (shared.key, action, resource, kms_key)
    found = _DECISIONS.get(key)
    if found is None:
        found = _DECISIONS[key] = decide(
            Request(shared.principal, action, resource, shared.policies, kms_key, shared.context)
        )
    return found


def _named_back(decision: Decision, renames: tuple[Rename, ...]) -> Decision:
    """The decision with its statement labels spelt as the documents spell them (the tokens occur in none)."""
    by = tuple(named_back(label, renames) for label in decision.decided_by)
    return decision if by == decision.decided_by else Decision(decision.allowed, by, decision.reason, decision.exact)
