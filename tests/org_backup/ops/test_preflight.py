"""org_backup.ops.preflight against moto: a ready organization passes; every obstacle is reported, none stops the run."""

from __future__ import annotations

import json
from pathlib import Path

from org_backup.ops import preflight
from org_backup.ops.common import EXIT_FINDINGS, EXIT_OK
from tests.moto_server import MotoServer
from tests.org_backup.ops.fakes import WORKLOAD_REGIONS, FakeOrg, StubbedApis, inventory_document, write_stack

DISABLED_REGION = "eu-south-2"
"""moto reports this opt-in Region as not opted in for every account."""


def record_config(org: FakeOrg, account_id: str, region: str) -> None:
    """AWS Config recording everything, as Audit Manager frameworks need."""
    config = org.client("config", account_id, region)
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{account_id}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "config"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")


def run(stack_file: Path, connect, json_file: Path) -> tuple[int, list[dict[str, object]]]:
    code = preflight.main(["--config", str(stack_file), "--json", str(json_file)], aws=connect("preflight"))
    return code, json.loads(json_file.read_text())["findings"]


def members(org: FakeOrg) -> list[str]:
    return [*org.in_ou("prod"), *org.in_ou("non-prod")]


def test_a_ready_organization_passes(
    org: FakeOrg, stack_file: Path, connect, stubs: StubbedApis, tmp_path: Path
) -> None:
    for account in members(org):
        for region in WORKLOAD_REGIONS:
            record_config(org, account, region)
    record_config(org, org.admin, WORKLOAD_REGIONS[0])

    code, findings = run(stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_OK, findings
    assert {(f["check"], f["severity"]) for f in findings} == {
        ("trusted-access", "info"),
        ("backup-policy-type", "info"),
    }
    assert json.loads((tmp_path / "out.json").read_text())["accounts"] == len(members(org)) + 2
    assert stubs.mutating_calls() == []


def test_every_obstacle_is_reported_and_no_account_stops_the_others(
    org: FakeOrg, connect, stubs: StubbedApis, tmp_path: Path
) -> None:
    stack_file = write_stack(tmp_path, org, workload_regions=["us-east-1", DISABLED_REGION])
    prod_01, prod_02 = org.in_ou("prod")
    nonprod = org.accounts["nonprod-01"]
    stubs.denied_roles.add(prod_02)
    record_config(org, nonprod, "us-east-1")
    record_config(org, org.admin, "us-east-1")
    kms = org.client("kms", prod_01)
    key = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/org-backup", TargetKeyId=key["KeyId"])
    backup = org.client("backup", prod_01)
    backup.create_backup_vault(BackupVaultName="org-backup")
    backup.create_backup_vault(BackupVaultName="aws-controltower-BackupVault")
    backup.create_backup_plan(
        BackupPlan={"BackupPlanName": "baseline", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "Default"}]},
        BackupPlanTags={"aws-control-tower": "managed-by-control-tower"},
    )
    org.client("iam", prod_01).create_role(RoleName="OrgBackupServiceRole", AssumeRolePolicyDocument="{}")

    code, findings = run(stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_FINDINGS
    counted = sorted((f["check"], f["account"], f["region"]) for f in findings if f["severity"] != "info")
    assert counted == sorted(
        [
            ("assume-role", prod_02, None),
            ("backup-role-exists", prod_01, None),
            ("config-recorder", prod_01, "us-east-1"),
            ("control-tower", prod_01, "us-east-1"),
            ("control-tower", prod_01, "us-east-1"),
            ("key-alias-exists", prod_01, "us-east-1"),
            ("region-enabled", nonprod, DISABLED_REGION),
            ("region-enabled", prod_01, DISABLED_REGION),
            ("vault-exists", prod_01, "us-east-1"),
        ]
    )
    assert any("managed by AWS Control Tower" in str(f["message"]) for f in findings)
    assert stubs.mutating_calls() == []


def test_all_features_and_the_callers_account_are_required(
    aws_env: MotoServer, managed_policies: None, connect, stubs: StubbedApis, tmp_path: Path, monkeypatch
) -> None:
    organizations = aws_env.client("organizations")
    organizations.create_organization(FeatureSet="CONSOLIDATED_BILLING")
    org = FakeOrg(aws_env, organizations.describe_organization()["Organization"]["Id"], "", {}, {}, {}, {})
    org.root_id = organizations.list_roots()["Roots"][0]["Id"]
    org.parents[org.management] = org.root_id
    org.names[org.management] = "master"
    for ou in ("prod", "non-prod"):
        org.ous[ou] = organizations.create_organizational_unit(ParentId=org.root_id, Name=ou)["OrganizationalUnit"][
            "Id"
        ]
    org.add_account("backup-admin", None)
    org.add_account("backup-central", None)
    org.add_account("prod-01", "prod")
    stack_file = write_stack(tmp_path, org, audit={"enabled": False})
    member = aws_env.member_credentials(org.admin)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", member["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", member["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", member["SessionToken"])

    code, findings = run(stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_FINDINGS
    checks = {f["check"]: f for f in findings if f["severity"] == "error"}
    # From a member account the organization's OUs cannot be listed: reported, and the rest still runs.
    assert set(checks) == {"all-features", "caller", "inventory-stale"}
    assert "could not check" in str(checks["inventory-stale"]["message"])
    assert "CONSOLIDATED_BILLING" in str(checks["all-features"]["message"])
    assert checks["caller"]["account"] == org.admin


def test_listed_and_discovered_accounts_give_the_same_plan(org: FakeOrg, connect, tmp_path: Path) -> None:
    # Listed accounts are the whole organization as an inventory file writes it (every account, every OU).
    inventory = inventory_document(org)
    listed = {"listed": inventory["accounts"], "organizational_units": inventory["organizational_units"]}
    assert {org.management, org.admin, org.central, *members(org)} <= {a["id"] for a in listed["listed"]}
    for source in ("listed", "discover"):
        accounts = {"source": source, **(listed if source == "listed" else {})}
        directory = tmp_path / source
        directory.mkdir()
        stack_file = write_stack(directory, org, with_inventory=False, accounts=accounts, audit={"enabled": False})

        code, findings = run(stack_file, connect, directory / "out.json")

        assert code == EXIT_OK, findings
        assert json.loads((directory / "out.json").read_text())["accounts"] == len(members(org)) + 2
