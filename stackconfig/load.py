"""Read a stack's ``org-backup:*`` configuration into ``StackConfig``, or report every mistake at once.

This is the loader's lower half: reading stack files and Pulumi's config, parsing each section, and the
rules on what the user wrote. The entry points (``deployment.load``: ``load_config``, ``config_from_pulumi``,
``config_from_stack_file``) add the checks that judge the documents the program deploys and call
``validate`` here. ``ConfigError``'s findings name the config path, the value and the rule; nothing is
registered before the loader returns.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import TypeAdapter, ValidationError

from policies.backup_rules.backup_policy.document import DUPLICATE_KEY
from policies.backup_rules.backup_policy.keytree import UNKNOWN_KEY
from policies.backup_rules.findings import Finding, errors
from policies.backup_rules.levels import VAULT_UNLOCKED

from .checks import DocumentCheck, check_config
from .messages import pattern_at, plain_message
from .model import REQUIRED_SECTIONS, SECTION_TYPES, StackConfig

PROJECT = "org-backup"


class ConfigError(Exception):
    """The configuration is invalid; ``findings`` holds every error (and the warnings seen with them).

    ``parsed`` is the configuration as read when every section parsed and only rules failed (a start window
    too short), else None: the organization-aware checks can still run on it, so a mistyped OU id is reported
    with the rule mistake instead of after it is fixed (``deployment.layout.with_organization_findings``).
    """

    def __init__(self, findings: list[Finding], parsed: StackConfig | None = None) -> None:
        self.findings = findings
        self.parsed = parsed
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
    # A misspelt key is one mistake: "unknown key 'retention_day' (did you mean 'retention_days'?)" says it
    # all, so the "retention_days is required" that follows from it is not reported again.
    suggested: set[str] = set()
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
            out.append(Finding(path, key, UNKNOWN_KEY, f"unknown key '{key}'{hint}"))
            if close:
                suggested.add(f"{path.removesuffix(key)}{close[0]}")
        elif err["type"] == "missing":
            out.append(Finding(path, None, "required", "is required"))
        else:
            message = plain_message(err, pattern=pattern_at(section_type, loc))
            out.append(Finding(path, _shown(err.get("input")), f"type:{err['type']}", message))
    return [f for f in out if not (f.rule == "required" and f.path in suggested)]


def _near_project(namespace: str) -> bool:
    """A namespace the user meant as this project's (``org_backup``, ``orgbackup``, ``org-bakup``)."""
    letters = "".join(c for c in namespace.lower() if c.isalpha())
    return letters == "orgbackup" or bool(difflib.get_close_matches(namespace, [PROJECT], n=1, cutoff=0.75))


def parse_sections(raw: Mapping[Any, Any]) -> tuple[dict[str, Any], list[Finding]]:
    """Parse each section separately so one broken section does not hide mistakes in the others."""
    findings: list[Finding] = []
    parsed: dict[str, Any] = {}
    # The section a misspelt key was meant to be: its "is required" would only repeat the same mistake.
    meant: set[str] = set()
    for key in sorted(set(raw) - set(SECTION_TYPES), key=str):
        name = str(key)
        namespace, colon, section = name.rpartition(":")
        close = difflib.get_close_matches(section if colon else name, list(SECTION_TYPES), n=1)
        meant.update(close)
        if colon:
            # ``sections_from_pulumi_config`` keeps keys of a namespace close to the project's: the Pulumi CLI
            # hands them to the program under that other namespace, where the program never reads them.
            written = section if not namespace else name
            right = f"{PROJECT}:{close[0] if close else section}"
            findings.append(
                Finding(
                    written,
                    written,
                    UNKNOWN_KEY,
                    f"configuration key '{written}' is not read: this program reads keys of the namespace "
                    f"'{PROJECT}' (did you mean '{right}'?)",
                )
            )
            continue
        hint = f" (did you mean '{close[0]}'?)" if close else f" (known keys: {', '.join(SECTION_TYPES)})"
        findings.append(Finding(name, name, UNKNOWN_KEY, f"unknown configuration key '{PROJECT}:{name}'{hint}"))
    for name, annotation in SECTION_TYPES.items():
        if name not in raw or raw[name] is None:
            if name in REQUIRED_SECTIONS and name not in meant:
                findings.append(Finding(name, None, "required", f"'{PROJECT}:{name}' is required"))
            continue
        unusable = plain_data_problem(raw[name], name)
        if unusable is not None:
            findings.append(unusable)
            continue
        # The section's own constraints (``plans`` needs one entry) live on the field, not on its type.
        metadata = StackConfig.model_fields[name].metadata
        adapter: TypeAdapter[Any] = TypeAdapter(Annotated[annotation, *metadata] if metadata else annotation)
        try:
            parsed[name] = adapter.validate_python(raw[name])
        except ValidationError as exc:
            findings.extend(_pydantic_findings(name, annotation, exc))
            salvaged = _salvage(adapter, raw[name], exc)
            if salvaged is not None:
                parsed[name] = salvaged
    return parsed, findings


