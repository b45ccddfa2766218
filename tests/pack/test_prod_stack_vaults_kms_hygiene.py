"""The prod stack, run under mocks, is clean for the mandatory vault, KMS and hygiene rules.

Each recorded resource becomes a harness ``Spec`` (inputs, account, Region, protect, ignore_changes and the
dependency edges the engine would send), so the rules see what ``pulumi preview`` would show them. Breaking one
input must then make exactly the rule written for it fire, which proves the clean result is not vacuous.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel

from org_backup.preview.offline import load_stack_config, run_program
from rules import ALL_POLICIES, hygiene, kms, vaults
from rules.resources import IAM_ROLE, KMS_KEY, VAULT, VAULT_LOCK, VAULT_POLICY
from tests.pack.harness import Spec, fired, specs_from_run

MANDATORY = [
    policy
    for policy in [*vaults.POLICIES, *kms.POLICIES, *hygiene.POLICIES]
    if policy.enforcement_level == EnforcementLevel.MANDATORY
]


@pytest.fixture(scope="module")
def prod() -> list[Spec]:
    return specs_from_run(run_program(load_stack_config("prod"), stack="prod").resources)


def violations(specs: list[Spec]) -> dict[str, list[tuple[str | None, str]]]:
    return fired(specs, MANDATORY)


def first(specs: list[Spec], type_token: str) -> Spec:
    return next(spec for spec in specs if spec.type == type_token)


def test_every_mandatory_rule_is_checked() -> None:
    names = {policy.name for policy in MANDATORY}
    assert len(names) == 12
    assert {"backup-vault-no-force-destroy", "kms-key-deletion-safety", "backup-lock-not-ignored"} <= names


def test_prod_is_clean(prod: list[Spec]) -> None:
    types = {spec.type for spec in prod}
    assert {VAULT, VAULT_LOCK, VAULT_POLICY, KMS_KEY, IAM_ROLE} <= types
    assert violations(prod) == {}


def set_props(**changes: object) -> Callable[[Spec], Spec]:
    def apply(spec: Spec) -> Spec:
        props = {**spec.props, **changes}
        return dataclasses.replace(spec, props={k: v for k, v in props.items() if v is not None})

    return apply


def set_option(**changes: Any) -> Callable[[Spec], Spec]:
    return lambda spec: dataclasses.replace(spec, **changes)


@pytest.mark.parametrize(
    ("type_token", "change", "rule", "message_part"),
    [
        pytest.param(
            VAULT,
            set_props(forceDestroy=True),
            "backup-vault-no-force-destroy",
            "forceDestroy is true",
            id="force-destroy",
        ),
        pytest.param(
            VAULT_LOCK,
            set_props(minRetentionDays=400.0, maxRetentionDays=30.0),
            "backup-vault-lock-bounds",
            "max_retention_days 30 must be greater than min_retention_days 400",
            id="lock-max-below-min",
        ),
        pytest.param(
            VAULT_LOCK,
            set_option(ignore_changes=["maxRetentionDays"]),
            "backup-lock-not-ignored",
            "hides maxRetentionDays",
            id="lock-ignore-changes",
        ),
        pytest.param(VAULT_LOCK, None, "backup-every-vault-locked", "has no Vault Lock", id="lock-removed"),
        pytest.param(
            VAULT_POLICY, None, "backup-every-vault-has-access-policy", "has no access policy", id="policy-removed"
        ),
        pytest.param(
            VAULT_POLICY,
            set_props(policy='{"Version": "2012-10-17", "Statement": []}'),
            "backup-vault-policy-denies-deletion",
            "no Deny for Principal *",
            id="policy-without-deny",
        ),
        pytest.param(
            KMS_KEY,
            set_props(deletionWindowInDays=7.0),
            "kms-key-deletion-safety",
            "deletionWindowInDays 7",
            id="short-key-deletion-window",
        ),
        pytest.param(
            VAULT,
            set_option(protect=False),
            "backup-resources-protected",
            "this Vault is not protected",
            id="unprotected",
        ),
    ],
)
def test_breaking_one_input_fires_exactly_its_rule(
    prod: list[Spec],
    type_token: str,
    change: Callable[[Spec], Spec] | None,
    rule: str,
    message_part: str,
) -> None:
    target = first(prod, type_token)
    if change is None:
        broken = [spec for spec in prod if spec is not target]
        (expected_urn,) = target.property_dependencies["backupVaultName"]
    else:
        broken = [change(spec) if spec is target else spec for spec in prod]
        expected_urn = target.urn
    found = violations(broken)
    assert list(found) == [rule]
    assert len(found[rule]) == 1
    ((urn, message),) = found[rule]
    assert urn == expected_urn
    assert message_part in message


def test_the_rules_checked_are_served_by_the_pack() -> None:
    served = {policy.name for policy in ALL_POLICIES}
    assert {policy.name for policy in MANDATORY} <= served
