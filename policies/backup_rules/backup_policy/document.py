"""Loading a backup policy document: JSON as Organizations reads it (no duplicate keys, no NaN), and its size."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..findings import Finding, join
from ..iam import POLICY_JSON
from ..limits import (
    MAX_BACKUP_POLICY_CHARS,
)

# Rule ids (one home each: the loader, the pack and the tests import them).
DUPLICATE_KEY = "duplicate-key"

DOCUMENT = "policy"


AWS_SYNTAX = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html"
"""The current backup-policy syntax page: element tables ("Required" columns) and examples 1-8."""


AWS_SYNTAX_ARCHIVE = (
    "https://github.com/awsdocs/aws-organizations-docs/blob/main/doc_source/orgs_manage_policies_backup_syntax.md"
)
"""The previous text of the same page, which still says what the current one leaves out about copy_actions keys."""


class _JsonObject(dict[str, Any]):
    """A parsed JSON object that remembers the keys it met twice (Organizations rejects duplicate keys)."""

    duplicates: tuple[str, ...] = ()


def _object_from_pairs(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    seen: set[str] = set()
    duplicates: list[str] = []
    for key, _ in pairs:
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    obj.duplicates = tuple(duplicates)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _load(content: object) -> tuple[Any, list[Finding]]:
    """The parsed document (None when unusable) and the document-level findings: JSON, size, duplicates."""
    if isinstance(content, str):
        text = content
    elif isinstance(content, Mapping):
        try:
            text = json.dumps(content, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain)
        except (TypeError, ValueError, RecursionError) as exc:
            return None, [Finding(DOCUMENT, None, POLICY_JSON, f"content cannot be written as JSON: {exc}")]
    else:
        return None, [
            Finding(DOCUMENT, type(content).__name__, POLICY_JSON, "content must be a JSON string or a mapping")
        ]
    try:
        document = json.loads(text, object_pairs_hook=_object_from_pairs, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        return None, [*_size_findings(text, None), _json_error(text, exc)]
    except (ValueError, RecursionError) as exc:
        return None, [
            *_size_findings(text, None),
            Finding(DOCUMENT, None, POLICY_JSON, f"invalid JSON: {exc}"),
        ]
    return document, [*_size_findings(text, document), *_duplicate_keys(document)]


def _json_error(text: str, exc: json.JSONDecodeError) -> Finding:
    comma = _trailing_comma(text, exc.pos)
    if comma is None:
        message = f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
    else:
        line = text.count("\n", 0, comma) + 1
        column = comma - (text.rfind("\n", 0, comma) + 1) + 1
        message = (
            f"invalid JSON: trailing comma at line {line} column {column} (JSON allows no comma before '}}' or ']')"
        )
    return Finding(DOCUMENT, None, POLICY_JSON, message)


def _trailing_comma(text: str, position: int) -> int | None:
    """Where the comma sits when the parser stopped at a closing bracket right after one."""
    if position >= len(text) or text[position] not in "}]":
        return None
    before = len(text[:position].rstrip()) - 1
    return before if before >= 0 and text[before] == "," else None


def _size_findings(text: str, document: Any) -> list[Finding]:
    if len(text) <= MAX_BACKUP_POLICY_CHARS:
        return []
    message = f"the policy is {len(text)} characters; Organizations allows {MAX_BACKUP_POLICY_CHARS}"
    if document is not None:
        minified = len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))
        if minified <= MAX_BACKUP_POLICY_CHARS:
            message += f" (minified it is {minified}: send it minified, IaC saves exactly what it is given)"
        else:
            message += _size_advice(document)
    return [Finding(DOCUMENT, len(text), "policy-size", message)]


def _minified_plans(plans: Mapping[str, Any]) -> int:
    return len(json.dumps({"plans": dict(plans)}, separators=(",", ":"), ensure_ascii=False))


def _size_advice(document: Any) -> str:
    """Which plans to put in separate policies, only when that helps: a plan that does not fit alone must
    shrink, whatever the grouping (a plan cannot be spread over policies)."""
    plans = document.get("plans") if isinstance(document, Mapping) else None
    if not isinstance(plans, Mapping) or not plans:
        return ""
    sizes = {str(name): _minified_plans({name: node}) for name, node in plans.items()}
    shown = ", ".join(f"{name} {size}" for name, size in sizes.items())
    too_big = [name for name, size in sizes.items() if size > MAX_BACKUP_POLICY_CHARS]
    if too_big:
        return (
            f"; plan sizes minified: {shown}; {', '.join(too_big)} alone exceeds the limit, so separating plans "
            "cannot help: shrink it (fewer rules, copy actions, Regions, selections or tags)"
        )
    groups: list[dict[str, Any]] = []
    for name in sorted(plans, key=lambda n: -sizes[str(n)]):
        fit = next((g for g in groups if _minified_plans({**g, name: plans[name]}) <= MAX_BACKUP_POLICY_CHARS), None)
        if fit is None:
            groups.append({name: plans[name]})
        else:
            fit[name] = plans[name]
    split = " | ".join(", ".join(group) for group in groups)
    return f"; plan sizes minified: {shown}; separate them into {len(groups)} policies, e.g. {split}"


def _duplicate_keys(document: Any) -> list[Finding]:
    """Walk the whole tree without recursion: a parsed document may nest deeper than the call stack allows."""
    out: list[Finding] = []
    pending: list[tuple[str, Any]] = [("", document)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, _JsonObject):
            out.extend(
                Finding(
                    join(path, key),
                    key,
                    DUPLICATE_KEY,
                    f"key {key!r} appears more than once; Organizations rejects duplicate keys",
                )
                for key in node.duplicates
            )
        if isinstance(node, dict):
            pending.extend((join(path, key), value) for key, value in reversed(node.items()))
        elif isinstance(node, list):
            pending.extend((join(path, index), value) for index, value in reversed(list(enumerate(node))))
    return out
