"""The loader's entry points: a stack's configuration, checked whole, including the documents it deploys.

``stackconfig`` reads and judges what the user wrote; some mistakes only show in what the program would
deploy from it (a guardrail SCP over AWS's size limit), so those checks are built here, above both
``stackconfig`` and the document builders, and handed to ``stackconfig.load.validate``. Every caller (the
Pulumi program, the offline preview, the operations commands, tests) loads through these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from stackconfig.checks import DocumentCheck
from stackconfig.inventory import OrgTree, member_accounts
from stackconfig.load import ConfigError, LoadedConfig, read_stack_file, sections_from_pulumi_config, validate
from stackconfig.model import StackConfig
from stackconfig.references import check_references

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


def with_organization_findings(exc: ConfigError, tree_for: Callable[[StackConfig], OrgTree | None]) -> ConfigError:
    """``exc`` with the organization-aware findings (unknown OU and account ids, ...) added, when the sections all
    parsed and only rules failed: every mistake at once, not the reference mistakes after the others are fixed.

    ``tree_for`` reads the organization as the stack knows it, or gives None when it cannot be read offline; when
    it fails for any reason (a missing inventory, an inventory path the configuration got wrong), the original
    report stands. Findings already reported (same path and rule) are not repeated.
    """
    if exc.parsed is None:
        return exc
    try:
        tree = tree_for(exc.parsed)
        if tree is None:
            return exc
        found = check_references(exc.parsed, tree, member_accounts(exc.parsed, tree))
    except Exception:
        return exc
    seen = {(f.path, f.rule) for f in exc.findings}
    extra = [f for f in found if (f.path, f.rule) not in seen]
    return ConfigError([*exc.findings, *extra], exc.parsed) if extra else exc
