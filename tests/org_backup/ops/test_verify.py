"""org_backup.ops.verify against moto (and stubs for what moto lacks): clean, drifted, and partly unreachable."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from components.documents.backup_policy import render_backup_policies
from components.documents.iam import backup_role_managed_policy_arns
from components.documents.vault_policy import member_vault_policy
from org_backup.demo.seed import job
from org_backup.ops import verify
from org_backup.ops.checks.base import Target
from org_backup.ops.checks.locks import lock_findings
from org_backup.ops.checks.policies import as_assigned, compare_effective_policy, expected_plans
from org_backup.ops.common import EXIT_FINDINGS, EXIT_OK
from stackconfig.model import VaultLock
from tests.components.documents.config_factory import OU_ID, make_config
from tests.org_backup.ops.fakes import (
    DR_REGIONS,
    FakeOrg,
    StubbedApis,
    deploy,
    effective_form,
    stack_layout,
    write_stack,
)

STUBBED = {
    "Organizations:DescribeEffectivePolicy",
    "Backup:GetBackupVaultAccessPolicy",
    "Backup:ListBackupJobs",
    "Backup:ListCopyJobs",
}


def run(stack_file: Path, connect, json_file: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code = verify.main(["--config", str(stack_file), "--json", str(json_file), *extra], aws=connect("verify"))
    return code, json.loads(json_file.read_text())


def counted(findings: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return sorted((f["check"], f["account"], f["region"] or "") for f in findings if f["severity"] != "info")


def test_a_deployed_organization_verifies_clean_within_the_job_window(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect, tmp_path: Path
) -> None:
    deploy(org, stack_file, stubs)
    prod_01 = org.in_ou("prod")[0]
    volume = f"arn:aws:ec2:us-east-1:{prod_01}:volume/vol-1"
    stubs.backup_jobs += [
        job(prod_01, "us-east-1", "COMPLETED", resource=volume),
        job(prod_01, "eu-west-1", "EXPIRED", resource=volume, hours_ago=30),
    ]

    code, out = run(stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_OK, out["findings"]
    assert len(out["coverage"]) == 3 * 2 + 1
    assert all(row["protected"] for row in out["coverage"])
    assert {tuple(row["plans"]) for row in out["coverage"] if row["kind"] == "member"} == {
        ("daily", "weekly"),
        ("daily",),
    }
    assert [f["check"] for f in out["findings"]] == ["vault-lock"], "only the central lock's grace period"
    assert stubs.mutating_calls() == []
    assert set(stubs.stubbed) == STUBBED

    code, out = run(stack_file, connect, tmp_path / "48h.json", "--hours", "48")
    assert code == EXIT_FINDINGS
    assert counted(out["findings"]) == [("backup-jobs", prod_01, "eu-west-1")]
    assert "1 backup job(s) EXPIRED in the last 48 h" in out["findings"][0]["message"]


def drift(org: FakeOrg, stack_file: Path, stubs: StubbedApis) -> dict[str, str]:
    """Break one thing after another, each in a different account or Region."""
    prod_01, prod_02 = org.in_ou("prod")
    nonprod = org.accounts["nonprod-01"]
    org.client("backup", prod_01).delete_backup_vault_lock_configuration(BackupVaultName="org-backup")
    org.client("backup", prod_01, "eu-west-1").delete_backup_vault(BackupVaultName="org-backup")
    del stubs.vault_policies[(prod_02, "us-east-1", "org-backup")]
    stubs.vault_policies[(prod_02, "eu-west-1", "org-backup")] = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "backup:*", "Resource": "*"}],
        }
    )
    org.client("iam", prod_02).detach_role_policy(
        RoleName="OrgBackupServiceRole", PolicyArn=backup_role_managed_policy_arns()[0]
    )
    effective = json.loads(stubs.effective_policies[prod_02])
    del effective["plans"]["weekly"]
    stubs.effective_policies[prod_02] = json.dumps(effective)
    effective = json.loads(stubs.effective_policies[nonprod])
    rule = effective["plans"]["daily"]["rules"]["daily"]
    rule["schedule_expression"] = "cron(0 3 ? * * *)"
    rule.pop("copy_actions")
    effective["plans"]["daily"]["regions"] = ["us-east-1"]
    stubs.effective_policies[nonprod] = json.dumps(effective)
    kms = org.client("kms", nonprod)
    kms.update_alias(AliasName="alias/org-backup", TargetKeyId=kms.create_key()["KeyMetadata"]["KeyId"])
    config, _ = stack_layout(stack_file)
    admins = config.organization.vault_admin_role_arns(org.central, ["BackupBreakGlass"])
    stubs.vault_policies[(org.central, DR_REGIONS[0], "org-backup-central")] = json.dumps(
        member_vault_policy(break_glass_role_arns=admins)
    )
    stubs.backup_jobs.append(job(nonprod, "eu-west-1", "FAILED", resource="arn:aws:efs:fs", StatusMessage="denied"))
    stubs.copy_jobs.append(job(nonprod, "eu-west-1", "FAILED", resource="arn:aws:efs:fs", kind="copy"))
    return {"prod_01": prod_01, "prod_02": prod_02, "nonprod": nonprod}


def resources_under_aws_managed_keys(org: FakeOrg, account: str) -> dict[str, str]:
    """Volumes and a database in us-east-1, some selected by the daily plan (which copies cross-account)."""
    kms = org.client("kms", account)
    aliases = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if "TargetKeyId" in a}
    own_key = kms.create_key()["KeyMetadata"]["Arn"]
    aws_ebs = f"arn:aws:kms:us-east-1:{account}:key/{aliases['alias/aws/ebs']}"
    ec2 = org.client("ec2", account)

    def volume(key: str, tag: str) -> str:
        tags = [{"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": tag}]}]
        made = ec2.create_volume(
            AvailabilityZone="us-east-1a", Size=1, Encrypted=True, KmsKeyId=key, TagSpecifications=tags
        )
        return f"arn:aws:ec2:us-east-1:{account}:volume/{made['VolumeId']}"

    rds = org.client("rds", account)
    rds.create_db_instance(
        DBInstanceIdentifier="orders",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword="password123",
        StorageEncrypted=True,
        KmsKeyId=f"arn:aws:kms:us-east-1:{account}:key/{aliases['alias/aws/rds']}",
        Tags=[{"Key": "backup", "Value": "daily"}],
    )
    return {
        "refused": volume(aws_ebs, "daily"),
        "own key": volume(own_key, "daily"),
        "not selected": volume(aws_ebs, "none"),
        "not copied": volume(aws_ebs, "weekly"),
    }


def test_drift_is_found_named_and_explained(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect, tmp_path: Path
) -> None:
    deploy(org, stack_file, stubs)
    ids = drift(org, stack_file, stubs)
    volumes = resources_under_aws_managed_keys(org, ids["prod_02"])

    code, out = run(stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_FINDINGS
    prod_01, prod_02, nonprod = ids["prod_01"], ids["prod_02"], ids["nonprod"]
    assert counted(out["findings"]) == sorted(
        [
            ("vault-lock", prod_01, "us-east-1"),
            ("vault", prod_01, "eu-west-1"),
            ("vault-policy", prod_02, "us-east-1"),
            ("vault-policy", prod_02, "eu-west-1"),
            ("backup-role", prod_02, ""),
            ("effective-policy", prod_02, ""),
            ("aws-managed-key", prod_02, "us-east-1"),
            ("effective-policy", nonprod, "eu-west-1"),
            ("effective-policy", nonprod, ""),
            ("vault-key", nonprod, "us-east-1"),
            ("backup-jobs", nonprod, "eu-west-1"),
            ("copy-jobs", nonprod, "eu-west-1"),
            # The central vault's policy was replaced by one that admits no copy: every copy path is named.
            *[("copy-path", a, r) for a in (prod_01, prod_02, nonprod) for r in ("us-east-1", "eu-west-1")],
        ]
    )
    by_key = {(f["check"], f["account"], f["region"] or ""): f for f in out["findings"]}
    managed = by_key[("aws-managed-key", prod_02, "us-east-1")]
    assert managed["resource"] == volumes["refused"]
    assert "alias/aws/ebs" in managed["message"]
    assert f"arn:aws:backup:{DR_REGIONS[0]}:{org.central}:backup-vault:org-backup-central" in managed["message"]
    rule = by_key[("effective-policy", nonprod, "")]["message"]
    assert "schedule is cron(0 3 ? * * *), expected cron(0 5 ? * * *)" in rule
    assert "copy to" in rule
    assert "missing" in rule
    assert (
        "plan weekly is not in the account's effective backup policy"
        in by_key[("effective-policy", prod_02, "")]["message"]
    )
    assert "AWSBackupServiceRolePolicyForBackup" in by_key[("backup-role", prod_02, "")]["message"]
    refused = by_key[("copy-path", nonprod, "eu-west-1")]
    assert refused["resource"] == f"arn:aws:backup:{DR_REGIONS[0]}:{org.central}:backup-vault:org-backup-central"
    assert refused["message"].startswith(
        f"plan 'daily' rule 'daily' (plans.daily.rules.daily.copies[0]) copies from {nonprod}/eu-west-1 to "
    )
    assert (
        "need backup:CopyIntoBackupVault, but no statement of the central vault's access policy allows it"
        in (refused["message"])
    )
    assert all(f["action"] for f in out["findings"])
    assert stubs.mutating_calls() == []


def test_an_unreachable_account_and_a_disabled_region_do_not_stop_the_run(
    org: FakeOrg, stubs: StubbedApis, connect, tmp_path: Path
) -> None:
    stack_file = write_stack(tmp_path, org, workload_regions=["us-east-1", "eu-south-2"])
    deploy(org, stack_file, stubs)
    prod_01, prod_02 = org.in_ou("prod")
    nonprod = org.accounts["nonprod-01"]
    stubs.denied_roles.add(prod_02)

    code, out = run(stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_FINDINGS
    assert ("assume-role", prod_02, "") in counted(out["findings"])
    assert ("region-enabled", prod_01, "eu-south-2") in counted(out["findings"])
    assert ("region-enabled", nonprod, "eu-south-2") in counted(out["findings"])
    rows = {(r["account_id"], r["region"]): r for r in out["coverage"]}
    assert rows[(prod_02, "us-east-1")]["reachable"] is False
    assert rows[(prod_01, "eu-south-2")]["region_enabled"] is False
    assert rows[(prod_01, "us-east-1")]["protected"] is True
    assert rows[(nonprod, "us-east-1")]["protected"] is True


def rendered_daily() -> str:
    """The daily plan of the document-builder tests' config, as the program renders it (no moto needed)."""
    return render_backup_policies(make_config(), {"daily": [OU_ID]})[0].content


