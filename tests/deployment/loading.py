"""The loader and the layout run together, as the program and the preview run them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deployment.layout import build_layout
from deployment.load import load_config
from stackconfig.inventory import OrgTree, load_inventory
from stackconfig.load import ConfigError

PROJECT_DIR = Path(__file__).resolve().parents[2]


def findings(raw: dict[str, Any]) -> list[Any]:
    """Every finding of the loader and, when it passes, of the layout (the organization-aware phase)."""
    try:
        loaded = load_config(raw)
    except ConfigError as exc:
        return exc.findings
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory" / "prod.yaml"))
    try:
        build_layout(loaded.config, tree)
    except ConfigError as exc:
        return loaded.warnings + exc.findings
    return loaded.warnings


def at(found: list[Any], path: str, rule: str) -> list[Any]:
    return [f for f in found if f.path == path and f.rule == rule]
