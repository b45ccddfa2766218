"""How a new user's mistake is made and tried: one edit of ``Pulumi.prod.yaml`` or ``Pulumi.staging.yaml``, run
through the offline preview (``org_backup.preview.command.build_preview``, what ``make preview`` runs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from org_backup.preview.command import build_preview, default_policy_config, render
from org_backup.preview.model import ConfigProblem
from policies.backup_rules.findings import errors
from stackconfig.load import StackFileLoader

PROJECT_DIR = Path(__file__).resolve().parents[2]
Edit = Callable[[str, Path], str]


@dataclass(frozen=True)
class Mistake:
    id: str
    edit: Edit
    exit: int
    path: str
    phrase: str
    stack: str = "prod"
    # For a pack-layer mistake (exit 1): the rule that must catch it. The pack reports it on each resource
    # (one per copying plan), all at the one config path to change.
    policy: str | None = None


def sub(old: str, new: str) -> Edit:
    """Replace one exact piece of the stack file's text (the way a user edits it)."""

    def edit(text: str, _: Path) -> str:
        assert text.count(old) == 1, f"{old!r} must occur once in the stack file"
        return text.replace(old, new)

    return edit


def data(change: Callable[[dict[str, Any]], object]) -> Edit:
    """Change the parsed ``config:`` mapping (keys without the ``org-backup:`` prefix) and write it back."""

    def edit(text: str, _: Path) -> str:
        doc = yaml.load(text, Loader=StackFileLoader)
        sections = {k.removeprefix("org-backup:"): v for k, v in doc["config"].items()}
        change(sections)
        doc["config"] = {k if ":" in k else f"org-backup:{k}": v for k, v in sections.items()}
        return yaml.safe_dump(doc, sort_keys=False)

    return edit


def put(*path_and_value: Any) -> Edit:
    *path, value = path_and_value

    def change(sections: dict[str, Any]) -> None:
        node: Any = sections
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return data(change)


def delete(*path: Any) -> Edit:
    def change(sections: dict[str, Any]) -> None:
        node: Any = sections
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return data(change)


def rename(*path_and_new: Any) -> Edit:
    *path, new = path_and_new

    def change(sections: dict[str, Any]) -> None:
        node: Any = sections
        for part in path[:-1]:
            node = node[part]
        node[new] = node.pop(path[-1])

    return data(change)


def inventory(text: str) -> Edit:
    """Point the stack at an inventory file with ``text`` (written next to the stack file)."""

    def edit(stack_text: str, where: Path) -> str:
        (where / "inventory.yaml").write_text(text, encoding="utf-8")
        return stack_text.replace("inventory_file: inventory/{stack}.yaml", f"inventory_file: {where}/inventory.yaml")

    return edit


@dataclass(frozen=True)
class Outcome:
    exit: int
    errors: list[tuple[str | None, str]]
    text: str


def preview(mistake: Mistake, where: Path) -> Outcome:
    original = (PROJECT_DIR / f"Pulumi.{mistake.stack}.yaml").read_text(encoding="utf-8")
    stack_file = where / f"Pulumi.{mistake.stack}.yaml"
    stack_file.write_text(mistake.edit(original, where), encoding="utf-8")
    result = build_preview(mistake.stack, stack_file, default_policy_config(mistake.stack))
    text = render(result, "text")
    if isinstance(result, ConfigProblem):
        return Outcome(2, [(f.path, f"{f.path}: {f.message}") for f in errors(result.findings)], text)
    found = [
        (v.path or None, f"{v.path}: {v.message}")
        for v in result.violations
        if v.mandatory and v.rule == mistake.policy
    ]
    return Outcome(result.exit_code, found, text)
