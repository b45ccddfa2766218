"""Check a ``--policy-pack-config`` file against each rule's config schema, as the Pulumi CLI does.

The CLI (``ReconcilePolicyPackConfig`` and ``validatePolicyConfig`` in pulumi/pulumi
``pkg/resource/analyzer/config.go``) fills every policy's config with the schema's defaults, overlays the
given properties, and validates the result against ``{"type": "object", "properties": ..., "required": ...}``
with a JSON Schema validator; policies without a schema are not checked and unknown properties are accepted
(the schema it builds has no ``additionalProperties``). A violation stops ``pulumi preview`` before any
policy runs, so the offline preview refuses the file too (exit 2) instead of judging with a value the real
preview would never accept.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from pulumi_policy import Policy

from policies.backup_rules.findings import Finding


def rule_schema(policy: Policy) -> dict[str, Any] | None:
    """The JSON Schema the CLI builds from a policy's ``config_schema`` (None: nothing to check)."""
    declared = policy.config_schema
    if declared is None:
        return None
    schema: dict[str, Any] = {"type": "object"}
    if declared.properties:
        schema["properties"] = declared.properties
    if declared.required:
        schema["required"] = list(declared.required)
    return schema


def _merged(policy: Policy, given: Any) -> dict[str, Any]:
    declared = policy.config_schema
    defaults = {k: v["default"] for k, v in (declared.properties if declared else {}).items() if "default" in v}
    properties = {k: v for k, v in given.items() if k != "enforcementLevel"} if isinstance(given, Mapping) else {}
    return {**defaults, **properties}


def schema_problems(path: Path, raw: Mapping[str, Any], policies: Sequence[Policy]) -> list[str]:
    """Every schema violation, each naming the file, the policy and the property: ``file: policy.key: why``."""
    problems: list[str] = []
    for policy in policies:
        schema = rule_schema(policy)
        if schema is None:
            continue
        document = _merged(policy, raw.get(policy.name))
        for error in sorted(Draft7Validator(schema).iter_errors(document), key=lambda e: list(e.absolute_path)):
            where = ".".join(str(p) for p in error.absolute_path)
            problems.append(
                f"{path}: {policy.name}{'.' + where if where else ''}: {error.message} "
                f"(the config schema of rule {policy.name}; `pulumi preview` refuses it too)"
            )
    return problems


UNKNOWN_SETTING = "policy-config-unknown-setting"


def unknown_settings(path: Path, raw: Mapping[str, Any], policies: Sequence[Policy]) -> list[Finding]:
    """Settings no rule declares: the CLI accepts them (see above) and the rule then runs with its default, so a
    misspelt setting (``maxRotationPeriodDay``) would change nothing without a word. A warning, with the
    settings the rule does have."""
    out: list[Finding] = []
    for policy in policies:
        given = raw.get(policy.name)
        if not isinstance(given, Mapping):
            continue
        declared = list(policy.config_schema.properties) if policy.config_schema else []
        for key in sorted(set(given) - {"enforcementLevel", *declared}):
            close = difflib.get_close_matches(key, declared, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"its settings: {', '.join(declared) or 'none'}"
            out.append(
                Finding(
                    f"{policy.name}.{key}",
                    given[key],
                    UNKNOWN_SETTING,
                    f"{path}: rule {policy.name} has no setting {key!r}, so it runs with its default ({hint})",
                    "warning",
                )
            )
    return out
