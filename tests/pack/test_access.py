"""backup-destructive-access-exempt-only: the access analysis as a mandatory pack rule, on the prod stack."""

from __future__ import annotations

from dataclasses import replace

import pytest
from pulumi_policy import EnforcementLevel, Severity

from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from policies.backup_rules.names import GUARDRAIL_TYPE, ORGANIZATION_VIEW_TYPE
from policies.backup_rules.stack_outputs import GUARDRAIL_REACH, GUARDRAIL_TARGET_ACCOUNTS
from rules import ALL_POLICIES
from rules import access as access_rules
from tests.pack.harness import Spec, assert_rule_metadata, by_name, run_stack, specs_from_run

RULE = by_name(access_rules.POLICIES, "backup-destructive-access-exempt-only")
PROD_OUS = {
    "ou-ab12-11111111": [
        "444444444401",
        "444444444402",
        "444444444403",
        "444444444404",
        "444444444405",
        "444444444406",
    ],
    "ou-ab12-55555555": ["444444444405"],
    "ou-ab12-22222222": ["555555555501", "555555555502", "555555555503", "555555555504"],
}


@pytest.fixture(scope="module")
def prod_specs() -> list[Spec]:
    run: ProgramRun = run_program(load_stack_config("prod"), stack="prod")
    return specs_from_run(run.resources)


def _without_scps(specs: list[Spec]) -> list[Spec]:
    scps = {s.urn for s in specs if s.props.get("type") == "SERVICE_CONTROL_POLICY"}
    return [s for s in specs if s.urn not in scps and not (set(s.property_dependencies.get("policyId", ())) & scps)]


def test_metadata_and_registration():
    assert_rule_metadata(ALL_POLICIES, RULE.name, EnforcementLevel.MANDATORY, Severity.CRITICAL)
    assert "reference_policies_evaluation-logic.html" in RULE.description
    assert "key-policies.html" in RULE.description


def test_prod_passes_when_the_rule_knows_which_accounts_the_guardrail_ous_hold(prod_specs: list[Spec]):
    assert run_stack(RULE, prod_specs, {"ouAccounts": PROD_OUS}) == []


def _without_organization_outputs(specs: list[Spec]) -> list[Spec]:
    """The stack as a program that publishes neither the OrganizationView nor the Guardrail's reach would give it."""
    out = []
    hidden = (GUARDRAIL_REACH, GUARDRAIL_TARGET_ACCOUNTS)
    for spec in specs:
        if spec.type == ORGANIZATION_VIEW_TYPE:
            continue
        kept = {k: v for k, v in spec.props.items() if k not in hidden}
        out.append(replace(spec, props=kept) if spec.type == GUARDRAIL_TYPE else spec)
    return out


def test_prod_passes_with_no_policy_config_the_stack_tells_which_accounts_the_guardrail_ous_hold(
    prod_specs: list[Spec],
):
    """What a real `pulumi preview --policy-pack policies` does: no policy config at all."""
    [view] = [s for s in prod_specs if s.type == ORGANIZATION_VIEW_TYPE]
    assert view.props["ou_accounts"]["ou-ab12-22222222"] == PROD_OUS["ou-ab12-22222222"]
    assert run_stack(RULE, prod_specs) == []


def test_the_guardrail_reach_alone_tells_the_rule_which_accounts_its_ous_hold(prod_specs: list[Spec]):
    [guardrail] = [s for s in prod_specs if s.type == GUARDRAIL_TYPE]
    assert guardrail.props[GUARDRAIL_TARGET_ACCOUNTS]["ou-ab12-22222222"] == PROD_OUS["ou-ab12-22222222"]
    assert all(set(r) >= set(PROD_OUS["ou-ab12-22222222"]) for r in guardrail.props[GUARDRAIL_REACH].values())
    assert run_stack(RULE, [s for s in prod_specs if s.type != ORGANIZATION_VIEW_TYPE]) == []


def test_without_ou_membership_an_ou_attached_guardrail_covers_nothing_and_the_rule_fails_closed(
    prod_specs: list[Spec],
):
    found = run_stack(RULE, _without_organization_outputs(prod_specs))
    assert found and all("444444444405" in message or "5555555555" in message for _, message in found)
    assert all("the pack does not know which accounts ou-ab12-" in message for _, message in found)
    assert all("ouAccounts" in message and "fails closed" in message for _, message in found)


def test_the_policy_config_overrides_the_stack_per_ou(prod_specs: list[Spec]):
    """An explicit ouAccounts entry wins over the stack's: here it claims the OU is empty, so its SCP binds nobody."""
    found = run_stack(RULE, prod_specs, {"ouAccounts": {"ou-ab12-22222222": []}})
    assert found and all("5555555555" in message for _, message in found)
    assert run_stack(RULE, _without_organization_outputs(prod_specs), {"ouAccounts": PROD_OUS}) == []


def test_without_the_guardrail_the_squatted_break_glass_name_opens_the_vaults(prod_specs: list[Spec]):
    found = run_stack(RULE, _without_scps(prod_specs), {"ouAccounts": PROD_OUS})
    messages = [m for _, m in found]
    squat = [m for m in messages if "account administrator as BackupBreakGlass can delete recovery points" in m]
    assert squat and all("iam:CreateRole allowed to the administrator" in m for m in squat)
    assert any(urn and "aws:backup/vault:Vault" in urn for urn, _ in found)
