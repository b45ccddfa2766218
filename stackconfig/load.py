"""Load a stack's ``org-backup:*`` configuration into ``StackConfig``, or report every mistake at once.

Two entry points feed the same loader: ``config_from_pulumi()`` inside a Pulumi program, and
``config_from_stack_file()`` for the offline preview and tests. Both raise ``ConfigError`` whose findings
name the config path, the value and the rule; nothing is registered before the loader returns.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import TypeAdapter, ValidationError

from policies.backup_rules.findings import Finding, errors

from .checks import check_config
from .model import REQUIRED_SECTIONS, SECTION_TYPES, StackConfig

PROJECT = "org-backup"


class ConfigError(Exception):
    """The configuration is invalid; ``findings`` holds every error (and the warnings seen with them)."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        super().__init__(format_report(findings))


def format_report(findings: list[Finding]) -> str:
    errs = errors(findings)
    warns = [f for f in findings if f.severity == "warning"]
    lines = [f"org-backup: the configuration has {len(errs)} error(s) and {len(warns)} warning(s):"]
    lines += [f"  error: {f}" for f in errs]
    lines += [f"  warning: {f}" for f in warns]
    return "\n".join(lines)


def _field_names(annotation: Any) -> list[str]:
    fields = getattr(annotation, "model_fields", None)
    return list(fields) if fields else []


def _model_at(section_type: Any, loc: tuple[Any, ...]) -> Any:
    """The model class that owns the key at ``loc`` (for "did you mean" suggestions)."""
    current = section_type
    for part in loc[:-1]:
        fields = getattr(current, "model_fields", None)
        if fields and part in fields:
            current = fields[part].annotation
        args = getattr(current, "__args__", ())
        models = [a for a in args if getattr(a, "model_fields", None)]
        if models:
            current = models[0]
    return current


def _pydantic_findings(section: str, section_type: Any, exc: ValidationError) -> list[Finding]:
    out: list[Finding] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "union["))))
        path = section
        for part in loc:
            path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}"
        if err["type"] == "extra_forbidden":
            key = str(loc[-1]) if loc else section
            known = _field_names(_model_at(section_type, loc))
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(known)})"
            out.append(Finding(path, key, "unknown-key", f"unknown key '{key}'{hint}"))
        elif err["type"] == "missing":
            out.append(Finding(path, None, "required", "is required"))
        else:
            value = err.get("input")
            shown = value if isinstance(value, (str, int, float, bool)) or value is None else type(value).__name__
            out.append(Finding(path, shown, f"type:{err['type']}", f"{shown!r}: {err['msg']}"))
    return out


def parse_sections(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[Finding]]:
    """Parse each section separately so one broken section does not hide mistakes in the others."""
    findings: list[Finding] = []
    parsed: dict[str, Any] = {}
    for key in sorted(set(raw) - set(SECTION_TYPES)):
        close = difflib.get_close_matches(key, list(SECTION_TYPES), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(SECTION_TYPES)})"
        findings.append(Finding(key, key, "unknown-key", f"unknown configuration key '{PROJECT}:{key}'{hint}"))
    for name, annotation in SECTION_TYPES.items():
        if name not in raw or raw[name] is None:
            if name in REQUIRED_SECTIONS:
                findings.append(Finding(name, None, "required", f"'{PROJECT}:{name}' is required"))
            continue
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        try:
            parsed[name] = adapter.validate_python(raw[name])
        except ValidationError as exc:
            findings.extend(_pydantic_findings(name, annotation, exc))
            salvaged = _salvage(adapter, raw[name], exc)
            if salvaged is not None:
                parsed[name] = salvaged
    return parsed, findings


MAX_SALVAGE_PASSES = 8


def _salvage(adapter: TypeAdapter[Any], value: Any, exc: ValidationError) -> Any:
    """Drop what failed (and, for a missing key, the entry that lacks it) until the rest parses.

    The semantic checks then still run on everything that was well-formed, so one typo does not hide a
    lifecycle mistake three plans further down. Findings under a dropped path are filtered out later.
    """
    data = copy.deepcopy(value)
    for _ in range(MAX_SALVAGE_PASSES):
        for err in exc.errors(include_url=False):
            loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith(("function-", "union[")))]
            if err["type"] == "missing":
                loc = loc[:-1]
            if len(loc) >= 2 and err["type"] != "extra_forbidden" and err["type"] != "missing":
                loc = loc[:-1] if isinstance(loc[-1], int) else loc
            _delete(data, loc)
        try:
            return adapter.validate_python(data)
        except ValidationError as again:
            exc = again
    return None


def _delete(data: Any, loc: list[Any]) -> None:
    if not loc:
        return
    parent = data
    for part in loc[:-1]:
        try:
            parent = parent[part]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(parent, dict):
        parent.pop(loc[-1], None)
    elif isinstance(parent, list) and isinstance(loc[-1], int) and 0 <= loc[-1] < len(parent):
        parent.pop(loc[-1])


@dataclass(frozen=True)
class LoadedConfig:
    """A valid configuration and the warnings (UNCONFIRMED AWS rules) found while checking it."""

    config: StackConfig
    warnings: list[Finding]


def load_config(raw: Mapping[str, Any]) -> LoadedConfig:
    """Validate the raw sections (plain JSON-like values) and return the model, or raise ``ConfigError``."""
    if not isinstance(raw, Mapping):
        raise ConfigError([Finding("config", type(raw).__name__, "type", "the configuration must be a mapping")])
    parsed, findings = parse_sections(raw)
    broken = tuple(f.path for f in findings)
    findings.extend(f for f in check_config(parsed) if not f.path.startswith(broken) or not broken)
    if errors(findings):
        raise ConfigError(findings)
    return LoadedConfig(StackConfig(**parsed), [f for f in findings if f.severity == "warning"])


def _decode(value: Any) -> Any:
    """Pulumi hands structured values over as JSON strings; scalars stay as they are."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def sections_from_pulumi_config(values: Mapping[str, Any]) -> dict[str, Any]:
    prefix = f"{PROJECT}:"
    return {k[len(prefix) :]: _decode(v) for k, v in values.items() if k.startswith(prefix)}


def config_from_pulumi() -> LoadedConfig:
    """Read every ``org-backup:*`` key the engine passed to this program."""
    from pulumi.runtime import config as runtime_config

    values = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    return load_config(sections_from_pulumi_config(values))


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml``, or a ``ConfigError`` saying what is wrong."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([Finding(str(path), None, "stack-file", f"stack file {path} does not exist")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError([Finding(str(path), None, "stack-file", f"cannot read stack file: {exc}")]) from None
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config", {}), Mapping):
        raise ConfigError(
            [Finding(str(path), None, "stack-file", "a stack file is a mapping with a 'config:' mapping")]
        )
    return dict(doc.get("config") or {})


def config_from_stack_file(path: Path) -> LoadedConfig:
    return load_config(sections_from_pulumi_config(read_stack_file(path)))
