"""Run one policy the way the engine does: props wrapped in ``unknown_checking_proxy``.

``resource(...)`` and ``stack(...)`` build the argument objects by hand (pulumi-offline.md §2.5); unknown
values are written with the SDK's sentinels, e.g. ``UNKNOWN_STRING``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    Policy,
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.proxy import (
    UNKNOWN_BOOLEAN_VALUE,
    UNKNOWN_NUMBER_VALUE,
    UNKNOWN_STRING_VALUE,
    unknown_checking_proxy,
)

from org_backup.preview.offline import RecordedResource

UNKNOWN_STRING = UNKNOWN_STRING_VALUE
UNKNOWN_NUMBER = UNKNOWN_NUMBER_VALUE
UNKNOWN_BOOLEAN = UNKNOWN_BOOLEAN_VALUE


def provider(account: str, region: str = "us-east-1") -> PolicyProviderResource:
    """An explicit AWS provider as the engine shows it: complex inputs are JSON strings."""
    return PolicyProviderResource(
        "pulumi:providers:aws",
        {
            "region": region,
            "allowedAccountIds": json.dumps([account]),
            "assumeRoles": json.dumps([{"roleArn": f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"}]),
        },
        f"urn:pulumi:test::org-backup::pulumi:providers:aws::account-{account}",
        f"account-{account}",
    )


def options(
    *, protect: bool = False, ignore_changes: Sequence[str] = (), parent: str | None = None
) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, list(ignore_changes), None, [], PolicyCustomTimeouts(0, 0, 0), [], parent)


@dataclass
class Spec:
    """A resource for a test: type, inputs and where it lives."""

    type: str
    props: Mapping[str, Any]
    name: str = "r"
    account: str | None = "444455556666"
    region: str = "us-east-1"
    protect: bool = False
    ignore_changes: Sequence[str] = ()
    parent: str | None = None
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::org-backup::{self.type}::{self.name}"


def run_resource(policy: Policy, spec: Spec, config: Mapping[str, Any] | None = None) -> list[str]:
    """Violation messages of a resource policy on one resource."""
    args = ResourceValidationArgs(
        spec.type,
        unknown_checking_proxy(dict(spec.props)),
        spec.urn,
        spec.name,
        options(protect=spec.protect, ignore_changes=spec.ignore_changes, parent=spec.parent),
        provider(spec.account, spec.region) if spec.account else None,
        dict(config) if config else None,
        {},
    )
    found: list[str] = []
    result = policy.validate(args, lambda message, urn=None: found.append(message))  # type: ignore[attr-defined]
    assert result is None, "rules are synchronous"
    return found


def run_stack(
    policy: Policy, specs: Sequence[Spec], config: Mapping[str, Any] | None = None
) -> list[tuple[str | None, str]]:
    """Violations ``(urn, message)`` of a stack policy on the given resources (outputs = props here)."""
    by_urn: dict[str, PolicyResource] = {}
    for spec in specs:
        by_urn[spec.urn] = PolicyResource(
            spec.type,
            unknown_checking_proxy(dict(spec.props)),
            spec.urn,
            spec.name,
            options(protect=spec.protect, ignore_changes=spec.ignore_changes, parent=spec.parent),
            provider(spec.account, spec.region) if spec.account else None,
            None,
            [],
            {},
        )
    for spec in specs:
        resource = by_urn[spec.urn]
        resource.parent = by_urn.get(spec.parent) if spec.parent else None
        resource.dependencies = [by_urn[u] for u in spec.dependencies if u in by_urn]
        resource.property_dependencies = {
            k: [by_urn[u] for u in v if u in by_urn] for k, v in spec.property_dependencies.items()
        }
    args = StackValidationArgs(list(by_urn.values()), dict(config) if config else None, {})
    found: list[tuple[str | None, str]] = []
    result = policy.validate(args, lambda message, urn=None: found.append((urn, message)))  # type: ignore[attr-defined]
    assert result is None, "rules are synchronous"
    return found


def by_name(policies: Sequence[Policy], name: str) -> Policy:
    matches = [p for p in policies if p.name == name]
    assert len(matches) == 1, f"{name}: {len(matches)} policies"
    return matches[0]


def specs_from_run(resources: Sequence[RecordedResource]) -> list[Spec]:
    """Registrations recorded under the mock engine as specs, as the engine hands them to stack policies:
    components carry their inputs and outputs, parents and dependencies point at the specs' URNs."""
    urns = {r.urn: Spec(r.type, {}, name=r.name).urn for r in resources}
    assert len(set(urns.values())) == len(urns), "type and name must identify each recorded resource"
    return [
        Spec(
            type=r.type,
            props=dict(r.inputs) if r.custom else {**r.inputs, **r.outputs},
            name=r.name,
            account=r.account,
            region=r.region or "us-east-1",
            protect=r.protect,
            ignore_changes=list(r.ignore_changes),
            parent=urns.get(r.parent_urn) if r.parent_urn else None,
            dependencies=[urns[u] for u in r.dependencies if u in urns],
            property_dependencies={k: [urns[u] for u in v if u in urns] for k, v in r.property_dependencies.items()},
        )
        for r in resources
    ]


def fired(
    specs: Sequence[Spec], policies: Sequence[Policy], config: Mapping[str, Any] | None = None
) -> dict[str, list[tuple[str | None, str]]]:
    """Rule name -> (URN, message) for every given rule that reports something on ``specs`` (each rule gets
    ``config``: keys another rule declares are ignored)."""
    found: dict[str, list[tuple[str | None, str]]] = {}
    for policy in policies:
        if isinstance(policy, ResourceValidationPolicy):
            wanted = policy.resource_types  # type: ignore[attr-defined]
            reports: list[tuple[str | None, str]] = [
                (spec.urn, message)
                for spec in specs
                if spec.type in wanted
                for message in run_resource(policy, spec, config)
            ]
        else:
            reports = run_stack(policy, specs, config)
        if reports:
            found[policy.name] = reports
    return found


def attachments(policy: Spec, *targets: Any, account: str | None) -> list[Spec]:
    """One PolicyAttachment per target, linked to ``policy`` as the program links them (policy id unknown)."""
    return [
        Spec(
            "aws:organizations/policyAttachment:PolicyAttachment",
            {"policyId": UNKNOWN_STRING, "targetId": target},
            name=f"{policy.name}-{index}",
            account=account,
            parent=policy.urn,
            property_dependencies={"policyId": [policy.urn]},
        )
        for index, target in enumerate(targets)
    ]


def assert_rule_metadata(policies: Sequence[Policy], name: str, level: Any, severity: Any) -> None:
    """A rule's declared level and severity, its texts, and a default for every config setting."""
    rule = by_name(policies, name)
    assert (rule.enforcement_level, rule.severity) == (level, severity)
    assert rule.description and rule.remediation_steps
    schema = rule.config_schema
    assert schema is None or all("default" in entry for entry in schema.properties.values())
