"""The prod stack, run under mocks, passes every mandatory org-policy and copy rule; one break fires one rule.

This is the check that the rules read what the program really registers (type tokens, camelCase inputs,
the BackupPolicies ``reach`` output, the dynamic policy-type resource), not only hand-built inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest
from pulumi_policy import EnforcementLevel

from components.program import offline_tree
from deployment.load import load_config
from org_backup.preview.offline import load_stack_config, run_program
from rules import copies, org_policies, org_setup
from stackconfig.copy_paths import organization_paths
from stackconfig.load import sections_from_pulumi_config
from tests.pack.harness import Spec, fired, specs_from_run

MANDATORY = [
    policy
    for policy in org_policies.POLICIES + org_setup.POLICIES + copies.POLICIES
    if policy.enforcement_level == EnforcementLevel.MANDATORY
]
CENTRAL_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
CENTRAL_VAULT_NAME = "org-backup-central"


def organization() -> dict[str, object]:
    """What ``org_backup.preview.command`` passes the copy-path rules from the prod inventory: each account's OU path."""
    tree = offline_tree(load_config(sections_from_pulumi_config(load_stack_config("prod"))).config, "prod")
    assert tree.organization_id is not None
    return {"organizationPaths": organization_paths(tree, tree.organization_id)}


def violations(specs: Sequence[Spec]) -> dict[str, list[str]]:
    """Messages of every mandatory rule of the two domains, by rule name (rules that pass are left out)."""
    found = fired(specs, MANDATORY, organization())
    return {name: [message for _, message in reports] for name, reports in found.items()}


@pytest.fixture(scope="module")
def prod_specs() -> list[Spec]:
    return specs_from_run(run_program(load_stack_config("prod"), stack="prod").resources)


def test_the_rules_see_what_prod_registers(prod_specs: list[Spec]) -> None:
    types = {spec.type for spec in prod_specs}
    assert {"aws:organizations/policy:Policy", "org-backup:backup_policies:BackupPolicies", CENTRAL_LOCK} <= types
    [component] = [s for s in prod_specs if s.type == "org-backup:backup_policies:BackupPolicies"]
    assert component.props["reach"], "the reach output is what resolves OU attachments"


def test_prod_passes_every_mandatory_rule(prod_specs: list[Spec]) -> None:
    assert violations(prod_specs) == {}


def _edit_central_lock(edit: Callable[[dict[str, object]], object]) -> Callable[[list[Spec]], list[Spec]]:
    def edited(spec: Spec) -> Spec:
        if spec.type != CENTRAL_LOCK or spec.props.get("backupVaultName") != CENTRAL_VAULT_NAME:
            return spec
        props = dict(spec.props)
        edit(props)
        return replace(spec, props=props)

    def apply(specs: list[Spec]) -> list[Spec]:
        return [edited(spec) for spec in specs]

    return apply


def _without(type_token: str) -> Callable[[list[Spec]], list[Spec]]:
    def apply(specs: list[Spec]) -> list[Spec]:
        return [spec for spec in specs if spec.type != type_token]

    return apply


@pytest.mark.parametrize(
    ("break_it", "rule", "fragment"),
    [
        pytest.param(
            _edit_central_lock(lambda props: props.pop("changeableForDays")),
            "backup-copy-destination-locked",
            "backup-vault:org-backup-central: the destination vault is locked in governance mode",
            id="central-lock-governance",
        ),
        pytest.param(
            _edit_central_lock(lambda props: props.update(maxRetentionDays=300.0)),
            "backup-plan-retention-within-lock",
            "delete_after_days 400 is above max_retention_days 300",
            id="central-lock-max-below-monthly-copy",
        ),
        pytest.param(
            _without("aws:backup/globalSettings:GlobalSettings"),
            "backup-cross-account-enabled",
            "isCrossAccountBackupEnabled",
            id="no-global-settings",
        ),
    ],
)
def test_one_break_fires_exactly_its_rule(
    prod_specs: list[Spec], break_it: Callable[[list[Spec]], list[Spec]], rule: str, fragment: str
) -> None:
    found = violations(break_it(prod_specs))
    assert set(found) == {rule}
    assert any(fragment in message for message in found[rule]), found[rule]
