"""Bad input never crashes the program: under mocks it deploys, or it ends with the configuration report.

Each example is a mutated committed stack file (see ``fuzzing.py``), read as the offline preview reads it and
run as ``__main__.py`` under Pulumi's mock engine. Mutations here favour values of the right shape, so most
examples get past the loader into the components and the policy-document builders, where a value the
loader let through but a builder refuses would surface as an exception. The only allowed failure is
``pulumi.RunError`` carrying the report. A run costs 0.1 s (staging) to 1.5 s (prod), hence the smaller
example counts; the loader fuzzers cover the cheap paths with many more.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pulumi
import pytest
from hypothesis import event, given

from org_backup.preview.offline import ProgramRun, run_program
from stackconfig.load import ConfigError, read_stack_file
from tests.hardening.fuzzing import fuzz_settings, stack_config, stack_file_texts

REPORT_HEADER = "org-backup: the configuration has"


def run_or_report(config: dict[str, Any], stack: str) -> ProgramRun | None:
    """The run, or None when the program ended with the configuration report (and nothing else)."""
    try:
        return run_program(config, stack=stack)
    except pulumi.RunError as exc:
        assert str(exc).startswith(REPORT_HEADER), str(exc)
        assert "Traceback" not in str(exc)
        return None


def _read(text: str) -> dict[str, Any] | None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "Pulumi.fuzz.yaml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            return read_stack_file(path)
        except ConfigError:
            return None


@fuzz_settings(ci=90, fuzz=1_500)
@given(stack_file_texts(max_mutations=2, structural=False, stacks=("staging", "staging", "staging", "prod")))
def test_mutated_stacks_deploy_or_report(case: tuple[str, str]) -> None:
    stack, text = case
    config = _read(text)
    if config is None:
        event("stack file reported")
        return
    event(f"{stack}: {'deployed' if run_or_report(config, stack) else 'reported'}")


# ------------------------------------------------------------------------------ fixed regressions


def _prod(section: str, **changes: Any) -> dict[str, Any]:
    config = stack_config("prod")
    config[f"org-backup:{section}"] = {**copy.deepcopy(config.get(f"org-backup:{section}") or {}), **changes}
    return config


@pytest.mark.parametrize(
    ("section", "changes"),
    [
        (
            "vaults",
            {
                "central": {
                    **stack_config("prod")["org-backup:vaults"]["central"],
                    "allowed_organization_paths": ["abc"],
                }
            },
        ),
        ("audit", {"report_bucket_name": "a..b"}),
        ("accounts", {"inventory_file": "inventory/{stak}.yaml"}),
        ("accounts", {"inventory_file": "inventory/{stack.x}.yaml"}),
        ("plans", {}),
    ],
    ids=["organization path", "bucket name", "unknown placeholder", "attribute placeholder", "no plans"],
)
def test_values_the_builders_refuse_end_in_the_report(section: str, changes: dict[str, Any]) -> None:
    """Found by fuzzing: each raised ValueError/KeyError/AttributeError/ValidationError from inside the program."""
    config = _prod(section, **changes)
    if section == "plans":
        config["org-backup:plans"] = {}
    assert run_or_report(config, "prod") is None
