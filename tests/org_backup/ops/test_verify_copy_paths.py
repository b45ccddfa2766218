"""verify judges every copy path into the central vaults against the REAL vault policy, key policy and lock.

End to end against moto (vaults, keys and locks; the vault access policy from the stubs, moto has no such
API): an administrator edits one of them after ``pulumi up``, and verify names exactly the copy paths that
now fail. The key-policy read's error answers are Stubber's, with botocore's real shapes (Stubber answers
without retrying, so a ThrottlingException is what the client gives once its retries are spent).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from org_backup.ops import verify
from org_backup.ops.checks.copy_paths import CHECK, CopySources, copy_path_findings
from policies.backup_rules.copy_paths import CopyPath
from tests.org_backup.ops.fakes import DR_REGIONS, WORKLOAD_REGIONS, FakeOrg, StubbedApis, deploy

CENTRAL_VAULT = "org-backup-central"


def copy_findings(stack_file: Path, connect: Any, tmp_path: Path) -> list[dict[str, Any]]:
    out = tmp_path / "verify.json"
    verify.main(["--config", str(stack_file), "--json", str(out)], aws=connect("verify"))
    return [f for f in json.loads(out.read_text())["findings"] if f["check"] == CHECK]


def sources(findings: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(f["account"], f["region"]) for f in findings}


def every_region(*accounts: str) -> set[tuple[str, str]]:
    return {(a, r) for a in accounts for r in WORKLOAD_REGIONS}


def central_key(org: FakeOrg) -> str:
    backup = org.client("backup", org.central, DR_REGIONS[0])
    return str(backup.describe_backup_vault(BackupVaultName=CENTRAL_VAULT)["EncryptionKeyArn"])


def test_the_deployed_policies_admit_every_copy(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect: Any, tmp_path: Path
) -> None:
    deploy(org, stack_file, stubs)
    assert copy_findings(stack_file, connect, tmp_path) == []


def test_a_vault_policy_without_an_ou_path_refuses_exactly_that_ous_accounts(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect: Any, tmp_path: Path
) -> None:
    """An administrator narrows the central vault's policy to the prod OU: non-prod's copies now fail."""
    deploy(org, stack_file, stubs)
    prod_only = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCopyIntoVaultFromProd",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:PrincipalOrgID": org.id},
                    "ForAnyValue:StringLike": {
                        "aws:PrincipalOrgPaths": [f"{org.id}/{org.root_id}/{org.ous['prod']}/*"]
                    },
                },
            }
        ],
    }
    stubs.vault_policies[(org.central, DR_REGIONS[0], CENTRAL_VAULT)] = json.dumps(prod_only)

    found = copy_findings(stack_file, connect, tmp_path)

    assert org.in_ou("non-prod") == [org.accounts["nonprod-01"]]
    assert sources(found) == every_region(*org.in_ou("non-prod"))
    assert len(found) == len(WORKLOAD_REGIONS)
    nonprod = org.accounts["nonprod-01"]
    [east] = [f for f in found if f["region"] == "us-east-1"]
    assert east["resource"] == f"arn:aws:backup:{DR_REGIONS[0]}:{org.central}:backup-vault:{CENTRAL_VAULT}"
    assert east["message"] == (
        f"plan 'daily' rule 'daily' (plans.daily.rules.daily.copies[0]) copies from {nonprod}/us-east-1 to "
        f"{east['resource']}, and the deployed vault refuses it: copies from {nonprod}/us-east-1 into "
        f"{CENTRAL_VAULT} in {org.central}/{DR_REGIONS[0]} need backup:CopyIntoBackupVault, but no statement of "
        f"the central vault's access policy allows it to account {nonprod} with OU path "
        f"{org.id}/{org.root_id}/{org.ous['non-prod']}/: AWS Backup fails the copy job"
    )
    assert "allowed_organization_paths" in east["action"]


def test_a_key_policy_without_the_organization_grant_refuses_every_copy(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect: Any, tmp_path: Path
) -> None:
    """The central key's policy is reset to KMS's default (the account alone): no member can re-encrypt."""
    deploy(org, stack_file, stubs)
    default = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{org.central}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    kms = org.client("kms", org.central, DR_REGIONS[0])
    kms.put_key_policy(KeyId=central_key(org), PolicyName="default", Policy=json.dumps(default))

    found = copy_findings(stack_file, connect, tmp_path)

    members = [*org.in_ou("prod"), *org.in_ou("non-prod")]
    assert sources(found) == every_region(*members)
    assert all(
        f"the key of {CENTRAL_VAULT} in {org.central}/{DR_REGIONS[0]} must let "
        f"arn:aws:iam::{f['account']}:role/OrgBackupServiceRole re-encrypt the copy, but it does not allow "
        f"kms:CreateGrant through AWS Backup in {DR_REGIONS[0]}" in f["message"]
        for f in found
    )


def test_a_lock_below_the_copy_retention_refuses_every_copy(
    org: FakeOrg, stack_file: Path, stubs: StubbedApis, connect: Any, tmp_path: Path
) -> None:
    """The lock's maximum (60 days) is below the daily copy's 90 days: AWS Backup fails those copy jobs."""
    deploy(org, stack_file, stubs)
    backup = org.client("backup", org.central, DR_REGIONS[0])
    backup.put_backup_vault_lock_configuration(BackupVaultName=CENTRAL_VAULT, MinRetentionDays=7, MaxRetentionDays=60)

    found = copy_findings(stack_file, connect, tmp_path)

    members = [*org.in_ou("prod"), *org.in_ou("non-prod")]
    assert sources(found) == every_region(*members)
    vault_arn = f"arn:aws:backup:{DR_REGIONS[0]}:{org.central}:backup-vault:{CENTRAL_VAULT}"
    assert all(
        f"delete_after_days 90 is above max_retention_days 60 of the locked vault {vault_arn}" in f["message"]
        for f in found
    )


# --------------------------------------------------------------------------- AWS's error answers, one call


class KmsAccess:
    """The central account's access, with a Stubber on its KMS client."""

    account_id = "333333333333"

    def __init__(self) -> None:
        session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name="us-west-2")
        self.kms = session.client("kms")
        self.stub = Stubber(self.kms)

    def client(self, service: str, region: str) -> Any:
        assert service == "kms"
        return self.kms


