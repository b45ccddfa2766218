"""The effective backup policy of an account from the policies attached above it, as Organizations computes it.

moto 5.2.5 has no ``DescribeEffectivePolicy``; the stand-in answers it from the backup policies really attached
in moto (root first, then each OU down the path, then the account) merged with the inheritance operators:
``@@assign`` overwrites, ``@@append`` adds to an inherited list, ``@@remove`` takes from it, and
``@@operators_allowed_for_child_policies`` limits what the policies below may do at that node and under it; the
effective policy shows the resolved values without operators
(https://docs.aws.amazon.com/organizations/latest/userguide/policy-operators.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html).
The operator names are the pack's (``policies.backup_rules.backup_policy.operators``). Where AWS does not say
what happens to a change a parent forbids, the change is dropped (the parent's value stands: the safe side).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from policies.backup_rules.backup_policy.operators import (
    ALL,
    APPEND,
    ASSIGN,
    CHILD_OPERATORS,
    REMOVE,
    VALUE_OPERATORS,
)

__all__ = ["effective_content", "merge_policies"]

_EVERY = frozenset(VALUE_OPERATORS)

Path = tuple[str, ...]


def _allowed(control: Any) -> frozenset[str]:
    values = [control] if isinstance(control, str) else list(control or [])
    if ALL in values:
        return _EVERY
    return frozenset(v for v in values if v in _EVERY)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


class _Merged:
    """The policy being built, in policy syntax (leaves as ``@@assign``), and the child controls per path."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}
        self.controls: dict[Path, frozenset[str]] = {}

    def allowed(self, path: Path) -> frozenset[str]:
        """What a child may do at ``path``: every control on it or above it narrows it."""
        out = _EVERY
        for depth in range(len(path) + 1):
            out &= self.controls.get(path[:depth], _EVERY)
        return out

    def merge(self, node: Mapping[str, Any], into: dict[str, Any], path: Path) -> None:
        for key, value in node.items():
            if key == CHILD_OPERATORS:
                continue
            here = (*path, key)
            if not isinstance(value, Mapping):
                continue
            if any(operator in value for operator in VALUE_OPERATORS):
                self._leaf(value, into, key, here)
            else:
                if key not in into and ASSIGN not in self.allowed(path):
                    continue
                child = into.setdefault(key, {})
                if isinstance(child, dict) and ASSIGN not in child:
                    self.merge(value, child, here)
            if CHILD_OPERATORS in value:
                self.controls[here] = self.controls.get(here, _EVERY) & _allowed(value[CHILD_OPERATORS])

    def _leaf(self, value: Mapping[str, Any], into: dict[str, Any], key: str, here: Path) -> None:
        allowed = self.allowed(here)
        current = into.get(key, {}).get(ASSIGN) if isinstance(into.get(key), dict) else None
        if ASSIGN in value and ASSIGN in allowed:
            current = value[ASSIGN]
        if APPEND in value and APPEND in allowed:
            current = [
                *_as_list(current or []),
                *(v for v in _as_list(value[APPEND]) if v not in _as_list(current or [])),
            ]
        if REMOVE in value and REMOVE in allowed and current is not None:
            removed = _as_list(value[REMOVE])
            current = [v for v in _as_list(current) if v not in removed]
        if current is not None:
            into[key] = {ASSIGN: current}


def _resolved(node: Any) -> Any:
    if isinstance(node, dict):
        if ASSIGN in node:
            return node[ASSIGN]
        return {key: _resolved(value) for key, value in node.items()}
    return node


def merge_policies(documents: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The effective policy of the documents in inheritance order (root first, the account's own last)."""
    merged = _Merged()
    for document in documents:
        merged.merge(document, merged.tree, ())
    return dict(_resolved(merged.tree))


def effective_content(contents: Iterable[str]) -> str | None:
    """``PolicyContent`` as ``DescribeEffectivePolicy`` returns it; None when no policy applies (AWS then
    answers ``EffectivePolicyNotFoundException``)."""
    documents = [json.loads(content) for content in contents]
    if not documents:
        return None
    return json.dumps(merge_policies(documents))
