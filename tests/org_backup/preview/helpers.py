"""Hand-made recorded resources, for evaluator and mapping tests that need no program run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from org_backup.preview.offline import ProgramRun, RecordedResource
from org_backup.preview.policy_eval import RuleInfo, load_pack, rule_info


def recorded(
    type_: str,
    name: str,
    *,
    parent: RecordedResource | None = None,
    provider: RecordedResource | None = None,
    inputs: Mapping[str, Any] | None = None,
    outputs: Mapping[str, Any] | None = None,
    account: str | None = "444455556666",
    region: str | None = "us-east-1",
    protect: bool = False,
    ignore_changes: Sequence[str] = (),
    dependencies: Sequence[RecordedResource] = (),
    property_dependencies: Mapping[str, Sequence[RecordedResource]] | None = None,
    custom: bool = True,
) -> RecordedResource:
    parent_type = parent.type if parent is not None else "pulumi:pulumi:Stack"
    return RecordedResource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:test::org-backup::{parent_type}${type_}::{name}",
        parent_urn=parent.urn if parent is not None else None,
        provider_urn=provider.urn if provider is not None else None,
        custom=custom,
        inputs=dict(inputs or {}),
        protect=protect,
        retain_on_delete=False,
        ignore_changes=list(ignore_changes),
        dependencies=[d.urn for d in dependencies],
        property_dependencies={k: [d.urn for d in v] for k, v in (property_dependencies or {}).items()},
        account=account,
        region=region,
        outputs=dict(outputs or {}),
    )


def program_run(*resources: RecordedResource) -> ProgramRun:
    return ProgramRun(stack="test", resources=list(resources), exports={})


def rule_named(name: str) -> RuleInfo | None:
    """The pack rule ``name`` as the preview reports it (its metadata says where a violation is fixed); None for
    a name the pack does not have."""
    policy = next((p for p in load_pack() if p.name == name), None)
    if policy is None or policy.enforcement_level is None:
        return None
    return rule_info(policy, policy.enforcement_level)
