from __future__ import annotations

import pytest

from org_backup.preview.offline import ProgramRun, load_stack_config, run_program


@pytest.fixture(scope="session")
def prod_run() -> ProgramRun:
    """The whole prod stack under Pulumi's mock engine, once per test session."""
    return run_program(load_stack_config("prod"), stack="prod")


@pytest.fixture(scope="session")
def staging_run() -> ProgramRun:
    return run_program(load_stack_config("staging"), stack="staging")
