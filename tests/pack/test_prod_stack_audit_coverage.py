"""The audit and coverage rules on what the prod stack really registers (the program under mocks).

The prod stack must pass every mandatory rule of these domains, and a broken copy of it (a member without
its backup role or one of its vaults, a policy attached to an account the stack does not equip, too many
frameworks) must fire exactly the rule that names that mistake.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import pytest
from pulumi_policy import EnforcementLevel, Policy

from org_backup.preview.offline import load_stack_config, run_program
from rules import audit, coverage
from rules.resources import FRAMEWORK, ORG_POLICY, ORG_POLICY_ATTACHMENT

from .harness import Spec, fired, specs_from_run

POLICIES = audit.POLICIES + coverage.POLICIES
MANDATORY_RULES = [p for p in POLICIES if p.enforcement_level == EnforcementLevel.MANDATORY]
ADVISORY_AUDIT_RULES = [p for p in audit.POLICIES if p.enforcement_level == EnforcementLevel.ADVISORY]
VAULT_RULE = "backup-vault-in-every-target"
ROLE_RULE = "backup-role-in-every-target"
SANDBOX_ACCOUNT = "666666666601"


def violations(specs: Sequence[Spec], policies: Iterable[Policy]) -> dict[str, list[str]]:
    """Rule name -> messages, for the rules that fire."""
    return {name: [message for _, message in reports] for name, reports in fired(specs, list(policies)).items()}


@pytest.fixture(scope="module")
def prod() -> list[Spec]:
    return specs_from_run(run_program(load_stack_config("prod"), stack="prod").resources)


def without(specs: list[Spec], name: str) -> list[Spec]:
    kept = [s for s in specs if s.name != name]
    assert len(kept) == len(specs) - 1, f"{name} is not in the prod stack"
    return kept


def test_prod_stack_passes_the_mandatory_audit_and_coverage_rules(prod: list[Spec]) -> None:
    assert {p.name for p in MANDATORY_RULES} == {
        "backup-audit-controls-quota",
        "backup-vault-notifications-valid",
        VAULT_RULE,
        ROLE_RULE,
    }
    assert violations(prod, MANDATORY_RULES) == {}


def test_prod_stack_has_audit_evidence_and_alerting(prod: list[Spec]) -> None:
    assert violations(prod, ADVISORY_AUDIT_RULES) == {}


def test_member_without_its_backup_role(prod: list[Spec]) -> None:
    found = violations(without(prod, "member-444444444401-backup-role"), MANDATORY_RULES)
    assert set(found) == {ROLE_RULE}
    assert all(
        "role OrgBackupServiceRole" in m and "does not exist in 1 reached account(s): 444444444401" in m
        for m in found[ROLE_RULE]
    )


def test_member_without_one_of_its_vaults(prod: list[Spec]) -> None:
    found = violations(without(prod, "member-555555555502-eu-west-1-vault"), MANDATORY_RULES)
    assert set(found) == {VAULT_RULE}
    [message] = found[VAULT_RULE]
    assert "back up into vault org-backup" in message
    assert "in 1 reached account/Region(s): 555555555502/eu-west-1" in message


def test_policy_attached_to_an_account_with_no_vault_or_role(prod: list[Spec]) -> None:
    policy = next(s for s in prod if s.type == ORG_POLICY and s.props["type"] == "BACKUP_POLICY")
    model = next(s for s in prod if s.type == ORG_POLICY_ATTACHMENT and s.parent == policy.urn)
    stray = dataclasses.replace(
        model, name=f"{policy.name}-{SANDBOX_ACCOUNT}", props={**model.props, "targetId": SANDBOX_ACCOUNT}
    )
    found = violations([*prod, stray], MANDATORY_RULES)
    assert set(found) == {VAULT_RULE, ROLE_RULE}
    assert all(f"{SANDBOX_ACCOUNT}/" in m for m in found[VAULT_RULE])
    assert all(f"reached account(s): {SANDBOX_ACCOUNT};" in m for m in found[ROLE_RULE])


def test_too_many_controls_in_one_account_and_region(prod: list[Spec]) -> None:
    model = next(s for s in prod if s.type == FRAMEWORK and s.account == "444444444401" and s.region == "us-east-1")
    per_framework = len(model.props["controls"])
    frameworks = 50 // per_framework + 1
    extra = [dataclasses.replace(model, name=f"{model.name}-copy{i}") for i in range(frameworks - 1)]
    found = violations([*prod, *extra], MANDATORY_RULES)
    assert set(found) == {"backup-audit-controls-quota"}
    assert found["backup-audit-controls-quota"][-1].startswith(
        f"{frameworks * per_framework} controls across {frameworks} framework(s) in account 444444444401 "
        "Region us-east-1"
    )


@pytest.fixture(scope="module")
def prod_stack_set() -> list[Spec]:
    """The prod stack with member vaults and roles deployed by a StackSet (member_deployment.mode stackset)."""
    config = {**load_stack_config("prod"), "org-backup:member_deployment": {"mode": "stackset"}}
    return specs_from_run(run_program(config, stack="prod").resources)


def test_prod_stack_in_stack_set_mode_passes(prod_stack_set: list[Spec]) -> None:
    assert not [s for s in prod_stack_set if s.name == "member-444444444401-backup-role"]
    assert violations(prod_stack_set, MANDATORY_RULES) == {}


def test_stack_set_instance_missing_for_an_attached_ou(prod_stack_set: list[Spec]) -> None:
    found = violations(without(prod_stack_set, "member-stackset-eu-west-1-ou-ab12-22222222"), MANDATORY_RULES)
    assert set(found) == {VAULT_RULE}
    [message] = found[VAULT_RULE]
    assert "which no StackSet instance deploys to the attached OU/Region(s) ou-ab12-22222222/eu-west-1" in message
