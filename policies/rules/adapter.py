"""The one place that turns what the policy engine hands a rule into plain Python values.

The engine wraps props in proxies that raise ``UnknownValueError`` on any unknown value, and the SDK turns
that error into an advisory "can't run during preview" note, so a mandatory rule would silently stop being
mandatory whenever an ARN is not known yet. Rules never touch proxies: ``plain()`` copies props into dicts and
lists, replacing unknowns with ``UNKNOWN``, and each rule decides explicitly what an unknown means (most
mandatory rules fail closed and say which property was unknown).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import proxy

UNKNOWN_SENTINELS = frozenset(
    {
        proxy.UNKNOWN_STRING_VALUE,
        proxy.UNKNOWN_NUMBER_VALUE,
        proxy.UNKNOWN_BOOLEAN_VALUE,
        proxy.UNKNOWN_ARRAY_VALUE,
        proxy.UNKNOWN_OBJECT_VALUE,
        proxy.UNKNOWN_ASSET_VALUE,
        proxy.UNKNOWN_ARCHIVE_VALUE,
    }
)


class _Unknown:
    """A value the engine does not know yet (a preview of a resource not created)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown>"

    def __bool__(self) -> bool:
        return False


UNKNOWN: Any = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def not_known(prop: str, what: str) -> str:
    """The violation a fail-closed rule reports when ``prop`` is unknown, so a preview never passes silently."""
    return f"{prop} is not known during preview, so {what} could not be verified; it is treated as a violation"


def plain(value: Any) -> Any:
    """A deep, proxy-free copy; unknown values become ``UNKNOWN``. Never raises on engine values."""
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value.keys()):
            try:
                item = value[key]
            except proxy.UnknownValueError:
                item = UNKNOWN
            out[str(key)] = plain(item)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        items: list[Any] = []
        for i in range(len(value)):
            try:
                item = value[i]
            except proxy.UnknownValueError:
                item = UNKNOWN
            items.append(plain(item))
        return items
    return value


def json_value(value: Any) -> Any:
    """Provider inputs and policy documents may arrive as JSON strings; decode those, keep the rest."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, ValueError):
            return value
    return value


def as_int(value: Any) -> int | None:
    """Numbers arrive as floats (7.0) or, in hand-written documents, as strings."""
    if isinstance(value, bool) or value is None or is_unknown(value):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None