def test_an_effective_policy_matches_whatever_its_form_and_case() -> None:
    content = rendered_daily()
    expected = expected_plans([content])
    effective = effective_form(json.loads(content))
    effective["plans"] = {name.upper(): plan for name, plan in effective["plans"].items()}

    assert compare_effective_policy("444455556666", expected, json.dumps(effective)) == (
        [],
        {"daily": tuple(make_config().organization.workload_regions)},
    )
    assert compare_effective_policy("444455556666", expected, content)[0] == []
    assert as_assigned({"a": ["x"], "b": {"@@assign": "1"}}) == {"a": {"@@assign": ["x"]}, "b": {"@@assign": "1"}}


def test_an_account_without_any_backup_policy_misses_every_plan() -> None:
    findings, in_effect = compare_effective_policy("444455556666", expected_plans([rendered_daily()]), None)
    assert [(f.rule, f.resource) for f in findings] == [("effective-policy", "daily")]
    assert in_effect == {}


def lock_target(mode: str) -> Target:
    lock = VaultLock(
        mode=mode, min_retention_days=7, max_retention_days=400, changeable_for_days=3 if mode == "compliance" else None
    )
    return Target("444455556666", "a", "member", ("us-east-1",), "org-backup", lock)


def test_lock_mode_and_range_are_compared_with_the_config() -> None:
    now = datetime.now(UTC)
    past, future = now - timedelta(days=1), now + timedelta(days=2)
    compliance = {"Locked": True, "MinRetentionDays": 7, "MaxRetentionDays": 400, "LockDate": past}
    governance = {"Locked": True, "MinRetentionDays": 7, "MaxRetentionDays": 400}

    assert lock_findings(lock_target("governance"), "us-east-1", governance, now) == []
    assert lock_findings(lock_target("compliance"), "us-east-1", compliance, now) == []
    wrong_mode = lock_findings(lock_target("governance"), "us-east-1", compliance, now)
    assert ["compliance mode" in f.message for f in wrong_mode] == [True]
    immutable = lock_findings(lock_target("compliance"), "us-east-1", compliance | {"MaxRetentionDays": 500}, now)
    assert [f.remediation for f in immutable] == ["the compliance lock is immutable: change the config to match it"]
    grace = lock_findings(lock_target("compliance"), "us-east-1", compliance | {"LockDate": future}, now)
    assert [f.severity for f in grace] == ["info"]
    assert [f.severity for f in lock_findings(lock_target("governance"), "us-east-1", {"Locked": False}, now)] == [
        "error"
    ]
