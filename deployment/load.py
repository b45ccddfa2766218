"""The loader's entry points: a stack's configuration, checked whole, including the documents it deploys.

``stackconfig`` reads and judges what the user wrote; some mistakes only show in what the program would
deploy from it (a guardrail SCP over AWS's size limit), so those checks are built here, above both
``stackconfig`` and the document builders, and handed to ``stackconfig.load.validate``. Every caller (the
Pulumi program, the offline preview, the operations commands, tests) loads through these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stackconfig.checks import DocumentCheck
from stackconfig.load import LoadedConfig, read_stack_file, sections_from_pulumi_config, validate

from .guardrail_checks import check_guardrail

DOCUMENT_CHECKS: tuple[DocumentCheck, ...] = (check_guardrail,)


def load_config(raw: Mapping[str, Any]) -> LoadedConfig:
    """Validate the raw sections (plain JSON-like values) and return the model, or raise ``ConfigError``."""
    return validate(raw, document_checks=DOCUMENT_CHECKS)


def config_from_pulumi() -> LoadedConfig:
    """Read every ``org-backup:*`` key the engine passed to this program."""
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return load_config(sections_from_pulumi_config(values))


def config_from_stack_file(path: Path) -> LoadedConfig:
    return load_config(sections_from_pulumi_config(read_stack_file(path)))
