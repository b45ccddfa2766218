"""Run the CrossGuard pack on a recorded program run, the way the Pulumi engine's analyzer would.

The engine is not available offline, so this mirrors what ``pulumi_policy``'s analyzer servicer does with
each request: every resource policy sees every resource's inputs wrapped in ``unknown_checking_proxy``
with its options and provider; every stack policy runs once on all resources with parents and
dependencies resolved. Enforcement levels and per-policy config come from a ``--policy-pack-config``
style mapping. The offline preview and the scale benchmark both call ``evaluate``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from inspect import isawaitable
from pathlib import Path
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from org_backup.preview.offline import PROJECT_DIR, ProgramRun, RecordedResource
from org_backup.preview.policy_config_schema import schema_problems
from policies.backup_rules.findings import DEFAULT_IMPACT, Finding, Severity, severity_of

POLICIES_DIR = PROJECT_DIR / "policies"
PACK_DEFAULT_LEVEL = EnforcementLevel.ADVISORY
LEVELS = {level.value: level for level in EnforcementLevel}


# A policy-config file the CLI would refuse (rule id of the findings it gives).
POLICY_CONFIG_INVALID = "policy-config-invalid"


class PolicyConfigError(Exception):
    """A policy-pack config file that Pulumi would reject; ``problems`` says what and where."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class PolicySetting:
    """The effective enforcement level of one policy and the config it receives."""

    level: EnforcementLevel
    config: Mapping[str, Any] | None


@dataclass(frozen=True)
class RuleInfo:
    """What a report says about an evaluated policy (its effective level, not only the declared one)."""

    name: str
    description: str
    enforcement: str
    severity: str
    remediation: str
    domain: str
    kind: str
    # Where a violation is fixed in the stack file (the rule's own metadata, policies/rules/base.py).
    config_section: str = ""
    vault_key: str = ""
    fixed_at_destination_lock: bool = False


@dataclass(frozen=True)
class Evaluation:
    rules: list[RuleInfo]
    violations: list[Finding]
    """As the engine reports them: rule, severity (from the effective enforcement), impact, URN and message;
    ``model.locate`` adds the account, Region, remediation and config path."""
    seconds: float

    @property
    def rule_names(self) -> list[str]:
        return [r.name for r in self.rules]


def load_pack() -> list[Policy]:
    """The pack's policies, imported as Pulumi imports them: with only ``policies/`` as their root."""
    if str(POLICIES_DIR) not in sys.path:
        sys.path.insert(0, str(POLICIES_DIR))
    from rules import ALL_POLICIES

    return list(ALL_POLICIES)


def _check_level(value: Any, where: str, problems: list[str]) -> None:
    if not (isinstance(value, str) and value in LEVELS):
        problems.append(f"{where}: enforcementLevel must be one of {', '.join(LEVELS)}, not {value!r}")


