"""verify's air-gapped check against botocore's Stubber (moto has no LAG vault, MPA or restore-access APIs):
the vault exists as a LAG vault with its team, the central one is shared with the organization only, and open
restore access is reported."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from deployment.load import config_from_stack_file
from org_backup.ops.checks.air_gapped import air_gapped_findings
from org_backup.ops.checks.base import Target
from stackconfig.model import StackConfig

PROJECT_DIR = Path(__file__).resolve().parents[3]
TEAM = "arn:aws:mpa:us-east-1:700000000099:approval-team/staging-recovery"
ORG_ARN = "arn:aws:organizations::700000000001:organization/o-f6g7h8i9j0"
MEMBER = Target("700000000011", "staging-app", "member", ("eu-west-1",), "org-backup", None)
CENTRAL = Target("700000000002", "backup-admin", "central", ("eu-central-1",), "org-backup-central", None)


@pytest.fixture(scope="module")
def config() -> StackConfig:
    return config_from_stack_file(PROJECT_DIR / "Pulumi.staging.yaml").config


class _Access:
    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients

    def client(self, service: str, _region: str) -> Any:
        return self.clients[service]


@pytest.fixture
def stubs() -> Iterator[tuple[_Access, Stubber, Stubber]]:
    kwargs = {"region_name": "eu-west-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}
    backup, ram = boto3.client("backup", **kwargs), boto3.client("ram", **kwargs)
    backup_stub, ram_stub = Stubber(backup), Stubber(ram)
    backup_stub.activate()
    ram_stub.activate()
    yield _Access({"backup": backup, "ram": ram}), backup_stub, ram_stub
    backup_stub.assert_no_pending_responses()
    ram_stub.assert_no_pending_responses()


def _vault(stub: Stubber, name: str, account: str, region: str, **answer: Any) -> None:
    body = {
        "BackupVaultName": name,
        "BackupVaultArn": f"arn:aws:backup:{region}:{account}:backup-vault:{name}",
        "VaultType": "LOGICALLY_AIR_GAPPED_BACKUP_VAULT",
        "VaultState": "AVAILABLE",
        "Locked": True,
        "EncryptionKeyType": "AWS_OWNED_KMS_KEY",
        "MpaApprovalTeamArn": TEAM,
        **answer,
    }
    stub.add_response(
        "describe_backup_vault", {k: v for k, v in body.items() if v is not None}, {"BackupVaultName": name}
    )


def _restore_access(stub: Stubber, name: str, vaults: list[dict[str, Any]] | None = None) -> None:
    stub.add_response(
        "list_restore_access_backup_vaults", {"RestoreAccessBackupVaults": vaults or []}, {"BackupVaultName": name}
    )


def _member_vault(stub: Stubber, **answer: Any) -> None:
    defaults = {"MinRetentionDays": 7, "MaxRetentionDays": 35}
    _vault(stub, "org-backup-member-air-gapped", "700000000011", "eu-west-1", **{**defaults, **answer})


def test_a_member_vault_as_configured_is_quiet(stubs, config) -> None:
    access, backup, _ = stubs
    _member_vault(backup)
    _restore_access(backup, "org-backup-member-air-gapped")
    assert air_gapped_findings(access, config, MEMBER, "eu-west-1") == []


def test_no_vault_wanted_in_a_region_without_air_gapped_rules(stubs, config) -> None:
    access, _, _ = stubs
    assert air_gapped_findings(access, config, MEMBER, "eu-central-1") == []


def test_a_missing_vault(stubs, config) -> None:
    access, backup, _ = stubs
    backup.add_client_error("describe_backup_vault", "ResourceNotFoundException", "no", 404)
    (finding,) = air_gapped_findings(access, config, MEMBER, "eu-west-1")
    assert finding.severity == "error" and "does not exist" in finding.message


def test_a_standard_vault_squatting_the_name(stubs, config) -> None:
    access, backup, _ = stubs
    _member_vault(backup, VaultType="BACKUP_VAULT")
    (finding,) = air_gapped_findings(access, config, MEMBER, "eu-west-1")
    assert "is a BACKUP_VAULT" in finding.message and finding.severity == "error"


def test_the_approval_team_removed_or_swapped(stubs, config) -> None:
    access, backup, _ = stubs
    _member_vault(backup, MpaApprovalTeamArn=None)
    _restore_access(backup, "org-backup-member-air-gapped")
    (finding,) = air_gapped_findings(access, config, MEMBER, "eu-west-1")
    assert finding.severity == "error" and finding.message.startswith("approval team none, the config says")


def test_a_team_change_awaiting_approval_is_a_warning(stubs, config) -> None:
    access, backup, _ = stubs
    other = "arn:aws:mpa:us-east-1:123456789012:approval-team/old"
    _member_vault(backup, MpaApprovalTeamArn=other, LatestMpaApprovalTeamUpdate={"Status": "PENDING"})
    _restore_access(backup, "org-backup-member-air-gapped")
    (finding,) = air_gapped_findings(access, config, MEMBER, "eu-west-1")
    assert finding.severity == "warning" and "awaits its approvers" in finding.message


def test_open_restore_access_and_changed_bounds_are_reported(stubs, config) -> None:
    access, backup, _ = stubs
    _member_vault(backup, MaxRetentionDays=40)
    arn = "arn:aws:backup:eu-west-1:700000000099:backup-vault:restore"
    _restore_access(
        backup, "org-backup-member-air-gapped", [{"RestoreAccessBackupVaultArn": arn, "VaultState": "AVAILABLE"}]
    )
    messages = [f.message for f in air_gapped_findings(access, config, MEMBER, "eu-west-1")]
    assert len(messages) == 2
    assert "7..40 days differ from the config's 7..35" in messages[0]
    assert f"restore access vault {arn} (AVAILABLE) is open" in messages[1]


def _central_vault(backup: Stubber) -> str:
    _vault(backup, "org-backup-air-gapped", "700000000002", "eu-central-1", MinRetentionDays=7, MaxRetentionDays=120)
    return "arn:aws:backup:eu-central-1:700000000002:backup-vault:org-backup-air-gapped"


def test_the_central_vault_shared_with_the_organization(stubs, config) -> None:
    access, backup, ram = stubs
    arn = _central_vault(backup)
    ram.add_response(
        "list_principals",
        {"principals": [{"id": ORG_ARN, "external": False}]},
        {"resourceOwner": "SELF", "resourceArn": arn},
    )
    _restore_access(backup, "org-backup-air-gapped")
    assert air_gapped_findings(access, config, CENTRAL, "eu-central-1") == []


def test_the_central_vault_not_shared_or_shared_outside(stubs, config) -> None:
    access, backup, ram = stubs
    arn = _central_vault(backup)
    ram.add_response(
        "list_principals",
        {"principals": [{"id": "999988887777", "external": True}], "nextToken": "t"},
        {"resourceOwner": "SELF", "resourceArn": arn},
    )
    ram.add_response(
        "list_principals", {"principals": []}, {"resourceOwner": "SELF", "resourceArn": arn, "nextToken": "t"}
    )
    _restore_access(backup, "org-backup-air-gapped")
    messages = [f.message for f in air_gapped_findings(access, config, CENTRAL, "eu-central-1")]
    assert messages == [
        "shared through RAM with 999988887777, outside the organization: remove it from the share",
        "not shared with the organization through RAM: restores from other accounts fail",
    ]