# Deeper than any configuration this program reads (a custom backup policy needs about 15 levels); deeper
# or self-referencing values (YAML anchors) would overflow the recursive code behind the loader.
MAX_NESTING = 64
# Values a tree walk would visit: bounds the work for YAML aliases that repeat one value many times.
MAX_VALUES = 200_000
_PLAIN_SCALARS = (str, int, float, bool, type(None))


def plain_data_problem(value: Any, path: str) -> Finding | None:
    """Why ``value`` is not plain configuration data (JSON's types, bounded in depth and size), or None.

    The Pulumi CLI hands a program JSON; YAML can also express dates, binary, sets, non-string keys and
    self-referencing anchors, which JSON cannot carry and the loader must not meet. Iterative: a value that
    is too deep must not overflow the stack while being measured.
    """
    pending: list[tuple[str, Any, int]] = [(path, value, 0)]
    visited = 0
    while pending:
        where, item, depth = pending.pop()
        visited += 1
        if visited > MAX_VALUES:
            return Finding(path, None, "plain-data", f"more than {MAX_VALUES} values: the configuration is too large")
        if depth > MAX_NESTING:
            return Finding(where, None, "nesting", f"nested deeper than {MAX_NESTING} levels (or inside itself)")
        if isinstance(item, Mapping):
            for key, child in item.items():
                if not isinstance(key, str):
                    return Finding(
                        where, _shown(key), "plain-data", f"key {_shown(key)!r} is a {type(key).__name__}, not a string"
                    )
                pending.append((f"{where}.{key}", child, depth + 1))
        elif isinstance(item, list):
            pending.extend((f"{where}[{i}]", child, depth + 1) for i, child in enumerate(item))
        elif not isinstance(item, _PLAIN_SCALARS):
            return Finding(
                where,
                _shown(item),
                "plain-data",
                f"a {type(item).__name__} is not configuration data (strings, numbers, booleans, lists, mappings)",
            )
    return None


def _shown(value: Any) -> Any:
    """A value safe to put in a report: scalars as they are (huge integers abbreviated), others by type."""
    if isinstance(value, bool) or value is None or isinstance(value, (float, str)):
        return value
    if isinstance(value, int):
        return value if value.bit_length() < 1000 else f"<integer of {value.bit_length()} bits>"
    return type(value).__name__


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


def validate(raw: Mapping[str, Any], *, document_checks: Sequence[DocumentCheck]) -> LoadedConfig:
    """Validate the raw sections (plain JSON-like values) and return the model, or raise ``ConfigError``.

    ``document_checks`` is required so that no caller forgets them: ``deployment.load.load_config`` passes
    the stack's set.
    """
    if not isinstance(raw, Mapping):
        raise ConfigError([Finding("config", type(raw).__name__, "type", "the configuration must be a mapping")])
    parsed, findings = parse_sections(raw)
    broken = tuple(f.path for f in findings)
    damaged = frozenset(re.split(r"[.\[]", f.path, maxsplit=1)[0] for f in findings)
    findings.extend(f for f in check_config(parsed, damaged, document_checks) if not _follows_from(f, broken))
    if errors(findings):
        raise ConfigError(findings, _whole(parsed) if not damaged else None)
    try:
        config = StackConfig(**parsed)
    except ValidationError as exc:
        # Section-by-section parsing accepted what the whole model refuses: still a report, never a traceback.
        raise ConfigError(findings + _pydantic_findings("config", StackConfig, exc)) from None
    return LoadedConfig(config, [f for f in findings if f.severity == "warning"])


# Rules that report something as absent: when a value inside it failed to parse, the salvage dropped it, so
# "the vault has no Vault Lock" after "lock.mode: must be one of ..." only repeats the typo, falsely.
_ABSENCE_RULES = frozenset({VAULT_UNLOCKED})


def _follows_from(finding: Finding, broken: tuple[str, ...]) -> bool:
    """Whether a rule's finding only follows from a value that did not parse (under it, or inside what it says
    is missing)."""
    if not broken:
        return False
    if finding.path.startswith(broken):
        return True
    return finding.rule in _ABSENCE_RULES and any(b.startswith(f"{finding.path}.") for b in broken)


def _whole(parsed: dict[str, Any]) -> StackConfig | None:
    """The model of sections that all parsed, or None when the whole refuses them."""
    try:
        return StackConfig(**parsed)
    except ValidationError:
        return None


