"""trusts_service: which trust policies let AWS Backup assume a role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.backup_rules.iam import trusts_service

SERVICE = "backup.amazonaws.com"


def trust(**statement: Any) -> str:
    base = {"Effect": "Allow", "Principal": {"Service": SERVICE}, "Action": "sts:AssumeRole"}
    base.update(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": [base]})


@pytest.mark.parametrize(
    "document",
    [
        trust(),
        trust(Principal={"Service": ["ec2.amazonaws.com", SERVICE]}),
        trust(Action=["sts:AssumeRole", "sts:TagSession"]),
        json.loads(trust()),
    ],
)
def test_trusted(document: Any) -> None:
    assert trusts_service(document, SERVICE)


@pytest.mark.parametrize(
    "document",
    [
        trust(Principal={"Service": "ec2.amazonaws.com"}),
        trust(Effect="Deny"),
        trust(Action="sts:TagSession"),
        trust(Principal="*"),
        "not json",
    ],
)
def test_not_trusted(document: Any) -> None:
    assert not trusts_service(document, SERVICE)
