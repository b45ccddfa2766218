"""How a rule is declared: metadata beside one check function, turned into a pulumi_policy Policy.

A resource rule's check takes a ``Resource`` (plain values, see ``adapter``) and its merged config and yields
violation messages; a stack rule's check takes the ``StackIndex`` and yields ``(urn or None, message)``.
Config defaults are declared once in the schema and merged in code too, because only the Pulumi CLI fills
schema defaults (unit tests and the offline preview get exactly what they pass).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from .adapter import plain
from .resources import Resource, StackIndex, from_resource_args, stack_index

MANDATORY = EnforcementLevel.MANDATORY
ADVISORY = EnforcementLevel.ADVISORY

ResourceCheck = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[StackIndex, Mapping[str, Any]], Iterable[tuple[str | None, str]]]


def integer_setting(
    *, minimum: int, default: int, maximum: int | None = None, description: str | None = None
) -> dict[str, Any]:
    """The config schema of an integer setting of a rule (keys in the order the pack has always declared)."""
    schema: dict[str, Any] = {"type": "integer", "minimum": minimum}
    if maximum is not None:
        schema["maximum"] = maximum
    schema["default"] = default
    if description is not None:
        schema["description"] = description
    return schema


@dataclass(frozen=True)
class Rule:
    """One check with the metadata an operator needs to act on its result."""

    name: str
    description: str
    enforcement: EnforcementLevel
    severity: Severity
    remediation: str
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    domain: str = ""
    # Where in the stack file a violation is fixed, for the preview's ``config_path`` (the pack itself never
    # reads these): ``config_section`` for a violation that names no resource (``audit``), ``vault_key`` for
    # one on a vault (``lock``, under ``vaults.member`` or ``vaults.central``), ``fixed_at_destination_lock``
    # when the fix is the lock of the vault a copy lands in, whichever plan copies there.
    config_section: str = ""
    vault_key: str = ""
    fixed_at_destination_lock: bool = False

    def defaults(self) -> dict[str, Any]:
        return {key: schema["default"] for key, schema in self.config.items() if "default" in schema}

    def merged_config(self, given: Mapping[str, Any] | None) -> dict[str, Any]:
        return {**self.defaults(), **(plain(given) if given else {})}

    def _common(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()})
            if self.config
            else None,
            "severity": self.severity,
            "remediation_steps": self.remediation,
            "tags": [self.domain] if self.domain else None,
        }


def resource_policy(rule: Rule, types: Iterable[str], check: ResourceCheck) -> ResourceValidationPolicy:
    """A resource policy that runs ``check`` on resources of the given type tokens only."""
    wanted = frozenset(types)

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in wanted:
            return
        config = rule.merged_config(args.get_config())
        for message in check(from_resource_args(args), config):
            report(message, None)

    policy = ResourceValidationPolicy(validate=validate, **rule._common())
    policy.rule = rule  # type: ignore[attr-defined]
    policy.resource_types = wanted  # type: ignore[attr-defined]
    return policy


def stack_policy(rule: Rule, check: StackCheck) -> StackValidationPolicy:
    """A stack policy; the index is built once per policy run, so checks never compare all pairs."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        config = rule.merged_config(args.get_config())
        for urn, message in check(stack_index(args), config):
            report(message, urn)

    policy = StackValidationPolicy(validate=validate, **rule._common())
    policy.rule = rule  # type: ignore[attr-defined]
    return policy


def rule_of(policy: Policy) -> Rule:
    rule: Rule = policy.rule  # type: ignore[attr-defined]
    return rule
