"""Preflight reads the organization's delegation policy: what pulumi up keeps, and what would make it refuse."""

from __future__ import annotations

import json
from pathlib import Path

from org_backup.ops.common import EXIT_FINDINGS
from tests.org_backup.ops.fakes import StubbedApis
from tests.org_backup.ops.test_preflight import run

SECURITY_TEAM = {
    "Sid": "SecurityAccountManagesSCPs",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
    "Action": "organizations:CreatePolicy",
    "Resource": "*",
}


def _delegation(findings: list[dict[str, object]]) -> list[dict[str, object]]:
    return [f for f in findings if f["check"] == "delegation-policy"]


def test_no_delegation_policy_is_no_finding(stack_file: Path, connect, stubs: StubbedApis, tmp_path: Path) -> None:
    _, findings = run(stack_file, connect, tmp_path / "out.json")

    assert _delegation(findings) == []
    assert "Organizations:DescribeResourcePolicy" in stubs.stubbed


def test_other_teams_statements_are_listed_as_kept(
    stack_file: Path, connect, stubs: StubbedApis, tmp_path: Path
) -> None:
    stubs.delegation_policy = json.dumps({"Version": "2012-10-17", "Statement": [SECURITY_TEAM]})

    _, findings = run(stack_file, connect, tmp_path / "out.json")

    [finding] = _delegation(findings)
    assert finding["severity"] == "info"
    assert "SecurityAccountManagesSCPs" in str(finding["message"])
    assert "keeps" in str(finding["message"])


def test_a_statement_under_one_of_our_sids_is_an_error(
    stack_file: Path, connect, stubs: StubbedApis, tmp_path: Path
) -> None:
    squatter = {**SECURITY_TEAM, "Sid": "OrgBackupAllowManageBackupPolicies"}
    stubs.delegation_policy = json.dumps({"Version": "2012-10-17", "Statement": [squatter]})

    code, findings = run(stack_file, connect, tmp_path / "out.json")

    [finding] = _delegation(findings)
    assert code == EXIT_FINDINGS
    assert finding["severity"] == "error"
    assert "OrgBackupAllowManageBackupPolicies" in str(finding["message"])
    assert "arn:aws:iam::999999999999:root" in str(finding["message"])