KEY = "arn:aws:kms:us-west-2:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
VAULT = {
    "BackupVaultName": CENTRAL_VAULT,
    "BackupVaultArn": f"arn:aws:backup:us-west-2:333333333333:backup-vault:{CENTRAL_VAULT}",
    "EncryptionKeyArn": KEY,
    "Locked": True,
    "MinRetentionDays": 7,
    "MaxRetentionDays": 400,
}
ADMITTING = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            }
        ]
    }
)
SOURCES = CopySources(
    paths=(
        CopyPath(
            where="plans.daily.rules.daily.copies[0]",
            plan="daily",
            rule="daily",
            source_account="444444444401",
            source_region="us-east-1",
            destination_account="333333333333",
            destination_region="us-west-2",
            destination_vault=CENTRAL_VAULT,
            retention_days=90,
        ),
    ),
    organization_id="o-a1b2c3d4e5",
    organization_paths={"444444444401": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/"},
    backup_role_name="OrgBackupServiceRole",
    partition="aws",
)


@pytest.mark.parametrize(
    ("code", "status"),
    [("AccessDeniedException", 400), ("NotFoundException", 400), ("ThrottlingException", 400)],
)
def test_key_policy_errors_are_findings(code: str, status: int) -> None:
    access = KmsAccess()
    access.stub.add_client_error(
        "get_key_policy", code, "no", status, expected_params={"KeyId": KEY, "PolicyName": "default"}
    )
    with access.stub:
        found = copy_path_findings(SOURCES, access, "us-west-2", ADMITTING, VAULT)  # type: ignore[arg-type]
    [finding] = found
    assert (finding.rule, finding.account, finding.region, finding.resource) == (
        CHECK,
        "333333333333",
        "us-west-2",
        KEY,
    )
    assert finding.message.startswith(f"could not read the policy of the central vault key {KEY}: {code}: ")
    assert "kms:GetKeyPolicy" in finding.remediation


def test_a_vault_answer_without_its_key_is_a_finding_and_the_rest_is_still_checked() -> None:
    access = KmsAccess()
    without_key = {k: v for k, v in VAULT.items() if k != "EncryptionKeyArn"} | {"MaxRetentionDays": 30}
    with access.stub:
        found = copy_path_findings(SOURCES, access, "us-west-2", ADMITTING, without_key)  # type: ignore[arg-type]
    assert [f.account for f in found] == ["333333333333", "444444444401"]
    assert "gave no EncryptionKeyArn" in found[0].message
    assert "delete_after_days 90 is above max_retention_days 30" in found[1].message


def test_the_real_key_policy_answer_is_evaluated() -> None:
    access = KmsAccess()
    org_grant = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "aws:PrincipalOrgID": "o-a1b2c3d4e5",
                        "kms:ViaService": "backup.us-west-2.amazonaws.com",
                    }
                },
            }
        ]
    }
    answer = {"Policy": json.dumps(org_grant), "PolicyName": "default"}
    access.stub.add_response("get_key_policy", answer, {"KeyId": KEY, "PolicyName": "default"})
    with access.stub:
        assert copy_path_findings(SOURCES, access, "us-west-2", ADMITTING, VAULT) == []  # type: ignore[arg-type]
    access.stub.assert_no_pending_responses()
    with access.stub:
        elsewhere = copy_path_findings(SOURCES, access, "eu-west-1", ADMITTING, VAULT)  # type: ignore[arg-type]
    assert elsewhere == [], "no copy goes to eu-west-1: nothing is read or reported there"
