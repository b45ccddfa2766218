"""The approval-team association provider against botocore's Stubber (moto has no MPA APIs): the request and
answer shapes are botocore's own, so a call or answer AWS would not accept fails the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

import components.mpa_association as mpa
from components import dynamic_aws
from components.mpa_association import (
    ASSOCIATED,
    PENDING_APPROVAL,
    MpaAssociationError,
    MpaAssociationProvider,
)
from tests.components.fresh_process import run_provider

ACCOUNT = "700000000011"
TEAM = "arn:aws:mpa:us-east-1:700000000099:approval-team/staging-recovery"
OTHER_TEAM = "arn:aws:mpa:us-east-1:123456789012:approval-team/attacker"
VAULT = "org-backup-member-air-gapped"
VAULT_ARN = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:{VAULT}"
PROPS = {
    "backup_vault_name": VAULT,
    "mpa_approval_team_arn": TEAM,
    "region": "eu-west-1",
    "role_arn": f"arn:aws:iam::{ACCOUNT}:role/OrganizationAccountAccessRole",
    "account_id": ACCOUNT,
    "endpoint_url": None,
}


class _Session:
    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients

    def client(self, name: str, **_: Any) -> Any:
        return self.clients[name]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, Stubber]]:
    kwargs = {"region_name": "eu-west-1", "aws_access_key_id": "x", "aws_secret_access_key": "y"}
    sts, backup = boto3.client("sts", **kwargs), boto3.client("backup", **kwargs)
    stubs = Stubber(sts), Stubber(backup)
    monkeypatch.setattr(dynamic_aws, "assume", lambda **_: _Session({"sts": sts, "backup": backup}))
    for stub in stubs:
        stub.activate()
    yield stubs
    for stub in stubs:
        stub.assert_no_pending_responses()
        stub.deactivate()


def _identity(sts: Stubber, account: str = ACCOUNT) -> None:
    sts.add_response(
        "get_caller_identity",
        {
            "Account": account,
            "Arn": f"arn:aws:sts::{account}:assumed-role/OrganizationAccountAccessRole/s",
            "UserId": "AROA:s",
        },
    )


def _vault(backup: Stubber, team: str | None, vault_type: str = "LOGICALLY_AIR_GAPPED_BACKUP_VAULT") -> None:
    answer: dict[str, Any] = {"BackupVaultName": VAULT, "BackupVaultArn": VAULT_ARN, "VaultType": vault_type}
    if team:
        answer["MpaApprovalTeamArn"] = team
    backup.add_response("describe_backup_vault", answer, {"BackupVaultName": VAULT})


def _associate(backup: Stubber) -> None:
    backup.add_response(
        "associate_backup_vault_mpa_approval_team",
        {},
        {"BackupVaultName": VAULT, "MpaApprovalTeamArn": TEAM, "RequesterComment": mpa.COMMENT},
    )


def test_the_first_team_is_associated(aws: tuple[Stubber, Stubber]) -> None:
    sts, backup = aws
    _identity(sts)
    _vault(backup, None)
    _associate(backup)
    result = MpaAssociationProvider().create(dict(PROPS))
    assert result.outs is not None
    assert result.id == f"{ACCOUNT}/eu-west-1/{VAULT}"
    assert (result.outs["status"], result.outs["associated_team_arn"]) == (ASSOCIATED, TEAM)


def test_the_same_team_again_calls_nothing(aws: tuple[Stubber, Stubber]) -> None:
    sts, backup = aws
    _identity(sts)
    _vault(backup, TEAM)
    assert (MpaAssociationProvider().create(dict(PROPS)).outs or {})["status"] == ASSOCIATED


def test_another_team_is_a_request_for_its_approvers_not_a_failure(aws: tuple[Stubber, Stubber]) -> None:
    sts, backup = aws
    _identity(sts)
    _vault(backup, OTHER_TEAM)
    _associate(backup)
    outs = MpaAssociationProvider().update("id", dict(PROPS), dict(PROPS)).outs or {}
    assert (outs["status"], outs["associated_team_arn"]) == (PENDING_APPROVAL, OTHER_TEAM)


def test_credentials_of_another_account_change_nothing(aws: tuple[Stubber, Stubber]) -> None:
    sts, _ = aws
    _identity(sts, "123456789012")
    with pytest.raises(MpaAssociationError, match="refused: the credentials act in account 123456789012"):
        MpaAssociationProvider().create(dict(PROPS))


def test_a_standard_vault_takes_no_team(aws: tuple[Stubber, Stubber]) -> None:
    sts, backup = aws
    _identity(sts)
    _vault(backup, None, "BACKUP_VAULT")
    with pytest.raises(MpaAssociationError, match="only logically air-gapped vaults"):
        MpaAssociationProvider().create(dict(PROPS))


def test_aws_refusing_the_association_says_what_to_check(aws: tuple[Stubber, Stubber]) -> None:
    sts, backup = aws
    _identity(sts)
    _vault(backup, None)
    backup.add_client_error(
        "associate_backup_vault_mpa_approval_team", "InvalidRequestException", "team not shared", 400
    )
    with pytest.raises(
        MpaAssociationError, match=r"InvalidRequestException: team not shared.*shared with this account"
    ):
        MpaAssociationProvider().create(dict(PROPS))


def test_delete_leaves_the_team_in_place(aws: tuple[Stubber, Stubber]) -> None:
    MpaAssociationProvider().delete("id", dict(PROPS))  # no stubbed call: any call would fail the fixture


def test_read_reports_a_pending_change(aws: tuple[Stubber, Stubber]) -> None:
    sts, backup = aws
    _identity(sts)
    _vault(backup, OTHER_TEAM)
    outs = MpaAssociationProvider().read("id", dict(PROPS)).outs or {}
    assert (outs["status"], outs["associated_team_arn"]) == (PENDING_APPROVAL, OTHER_TEAM)


def test_check_refuses_malformed_names_before_any_call() -> None:
    bad = {**PROPS, "backup_vault_name": "a", "mpa_approval_team_arn": "arn:aws:iam::1:role/x"}
    failures = MpaAssociationProvider().check({}, bad).failures
    assert sorted(f.property for f in failures) == ["backup_vault_name", "mpa_approval_team_arn"]


def test_a_new_vault_or_account_replaces_a_new_team_updates() -> None:
    olds = {**PROPS, "status": ASSOCIATED}
    assert MpaAssociationProvider().diff("id", olds, {**PROPS, "mpa_approval_team_arn": OTHER_TEAM}).replaces == []
    assert MpaAssociationProvider().diff("id", olds, {**PROPS, "account_id": "123456789012"}).replaces == ["account_id"]
    assert not MpaAssociationProvider().diff("id", olds, dict(PROPS)).changes
    assert MpaAssociationProvider().diff("id", {**olds, "status": PENDING_APPROVAL}, dict(PROPS)).changes


def test_the_provider_loads_where_the_repository_is_not_importable(tmp_path: Path) -> None:
    """Pulumi's provider host loads the pickled provider with no checkout on sys.path (fresh_process.py)."""
    body = """
    failures = provider.check({}, {"backup_vault_name": "a", "mpa_approval_team_arn": "x"}).failures
    print(json.dumps(sorted(f.property for f in failures)))
    """
    assert run_provider(MpaAssociationProvider(), body, tmp_path / "elsewhere") == [
        "backup_vault_name",
        "mpa_approval_team_arn",
    ]
