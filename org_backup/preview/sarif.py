"""The offline preview as SARIF 2.1.0, so code scanning annotates the stack-file line to change.

Every result points at the stack file: the line of the config key the violation maps to (found through
YAML's composer marks), else the line of its ``org-backup:<section>`` key, else line 1. Fingerprints
hash the rule, the resource (or config key) and the message, so the same finding keeps its identity
across runs and code scanning can tell new alerts from old ones.

With ``--base``, a protected resource the change deletes or replaces is an error result too, at the line of the
stack-file key whose change causes it (or of the account in the inventory file); a base that could not be
compared is said in a tool execution notification (SARIF 2.1.0 section 3.20.21).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from org_backup.preview.diff import PROTECTED_DESCRIPTIONS, PROTECTED_IMPACT, PROTECTED_REMEDIATION, PreviewDiff
from org_backup.preview.model import ConfigProblem, Preview, display_path
from org_backup.preview.offline import PROJECT
from org_backup.preview.policy_eval import RuleInfo
from org_backup.preview.reports import exit_code
from policies.backup_rules.findings import LEVELS, Finding, severity_of

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL_NAME = "org-backup-preview"
FINGERPRINT = "orgBackupFinding/v1"
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
RANK = {"critical": 95.0, "high": 80.0, "medium": 50.0, "low": 20.0}
CONFIG_RULE_PREFIX = "config/"


def _walk(node: yaml.Node, path: str, out: dict[str, int]) -> None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = f"{path}.{key.value}"
            out.setdefault(child, key.start_mark.line + 1)
            _walk(value, child, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            child = f"{path}[{i}]"
            out.setdefault(child, item.start_mark.line + 1)
            _walk(item, child, out)


def key_lines(text: str) -> dict[str, int]:
    """1-based line of every key under ``config:``, by config path (``vaults.member.lock``, ``x.targets[0]``)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return {}
    out: dict[str, int] = {}
    if not isinstance(root, yaml.MappingNode):
        return out
    for key, value in root.value:
        if key.value != "config" or not isinstance(value, yaml.MappingNode):
            continue
        for section_key, section in value.value:
            name = str(section_key.value).removeprefix(f"{PROJECT}:")
            out.setdefault(name, section_key.start_mark.line + 1)
            _walk(section, name, out)
    return out


def _prefixes(path: str) -> Iterator[str]:
    """``a.b[0].c``, ``a.b[0]``, ``a.b``, ``a``: the key itself, then each enclosing key."""
    cut = len(path)
    while cut > 0:
        yield path[:cut]
        cut = max(path.rfind(".", 0, cut), path.rfind("[", 0, cut))


def line_of(lines: Mapping[str, int], config_path: str | None) -> int:
    for prefix in _prefixes(config_path or ""):
        if prefix in lines:
            return lines[prefix]
    return 1


def artifact_uri(config_file: Path) -> str:
    """Relative to the repository root when inside it, as code scanning expects; else a file URI."""
    shown = display_path(config_file)
    return shown if not Path(shown).is_absolute() else config_file.resolve().as_uri()


def _fingerprint(*parts: str | None) -> dict[str, str]:
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode()).hexdigest()
    return {FINGERPRINT: digest[:32]}


def _first_sentence(text: str) -> str:
    head, dot, _ = text.partition(". ")
    return head + (dot.strip() if dot else "")


def policy_rule(rule: RuleInfo) -> dict[str, Any]:
    return {
        "id": rule.name,
        "name": rule.name,
        "shortDescription": {"text": _first_sentence(rule.description)},
        "fullDescription": {"text": rule.description},
        "help": {"text": rule.remediation or rule.description},
        "defaultConfiguration": {
            "level": LEVELS[severity_of(rule.enforcement)].sarif,
            "rank": RANK.get(rule.severity, 50.0),
        },
        "properties": {
            "tags": [t for t in ("org-backup", rule.domain, rule.enforcement, rule.severity, rule.kind) if t],
            "security-severity": SECURITY_SEVERITY.get(rule.severity, "5.5"),
        },
    }