def _decode(value: Any) -> Any:
    """Pulumi hands structured values over as JSON strings; scalars stay as they are."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            # Not JSON after all (or too deep, or a number past Python's digit limit): parsed as the string.
            return value
    return value


def sections_from_pulumi_config(values: Mapping[Any, Any]) -> dict[str, Any]:
    """The ``org-backup:*`` sections; a key of a namespace close to ours (``org_backup:plans``) or of none
    (``plans``) is kept whole, with its colon, for ``parse_sections`` to report: dropping it silently would
    turn off what it configures. Other namespaces (``aws:region``) belong to other programs."""
    prefix = f"{PROJECT}:"
    out: dict[str, Any] = {}
    for key, value in values.items():
        if not isinstance(key, str):
            continue
        if key.startswith(prefix):
            out[key[len(prefix) :]] = _decode(value)
        elif ":" not in key:
            out[f":{key}"] = _decode(value)
        elif _near_project(key.split(":", 1)[0]):
            out[key] = _decode(value)
    return out


class StackFileLoader(yaml.SafeLoader):
    """YAML as the Pulumi CLI reads a stack file (YAML 1.2 scalars), not PyYAML's YAML 1.1.

    The CLI hands ``yes``/``no``/``on``/``off``, dates and ``12:30`` to the program as strings; PyYAML would
    make them booleans, dates and sexagesimal integers, so the offline preview would judge a configuration
    other than the one ``pulumi up`` deploys (and a date is not even JSON).
    """

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|0b[01]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+.0123456789",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    StackFileLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def read_stack_file(path: Path) -> dict[str, Any]:
    """The ``config:`` mapping of a ``Pulumi.<stack>.yaml``, or a ``ConfigError`` saying what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
        doc = yaml.load(text, Loader=StackFileLoader)
        repeated = duplicate_keys(yaml.compose(text, Loader=StackFileLoader))
    except FileNotFoundError:
        others = sorted(f.name for f in path.parent.glob("Pulumi.*.yaml")) if path.parent.is_dir() else []
        hint = f" (stack files there: {', '.join(others)})" if others else ""
        raise ConfigError([Finding(str(path), None, "stack-file", f"stack file {path} does not exist{hint}")]) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError([Finding(str(path), None, "stack-file", f"cannot read stack file: {exc}")]) from None
    except (ValueError, RecursionError) as exc:
        # A number past Python's digit limit, nesting deeper than the YAML parser's recursion allows.
        raise ConfigError([Finding(str(path), None, "stack-file", f"cannot read stack file: {exc}")]) from None
    if repeated:
        raise ConfigError(repeated)
    if not isinstance(doc, Mapping) or not isinstance(doc.get("config", {}), Mapping):
        raise ConfigError(
            [Finding(str(path), None, "stack-file", "a stack file is a mapping with a 'config:' mapping")]
        )
    config = dict(doc.get("config") or {})
    problem = plain_data_problem(config, "config")
    if problem is not None:
        raise ConfigError([Finding(problem.path, problem.value, problem.rule, f"{path}: {problem.message}")])
    return config


def duplicate_keys(root: yaml.Node | None) -> list[Finding]:
    """Keys written twice in one mapping of a stack file, each at its config path.

    A YAML mapping holds each key once (https://yaml.org/spec/1.2.2/#mapping: keys are unique); PyYAML keeps
    the last value silently, so a second ``weekly:`` plan would replace the first without a word. Which one
    another reader keeps is not ours to guess: the file is refused until the key is written once.
    """
    out: list[Finding] = []
    pending: list[tuple[str, yaml.Node]] = [("", root)] if root is not None else []
    seen: set[int] = set()
    while pending:
        where, node = pending.pop()
        if id(node) in seen:
            # An alias repeats a node already walked (a recursive anchor would otherwise never end).
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend((f"{where}[{i}]", child) for i, child in enumerate(node.value))
        if not isinstance(node, yaml.MappingNode):
            continue
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else "?"
            path = _config_path(where, key)
            if key in lines and key != "<<":
                out.append(
                    Finding(
                        path,
                        key,
                        DUPLICATE_KEY,
                        f"{key!r} is defined twice (lines {lines[key]} and {key_node.start_mark.line + 1}): a YAML "
                        "mapping holds each key once, and the second would silently replace the first; merge "
                        "them or rename one",
                    )
                )
            lines.setdefault(key, key_node.start_mark.line + 1)
            pending.append((path, value_node))
    return sorted(out, key=lambda f: f.path)


def _config_path(where: str, key: str) -> str:
    """``config`` / ``org-backup:plans`` / ``weekly`` as the loader names it: ``plans.weekly``."""
    if where == "":
        return key
    if where == "config":
        return key.removeprefix(f"{PROJECT}:")
    return f"{where}.{key}"
