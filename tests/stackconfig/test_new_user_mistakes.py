"""Issue 10, tried as a new user would: each realistic mistake in the prod and staging stack files
(``tests.stackconfig.new_user_mistakes.MISTAKES``) fails with exactly one error, at the path to change, saying the
rule in plain words.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.stackconfig.mistake_edits import PROJECT_DIR, Mistake, preview, put, sub
from tests.stackconfig.new_user_mistakes import MISTAKES


def test_the_stacks_themselves_load(tmp_path: Path) -> None:
    for stack in ("prod", "staging"):
        assert preview(Mistake(stack, lambda text, _: text, 0, "", "", stack), tmp_path).exit != 2


def test_mistake_ids_are_unique() -> None:
    assert len({m.id for m in MISTAKES}) == len(MISTAKES) >= 40


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.id for m in MISTAKES])
def test_one_clear_error_at_the_path_to_change(mistake: Mistake, tmp_path: Path) -> None:
    outcome = preview(mistake, tmp_path)
    assert outcome.exit == mistake.exit, outcome.text
    assert "Traceback" not in outcome.text
    if mistake.policy is None:
        assert len(outcome.errors) == 1, outcome.errors
    assert {path for path, _ in outcome.errors} == {mistake.path}, outcome.errors
    for _, message in outcome.errors:
        assert mistake.phrase in message, message


def test_a_misspelt_region_hides_the_copy_findings_it_causes() -> None:
    """CONSEQUENCES: the DR-same-Region advice measured against a misspelt workload Region is not repeated."""
    from deployment.load import load_config
    from stackconfig.load import ConfigError, read_stack_file, sections_from_pulumi_config

    raw = sections_from_pulumi_config(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml"))
    raw["organization"]["workload_regions"] = ["us-east-1", "eu-west-1", "us-west2"]
    raw["plans"]["weekly"]["regions"] = ["us-west-2"]
    with pytest.raises(ConfigError) as info:
        load_config(raw)
    assert [(f.path, f.rule) for f in info.value.findings] == [("organization.workload_regions[2]", "region-unknown")]


def test_a_rule_mistake_and_an_unknown_ou_are_reported_together(tmp_path: Path) -> None:
    """All at once: a start window too short (a rule) and a mistyped OU id (the organization) in one report,
    not the OU only after the window is fixed."""
    both = Mistake(
        "window-and-ou",
        lambda text, where: sub("ou-ab12-22222222", "ou-ab12-22222229")(
            put("plans", "daily", "rules", "daily", "start_window_minutes", 30)(text, where), where
        ),
        2,
        "",
        "",
    )
    outcome = preview(both, tmp_path)
    assert outcome.exit == 2
    paths = {path for path, _ in outcome.errors}
    assert "plans.daily.rules.daily.start_window_minutes" in paths
    assert any((path or "").startswith("targets.organizational_units") for path in paths), outcome.errors