def config_rule(rule_id: str, level: str) -> dict[str, Any]:
    text = f"org-backup configuration check '{rule_id}' (reported by the configuration loader before any resource)"
    return {
        "id": CONFIG_RULE_PREFIX + rule_id,
        "name": rule_id,
        "shortDescription": {"text": f"Configuration check {rule_id}"},
        "fullDescription": {"text": text},
        "help": {"text": "Change the configuration key the result points at; the message says how."},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["org-backup", "configuration"]},
    }


def change_rule(rule_id: str) -> dict[str, Any]:
    """A rule of the change (``--base``): deleting or replacing a protected resource; mandatory."""
    return {
        "id": rule_id,
        "name": rule_id,
        "shortDescription": {"text": _first_sentence(PROTECTED_DESCRIPTIONS[rule_id])},
        "fullDescription": {"text": PROTECTED_DESCRIPTIONS[rule_id]},
        "help": {"text": PROTECTED_REMEDIATION},
        "defaultConfiguration": {"level": LEVELS["error"].sarif, "rank": RANK[PROTECTED_IMPACT]},
        "properties": {
            "tags": ["org-backup", "change", "mandatory", PROTECTED_IMPACT],
            "security-severity": SECURITY_SEVERITY[PROTECTED_IMPACT],
        },
    }


def _location(uri: str, line: int) -> list[dict[str, Any]]:
    return [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}}]


def _violation_text(v: Finding) -> str:
    where = f"{v.resource_type} '{v.resource_name}'" if v.urn else "the stack"
    place = ", ".join(x for x in (v.account and f"account {v.account}", v.region) if x)
    key = f"; change {v.path}" if v.path else ""
    return f"{v.message} ({where}{f' in {place}' if place else ''}{key})"


def violation_result(v: Finding, rule_index: int, uri: str, lines: Mapping[str, int]) -> dict[str, Any]:
    """A pack result; its fingerprint hashes the rule, the URN (or, for the stack, the config path) and the
    message, as it always has (tests/golden pins it)."""
    return _result(
        v, rule_index, _location(uri, line_of(lines, v.path)), _fingerprint(v.rule, v.urn or v.path, v.message)
    )


def _result(
    v: Finding, rule_index: int, locations: list[dict[str, Any]], fingerprints: dict[str, str], **properties: Any
) -> dict[str, Any]:
    """One SARIF result of a finding: its rule, level, text, where, fingerprint and the finding's facts."""
    return {
        "ruleId": v.rule,
        "ruleIndex": rule_index,
        "level": v.level.sarif,
        "message": {"text": _violation_text(v)},
        "locations": locations,
        "partialFingerprints": fingerprints,
        "properties": {
            "enforcement": v.enforcement,
            "severity": v.impact,
            "urn": v.urn,
            "resourceType": v.resource_type,
            "account": v.account,
            "region": v.region,
            "configPath": v.path or None,
            **properties,
        },
    }


def _inventory_line(path: Path, node: str) -> int:
    """The line of the inventory file that declares ``node`` (an account or OU id), else 1."""
    pattern = re.compile(rf"\bid:\s*[\"']?{re.escape(node)}\b")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return 1
    return next((n for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)), 1)


def change_result(
    v: Finding, rule_index: int, uri: str, lines: Mapping[str, int], changes: PreviewDiff
) -> dict[str, Any]:
    """A protected resource the change deletes or replaces. Located at the changed stack-file key that causes it,
    else at the inventory entry that does, else at the resource's section. Its fingerprint hashes the rule and the
    URN only: the message names every cause and grows as a pull request does, the alert is the same."""
    keys = [c for c in changes.config_changes if str(c) in v.value]
    moves = [c for c in changes.inventory_changes if str(c) in v.value]
    if not keys and moves and changes.inventory_file is not None:
        location = _location(
            artifact_uri(changes.inventory_file), _inventory_line(changes.inventory_file, moves[0].node)
        )
    else:
        location = _location(uri, line_of(lines, v.path))
    return _result(v, rule_index, location, _fingerprint(v.rule, v.resource), causes=list(v.value))


