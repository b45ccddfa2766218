"""backup-destructive-access-exempt-only: the access analysis as a mandatory pack rule, on the prod stack."""

from __future__ import annotations

import json
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


F4_OPEN = "vault org-backup-central: the "
"""Security review F4, open in the central vault policy until it is narrowed: findings about filling prod's
compliance-locked central vault (``copy into the vault``) by its own account's administrator and by a role named like
the backup role in any organization account."""


def _beyond_f4(found: list[tuple[str | None, str]]) -> list[tuple[str | None, str]]:
    return [(u, m) for u, m in found if not (F4_OPEN in m and " can copy into the vault (" in m)]


OPEN_TO_ORGANIZATION = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowCopyIntoVaultFromOrganization",
            "Effect": "Allow",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Condition": {
                "ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/OrgBackupServiceRole"]},
                "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
            },
        }
    ],
}


def _view_paths(specs: list[Spec]) -> dict[str, str]:
    [view] = [s for s in specs if s.type == ORGANIZATION_VIEW_TYPE]
    return dict(view.props["organization_paths"])


def test_filling_the_compliance_locked_central_vault_from_any_organization_account_is_reported(
    prod_specs: list[Spec],
):
    """Security review F4: a central vault policy admitting the backup role's name in any organization account."""
    out = []
    for spec in prod_specs:
        if (
            spec.type == "aws:backup/vaultPolicy:VaultPolicy"
            and spec.props.get("backupVaultName") == "org-backup-central"
        ):
            spec = replace(spec, props={**spec.props, "policy": json.dumps(OPEN_TO_ORGANIZATION)})  # noqa: PLW2901
        out.append(spec)
    found = run_stack(RULE, out, {"ouAccounts": PROD_OUS})
    messages = [m for _, m in found if F4_OPEN in m]
    assert any("other organization account as OrgBackupServiceRole can copy into the vault" in m for m in messages)


def test_a_backup_role_that_cannot_copy_into_the_central_vault_fails_the_rule(prod_specs: list[Spec]):
    """F9: replace the central key policy's organization statements by one naming the non-regional endpoint."""
    out = []
    for spec in prod_specs:
        if spec.type == "aws:kms/key:Key" and "central-copy-destination" in json.dumps(spec.props.get("tags")):
            policy = json.loads(spec.props["policy"])
            for statement in policy["Statement"]:
                via = (statement.get("Condition") or {}).get("StringEquals", {}).get("kms:ViaService")
                if via:
                    statement["Condition"]["StringEquals"]["kms:ViaService"] = ["backup.amazonaws.com"]
            out.append(replace(spec, props={**spec.props, "policy": json.dumps(policy)}))
            continue
        out.append(spec)
    found = [m for _, m in run_stack(RULE, out, {"ouAccounts": PROD_OUS}) if "silently not be copied" in m]
    assert len(found) == 8, found
    assert all("cannot encrypt copies (via AWS Backup)" in m for m in found)


def _without_scps(specs: list[Spec]) -> list[Spec]:
    scps = {s.urn for s in specs if s.props.get("type") == "SERVICE_CONTROL_POLICY"}
    return [s for s in specs if s.urn not in scps and not (set(s.property_dependencies.get("policyId", ())) & scps)]


def test_metadata_and_registration():
    assert_rule_metadata(ALL_POLICIES, RULE.name, EnforcementLevel.MANDATORY, Severity.CRITICAL)
    assert "reference_policies_evaluation-logic.html" in RULE.description
    assert "key-policies.html" in RULE.description


def test_prod_passes_when_the_rule_knows_which_accounts_the_guardrail_ous_hold(prod_specs: list[Spec]):
    assert _beyond_f4(run_stack(RULE, prod_specs, {"ouAccounts": PROD_OUS})) == []


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
    assert _beyond_f4(run_stack(RULE, prod_specs)) == []


def test_the_guardrail_reach_alone_tells_the_rule_which_accounts_its_ous_hold(prod_specs: list[Spec]):
    [guardrail] = [s for s in prod_specs if s.type == GUARDRAIL_TYPE]
    assert guardrail.props[GUARDRAIL_TARGET_ACCOUNTS]["ou-ab12-22222222"] == PROD_OUS["ou-ab12-22222222"]
    assert all(set(r) >= set(PROD_OUS["ou-ab12-22222222"]) for r in guardrail.props[GUARDRAIL_REACH].values())
    without_view = [s for s in prod_specs if s.type != ORGANIZATION_VIEW_TYPE]
    paths = {"organizationPaths": _view_paths(prod_specs)}
    assert _beyond_f4(run_stack(RULE, without_view, paths)) == []


def test_without_ou_membership_an_ou_attached_guardrail_covers_nothing_and_the_rule_fails_closed(
    prod_specs: list[Spec],
):
    found = _beyond_f4(run_stack(RULE, _without_organization_outputs(prod_specs)))
    copies = [(u, m) for u, m in found if "silently not be copied" in m]
    assert all("aws:PrincipalOrgPaths is not known" in m for _, m in copies)
    found = [f for f in found if f not in copies]
    assert found and all("444444444405" in message or "5555555555" in message for _, message in found)
    assert all("the pack does not know which accounts ou-ab12-" in message for _, message in found)
    assert all("ouAccounts" in message and "fails closed" in message for _, message in found)


def test_the_policy_config_overrides_the_stack_per_ou(prod_specs: list[Spec]):
    """An explicit ouAccounts entry wins over the stack's: here it claims the OU is empty, so its SCP binds nobody."""
    found = _beyond_f4(run_stack(RULE, prod_specs, {"ouAccounts": {"ou-ab12-22222222": []}}))
    assert found and all("5555555555" in message for _, message in found)
    config = {"ouAccounts": PROD_OUS, "organizationPaths": _view_paths(prod_specs)}
    assert _beyond_f4(run_stack(RULE, _without_organization_outputs(prod_specs), config)) == []


def test_without_the_guardrail_the_squatted_break_glass_name_opens_the_vaults(prod_specs: list[Spec]):
    found = run_stack(RULE, _without_scps(prod_specs), {"ouAccounts": PROD_OUS})
    messages = [m for _, m in found]
    squat = [m for m in messages if "account administrator as BackupBreakGlass can delete recovery points" in m]
    assert squat and all("iam:CreateRole allowed to the administrator" in m for m in squat)
    assert any(urn and "aws:backup/vault:Vault" in urn for urn, _ in found)


WEAKENING = by_name(access_rules.POLICIES, "backup-weakening-access-exempt-only")


def test_the_weakening_rule_is_advisory_and_reports_the_delegated_admin_on_backup_policies(prod_specs: list[Spec]):
    """Security review F2 (shown, advisory): the delegated backup-admin account is not under the guardrail."""
    assert_rule_metadata(ALL_POLICIES, WEAKENING.name, EnforcementLevel.ADVISORY, Severity.HIGH)
    found = [m for _, m in run_stack(WEAKENING, prod_specs, {"ouAccounts": PROD_OUS})]
    assert any(
        "backup policy" in m and "delegated backup-admin account administrator can change backup policies" in m
        for m in found
    )
    assert not any("management account administrator" in m for m in found), "the root of trust is never flagged"
