"""Preflight lists the CloudFormation StackSets delegated administrators in StackSet mode (security review F1)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import Stubber

from org_backup.ops.preflight_stacksets import CHECK, stacksets_admin_findings
from policies.backup_rules.names import STACKSETS_MEMBER_SERVICE_PRINCIPAL
from stackconfig.model import StackConfig
from tests.components.documents.test_guardrail_scp import prod, stackset

OTHER_ADMIN = "999999999999"


@dataclass
class _Stack:
    config: StackConfig


@dataclass
class _Org:
    client: Any

    def organizations(self) -> Any:
        return self.client


def _admin(account: str, name: str) -> dict[str, Any]:
    """A DelegatedAdministrator as the API answers it (API_DelegatedAdministrator.html)."""
    return {
        "Id": account,
        "Arn": f"arn:aws:organizations::111111111111:account/o-a1b2c3d4e5/{account}",
        "Email": f"{name}@example.com",
        "Name": name,
        "Status": "ACTIVE",
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": datetime(2024, 1, 1, tzinfo=UTC),
        "DelegationEnabledDate": datetime(2024, 1, 2, tzinfo=UTC),
    }


def _findings(config: StackConfig, admins: list[dict[str, Any]]) -> tuple[list[Any], Stubber]:
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    stubber.add_response(
        "list_delegated_administrators",
        {"DelegatedAdministrators": admins},
        {"ServicePrincipal": STACKSETS_MEMBER_SERVICE_PRINCIPAL},
    )
    with stubber:
        return stacksets_admin_findings(_Stack(config), _Org(client)), stubber  # type: ignore[arg-type]


def test_every_stacksets_delegated_administrator_is_a_warning_in_stackset_mode() -> None:
    config = stackset(prod())
    ours = config.organization.backup_admin_account_id
    findings, stubber = _findings(config, [_admin(OTHER_ADMIN, "ci"), _admin(ours, "backup-admin")])
    stubber.assert_no_pending_responses()
    assert [(f.rule, f.account, f.severity) for f in findings] == [
        (CHECK, ours, "warning"),
        (CHECK, OTHER_ADMIN, "warning"),
    ]
    assert "every member account" in findings[1].message and "not ours" in findings[1].message


def test_direct_mode_asks_nothing() -> None:
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client):
        assert stacksets_admin_findings(_Stack(prod()), _Org(client)) == []  # type: ignore[arg-type]
