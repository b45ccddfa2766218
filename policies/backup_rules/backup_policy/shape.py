"""The shape pass: the document against the documented key tree (inheritance operators, unknown keys, list
versus single-value settings), before any value is read.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..arns import ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER
from ..findings import Finding, join
from .keytree import OBJECT_EXPECTED, REQUIRED_KEY, UNKNOWN_KEY, _Block, _Named, _Node, _Setting
from .operators import ALL, ASSIGN, CHILD_OPERATOR_VALUES, CHILD_OPERATORS, NONE, OPERATOR_PREFIX, VALUE_OPERATORS
from .values import _is_scalar

_CAMEL_BOUNDARY_RE = re.compile(r"(?<!^)(?=[A-Z])")


def _check_shape(node: Any, schema: _Node, path: str) -> list[Finding]:
    """Check one node against the documented key tree, then its children."""
    if isinstance(schema, _Setting):
        return _check_setting(node, schema, path)
    if not isinstance(node, Mapping):
        return [
            Finding(
                path,
                node,
                schema.type_rule if isinstance(schema, _Named) else OBJECT_EXPECTED,
                f"must be a JSON object{schema.type_hint if isinstance(schema, _Named) else ''}, "
                f"not {_json_type(node)}",
            )
        ]
    out = _check_block_operators(node, schema.what, path)
    if not node:
        out.append(Finding(path, node, "empty-object", "empty object: leave it out", "warning"))
    if isinstance(schema, _Block):
        out += _check_block(node, schema, path)
    else:
        out += _check_named(node, schema, path)
    return out


def _check_block(node: Mapping[str, Any], schema: _Block, path: str) -> list[Finding]:
    out: list[Finding] = []
    for key, value in node.items():
        if key.startswith(OPERATOR_PREFIX):
            continue
        child = schema.fields.get(key)
        if child is None:
            out.append(_unknown_key(join(path, key), key, [*schema.fields, CHILD_OPERATORS], schema))
        else:
            out += _check_shape(value, child, join(path, key))
    out.extend(_missing_key(path, key, schema) for key in sorted(schema.required) if key not in node)
    return out


def _missing_key(path: str, key: str, schema: _Block) -> Finding:
    """AWS lists the plan, rule and selection keys as required *in the effective policy* (AWS_SYNTAX, "Required"
    columns) and documents child policies that omit them because a parent supplies them (AWS_SYNTAX example 5,
    child policy): one document alone can only be warned about."""
    if not schema.inheritable:
        return Finding(join(path, key), None, REQUIRED_KEY, f"a {schema.what} needs {key}")
    return Finding(
        join(path, key),
        None,
        REQUIRED_KEY,
        f"a {schema.what} needs {key} in the effective policy: unless a parent policy supplies it, the plan "
        "is invalid and backs up nothing",
        "warning",
    )


def _check_named(node: Mapping[str, Any], schema: _Named, path: str) -> list[Finding]:
    out: list[Finding] = []
    for key, value in node.items():
        if key.startswith(OPERATOR_PREFIX):
            continue
        if schema.name_pattern is not None and not schema.name_pattern.match(key):
            out.append(
                Finding(
                    join(path, key),
                    key,
                    "name-pattern",
                    f"{schema.what} name {key!r} must match {schema.name_pattern.pattern}",
                )
            )
        out += _check_shape(value, schema.item, join(path, key))
    return out


def _check_block_operators(node: Mapping[str, Any], what: str, path: str) -> list[Finding]:
    """Operator keys on an object that holds settings: only the child-control operator belongs there."""
    out: list[Finding] = []
    for key, value in node.items():
        if not key.startswith(OPERATOR_PREFIX):
            continue
        if key == CHILD_OPERATORS:
            out += _check_child_operators(value, join(path, key))
        elif key in VALUE_OPERATORS:
            out.append(
                Finding(
                    join(path, key),
                    value,
                    "leaf-operator",
                    f"{key} sets one setting's value, but this {what} holds settings: put operators on its leaves",
                )
            )
        else:
            out.append(
                Finding(
                    join(path, key),
                    key,
                    UNKNOWN_KEY,
                    f"unknown operator {key!r}{_suggest(key, [*VALUE_OPERATORS, CHILD_OPERATORS])}",
                )
            )
    return out


def _check_setting(node: Any, schema: _Setting, path: str) -> list[Finding]:
    example = '["value"]' if schema.is_list else '"value"'
    if not isinstance(node, Mapping):
        return [
            Finding(
                path,
                node,
                "leaf-operator",
                f'a setting\'s value must sit under an inheritance operator, e.g. {{"{ASSIGN}": {example}}}',
            )
        ]
    out: list[Finding] = []
    if not node:
        out.append(Finding(path, node, "empty-object", "empty setting: give it a value or leave it out", "warning"))
    for key, value in node.items():
        if key == CHILD_OPERATORS:
            out += _check_child_operators(value, join(path, key))
        elif key in VALUE_OPERATORS:
            out += _check_operator_value(key, value, schema, path)
        else:
            out.append(
                Finding(
                    join(path, key),
                    key,
                    UNKNOWN_KEY,
                    f'{key!r} is not an inheritance operator; write e.g. {{"{ASSIGN}": {example}}}'
                    f"{_suggest(key, [*VALUE_OPERATORS, CHILD_OPERATORS])}",
                )
            )
    return out


def _check_operator_value(operator: str, value: Any, schema: _Setting, path: str) -> list[Finding]:
    if operator != ASSIGN and not schema.is_list:
        return [
            Finding(
                path,
                operator,
                "list-operator",
                f"{operator} only works on list settings; this setting holds one value: use {ASSIGN}",
            )
        ]
    if schema.is_list:
        if not isinstance(value, list) or not all(_is_scalar(item) for item in value):
            return [
                Finding(
                    path,
                    value,
                    "leaf-value-type",
                    f'this is a list setting: write {operator} as ["value", ...]',
                )
            ]
        values = value
    else:
        if not _is_scalar(value):
            return [Finding(path, value, "leaf-value-type", f"holds one value (a string), not {_json_type(value)}")]
        values = [value]
    if schema.holds_arn:
        return []
    return [
        Finding(
            path,
            item,
            "placeholder-outside-arn",
            f"{placeholder} is only substituted inside ARN values (vault and role ARNs), not in this setting",
        )
        for item in values
        if isinstance(item, str)
        for placeholder in (ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER)
        if placeholder in item
    ]


def _check_child_operators(value: Any, path: str) -> list[Finding]:
    allowed = ", ".join(sorted(CHILD_OPERATOR_VALUES))
    if not isinstance(value, list) or not value or not all(isinstance(item, str) for item in value):
        return [Finding(path, value, "child-operators", f"{CHILD_OPERATORS} takes a non-empty list from {allowed}")]
    out = [
        Finding(
            path,
            item,
            "child-operators",
            f"{item!r} is not a child-policy operator{_suggest(item, CHILD_OPERATOR_VALUES)}",
        )
        for item in value
        if item not in CHILD_OPERATOR_VALUES
    ]
    exclusive = [item for item in value if item in (ALL, NONE)]
    if exclusive and len(value) > 1:
        out.append(Finding(path, value, "child-operators", f"{exclusive[0]} must stand alone in {CHILD_OPERATORS}"))
    return out


def _unknown_key(path: str, key: str, known: Iterable[str], schema: _Block) -> Finding:
    return Finding(path, key, schema.unknown_rule, f"unknown key {key!r} in {schema.what}{_suggest(key, known)}")


def _suggest(word: str, known: Iterable[str]) -> str:
    """A difflib hint, also trying the snake_case form so ``StringEquals`` finds ``string_equals``."""
    candidates = sorted(known)
    snake = _CAMEL_BOUNDARY_RE.sub("_", word).lower()
    for attempt in (word, snake, word.lower()):
        close = difflib.get_close_matches(attempt, candidates, n=1, cutoff=0.6)
        if close:
            return f"; did you mean {close[0]!r}?"
    return f"; expected one of {', '.join(candidates)}"


def _json_type(value: Any) -> str:
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"{type(value).__name__} {value!r}"
