"""Reading values from a document whose settings sit under inheritance operators (``@@assign`` ...), and the
count limit helper every pass uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from ..findings import Finding, join
from .operators import APPEND, ASSIGN, OPERATOR_PREFIX, VALUE_OPERATORS

_T = TypeVar("_T")


_INTEGER_RE = re.compile(r"^\s*-?\d{1,18}\s*$")


def _is_scalar(value: Any) -> bool:
    """Strings, and the bare numbers/booleans Organizations also stores as-is (corpus README evidence)."""
    return isinstance(value, str | int | float | bool)


def _child(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, Mapping) else None


def _children(node: Any) -> list[tuple[str, Any]]:
    """Named entries of an object, without operator keys."""
    if not isinstance(node, Mapping):
        return []
    return [(key, value) for key, value in node.items() if isinstance(key, str) and not key.startswith(OPERATOR_PREFIX)]


def _setting_value(node: Any) -> Any:
    """What one policy contributes to a setting: its ``@@assign``, else its ``@@append``."""
    if isinstance(node, Mapping):
        for operator in (ASSIGN, APPEND):
            if operator in node:
                return node[operator]
    return None


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    return None


def _text(node: Any) -> str | None:
    return _as_text(_setting_value(node))


def _texts(node: Any) -> tuple[str, ...]:
    value = _setting_value(node)
    items = value if isinstance(value, list) else []
    return tuple(text for text in (_as_text(item) for item in items) if text is not None)


def _all_operator_texts(node: Any) -> list[str]:
    """Every string a list setting names, under any value operator (``@@remove`` values must be valid too)."""
    if not isinstance(node, Mapping):
        return []
    return [
        item
        for operator in VALUE_OPERATORS
        if isinstance(node.get(operator), list)
        for item in node[operator]
        if isinstance(item, str)
    ]


def _to_int(value: Any) -> int | None:
    """Numbers may be written bare or quoted; booleans and fractions are not numbers here."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and _INTEGER_RE.match(value):
        return int(value)
    return None


def _to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def _read_setting(
    block: Any, key: str, path: str, out: list[Finding], convert: Callable[[Any], _T | None], rule: str, expected: str
) -> _T | None:
    """The value of setting ``key`` of ``block`` through ``convert``; a scalar it cannot convert is a finding."""
    value = _setting_value(_child(block, key))
    converted = convert(value)
    if converted is None and _is_scalar(value):
        out.append(Finding(join(path, key), value, rule, f"{key} must be {expected}, got {value!r}"))
    return converted


def _read_int(block: Any, key: str, path: str, out: list[Finding]) -> int | None:
    return _read_setting(block, key, path, out, _to_int, "number-value", "a whole number")


def _read_bool(block: Any, key: str, path: str, out: list[Finding]) -> bool | None:
    return _read_setting(block, key, path, out, _to_bool, "boolean-value", "true or false")


def _too_many(path: str, count: int, limit: int, rule: str, what: str) -> list[Finding]:
    """The count quotas of §1.8 (rules, copy actions, tags, selections, conditions)."""
    if count <= limit:
        return []
    return [Finding(path, count, rule, f"{count} {what}; AWS allows at most {limit}")]
