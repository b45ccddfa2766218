"""The loop closes: what the program deploys is what verify (and coverage) expect, and each kind of drift is
reported exactly where it is made and nowhere else. Runs against the prod stack deployed into moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from org_backup.demo.command import caller_environment, run_checks
from org_backup.demo.deploy import Demo
from org_backup.demo.standin import STOOD_IN

PROD_PAYMENTS, PROD_ORDERS, PROD_DATA = "444444444401", "444444444402", "444444444403"
DEV, QA = "555555555502", "555555555503"
PROD_CRITICAL = "ou-ab12-55555555"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"


def checked(demo: Demo, output: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    with caller_environment(demo):
        outcome = run_checks(demo, output)
    return json.loads(outcome.verify_json.read_text()), json.loads(outcome.coverage_json.read_text())


def counted(findings: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(f["check"], f["account"], f["region"] or "") for f in findings if f["severity"] != "info"}


def test_a_freshly_deployed_organization_verifies_clean(demo: Demo, tmp_path: Path) -> None:
    verified, covered = checked(demo, tmp_path)

    assert counted(verified["findings"]) == set(), verified["findings"]
    assert [f["check"] for f in verified["findings"]] == ["vault-lock"], "only the central lock's grace period"
    assert not any("could not" in f["message"] for f in verified["findings"])
    assert len(verified["coverage"]) == 8 * 2 + 1 and all(row["protected"] for row in verified["coverage"])
    assert {r["status"] for r in covered["resources"]} == {"protected"}
    assert len(covered["resources"]) == len(demo.workloads.resources) == 8 * 2 * 3
    answered = set(demo.standin.stubbed)
    assert {"Organizations:DescribeEffectivePolicy", "Backup:GetBackupVaultAccessPolicy"} <= answered
    assert answered <= set(STOOD_IN)


def _prod_backup_policy(demo: Demo) -> str:
    """The real id of the backup policy holding the prod-only plans (the one attached to prod-critical)."""
    for resource in demo.deployment.run.of_type(ATTACHMENT):
        name = resource.inputs["policyId"].removesuffix("-id")
        if resource.inputs["targetId"] == PROD_CRITICAL and "guardrail" not in name:
            policy = next(u for u in demo.deployment.outputs if u.endswith(f"::{name}"))
            if "weekly" in demo.deployment.run.by_urn()[policy].inputs["content"]:
                return str(demo.deployment.outputs[policy]["id"])
    raise AssertionError("no prod backup policy")


def test_each_kind_of_drift_is_reported_where_it_is_made_and_nowhere_else(demo: Demo, tmp_path: Path) -> None:
    accounts = demo.deployment.accounts
    vault = demo.config.vaults.member.name
    # AWS deletes only an empty vault (API_DeleteBackupVault): its recovery points go first.
    gone = f"arn:aws:backup:eu-west-1:{PROD_PAYMENTS}:backup-vault:{vault}"
    demo.standin.recovery_points[:] = [p for p in demo.standin.recovery_points if p["BackupVaultArn"] != gone]
    accounts.client(PROD_PAYMENTS, "backup", "eu-west-1").delete_backup_vault(BackupVaultName=vault)
    accounts.client(DEV, "backup", "us-east-1").put_backup_vault_lock_configuration(
        BackupVaultName=vault, MinRetentionDays=1, MaxRetentionDays=400
    )
    iam = accounts.client(PROD_DATA, "iam", "us-east-1")
    role = demo.config.vaults.backup_role_name
    for attached in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
        iam.detach_role_policy(RoleName=role, PolicyArn=attached["PolicyArn"])
    iam.delete_role(RoleName=role)
    accounts.client(demo.config.organization.management_account_id, "organizations", "us-east-1").detach_policy(
        PolicyId=_prod_backup_policy(demo), TargetId=PROD_ORDERS
    )
    untagged = next(
        arn
        for arn, (account, region, _) in demo.workloads.resources.items()
        if account == QA and ":volume/" in arn and region == "us-east-1"
    )
    ec2 = accounts.client(QA, "ec2", "us-east-1")
    volume = untagged.rsplit("/", 1)[-1]
    plan_tags = demo.workloads.resources[untagged][2]
    ec2.delete_tags(Resources=[volume], Tags=[{"Key": key} for key in plan_tags])

    verified, covered = checked(demo, tmp_path)

    assert counted(verified["findings"]) == {
        ("vault", PROD_PAYMENTS, "eu-west-1"),
        ("vault-lock", DEV, "us-east-1"),
        ("backup-role", PROD_DATA, ""),
        ("effective-policy", PROD_ORDERS, ""),
    }, verified["findings"]
    not_protected = {(r["account"], r["region"], r["arn"]): r["status"] for r in covered["resources"]}
    not_protected = {key: status for key, status in not_protected.items() if status != "protected"}
    in_deleted_vault = {
        (account, region, arn)
        for arn, (account, region, _) in demo.workloads.resources.items()
        if (account, region) == (PROD_PAYMENTS, "eu-west-1")
    }
    assert set(not_protected) == {(QA, "us-east-1", untagged)} | in_deleted_vault, not_protected
    assert not_protected[(QA, "us-east-1", untagged)] == "not-selected"
