"""The evaluator hands policies what the engine's analyzer would, and applies levels like the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from pulumi_policy import (
    EnforcementLevel,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from org_backup.preview.policy_eval import PolicyConfigError, evaluate, load_pack, read_policy_config
from tests.org_backup.preview.helpers import program_run, recorded

VAULT = "aws:backup/vault:Vault"


def provider(account: str = "444455556666", region: str = "eu-west-1"):
    return recorded(
        "pulumi:providers:aws",
        f"account-{account}",
        inputs={"region": region, "allowedAccountIds": json.dumps([account])},
        account=account,
        region=region,
    )


def resource_policy(name: str, validate: Any, level: EnforcementLevel = EnforcementLevel.MANDATORY):
    return ResourceValidationPolicy(
        name=name, description=f"{name} description", validate=validate, enforcement_level=level, severity=Severity.HIGH
    )


def stack_policy(name: str, validate: Any, level: EnforcementLevel = EnforcementLevel.MANDATORY):
    return StackValidationPolicy(
        name=name, description=f"{name} description", validate=validate, enforcement_level=level, severity=Severity.LOW
    )


def always(message: str):
    def validate(args, report):
        report(message)

    return validate


def test_resource_policy_sees_inputs_options_and_provider_like_the_engine():
    aws = provider()
    component = recorded("org-backup:vault:LockedVault", "member", custom=False)
    vault = recorded(
        VAULT,
        "member-vault",
        parent=component,
        provider=aws,
        inputs={"name": "org-backup", "kmsKeyArn": UNKNOWN_STRING_VALUE},
        protect=True,
        ignore_changes=["tags"],
    )
    seen: list[Mapping[str, Any]] = []

    def validate(args, report):
        if args.resource_type != VAULT:
            return
        seen.append(
            {
                "is_dict": isinstance(args.props, dict),
                "name": args.props["name"],
                "protect": args.opts.protect,
                "ignore": list(args.opts.ignore_changes),
                "parent": args.opts.parent,
                "provider_region": args.provider.props["region"],
                "config": args.get_config(),
            }
        )
        args.props["kmsKeyArn"]  # an unknown: the proxy raises, as during a real preview

    evaluation = evaluate(program_run(aws, component, vault), [resource_policy("p", validate)])

    assert seen == [
        {
            "is_dict": False,
            "name": "org-backup",
            "protect": True,
            "ignore": ["tags"],
            "parent": component.urn,
            "provider_region": "eu-west-1",
            "config": {},
        }
    ]
    [violation] = evaluation.violations
    assert violation.enforcement == "advisory"
    assert violation.urn == vault.urn
    assert "can't run policy 'p' during preview" in violation.message


def test_stack_policy_sees_outputs_parents_and_dependencies():
    component = recorded("org-backup:backup_policies:BackupPolicies", "policies", custom=False, outputs={"reach": {}})
    vault = recorded(VAULT, "vault", inputs={"name": "v"})
    lock = recorded(
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        "lock",
        parent=component,
        dependencies=[vault],
        property_dependencies={"backupVaultName": [vault]},
    )
    seen: dict[str, Any] = {}

    def validate(args, report):
        by_name = {r.name: r for r in args.resources}
        seen["outputs"] = dict(by_name["policies"].props)
        seen["parent"] = by_name["lock"].parent.name
        seen["dependencies"] = [d.name for d in by_name["lock"].dependencies]
        seen["property_dependencies"] = {
            k: [d.name for d in v] for k, v in by_name["lock"].property_dependencies.items()
        }
        report("stack-wide")
        report("on the lock", by_name["lock"].urn)

    evaluation = evaluate(program_run(component, vault, lock), [stack_policy("s", validate)])

    assert seen == {
        "outputs": {"reach": {}},
        "parent": "policies",
        "dependencies": ["vault"],
        "property_dependencies": {"backupVaultName": ["vault"]},
    }
    assert [(v.urn, v.message, v.enforcement, v.severity, v.impact) for v in evaluation.violations] == [
        (None, "stack-wide", "mandatory", "error", "low"),
        (lock.urn, "on the lock", "mandatory", "error", "low"),
    ]


def test_policy_config_sets_levels_and_passes_the_rest_as_config():
    run = program_run(recorded(VAULT, "vault"))
    received: list[Any] = []

    def configured(args, report):
        received.append(args.get_config())
        report("configured")

    policies = [
        resource_policy("declared-mandatory", always("m")),
        resource_policy("made-advisory", configured),
        resource_policy("switched-off", always("never")),
        resource_policy("remediating", always("r"), EnforcementLevel.ADVISORY),
    ]
    config = {
        "made-advisory": {"enforcementLevel": "advisory", "minDays": 7},
        "switched-off": "disabled",
        "remediating": {"enforcementLevel": "remediate"},
    }

    evaluation = evaluate(run, policies, config)

    assert evaluation.rule_names == ["declared-mandatory", "made-advisory", "remediating"]
    assert {v.rule: v.enforcement for v in evaluation.violations} == {
        "declared-mandatory": "mandatory",
        "made-advisory": "advisory",
        "remediating": "mandatory",
    }
    assert received == [{"minDays": 7}]
    assert evaluation.seconds > 0


def test_all_sets_the_level_of_policies_without_their_own_entry():
    run = program_run(recorded(VAULT, "vault"))
    policies = [resource_policy("a", always("a")), resource_policy("b", always("b"))]

    evaluation = evaluate(run, policies, {"all": "advisory", "b": "mandatory"})

    assert {v.rule: v.enforcement for v in evaluation.violations} == {"a": "advisory", "b": "mandatory"}


def test_a_broken_policy_fails_closed_and_not_applicable_is_silent():
    run = program_run(recorded(VAULT, "vault"))

    def broken(args, report):
        raise KeyError("kmsKeyArn")

    def not_here(args, report):
        args.not_applicable("no vaults of interest")

    evaluation = evaluate(
        run,
        [resource_policy("broken", broken, EnforcementLevel.ADVISORY), stack_policy("skip", not_here)],
    )

    [violation] = evaluation.violations
    assert violation.rule == "broken"
    assert violation.enforcement == "mandatory"
    assert "failed with KeyError" in violation.message


def test_the_pack_loads_as_pulumi_loads_it():
    names = [p.name for p in load_pack()]
    assert names and len(names) == len(set(names))


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "cannot read the policy config"),
        ("[]", "must be a JSON object"),
        ('{"no-such-policy": "advisory"}', "no policy of that name"),
        ('{"p": "sometimes"}', "enforcementLevel must be one of"),
        ('{"p": {"enforcementLevel": "strict"}}', "enforcementLevel must be one of"),
    ],
)
def test_policy_config_mistakes_are_reported(tmp_path: Path, content: str, problem: str):
    path = tmp_path / "policy-config.json"
    path.write_text(content, encoding="utf-8")

    with pytest.raises(PolicyConfigError) as info:
        read_policy_config(path, [resource_policy("p", always("x"))])

    assert problem in str(info.value)
