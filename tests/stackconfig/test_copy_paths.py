"""Copy paths and lock-out, as a user meets them: a mistake in the prod stack, the finding at its path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from deployment.load import load_config
from policies.backup_rules import copy_paths as rules
from stackconfig.copy_paths import LOCKOUT
from tests.deployment.loading import at, findings

CENTRAL_EXTRA = "vaults.central.extra_access_policy_statements"
MEMBER_EXTRA = "vaults.member.extra_access_policy_statements"
DAILY_COPY = "plans.daily.rules.daily.copies[0]"


def deny(action: str, **extra: Any) -> dict[str, Any]:
    return {"Sid": "TeamDeny", "Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*", **extra}


def test_prod_has_no_copy_path_finding(prod_raw):
    assert findings(prod_raw) == []


def test_dr_region_that_is_a_workload_region_is_a_warning(prod_raw):
    prod_raw["organization"]["dr_regions"] = ["us-west-2", "eu-west-1"]
    prod_raw["plans"]["daily"]["rules"]["daily"]["copies"] = [{"region": "eu-west-1", "retention_days": 90}]
    (warning,) = at(load_config(prod_raw).warnings, f"{DAILY_COPY}.region", rules.DR_SAME_REGION)
    assert str(warning) == (
        "plans.daily.rules.daily.copies[0].region: plan 'daily' rule 'daily' copies backups taken in eu-west-1 to "
        "eu-west-1, the same Region: the copy protects nothing against losing eu-west-1; choose a DR Region that "
        "is not a workload Region [copy-dr-same-region] (warning)"
    )


def test_rds_selected_is_an_error_and_a_tag_selection_a_warning(prod_raw):
    raw = copy.deepcopy(prod_raw)
    raw["plans"]["daily"]["selections"]["resources"]["tagged-daily"]["not_resource_types"] = []
    (error,) = at(findings(raw), DAILY_COPY, rules.RDS_ONE_STEP)
    assert error.severity == "error" and "the plan selects RDS/Aurora" in error.message
    prod_raw["plans"]["daily"]["selections"] = {"tags": {"daily": {"key": "backup", "values": ["daily"]}}}
    (warning,) = at(load_config(prod_raw).warnings, DAILY_COPY, rules.RDS_ONE_STEP)
    assert "may select RDS/Aurora" in warning.message


@pytest.mark.parametrize(
    "statement",
    [
        deny("backup:PutBackupVaultAccessPolicy"),
        deny("backup:Put*"),
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "NotAction": "backup:CopyIntoBackupVault", "Resource": "*"},
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": ["arn:aws:iam::333333333333:role/OrganizationAccountAccessRole"]},
            "Action": "backup:StartRestoreJob",
            "Resource": "*",
        },
        deny(
            "backup:StartRestoreJob",
            Condition={"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrganizationAccountAccessRole"}},
        ),
        deny("backup:StartRestoreJob", Condition={"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Backup*"}}),
    ],
    ids=[
        "put-policy",
        "wildcard-action",
        "not-action",
        "not-principal",
        "exempts-deployer-only",
        "targets-break-glass",
    ],
)
def test_extra_statements_that_lock_out_the_deployer_or_break_glass(prod_raw, statement):
    prod_raw["vaults"]["central"]["extra_access_policy_statements"] = [statement]
    (lockout,) = at(findings(prod_raw), f"{CENTRAL_EXTRA}[0]", LOCKOUT)
    assert lockout.severity == "error"
    assert "`pulumi up` and recovery need" in lockout.message


def test_not_principal_gets_its_hint(prod_raw):
    prod_raw["vaults"]["central"]["extra_access_policy_statements"] = [
        {
            "Effect": "Deny",
            "NotPrincipal": {"AWS": "arn:aws:iam::333333333333:role/BackupBreakGlass"},
            "Action": "backup:PutBackupVaultAccessPolicy",
            "Resource": "*",
        }
    ]
    (lockout,) = at(findings(prod_raw), f"{CENTRAL_EXTRA}[0]", LOCKOUT)
    assert "NotPrincipal Deny does not exempt a role's sessions" in lockout.message


def test_exempting_the_admins_is_not_a_lockout(prod_raw):
    exempt = {
        "ArnNotLike": {
            "aws:PrincipalArn": [
                "arn:aws:iam::*:role/OrganizationAccountAccessRole",
                "arn:aws:iam::*:role/BackupBreakGlass",
            ]
        }
    }
    prod_raw["vaults"]["central"]["extra_access_policy_statements"] = [deny("backup:Put*", Condition=exempt)]
    prod_raw["vaults"]["member"]["extra_access_policy_statements"] = [deny("backup:StartRestoreJob", Condition=exempt)]
    assert [f for f in findings(prod_raw) if f.rule == LOCKOUT] == []


def test_member_statement_exempting_one_accounts_roles_locks_out_the_others(prod_raw):
    prod_raw["vaults"]["member"]["extra_access_policy_statements"] = [
        deny(
            "backup:PutBackupVaultAccessPolicy",
            Condition={
                "ArnNotLike": {"aws:PrincipalArn": ["arn:aws:iam::444444444401:role/OrganizationAccountAccessRole"]}
            },
        )
    ]
    (lockout,) = at(findings(prod_raw), f"{MEMBER_EXTRA}[0]", LOCKOUT)
    assert "the deploying role arn:aws:iam::000000000000:role/OrganizationAccountAccessRole" in lockout.message


def test_a_condition_the_checker_cannot_evaluate_is_a_warning(prod_raw):
    prod_raw["vaults"]["central"]["extra_access_policy_statements"] = [
        deny("backup:PutBackupVaultAccessPolicy", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    ]
    (maybe,) = at(findings(prod_raw), f"{CENTRAL_EXTRA}[0]", LOCKOUT)
    assert maybe.severity == "warning" and maybe.message.startswith("this statement may deny")
