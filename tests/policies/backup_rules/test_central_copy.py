"""Who may copy into the central vault: the backup role and AWS Backup's service-linked role, nobody else
(policies.backup_rules.central_copy; the loader and the pack report it under the same rule id and level)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from components.documents.vault_policy import central_vault_policy
from deployment.load import load_config
from policies.backup_rules.central_copy import CENTRAL_COPY_RULE, copy_beyond_backup_role
from policies.backup_rules.levels import SHARED_RULES
from stackconfig.load import ConfigError, read_stack_file, sections_from_pulumi_config

ROLE = "OrgBackupServiceRole"
ORG = {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}
PROJECT_DIR = Path(__file__).resolve().parents[3]


def allow(principal: Any, condition: dict[str, Any] | None = None, action: Any = "backup:CopyIntoBackupVault") -> dict:
    statement = {"Sid": "Extra", "Effect": "Allow", "Principal": principal, "Action": action, "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def findings(*statements: dict[str, Any]) -> list[str]:
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    return [f.rule for f in copy_beyond_backup_role(document, backup_role_names=[ROLE])]


def test_the_generated_central_vault_policy_admits_only_the_backup_roles() -> None:
    document = central_vault_policy(
        organization_id="o-a1b2c3d4e5",
        break_glass_role_arns=["arn:aws:iam::333333333333:role/BackupBreakGlass"],
        backup_role_name=ROLE,
    )
    assert copy_beyond_backup_role(document, backup_role_names=[ROLE]) == []


@pytest.mark.parametrize(
    "statement",
    [
        allow("*", ORG),  # AWS's own example: the whole organization
        allow({"AWS": "*"}, {**ORG, "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/*"}}),
        allow("*", {**ORG, "ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{ROLE}", "arn:aws:iam::*:role/X"]}}),
        allow("*", {**ORG, "ArnLikeIfExists": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{ROLE}"}}),
        allow({"AWS": "arn:aws:iam::444444444401:root"}),
        allow({"AWS": "arn:aws:iam::444444444401:role/AppTeamBackup"}),
        allow({"Service": "backup.amazonaws.com"}),
        allow("*", ORG, action="backup:*"),
        allow("*", ORG, action="backup:Copy*"),
    ],
    ids=[
        "organization",
        "any-role",
        "one-other-role",
        "if-exists-bound",
        "account-root",
        "other-role",
        "service",
        "backup-star",
        "copy-star",
    ],
)
def test_an_extra_statement_that_reopens_the_copy_is_an_error(statement: dict[str, Any]) -> None:
    assert findings(statement) == [CENTRAL_COPY_RULE]


@pytest.mark.parametrize(
    "statement",
    [
        allow({"AWS": f"arn:aws:iam::444444444401:role/{ROLE}"}),
        allow("*", {**ORG, "ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::*:role/{ROLE}"}}),
        allow({"AWS": "arn:aws:iam::444444444401:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup"}),
        allow("*", ORG, action="backup:DescribeBackupVault"),
        {"Sid": "Deny", "Effect": "Deny", "Principal": "*", "Action": "backup:CopyIntoBackupVault", "Resource": "*"},
    ],
    ids=["backup-role", "backup-role-bound", "service-linked-role", "other-action", "deny"],
)
def test_statements_that_admit_nobody_else_pass(statement: dict[str, Any]) -> None:
    assert findings(statement) == []


def test_the_loader_reports_it_once_at_the_statement_with_the_shared_level() -> None:
    raw = copy.deepcopy(sections_from_pulumi_config(read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")))
    raw["vaults"]["central"]["extra_access_policy_statements"] = [allow("*", ORG)]
    with pytest.raises(ConfigError) as caught:
        load_config(raw)
    [found] = [f for f in caught.value.findings if f.rule == CENTRAL_COPY_RULE]
    assert found.path == "vaults.central.extra_access_policy_statements[0].Principal"
    assert found.severity == SHARED_RULES[CENTRAL_COPY_RULE][1] == "error"
    assert "role/OrgBackupServiceRole" in found.message
