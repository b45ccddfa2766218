"""Pydantic's validation errors in plain words: what the value should be, what it is, and how to fix it.

Pydantic speaks of regular expressions and Python types ("String should match pattern '^[0-9]{12}$'");
a user needs "must be 12 digits, got 11". Every error type the models can raise is translated here, and
every pattern of the model is described by the identifier it checks (``PATTERN_DESCRIPTIONS``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic_core import ErrorDetails

_DIGITS = "0123456789"
_LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789"


def _kind(value: Any) -> str:
    """A value's kind in the words of a YAML file, not Python's."""
    if value is None:
        return "empty (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, Mapping):
        return "a mapping (key: value)"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _other_kind(value: str) -> str | None:
    """What an id of the wrong kind is, for "that is an OU id, not an account id"."""
    if re.fullmatch(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}", value):
        return "an OU id"
    if re.fullmatch(r"r-[0-9a-z]{4,32}", value):
        return "the root id"
    if re.fullmatch(r"[0-9]{12}", value):
        return "an account id"
    if re.fullmatch(r"o-[a-z0-9]{10,32}", value):
        return "the organization id"
    return None


def _account_id(value: str) -> str:
    kind = _other_kind(value)
    if kind is not None:
        return (
            f"{value!r} is {kind}, not an account id (12 digits): accounts go here; OUs go under "
            "targets.organizational_units or exclude_organizational_units"
        )
    if not value.isascii() or not value.isdigit():
        odd = sorted({c for c in value if c not in _DIGITS})
        return f"must be 12 digits, got {value!r} with {', '.join(repr(c) for c in odd[:5])}"
    return f"must be 12 digits, got {len(value)}"


def _ou_id(value: str) -> str:
    kind = _other_kind(value)
    if kind is not None:
        return (
            f"{value!r} is {kind}, not an OU id (ou-…-…): OUs go here; accounts go under targets.accounts or "
            "exclude_accounts"
        )
    return (
        f"{value!r} is not an OU id: an OU id is ou-, 4 to 32 lowercase letters or digits (the root's), "
        "a dash and 8 to 32 more, e.g. ou-ab12-11111111 (Organizations console, or `org-backup inventory`)"
    )


def _root_id(value: str) -> str:
    return f"{value!r} is not a root id: r- and 4 to 32 lowercase letters or digits, e.g. r-ab12"


def _organization_id(value: str) -> str:
    return f"{value!r} is not an organization id: o- and 10 to 32 lowercase letters or digits, e.g. o-a1b2c3d4e5"


def _role_name(value: str) -> str:
    odd = sorted({c for c in value if not (c.isascii() and (c.isalnum() or c in "_+=,.@-"))})
    shown = ", ".join(repr(c) for c in odd[:5])
    return f"an IAM role name is letters, digits and _+=,.@- (at most 64); {value!r} has {shown}"


def _role_arn(value: str) -> str:
    return f"{value!r} is not an IAM role ARN (arn:<partition>:iam::<12-digit account>:role/<name>)"


def _name_chars(what: str, allowed: str, limit: int) -> Callable[[str], str]:
    def describe(value: str) -> str:
        return f"{what} is {allowed}, at most {limit} characters; got {value!r}"

    return describe


# Each pattern of the models (and of the inventory file's model) and how to say it in words.
PATTERN_DESCRIPTIONS: dict[str, Callable[[str], str]] = {
    r"^[0-9]{12}$": _account_id,
    r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$": _ou_id,
    r"^r-[0-9a-z]{4,32}$": _root_id,
    r"^o-[a-z0-9]{10,32}$": _organization_id,
    r"^[A-Za-z0-9_+=,.@-]+$": _role_name,
    r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$": _role_arn,
    r"^[a-zA-Z0-9_.-]{1,64}$": _name_chars("a policy name prefix", "letters, digits, '_', '.' and '-'", 64),
    r"^[a-zA-Z][a-zA-Z0-9_]{0,255}$": _name_chars(
        "an Audit Manager framework name", "a letter, then letters, digits and '_'", 256
    ),
    r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$": _name_chars(
        "an S3 bucket name",
        "3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
        63,
    ),
    r"^[A-Za-z0-9_.-]+$": _name_chars("an EventBridge bus name", "letters, digits, '_', '.' and '-'", 256),
    r"^[A-Za-z0-9_-]+$": _name_chars("an SNS topic name", "letters, digits, '_' and '-'", 256),
    r"^[a-zA-Z][a-zA-Z0-9-]{0,127}$": _name_chars("a StackSet name", "a letter, then letters, digits and '-'", 128),
}

_STRING_PATTERNS_EXPECTING_DIGITS = {r"^[0-9]{12}$"}


def _number_instead_of_text(value: int | float, pattern: str | None) -> str:
    if pattern in _STRING_PATTERNS_EXPECTING_DIGITS and isinstance(value, int) and not isinstance(value, bool):
        if len(str(value)) == 12:
            return f'YAML read the account id {value} as a number: quote it ("{value}")'
        return (
            f"YAML read this account id as the number {value} (unquoted, an id loses its leading zeros, and one "
            'that starts with 0 can be read as octal): write its 12 digits in quotes, e.g. "012345678901"'
        )
    return f"must be text, but YAML read {_kind(value)}: quote it"


def _expected(err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    return str(ctx.get("expected", ""))


def plain_message(err: ErrorDetails, *, pattern: str | None = None) -> str:
    """One sentence for one pydantic error; ``pattern`` is the constraint of the field when known."""
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "string_pattern_mismatch" and isinstance(value, str):
        describe = PATTERN_DESCRIPTIONS.get(str(ctx.get("pattern", "")))
        if describe is not None:
            return describe(value)
        return f"{value!r} is not in the expected form"
    if kind == "string_type":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _number_instead_of_text(value, pattern)
        return f"must be text, got {_kind(value)}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"must be a whole number, got {_kind(value)}"
    if kind in ("bool_parsing", "bool_type"):
        return f"must be true or false, got {_kind(value)}"
    if kind == "literal_error":
        choices = _expected(err).replace("' or '", "', '")
        return f"must be one of {choices}; got {_kind(value)}"
    if kind in ("dict_type", "model_type", "model_attributes_type", "mapping_type"):
        return f"must be a mapping (key: value), got {_kind(value)}"
    if kind in ("list_type", "tuple_type", "set_type"):
        return f"must be a list, got {_kind(value)}"
    if kind in ("too_short", "too_long"):
        bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
        actual = ctx.get("actual_length")
        word = "at least" if kind == "too_short" else "at most"
        return f"needs {word} {bound} entr{'y' if bound == 1 else 'ies'}, has {actual}"
    if kind in ("string_too_short", "string_too_long"):
        bound = ctx.get("min_length") if kind == "string_too_short" else ctx.get("max_length")
        word = "at least" if kind == "string_too_short" else "at most"
        length = len(value) if isinstance(value, str) else "?"
        return f"must be {word} {bound} character{'s' if bound != 1 else ''} long, got {length}"
    comparisons = {
        "greater_than_equal": ("ge", ">="),
        "greater_than": ("gt", ">"),
        "less_than_equal": ("le", "<="),
        "less_than": ("lt", "<"),
    }
    if kind in comparisons:
        key, sign = comparisons[kind]
        return f"must be {sign} {ctx.get(key)}, got {value}"
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        return f"must be one of the documented shapes, got {_kind(value)}"
    if kind == "string_unicode":
        return "must be text (UTF-8)"
    if kind in ("float_parsing", "float_type"):
        return f"must be a number, got {_kind(value)}"
    if kind == "frozen_instance":
        return "cannot be changed once loaded"
    # Any other type: pydantic's own words, which at least never show a traceback.
    return f"{err['msg']} (got {_kind(value)})"


def pattern_at(root: Any, loc: tuple[Any, ...]) -> str | None:
    """The pattern that constrains the value at ``loc`` under the model or type ``root``, if any."""
    current: Any = root
    metadata: tuple[Any, ...] = ()
    for part in loc:
        current, metadata = _unwrap(current)
        fields = getattr(current, "model_fields", None)
        if fields is not None:
            if part not in fields:
                return None
            current, metadata = fields[part].annotation, tuple(fields[part].metadata)
            continue
        args = get_args(current)
        origin = get_origin(current)
        if origin in (list, tuple, set) and args:
            current, metadata = args[0], ()
        elif origin is dict and len(args) == 2:
            current, metadata = args[1], ()
        elif args:
            models = [a for a in args if getattr(_unwrap(a)[0], "model_fields", None)]
            if not models:
                return None
            current, metadata = models[0], ()
            fields = _unwrap(current)[0].model_fields
            if part not in fields:
                return None
            current, metadata = fields[part].annotation, tuple(fields[part].metadata)
        else:
            return None
    current, inner = _unwrap(current)
    for meta in (*metadata, *inner):
        pattern = getattr(meta, "pattern", None)
        if isinstance(pattern, str):
            return pattern
    return None


def _unwrap(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    """``Annotated[T, ...]`` as (T, metadata); an optional ``T | None`` as T."""
    metadata: tuple[Any, ...] = ()
    if get_origin(annotation) is Annotated:
        annotation, *rest = get_args(annotation)
        metadata = tuple(rest)
    args = [a for a in get_args(annotation) if a is not type(None)]
    if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
        return _unwrap(args[0])[0], metadata + _unwrap(args[0])[1]
    return annotation, metadata
