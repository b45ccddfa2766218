"""Fixtures of the loader's tests (tests/stackconfig, tests/deployment): the prod stack as raw sections."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployment.load import load_config
from stackconfig.load import ConfigError, read_stack_file, sections_from_pulumi_config

PROJECT_DIR = Path(__file__).resolve().parents[1]


@pytest.fixture
def prod_raw() -> dict[str, Any]:
    """The prod stack's sections as plain data, fresh for each test to mutate."""
    return copy.deepcopy(sections_from_pulumi_config(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")))


@pytest.fixture
def rejected() -> Callable[[dict[str, Any]], ConfigError]:
    def run(raw: dict[str, Any]) -> ConfigError:
        with pytest.raises(ConfigError) as info:
            load_config(raw)
        return info.value

    return run
