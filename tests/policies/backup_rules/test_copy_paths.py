"""The shared copy-path rules and the request evaluator behind them, on the documents the program generates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.documents.kms import central_backup_key_policy
from components.documents.member_vault import member_key_policy
from components.documents.vault_policy import central_vault_policy, with_extra_statements
from deployment.load import config_from_stack_file
from policies.backup_rules import copy_paths as rules
from policies.backup_rules.access import decide, denials, principal_request
from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.lifecycle import RETENTION_WITHIN_LOCK

PROJECT_DIR = Path(__file__).resolve().parents[3]

ORG = "o-a1b2c3d4e5"
CENTRAL = "333333333333"
SOURCE = "444444444401"
BACKUP_ROLE = "OrgBackupServiceRole"
ROLE = f"arn:aws:iam::{SOURCE}:role/{BACKUP_ROLE}"
PROD_PATH = f"{ORG}/r-ab12/ou-ab12-11111111/"
ADMINS = [f"arn:aws:iam::{CENTRAL}:role/OrganizationAccountAccessRole", f"arn:aws:iam::{CENTRAL}:role/BreakGlass"]


def path(**changes: object) -> rules.CopyPath:
    base = {
        "where": "plans.daily.rules.daily.copies[0]",
        "plan": "daily",
        "rule": "daily",
        "source_account": SOURCE,
        "source_region": "us-east-1",
        "destination_account": CENTRAL,
        "destination_region": "us-west-2",
        "destination_vault": "org-backup-central",
        "retention_days": 90,
    }
    base.update(changes)
    return rules.CopyPath(**base)  # type: ignore[arg-type]


def vault_policy(paths: list[str] | None = None, extra: list[dict[str, Any]] | None = None) -> dict[str, object]:
    document = central_vault_policy(
        organization_id=ORG, organization_paths=paths or [], break_glass_role_arns=ADMINS, backup_role_name=BACKUP_ROLE
    )
    return with_extra_statements(document, extra or [])


def admits(document: object, org_path: str | None = PROD_PATH) -> list[str]:
    return [
        f.rule
        for f in rules.check_vault_admits(
            path(),
            document,  # type: ignore[arg-type]
            principal_arn=ROLE,
            organization_id=ORG,
            organization_path=org_path,
            policy_name="the policy",
        )
    ]


# --------------------------------------------------------------------------- the evaluator


def test_deny_with_an_arn_not_like_exemption_spares_only_the_exempt_roles():
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "backup:Put*",
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::*:role/BreakGlass"]}},
    }
    exempt = principal_request("backup:PutBackupVaultAccessPolicy", ADMINS[1], organization_id=ORG)
    squatter = principal_request("backup:PutBackupVaultAccessPolicy", ADMINS[0], organization_id=ORG)
    assert denials([deny], exempt) == []
    assert denials([deny], squatter) == [(0, True)]


def test_not_principal_naming_the_role_does_not_exempt_its_sessions():
    deny = {"Effect": "Deny", "NotPrincipal": {"AWS": [ADMINS[0]]}, "Action": "backup:*", "Resource": "*"}
    request = principal_request("backup:PutBackupVaultAccessPolicy", ADMINS[0], organization_id=ORG)
    assert denials([deny], request) == [(0, True)]


def test_a_condition_on_an_unknown_key_is_a_maybe_not_a_pass():
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "backup:PutBackupVaultAccessPolicy",
        "Resource": "*",
        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
    }
    request = principal_request("backup:PutBackupVaultAccessPolicy", ADMINS[0], organization_id=ORG)
    assert denials([deny], request) == [(0, False)]


def test_negated_operator_on_a_missing_key_matches_and_if_exists_passes():
    request = principal_request("backup:CopyIntoBackupVault", ROLE, organization_id=None)
    negated = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:PrincipalOrgID": ORG}},
    }
    assert denials([negated], request) == [(0, True)]
    allow = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
        "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG}},
    }
    assert decide({"Statement": [allow]}, request).allowed


def test_a_json_string_document_is_read_like_a_mapping():
    document = vault_policy()
    request = principal_request("backup:CopyIntoBackupVault", ROLE, organization_id=ORG, organization_path=PROD_PATH)
    assert decide(json.dumps(document), request).allowed and decide(document, request).allowed


# --------------------------------------------------------------------------- vault admission


def test_the_generated_central_policy_admits_every_account_of_the_organization():
    assert admits(vault_policy()) == []


def test_organization_paths_that_miss_the_source_ou_refuse_its_copies():
    assert admits(vault_policy([f"{ORG}/r-ab12/ou-ab12-22222222/*"])) == [rules.SOURCE_NOT_ADMITTED]
    assert admits(vault_policy([f"{ORG}/r-ab12/ou-ab12-11111111/*"])) == []


def test_an_account_outside_the_organization_is_refused():
    other = rules.check_vault_admits(
        path(),
        vault_policy(),
        principal_arn=ROLE,
        organization_id="o-zzzzzzzzzz",
        organization_path=None,
        policy_name="the policy",
    )
    assert [f.rule for f in other] == [rules.SOURCE_NOT_ADMITTED]


def test_an_extra_deny_names_the_statement_that_refuses():
    extra = [
        {
            "Sid": "OnlyPayments",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "backup:CopyIntoBackupVault",
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "444444444499"}},
        }
    ]
    (finding,) = rules.check_vault_admits(
        path(),
        vault_policy(extra=extra),
        principal_arn=ROLE,
        organization_id=ORG,
        organization_path=PROD_PATH,
        policy_name="the policy",
    )
    assert "denies it (policy.Statement[2])" in finding.message
    assert finding.path == "plans.daily.rules.daily.copies[0]" and finding.severity == "error"


def test_no_vault_policy_and_same_account_copies():
    assert admits(None) == [rules.SOURCE_NOT_ADMITTED]
    same = path(destination_account=SOURCE)
    assert (
        rules.check_vault_admits(
            same, None, principal_arn=ROLE, organization_id=ORG, organization_path=None, policy_name="p"
        )
        == []
    )


# --------------------------------------------------------------------------- keys


def keys(central_account_in_member_key: str, paths: list[str] | None = None) -> list[str]:
    config = config_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").config
    org = config.organization.model_copy(update={"central_vault_account_id": central_account_in_member_key})
    admins = org.vault_admin_role_arns(SOURCE, ["BackupBreakGlass"])
    source_key = member_key_policy(
        config.model_copy(update={"organization": org}), account_id=SOURCE, region="us-east-1", admin_role_arns=admins
    )
    destination_key = central_backup_key_policy(
        account_id=CENTRAL,
        region="us-west-2",
        organization_id=ORG,
        organization_paths=paths or [],
        break_glass_role_arns=ADMINS,
    )
    return [
        f.rule
        for f in rules.check_keys_admit(
            path(),
            source_key_policy=source_key,
            destination_key_policy=destination_key,
            source_principal_arn=ROLE,
            destination_principal_arn=f"arn:aws:iam::{CENTRAL}:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
            organization_id=ORG,
            source_organization_path=PROD_PATH,
            destination_organization_path=f"{ORG}/r-ab12/ou-ab12-44444444/",
        )
    ]


def test_generated_keys_admit_the_copy():
    assert keys(CENTRAL) == []


def test_a_source_key_shared_with_another_account_fails():
    assert keys("999999999999") == [rules.SOURCE_KEY]


def test_a_destination_key_scoped_to_other_ous_fails():
    assert keys(CENTRAL, [f"{ORG}/r-ab12/ou-ab12-22222222/*"]) == [rules.DESTINATION_KEY]


# --------------------------------------------------------------------------- Region, RDS, retention


def test_dr_copy_in_the_source_region_is_a_warning_naming_plan_rule_and_region():
    (finding,) = rules.check_leaves_region(path(destination_region="us-east-1"))
    assert finding.severity == "warning" and finding.rule == rules.DR_SAME_REGION
    assert finding.path == "plans.daily.rules.daily.copies[0].region"
    assert "plan 'daily' rule 'daily'" in finding.message and "losing us-east-1" in finding.message
    assert rules.check_leaves_region(path()) == []


@pytest.mark.parametrize(("scope", "expected"), [("selected", ["error"]), ("maybe", ["warning"]), ("no", [])])
def test_rds_one_step(scope, expected):
    found = rules.check_rds_one_step(path(rds=scope))
    assert [f.severity for f in found] == expected
    assert all(f.rule == rules.RDS_ONE_STEP for f in found)
    assert rules.check_rds_one_step(path(rds=scope, destination_region="us-east-1")) == []
    assert rules.check_rds_one_step(path(rds=scope, destination_account=SOURCE)) == []


def test_rds_rule_is_the_one_the_backup_policy_validator_reports():
    """backup_policy reports the RDS rule through copy_paths.check_rds_one_step: same words, id and level."""
    arn = f"arn:aws:backup:us-west-2:{CENTRAL}:backup-vault:central"
    document = {
        "plans": {
            "p": {
                "regions": {"@@assign": ["us-east-1"]},
                "rules": {
                    "r": {
                        "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
                        "target_backup_vault_name": {"@@assign": "v"},
                        "copy_actions": {arn: {"target_backup_vault_arn": {"@@assign": arn}}},
                    }
                },
                "selections": {
                    "resources": {
                        "s": {
                            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/R"},
                            "resource_types": {"@@assign": ["arn:aws:rds:*:*:db:*"]},
                        }
                    }
                },
            }
        }
    }
    from_policy = [f for f in validate_backup_policy(document) if f.rule == rules.RDS_ONE_STEP]
    from_paths = rules.check_rds_one_step(path(rds="selected"))
    assert [(f.message, f.severity) for f in from_policy] == [(f.message, f.severity) for f in from_paths]


def test_retention_outside_the_destination_lock():
    found = rules.check_retention_fits(path(retention_days=500), 30, 400, "vaults.central (org-backup-central)")
    assert [f.rule for f in found] == [RETENTION_WITHIN_LOCK]


def test_many_sources_give_one_finding():
    pairs = []
    for n in range(8):
        p = path(source_account=f"44444444440{n}")
        pairs += [
            (p, f)
            for f in rules.check_vault_admits(
                p, None, principal_arn=ROLE, organization_id=ORG, organization_path=None, policy_name="p"
            )
        ]
    (finding,) = rules.grouped(pairs)
    assert "8 sources" in finding.message and "and 3 more" in finding.message
