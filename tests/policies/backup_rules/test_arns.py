"""Vault and role ARNs, with the backup-policy placeholders kept as written."""

from __future__ import annotations

import pytest

from policies.backup_rules import arns
from policies.backup_rules.arns import VaultArn, parse_vault_arn, role_arn_account, role_name


@pytest.mark.parametrize(
    ("arn", "expected"),
    [
        (
            "arn:aws:backup:eu-west-1:111122223333:backup-vault:Central",
            VaultArn("aws", "eu-west-1", "111122223333", "Central"),
        ),
        (
            "arn:aws:backup:$region:$account:backup-vault:AirGapped",
            VaultArn("aws", "$region", "$account", "AirGapped"),
        ),
        (
            "arn:aws-us-gov:backup:us-gov-west-1:$account:backup-vault:gov_vault-1",
            VaultArn("aws-us-gov", "us-gov-west-1", "$account", "gov_vault-1"),
        ),
        (
            "arn:aws-cn:backup:cn-north-1:111122223333:backup-vault:cn",
            VaultArn("aws-cn", "cn-north-1", "111122223333", "cn"),
        ),
    ],
)
def test_vault_arns_parse(arn: str, expected: VaultArn) -> None:
    parsed = parse_vault_arn(arn)
    assert parsed == expected
    assert str(parsed) == arn


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:backup:eu-west-1:1111:backup-vault:Short",
        "arn:aws:backup:eu-west-1:111122223333:recovery-point:abc",
        "arn:aws:backup:*:111122223333:backup-vault:Any",
        "arn:aws:backup:eu-west-1:111122223333:backup-vault:",
        "arn:aws:backup:eu-west-1:111122223333:backup-vault:a/b",
        "arn:aws:s3:::bucket",
        "<Replace with value from pCentralBackupVaultArn>",
        "",
        None,
        42,
    ],
)
def test_other_values_are_not_vault_arns(arn: object) -> None:
    assert parse_vault_arn(arn) is None


def test_lag_placeholder_form() -> None:
    lag = parse_vault_arn("arn:aws:backup:$region:$account:backup-vault:AirGapped")
    literal = parse_vault_arn("arn:aws:backup:eu-west-1:$account:backup-vault:AirGapped")
    assert lag is not None and lag.uses_placeholders
    assert literal is not None and not literal.uses_placeholders


@pytest.mark.parametrize(
    ("arn", "account", "name"),
    [
        ("arn:aws:iam::$account:role/OrgBackupRole", "$account", "OrgBackupRole"),
        (
            "arn:aws:iam::444455556666:role/service-role/AWSBackupDefaultServiceRole",
            "444455556666",
            "AWSBackupDefaultServiceRole",
        ),
        ("arn:aws:iam::444455556666:role/AWSBackup/AWSBackup_acme", "444455556666", "AWSBackup_acme"),
        ("arn:aws-us-gov:iam::444455556666:role/a+b=c,d.e@f-g", "444455556666", "a+b=c,d.e@f-g"),
    ],
)
def test_role_arns(arn: str, account: str, name: str) -> None:
    assert role_arn_account(arn) == account
    assert role_name(arn) == name


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::$account:user/Bob",
        "arn:aws:iam::123:role/Short",
        "arn:aws:iam::444455556666:role/",
        "arn:aws:iam::444455556666:root",
        "OrgBackupRole",
        None,
    ],
)
def test_non_role_arns(arn: object) -> None:
    assert role_arn_account(arn) is None
    assert role_name(arn) is None


def test_validators():
    assert arns.require_region("us-gov-west-1") == "us-gov-west-1"
    assert arns.require_region("ap-southeast-7") == "ap-southeast-7"
    for bad in ("eu-west", "EU-WEST-1", "euwest1", "eu-west-1 ", "*"):
        with pytest.raises(ValueError, match="region"):
            arns.require_region(bad)
    with pytest.raises(ValueError, match="account_id"):
        arns.require_account_id("1234567890123")
    assert arns.role_arn("111122223333", "team/OrgBackupRole") == "arn:aws:iam::111122223333:role/team/OrgBackupRole"


def test_role_arn_lists_are_sorted_deduplicated_and_checked():
    listed = [
        "arn:aws:iam::111122223333:role/B",
        "arn:aws:iam::111122223333:role/A",
        "arn:aws:iam::111122223333:role/B",
    ]
    assert arns.require_role_arns(listed, partition="aws", what="x") == sorted(set(listed))
    for bad in (
        ["arn:aws:iam::111122223333:user/Bob"],
        ["arn:aws:iam::*:role/A"],
        ["arn:aws-us-gov:iam::111122223333:role/A"],
        ["arn:aws:iam::111122223333:role/A*"],
    ):
        with pytest.raises(ValueError, match="x"):
            arns.require_role_arns(bad, partition="aws", what="x")
    assert arns.require_role_arns(
        ["arn:aws:iam::111122223333:role/A*"], partition="aws", what="x", allow_wildcards=True
    )
    with pytest.raises(ValueError, match="list"):
        arns.require_role_arns("arn:aws:iam::111122223333:role/A", partition="aws", what="x")


def test_service_endpoints_follow_the_partition():
    assert arns.service_endpoint("backup", "cn-north-1", "aws-cn") == "backup.cn-north-1.amazonaws.com.cn"
    assert arns.service_endpoint("backup", "us-gov-west-1", "aws-us-gov") == "backup.us-gov-west-1.amazonaws.com"


def test_arn_partition():
    assert arns.arn_partition("arn:aws-cn:iam::111122223333:role/R") == "aws-cn"
    assert arns.arn_partition("arn:aws-us-gov:backup:us-gov-west-1:111122223333:backup-vault:v") == "aws-us-gov"
    for other in ("arn:", "arn:AWS:iam::1:role/R", "role/R", None, 7):
        assert arns.arn_partition(other) is None
