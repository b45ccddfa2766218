"""What changed in the files a stack reads, between the base of ``preview --base`` and now: the stack file's
config (key by key, a map entry added, removed or renamed whole as one change) and the inventory file (accounts
and OUs added, removed, moved, renamed or whose status changed). The preview names these as the causes of what
the change does to resources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from org_backup.preview.offline import PROJECT
from stackconfig.inventory import InventoryAccount, load_yaml

ACTIVE = InventoryAccount.model_fields["status"].default


@dataclass(frozen=True)
class ConfigChange:
    """A stack-file change: a key whose value changed, or a map entry added, removed or renamed whole (one line
    for ``plans.weekly removed``, not one per key beneath it)."""

    key: str
    kind: Literal["changed", "added", "removed", "renamed"] = "changed"
    renamed_to: str | None = None

    def __str__(self) -> str:
        if self.kind == "changed":
            return self.key
        if self.kind == "renamed":
            return f"{self.key} renamed to {self.renamed_to}"
        return f"{self.key} {self.kind}"

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.key,) if self.renamed_to is None else (self.key, self.renamed_to)

    @property
    def current_key(self) -> str:
        """The key as the current stack file has it (a removed one: the key, whose parent is still there)."""
        return self.renamed_to or self.key


@dataclass(frozen=True)
class InventoryChange:
    """An account or OU of the inventory file that was added, removed, moved or changed status since the base;
    ``accounts`` are the accounts it concerns (an OU's: every account under it, before and after)."""

    text: str
    node: str
    accounts: tuple[str, ...]

    def __str__(self) -> str:
        return self.text


def flatten(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Stack-file config as dotted keys (``vaults.member.name``), namespace removed; lists are values."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        name = str(key).removeprefix(f"{PROJECT}:")
        path = f"{prefix}.{name}" if prefix else name
        if isinstance(value, Mapping) and value:
            out.update(flatten(value, path))
        else:
            out[path] = value
    return out


def _entries(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every key of the stack-file config at every depth (``plans``, ``plans.weekly``, ...), namespace removed."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}.{str(key).removeprefix(f'{PROJECT}:')}" if prefix else str(key).removeprefix(f"{PROJECT}:")
        out[path] = value
        if isinstance(value, Mapping):
            out.update(_entries(value, path))
    return out


def _parent(path: str) -> str | None:
    return path.rpartition(".")[0] or None


def _whole(entries: Mapping[str, Any], others: Mapping[str, Any]) -> list[str]:
    """Keys of ``entries`` missing from ``others`` whose parent map is in both: the roots of what went (or came)."""
    return sorted(
        k
        for k in entries
        if k not in others and ((parent := _parent(k)) is None or isinstance(others.get(parent), Mapping))
    )


def config_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[ConfigChange]:
    """Changed keys; a map entry added or removed whole is one change, and a removed entry whose value an added
    sibling has unchanged is a rename."""
    before, after = _entries(old), _entries(new)
    out = [
        ConfigChange(k)
        for k in set(before) & set(after)
        if before[k] != after[k] and not (isinstance(before[k], Mapping) and isinstance(after[k], Mapping))
    ]
    added = _whole(after, before)
    for key in _whole(before, after):
        twin = next((a for a in added if _parent(a) == _parent(key) and after[a] == before[key]), None)
        if twin is not None:
            added.remove(twin)
            out.append(ConfigChange(key, "renamed", twin))
        else:
            out.append(ConfigChange(key, "removed"))
    out += [ConfigChange(k, "added") for k in added]
    return sorted(out, key=lambda c: c.keys)


def _label(node: Any, names: Mapping[str, str]) -> str:
    """An OU or root id with its name, as the preview labels accounts."""
    return f"{node} ({names[node]})" if isinstance(node, str) and node in names else str(node)


def _nodes(inventory: Mapping[str, Any] | None, kind: str) -> dict[str, Mapping[str, Any]]:
    rows = (inventory or {}).get(kind) or []
    return {str(r["id"]): r for r in rows if isinstance(r, Mapping) and "id" in r}


def _under(ou: str, accounts: Mapping[str, Mapping[str, Any]], ous: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """The accounts below ``ou``, at any depth."""
    out = set()
    for account, row in accounts.items():
        parent, seen = row.get("parent_id"), set()
        while parent is not None and parent not in seen:
            if parent == ou:
                out.add(account)
                break
            seen.add(parent)
            parent = (ous.get(str(parent)) or {}).get("parent_id")
    return out


def inventory_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[InventoryChange]:
    """Accounts and OUs of the inventory file added, removed, moved, renamed or whose status changed."""
    if old is None or new is None:
        return []
    before_ous, after_ous = _nodes(old, "organizational_units"), _nodes(new, "organizational_units")
    before, after = _nodes(old, "accounts"), _nodes(new, "accounts")
    names = {k: str(v.get("name")) for k, v in [*before_ous.items(), *after_ous.items()]}
    out = []
    for kind, old_rows, new_rows in (("OU", before_ous, after_ous), ("account", before, after)):
        for node in sorted(set(old_rows) | set(new_rows)):
            was, now = old_rows.get(node), new_rows.get(node)
            row = now or was or {}
            head = f"inventory: {kind} {node} ({row.get('name')})"
            if was is None:
                text = f"{head} added in {_label(row.get('parent_id'), names)}"
            elif now is None:
                text = f"{head} removed from {_label(row.get('parent_id'), names)}"
            else:
                parts = [
                    f"moved from {_label(was.get('parent_id'), names)} to {_label(now.get('parent_id'), names)}"
                    if was.get("parent_id") != now.get("parent_id")
                    else "",
                    f"renamed from {was.get('name')}" if was.get("name") != now.get("name") else "",
                    f"status {was.get('status', ACTIVE)} -> {now.get('status', ACTIVE)}"
                    if was.get("status", ACTIVE) != now.get("status", ACTIVE)
                    else "",
                ]
                if not any(parts):
                    continue
                text = f"{head} {'; '.join(p for p in parts if p)}"
            accounts = (
                {node} if kind == "account" else _under(node, before, before_ous) | _under(node, after, after_ous)
            )
            out.append(InventoryChange(text, node, tuple(sorted(accounts))))
    return out


def read_inventory(path: Path) -> Mapping[str, Any] | None:
    """An inventory file as plain data, or None when there is none or it cannot be read (the preview that
    reads it reports why); read loosely, since a base may predate the current schema."""
    try:
        document = load_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return None
    return document if isinstance(document, Mapping) else None
