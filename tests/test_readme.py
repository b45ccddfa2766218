"""The README documents the pack from the rules' own metadata: regenerate with `python -m dev.rules_doc`."""

from __future__ import annotations

from pathlib import Path

from dev.rules_doc import rules_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_rules_table_matches_the_pack():
    assert rules_table() in README.read_text(encoding="utf-8"), "run `python -m dev.rules_doc` and paste its output"