def _invocations(changes: PreviewDiff | None, code: int) -> list[dict[str, Any]]:
    """Said about the comparison with the base: it could not be made (the pack's results are complete; the change's
    are unknown), or the stack is new. A ``--base`` naming nothing (exit 2) is an unsuccessful execution."""
    if changes is None or (changes.error is None and not changes.note):
        return []
    if changes.error is not None:
        level = "error" if changes.refused else "warning"
        text = f"What the change does is not known: could not compare with {changes.base}: {changes.error}"
    else:
        level, text = "note", changes.note
    notification = {"level": level, "message": {"text": text}, "descriptor": {"id": "base-comparison"}}
    return [
        {"executionSuccessful": not changes.refused, "exitCode": code, "toolExecutionNotifications": [notification]}
    ]


def _config_parts(
    findings: Iterable[Finding], uri: str, lines: Mapping[str, int], first_index: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rules and results for loader findings (errors of an invalid config, or warnings of a valid one)."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for f in findings:
        if f.rule not in index:
            index[f.rule] = first_index + len(rules)
            rules.append(config_rule(f.rule, f.level.sarif))
        results.append(
            {
                "ruleId": CONFIG_RULE_PREFIX + f.rule,
                "ruleIndex": index[f.rule],
                "level": f.level.sarif,
                "message": {"text": f"{f.path}: {f.message}"},
                "locations": _location(uri, line_of(lines, f.path)),
                "partialFingerprints": _fingerprint(CONFIG_RULE_PREFIX + f.rule, f.path, f.message),
                "properties": {"configPath": f.path},
            }
        )
    return rules, results


def _log(
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
    stack: str,
    invocations: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": TOOL_NAME, "rules": rules}},
                "automationDetails": {"id": f"{TOOL_NAME}/{stack}/"},
                **({"invocations": invocations} if invocations else {}),
                "results": results,
            }
        ],
    }


def _lines(config_file: Path) -> dict[str, int]:
    try:
        return key_lines(config_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return {}


def to_sarif(preview: Preview, changes: PreviewDiff | None = None) -> dict[str, Any]:
    uri, lines = artifact_uri(preview.config_file), _lines(preview.config_file)
    rules = [policy_rule(r) for r in preview.evaluation.rules]
    index = {r.name: i for i, r in enumerate(preview.evaluation.rules)}
    results = []
    for v in changes.violations if changes is not None else []:
        if v.rule not in index:
            index[v.rule] = len(rules)
            rules.append(change_rule(v.rule))
    if changes is not None:
        results += [change_result(v, index[v.rule], uri, lines, changes) for v in changes.violations]
    results += [violation_result(v, index[v.rule], uri, lines) for v in preview.violations]
    warning_rules, warning_results = _config_parts(preview.warnings, uri, lines, len(rules))
    invocations = _invocations(changes, exit_code(preview, changes))
    return _log(rules + warning_rules, results + warning_results, preview.stack, invocations)


def problem_sarif(problem: ConfigProblem) -> dict[str, Any]:
    uri, lines = artifact_uri(problem.config_file), _lines(problem.config_file)
    rules, results = _config_parts(problem.findings, uri, lines, 0)
    return _log(rules, results, problem.stack)


def render_sarif(preview: Preview, changes: PreviewDiff | None = None) -> str:
    return json.dumps(to_sarif(preview, changes), indent=2) + "\n"


def render_problem_sarif(problem: ConfigProblem) -> str:
    return json.dumps(problem_sarif(problem), indent=2, default=str) + "\n"
