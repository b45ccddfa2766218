"""Associate a Multi-party approval (MPA) team with a logically air-gapped vault.

Why a dynamic resource: pulumi-aws 7.51 has no resource for AWS Backup's AssociateBackupVaultMpaApprovalTeam
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_AssociateBackupVaultMpaApprovalTeam.html), and
pulumi-aws-native is not worth a second provider plugin for one call (see ``components.air_gapped``).

What AWS does (https://docs.aws.amazon.com/aws-backup/latest/devguide/multipartyapproval-tasks-requester.html):
the first team associated with a vault is associated at once; replacing a vault's team is itself a request the
current team must approve. So:

- create/update: DescribeBackupVault first; the wanted team already there: nothing to do; no team: associate;
  another team: ask for the change (the same call) and report ``status`` ``PENDING_APPROVAL``, never fail, since
  the approvers decide;
- delete: nothing. Disassociating leaves the vault without its independent recovery path, so taking the team
  away is left to a person (DisassociateBackupVaultMpaApprovalTeam, see docs/recovery-runbook.md).

Credentials and account: ``components.dynamic_aws`` (ambient credentials, or ``role_arn`` assumed from them;
STS must answer ``account_id`` before any other call). Pickled by value (``components.by_value``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from components.by_value import pickle_by_value, undo_pickler_patch
from components.dynamic_aws import error_code, error_message, guarded_client

__all__ = [
    "ASSOCIATED",
    "PENDING_APPROVAL",
    "MpaApprovalTeamAssociation",
    "MpaAssociationError",
    "MpaAssociationProvider",
]

ASSOCIATED = "ASSOCIATED"
PENDING_APPROVAL = "PENDING_APPROVAL"
SESSION_NAME = "org-backup-mpa-association"
COMMENT = "org-backup: approval team from the stack configuration"
_VAULT_NAME = re.compile(r"^[a-zA-Z0-9\-_]{2,50}\Z")
_TEAM_ARN = re.compile(r"^arn:aws[a-z-]*:mpa:[a-z0-9-]*:[0-9]{12}:approval-team/[A-Za-z0-9_-]{1,128}\Z")
_INPUTS = ("backup_vault_name", "mpa_approval_team_arn", "region", "role_arn", "account_id", "endpoint_url")


class MpaAssociationError(Exception):
    """A failure the user can act on; the message names the vault, the account and what to do."""


@dataclass(frozen=True)
class _Target:
    backup_vault_name: str
    mpa_approval_team_arn: str
    region: str
    role_arn: str | None
    account_id: str | None
    endpoint_url: str | None

    @classmethod
    def from_props(cls, raw: Mapping[str, Any]) -> _Target:
        return cls(
            backup_vault_name=str(raw.get("backup_vault_name") or ""),
            mpa_approval_team_arn=str(raw.get("mpa_approval_team_arn") or ""),
            region=str(raw.get("region") or ""),
            role_arn=raw.get("role_arn") or None,
            account_id=raw.get("account_id") or None,
            endpoint_url=raw.get("endpoint_url") or None,
        )

    def outputs(self, status: str, current: str | None) -> dict[str, Any]:
        return {
            **{key: getattr(self, key) for key in _INPUTS},
            "status": status,
            "associated_team_arn": current,
        }

    @property
    def where(self) -> str:
        return f"vault {self.backup_vault_name} in {self.account_id or 'the current account'}/{self.region}"


def _client(target: _Target) -> Any:
    return guarded_client(
        "backup",
        account_id=target.account_id,
        role_arn=target.role_arn,
        region=target.region,
        endpoint_url=target.endpoint_url,
        session_name=SESSION_NAME,
        what=f"Approval team association of {target.where}",
        error=MpaAssociationError,
    )


def _current_team(backup: Any, target: _Target) -> str | None:
    try:
        vault = backup.describe_backup_vault(BackupVaultName=target.backup_vault_name)
    except Exception as error:
        raise MpaAssociationError(
            f"DescribeBackupVault of {target.where} failed: {error_code(error)}: {error_message(error)}"
        ) from error
    if vault.get("VaultType") != "LOGICALLY_AIR_GAPPED_BACKUP_VAULT":
        raise MpaAssociationError(
            f"{target.where} is a {vault.get('VaultType')}: only logically air-gapped vaults take an approval team"
        )
    team = vault.get("MpaApprovalTeamArn")
    return str(team) if team else None


def _converge(target: _Target) -> dict[str, Any]:
    backup = _client(target)
    current = _current_team(backup, target)
    if current == target.mpa_approval_team_arn:
        return target.outputs(ASSOCIATED, current)
    try:
        backup.associate_backup_vault_mpa_approval_team(
            BackupVaultName=target.backup_vault_name,
            MpaApprovalTeamArn=target.mpa_approval_team_arn,
            RequesterComment=COMMENT,
        )
    except Exception as error:
        raise MpaAssociationError(
            f"AssociateBackupVaultMpaApprovalTeam of {target.where} with {target.mpa_approval_team_arn} failed: "
            f"{error_code(error)}: {error_message(error)}. Check that the team is shared with this account "
            "through AWS RAM and that isMpaEnabled is on for the organization (docs/recovery-runbook.md)."
        ) from error
    # The first team is associated at once; replacing one waits for the current team's approvers.
    status = ASSOCIATED if current is None else PENDING_APPROVAL
    return target.outputs(status, target.mpa_approval_team_arn if current is None else current)


class MpaAssociationProvider(ResourceProvider):
    """CRUD for "vault V of account A in Region R has approval team T"; the id is ``<account>/<region>/<vault>``."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from pulumi.runtime.rpc import UNKNOWN

        failures = []
        name, team = news.get("backup_vault_name"), news.get("mpa_approval_team_arn")
        if isinstance(name, str) and name != UNKNOWN and not _VAULT_NAME.match(name):
            failures.append(CheckFailure("backup_vault_name", f"{name!r} is not a backup vault name"))
        if isinstance(team, str) and team != UNKNOWN and not _TEAM_ARN.match(team):
            failures.append(CheckFailure("mpa_approval_team_arn", f"{team!r} is not an MPA approval team ARN"))
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        target = _Target.from_props(props)
        return CreateResult(f"{target.account_id}/{target.region}/{target.backup_vault_name}", _converge(target))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        target = _Target.from_props(props)
        current = _current_team(_client(target), target)
        status = ASSOCIATED if current == target.mpa_approval_team_arn else PENDING_APPROVAL
        return ReadResult(id_, target.outputs(status, current))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Another vault, Region or account is another association (replace); a new team is an update."""
        replaces = [k for k in ("backup_vault_name", "region", "account_id") if olds.get(k) != news.get(k)]
        changed = [k for k in (*_INPUTS, "__provider") if olds.get(k) != news.get(k)]
        pending = olds.get("status") == PENDING_APPROVAL
        return DiffResult(changes=bool(changed) or pending, replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(_converge(_Target.from_props(news)))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the team associated (module docstring): removing it is a decision for people, not for a diff."""


class MpaApprovalTeamAssociation(Resource):
    """The approval team of one logically air-gapped vault (see the module docstring)."""

    status: pulumi.Output[str]
    associated_team_arn: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        backup_vault_name: pulumi.Input[str],
        mpa_approval_team_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        role_arn: pulumi.Input[str] | None,
        account_id: pulumi.Input[str],
        endpoint_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "backup_vault_name": backup_vault_name,
            "mpa_approval_team_arn": mpa_approval_team_arn,
            "region": region,
            "role_arn": role_arn,
            "account_id": account_id,
            "endpoint_url": endpoint_url,
            "status": None,
            "associated_team_arn": None,
        }
        undo_pickler_patch()
        super().__init__(MpaAssociationProvider(), name, props, opts)


pickle_by_value(globals())