def read_policy_config(path: Path, policies: Sequence[Policy]) -> dict[str, Any]:
    """Read a ``--policy-pack-config`` JSON file, checking policy names and levels as the CLI does."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyConfigError([f"{path}: cannot read the policy config: {exc}"]) from None
    if not isinstance(raw, dict):
        raise PolicyConfigError([f"{path}: the policy config must be a JSON object of policy name -> settings"])
    known = {p.name for p in policies}
    problems: list[str] = []
    for name, value in raw.items():
        where = f"{path}: {name}"
        if name != "all" and name not in known:
            problems.append(f"{where}: no policy of that name in the pack")
        if not isinstance(value, dict):
            _check_level(value, where, problems)
        elif "enforcementLevel" in value:
            _check_level(value["enforcementLevel"], where, problems)
    problems += schema_problems(path, raw, policies)
    if problems:
        raise PolicyConfigError(problems)
    return raw


def settings_for(policies: Sequence[Policy], policy_config: Mapping[str, Any] | None) -> dict[str, PolicySetting]:
    """Per policy: its level (policy config, then ``all``, then the policy's own, then the pack's) and config."""
    given = dict(policy_config or {})
    every = given.get("all")
    every_level = every.get("enforcementLevel") if isinstance(every, dict) else every
    out: dict[str, PolicySetting] = {}
    for policy in policies:
        entry = given.get(policy.name)
        level: Any = entry.get("enforcementLevel") if isinstance(entry, dict) else entry
        chosen = level or every_level or policy.enforcement_level or PACK_DEFAULT_LEVEL
        config = {k: v for k, v in entry.items() if k != "enforcementLevel"} if isinstance(entry, dict) else None
        out[policy.name] = PolicySetting(
            chosen if isinstance(chosen, EnforcementLevel) else LEVELS[chosen], config or None
        )
    return out


def _reported(level: EnforcementLevel) -> str:
    """Remediation cannot happen offline, and a remediate-level violation is reported as mandatory."""
    return EnforcementLevel.MANDATORY.value if level == EnforcementLevel.REMEDIATE else level.value


def rule_info(policy: Policy, level: EnforcementLevel) -> RuleInfo:
    rule = getattr(policy, "rule", None)
    return RuleInfo(
        name=policy.name,
        description=policy.description,
        enforcement=_reported(level),
        severity=policy.severity.value if policy.severity is not None else DEFAULT_IMPACT,
        remediation=str(getattr(rule, "remediation", None) or policy.remediation_steps or ""),
        domain=str(getattr(rule, "domain", "") or ""),
        kind="stack" if isinstance(policy, StackValidationPolicy) else "resource",
        config_section=str(getattr(rule, "config_section", "") or ""),
        vault_key=str(getattr(rule, "vault_key", "") or ""),
        fixed_at_destination_lock=bool(getattr(rule, "fixed_at_destination_lock", False)),
    )


def _options(resource: RecordedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        resource.protect,
        list(resource.ignore_changes),
        None,
        [],
        PolicyCustomTimeouts(0, 0, 0),
        [],
        resource.parent_urn,
    )


def _providers(run: ProgramRun) -> dict[str, PolicyProviderResource]:
    """Explicit providers by URN, as ``args.provider`` shows them (complex inputs stay JSON strings)."""
    return {
        r.urn: PolicyProviderResource(r.type, unknown_checking_proxy(dict(r.inputs)), r.urn, r.name)
        for r in run.resources
        if r.type.startswith("pulumi:providers:")
    }


def stack_resources(run: ProgramRun) -> list[PolicyResource]:
    """What ``AnalyzeStack`` receives: outputs (inputs plus component outputs), links resolved by URN."""
    providers = _providers(run)
    by_urn: dict[str, PolicyResource] = {}
    for r in run.resources:
        props = unknown_checking_proxy({**r.inputs, **r.outputs})
        provider = providers.get(r.provider_urn) if r.provider_urn else None
        by_urn[r.urn] = PolicyResource(r.type, props, r.urn, r.name, _options(r), provider, None, [], {})
    for r in run.resources:
        resource = by_urn[r.urn]
        resource.parent = by_urn.get(r.parent_urn) if r.parent_urn else None
        resource.dependencies = [by_urn[u] for u in r.dependencies if u in by_urn]
        resource.property_dependencies = {
            key: [by_urn[u] for u in urns if u in by_urn] for key, urns in r.property_dependencies.items()
        }
    return list(by_urn.values())


class _Collector:
    """Runs one policy call and turns what it reports (or raises) into violations."""

    def __init__(self) -> None:
        self.violations: list[Finding] = []

    def _add(self, info: RuleInfo, severity: Severity, urn: str | None, message: str) -> None:
        self.violations.append(Finding("", None, info.name, message, severity, impact=info.severity, resource=urn))

    def run(self, policy: Policy, info: RuleInfo, args: Any, resource_urn: str | None) -> None:
        """``resource_urn``: the analyzed resource, which owns every violation of a resource policy."""

        def report(message: str, urn: str | None = None) -> None:
            self._add(info, severity_of(info.enforcement), resource_urn or urn, message)

        try:
            result = policy.validate(args, report)  # type: ignore[attr-defined]
            if isawaitable(result):
                asyncio.run(_awaited(result))
        except UnknownValueError as exc:
            message = f"can't run policy '{info.name}' during preview: {exc.message}"
            self._add(info, "warning", resource_urn, message)
        except _NotApplicableError:
            return
        except Exception as exc:
            message = (
                f"the policy failed with {type(exc).__name__}: {exc} (a bug in the policy pack; "
                "`pulumi preview` would stop with a policy-analysis error)"
            )
            self._add(info, "error", resource_urn, message)


async def _awaited(result: Any) -> None:
    await result


def _run_resource_policies(
    run: ProgramRun,
    policies: Sequence[ResourceValidationPolicy],
    settings: Mapping[str, PolicySetting],
    infos: Mapping[str, RuleInfo],
    collector: _Collector,
) -> None:
    """``Analyze`` for each resource; a policy that declares its types is skipped on the others."""
    providers = _providers(run)
    for r in run.resources:
        props = unknown_checking_proxy(dict(r.inputs))
        options = _options(r)
        provider = providers.get(r.provider_urn) if r.provider_urn else None
        for policy in policies:
            types = getattr(policy, "resource_types", None)
            if types is not None and r.type not in types:
                continue
            args = ResourceValidationArgs(
                r.type, props, r.urn, r.name, options, provider, settings[policy.name].config, {}
            )
            collector.run(policy, infos[policy.name], args, r.urn)


def evaluate(
    run: ProgramRun,
    policies: Sequence[Policy] | None = None,
    policy_config: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Every enabled resource policy on every resource, then every enabled stack policy once."""
    start = time.perf_counter()
    pack = list(policies) if policies is not None else load_pack()
    settings = settings_for(pack, policy_config)
    enabled = [p for p in pack if settings[p.name].level != EnforcementLevel.DISABLED]
    infos = {p.name: rule_info(p, settings[p.name].level) for p in enabled}
    collector = _Collector()
    resource_policies = [p for p in enabled if isinstance(p, ResourceValidationPolicy)]
    _run_resource_policies(run, resource_policies, settings, infos, collector)
    stack_policies = [p for p in enabled if isinstance(p, StackValidationPolicy)]
    if stack_policies:
        resources = stack_resources(run)
        for stack_policy in stack_policies:
            args = StackValidationArgs(resources, settings[stack_policy.name].config, {})
            collector.run(stack_policy, infos[stack_policy.name], args, None)
    return Evaluation(list(infos.values()), collector.violations, time.perf_counter() - start)
