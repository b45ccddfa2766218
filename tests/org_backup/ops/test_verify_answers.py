"""verify against the answers AWS really gives, call by call: botocore's Stubber checks every response below
against the service model's output shape, and the error answers are the ones AWS documents for the call
(AccessDeniedException, the call's not-found error, ThrottlingException once the client's retries are spent:
Stubber answers without retrying). Each test asserts the finding verify makes: never a traceback.

DescribeKey takes a key id, key ARN, alias name or alias ARN
(https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html) and answers KeyManager AWS for an
AWS managed key such as the one an RDS instance on alias/aws/rds uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from org_backup.ops.checks import jobs, policies, roles, vaults
from org_backup.ops.checks.base import Target
from org_backup.ops.checks.managed_keys import alias_name, key_id, managed_key_findings
from org_backup.ops.common import attempt
from policies.backup_rules.backup_policy.parse import ParsedPlan, parse_backup_policy
from policies.backup_rules.findings import Finding

ACCOUNT = "444455556666"
CENTRAL = "111122223333"
REGION = "us-east-1"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
RDS_ALIAS_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/aws/rds"
DB_ARN = f"arn:aws:rds:{REGION}:{ACCOUNT}:db:orders"
CENTRAL_VAULT = f"arn:aws:backup:us-west-2:{CENTRAL}:backup-vault:central"
THROTTLED = ("ThrottlingException", "Rate exceeded", 400)
DENIED = ("AccessDeniedException", "User is not authorized to perform: kms:DescribeKey", 400)


class StubAccess:
    """An AccountAccess whose clients answer from Stubber queues; one client per service."""

    def __init__(self) -> None:
        self.account_id = ACCOUNT
        session = boto3.Session(aws_access_key_id="k", aws_secret_access_key="s", region_name=REGION)
        self.clients = {name: session.client(name) for name in ("kms", "rds", "ec2", "backup", "iam", "organizations")}
        self.stubs = {name: Stubber(client) for name, client in self.clients.items()}

    def client(self, service: str, region: str) -> Any:
        return self.clients[service]


@pytest.fixture
def access() -> Iterator[StubAccess]:
    fake = StubAccess()
    with ExitStack() as stack:
        for stub in fake.stubs.values():
            stack.enter_context(stub)
        yield fake
        for stub in fake.stubs.values():
            stub.assert_no_pending_responses()


def copying_plan() -> list[ParsedPlan]:
    """One plan in us-east-1 that selects every resource and copies to the central account."""
    document = {
        "plans": {
            "daily": {
                "regions": {"@@assign": [REGION]},
                "rules": {
                    "daily": {
                        "target_backup_vault_name": {"@@assign": "member"},
                        "copy_actions": {CENTRAL_VAULT: {"target_backup_vault_arn": {"@@assign": CENTRAL_VAULT}}},
                    }
                },
                "selections": {
                    "resources": {
                        "all": {
                            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/Backup"},
                            "resource_types": {"@@assign": ["*"]},
                        }
                    }
                },
            }
        }
    }
    parsed = parse_backup_policy(document)
    assert parsed is not None
    return list(parsed.plans)


def db_instance(identifier: str, key: str) -> dict[str, Any]:
    return {
        "DBInstanceIdentifier": identifier,
        "DBInstanceClass": "db.t3.micro",
        "Engine": "postgres",
        "DBInstanceStatus": "available",
        "StorageEncrypted": True,
        "KmsKeyId": key,
        "DBInstanceArn": f"arn:aws:rds:{REGION}:{ACCOUNT}:db:{identifier}",
        "TagList": [{"Key": "backup", "Value": "daily"}],
    }


def key_metadata(manager: str | None, key: str = KEY_ID) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "AWSAccountId": ACCOUNT,
        "KeyId": key,
        "Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}",
        "CreationDate": datetime(2024, 1, 1, tzinfo=UTC),
        "Enabled": True,
        "Description": "Default key that protects my RDS database volumes when no other key is defined",
        "KeyUsage": "ENCRYPT_DECRYPT",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
        "MultiRegion": False,
    }
    if manager is not None:
        metadata["KeyManager"] = manager
    return metadata


def resources(access: StubAccess, *instances: dict[str, Any]) -> None:
    """RDS answers in two pages (Marker), then no clusters and no volumes."""
    rds = access.stubs["rds"]
    first, rest = list(instances[:1]), list(instances[1:])
    rds.add_response("describe_db_instances", {"DBInstances": first, "Marker": "page-2"}, {})
    rds.add_response("describe_db_instances", {"DBInstances": rest}, {"Marker": "page-2"})
    rds.add_response("describe_db_clusters", {"DBClusters": []}, {})
    access.stubs["ec2"].add_response("describe_volumes", {"Volumes": []}, {})


def aliases(access: StubAccess, *pages: list[dict[str, Any]]) -> None:
    """ListAliases pages (Truncated/NextMarker between them), as KMS returns them."""
    for index, page in enumerate(pages):
        last = index == len(pages) - 1
        response: dict[str, Any] = {"Aliases": page, "Truncated": not last}
        if not last:
            response["NextMarker"] = f"m{index + 1}"
        access.stubs["kms"].add_response("list_aliases", response, {"Marker": f"m{index}"} if index else {})


def rds_alias(target: str | None = KEY_ID) -> dict[str, Any]:
    alias: dict[str, Any] = {"AliasName": "alias/aws/rds", "AliasArn": RDS_ALIAS_ARN}
    if target is not None:
        alias["TargetKeyId"] = target
    return alias


def findings(access: StubAccess) -> list[Finding]:
    """As verify runs the check: inside ``attempt``, so only a traceback could escape."""
    return attempt(
        "aws-managed-key",
        ACCOUNT,
        REGION,
        lambda: managed_key_findings(access, "aws", copying_plan(), REGION),  # type: ignore[arg-type]
    )


def only(found: list[Finding]) -> Finding:
    assert len(found) == 1, [f.message for f in found]
    return found[0]


# --------------------------------------------------------------------------- KMS: ListAliases and DescribeKey


def test_key_arn_that_describe_key_calls_aws_managed_is_an_error_not_a_key_error(access: StubAccess) -> None:
    """The crash of issue 9 item 13: the alias list does not name the key, DescribeKey says AWS."""
    resources(access, db_instance("orders", KEY_ARN), db_instance("billing", KEY_ARN))
    aliases(access, [rds_alias(target=None)])
    access.stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("AWS")}, {"KeyId": KEY_ARN})
    found = findings(access)
    assert [(f.rule, f.severity, f.resource) for f in found] == [
        ("aws-managed-key", "error", DB_ARN),
        ("aws-managed-key", "error", f"arn:aws:rds:{REGION}:{ACCOUNT}:db:billing"),
    ]
    assert f"the AWS managed key {KEY_ARN}" in found[0].message
    assert CENTRAL_VAULT in found[0].message


@pytest.mark.parametrize("reference", [RDS_ALIAS_ARN, "alias/aws/rds"], ids=["alias ARN", "alias name"])
def test_aws_alias_is_aws_managed_whatever_describe_key_says(access: StubAccess, reference: str) -> None:
    """alias/aws/ is reserved for AWS managed keys: no lookup can make such a key a customer's."""
    resources(access, db_instance("orders", reference))
    finding = only(findings(access))  # no KMS call at all: the name decides
    assert (finding.severity, finding.resource) == ("error", DB_ARN)
    assert "the AWS managed key alias/aws/rds" in finding.message


def test_key_id_found_on_the_second_alias_page(access: StubAccess) -> None:
    resources(access, db_instance("orders", KEY_ID))
    aliases(access, [{"AliasName": "alias/team", "AliasArn": "arn:aws:kms:us-east-1:1:alias/team"}], [rds_alias()])
    finding = only(findings(access))
    assert "the AWS managed key alias/aws/rds" in finding.message


def test_customer_key_passes(access: StubAccess) -> None:
    resources(access, db_instance("orders", KEY_ARN))
    aliases(access, [rds_alias("ffffffff-0000-0000-0000-000000000000")])
    access.stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("CUSTOMER")}, {"KeyId": KEY_ARN})
    assert findings(access) == []


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (DENIED, "AccessDeniedException"),
        (("NotFoundException", f"Key '{KEY_ARN}' does not exist", 400), "NotFoundException"),
        (THROTTLED, "ThrottlingException"),
        (("KMSInternalException", "internal", 500), "KMSInternalException"),
    ],
    ids=["access-denied", "not-found", "throttled", "internal"],
)
def test_describe_key_errors_are_warnings_that_name_the_key(
    access: StubAccess, error: tuple[str, str, int], shown: str
) -> None:
    resources(access, db_instance("orders", KEY_ARN))
    aliases(access, [])
    code, message, status = error
    access.stubs["kms"].add_client_error("describe_key", code, message, status, expected_params={"KeyId": KEY_ARN})
    finding = only(findings(access))
    assert (finding.rule, finding.severity, finding.resource) == ("aws-managed-key", "warning", DB_ARN)
    assert f"key {KEY_ARN}, which verify could not classify (DescribeKey answered {shown})" in finding.message


def test_describe_key_without_key_manager_is_a_warning(access: StubAccess) -> None:
    """KeyMetadata requires only KeyId in the service model; a missing KeyManager is not a customer key."""
    resources(access, db_instance("orders", KEY_ARN))
    aliases(access, [])
    access.stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata(None)}, {"KeyId": KEY_ARN})
    finding = only(findings(access))
    assert finding.severity == "warning"
    assert "gave no usable KeyManager (None)" in finding.message


def test_describe_key_without_metadata_is_a_warning(access: StubAccess) -> None:
    resources(access, db_instance("orders", KEY_ARN))
    aliases(access, [])
    access.stubs["kms"].add_response("describe_key", {}, {"KeyId": KEY_ARN})
    assert only(findings(access)).severity == "warning"


def test_list_aliases_denied_falls_back_to_describe_key(access: StubAccess) -> None:
    resources(access, db_instance("orders", KEY_ARN))
    access.stubs["kms"].add_client_error("list_aliases", *DENIED)
    access.stubs["kms"].add_response("describe_key", {"KeyMetadata": key_metadata("AWS")}, {"KeyId": KEY_ARN})
    finding = only(findings(access))
    assert (finding.severity, finding.resource) == ("error", DB_ARN)


def test_rds_throttled_after_retries_is_a_finding(access: StubAccess) -> None:
    access.stubs["rds"].add_client_error("describe_db_instances", *THROTTLED)
    finding = only(findings(access))
    assert (finding.rule, finding.severity) == ("aws-managed-key", "error")
    assert "could not check: ThrottlingException" in finding.message


def test_ec2_denied_is_a_finding(access: StubAccess) -> None:
    access.stubs["rds"].add_response("describe_db_instances", {"DBInstances": []}, {})
    access.stubs["rds"].add_response("describe_db_clusters", {"DBClusters": []}, {})
    access.stubs["ec2"].add_client_error("describe_volumes", "UnauthorizedOperation", "not authorized", 403)
    assert "could not check: UnauthorizedOperation" in only(findings(access)).message


@pytest.mark.parametrize(
    ("reference", "alias", "key"),
    [
        (KEY_ID, None, KEY_ID),
        (KEY_ARN, None, KEY_ID),
        ("alias/aws/rds", "alias/aws/rds", "alias/aws/rds"),
        (RDS_ALIAS_ARN, "alias/aws/rds", RDS_ALIAS_ARN),
        (
            "arn:aws-us-gov:kms:us-gov-west-1:1:alias/team/x",
            "alias/team/x",
            "arn:aws-us-gov:kms:us-gov-west-1:1:alias/team/x",
        ),
    ],
)
def test_key_reference_forms(reference: str, alias: str | None, key: str) -> None:
    assert (alias_name(reference), key_id(reference)) == (alias, key)


# --------------------------------------------------------------------------- every other call verify makes


def target() -> Target:
    return Target(ACCOUNT, "member", "member", (REGION,), "member", None)


def vault_answer(**extra: Any) -> dict[str, Any]:
    return {
        "BackupVaultName": "member",
        "BackupVaultArn": f"arn:aws:backup:{REGION}:{ACCOUNT}:backup-vault:member",
        "EncryptionKeyArn": KEY_ARN,
        "NumberOfRecoveryPoints": 0,
        "Locked": False,
        **extra,
    }


def test_vault_key_without_arn_is_a_finding_not_a_key_error(access: StubAccess) -> None:
    """DescribeKey's KeyMetadata.Arn is optional in the model; the vault-key check read it blindly."""
    access.stubs["backup"].add_response("describe_backup_vault", vault_answer(), {"BackupVaultName": "member"})
    metadata = key_metadata("CUSTOMER")
    del metadata["Arn"]
    access.stubs["kms"].add_response("describe_key", {"KeyMetadata": metadata}, {"KeyId": "alias/member"})
    access.stubs["backup"].add_client_error(
        "get_backup_vault_access_policy", "ResourceNotFoundException", "no policy", 404
    )
    row, found = vaults.check_vault(access, target(), REGION, datetime.now(UTC))  # type: ignore[arg-type]
    by_check = {f.rule: f for f in found}
    assert "AWS answered without the expected field" in by_check["vault-key"].message
    assert "no access policy" in by_check["vault-policy"].message
    assert row.vault and not row.key


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (("NotFoundException", "Alias alias/member is not found.", 400), "alias/member does not exist"),
        (DENIED, "could not check: AccessDeniedException"),
        (THROTTLED, "could not check: ThrottlingException"),
    ],
    ids=["not-found", "access-denied", "throttled"],
)
def test_vault_key_errors(access: StubAccess, error: tuple[str, str, int], expected: str) -> None:
    access.stubs["backup"].add_response("describe_backup_vault", vault_answer(), {"BackupVaultName": "member"})
    access.stubs["kms"].add_client_error("describe_key", *error)
    access.stubs["backup"].add_client_error("get_backup_vault_access_policy", *DENIED)
    _, found = vaults.check_vault(access, target(), REGION, datetime.now(UTC))  # type: ignore[arg-type]
    by_check = {f.rule: f.message for f in found}
    assert expected in by_check["vault-key"]
    assert "could not check: AccessDeniedException" in by_check["vault-policy"]


def test_missing_vault_and_denied_vault(access: StubAccess) -> None:
    backup = access.stubs["backup"]
    backup.add_client_error("describe_backup_vault", "ResourceNotFoundException", "not found", 404)
    _, found = vaults.check_vault(access, target(), REGION, datetime.now(UTC))  # type: ignore[arg-type]
    assert "vault member does not exist" in only(found).message
    backup.add_client_error("describe_backup_vault", "AccessDeniedException", "denied", 403)
    # Not caught here on purpose: verify's fan-out turns it into the Region's "could not check" finding.
    with pytest.raises(ClientError):
        vaults.check_vault(access, target(), REGION, datetime.now(UTC))  # type: ignore[arg-type]


def jobs_page(kind: str, state: str, token: str | None = None) -> dict[str, Any]:
    job = {
        "AccountId": ACCOUNT,
        "ResourceArn": DB_ARN,
        "State": state,
        "StatusMessage": "Insufficient privileges to perform this action.",
        "CreationDate": datetime(2026, 1, 1, tzinfo=UTC),
        "ResourceType": "RDS",
    }
    job["BackupJobId" if kind == "backup" else "CopyJobId"] = "job-1"
    page: dict[str, Any] = {"BackupJobs" if kind == "backup" else "CopyJobs": [job]}
    if token:
        page["NextToken"] = token
    return page


def test_jobs_across_pages_and_a_throttled_listing(access: StubAccess) -> None:
    since = datetime(2025, 12, 31, tzinfo=UTC)
    backup = access.stubs["backup"]
    for state in jobs.FAILURE_STATES["backup"]:
        params = {"ByAccountId": ACCOUNT, "ByState": state, "ByCreatedAfter": since}
        if state == "FAILED":
            backup.add_response("list_backup_jobs", jobs_page("backup", state, "t2"), params)
            backup.add_response("list_backup_jobs", jobs_page("backup", state), {**params, "NextToken": "t2"})
        else:
            backup.add_response("list_backup_jobs", {"BackupJobs": []}, params)
    backup.add_client_error("list_copy_jobs", *THROTTLED)
    found = attempt(
        "jobs",
        ACCOUNT,
        REGION,
        lambda: jobs.job_findings(access, ACCOUNT, REGION, since, 24),  # type: ignore[arg-type]
    )
    assert [f.message.split(";")[0] for f in found] == [
        "could not check: ThrottlingException: An error occurred "
        "(ThrottlingException) when calling the ListCopyJobs "
        "operation: Rate exceeded"
    ]


def test_jobs_two_pages_are_one_finding(access: StubAccess) -> None:
    since = datetime(2025, 12, 31, tzinfo=UTC)
    backup = access.stubs["backup"]
    for kind, operation, key in (("backup", "list_backup_jobs", "BackupJobs"), ("copy", "list_copy_jobs", "CopyJobs")):
        for state in jobs.FAILURE_STATES[kind]:  # type: ignore[index]
            params = {"ByAccountId": ACCOUNT, "ByState": state, "ByCreatedAfter": since}
            if kind == "backup" and state == "FAILED":
                backup.add_response(operation, jobs_page(kind, state, "t2"), params)
                backup.add_response(operation, jobs_page(kind, state), {**params, "NextToken": "t2"})
            else:
                backup.add_response(operation, {key: []}, params)
    found = jobs.job_findings(access, ACCOUNT, REGION, since, 24)  # type: ignore[arg-type]
    assert [(f.rule, f.resource) for f in found] == [("backup-jobs", DB_ARN)]
    assert found[0].message.startswith("2 backup job(s) FAILED in the last 24 h")


class _Org:
    def __init__(self, access: StubAccess) -> None:
        self._client = access.clients["organizations"]

    def organizations(self) -> Any:
        return self._client


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({}, "AWS answered without the expected field"),
        (("AccessDeniedException", "denied", 400), "could not check: AccessDeniedException"),
        (("TooManyRequestsException", "slow down", 400), "could not check: TooManyRequestsException"),
    ],
    ids=["no-effective-policy-member", "access-denied", "throttled"],
)
def test_effective_policy_answers(access: StubAccess, answer: Any, expected: str) -> None:
    stub = access.stubs["organizations"]
    params = {"PolicyType": "BACKUP_POLICY", "TargetId": ACCOUNT}
    if isinstance(answer, dict):
        stub.add_response("describe_effective_policy", answer, params)
    else:
        stub.add_client_error("describe_effective_policy", *answer)

    def check() -> list[Finding]:
        found, _ = policies.compare_effective_policy(ACCOUNT, {}, policies.effective_policy(_Org(access), ACCOUNT))  # type: ignore[arg-type]
        return found

    assert expected in only(attempt("effective-policy", ACCOUNT, None, check)).message


def test_no_effective_policy_is_not_an_error_answer(access: StubAccess) -> None:
    access.stubs["organizations"].add_client_error(
        "describe_effective_policy", "EffectivePolicyNotFoundException", "none", 400
    )
    assert policies.effective_policy(_Org(access), ACCOUNT) is None  # type: ignore[arg-type]


def role_config() -> Any:
    from types import SimpleNamespace

    return SimpleNamespace(
        vaults=SimpleNamespace(backup_role_name="OrgBackupRole"), organization=SimpleNamespace(partition="aws")
    )


def test_backup_role_answers(access: StubAccess) -> None:
    iam = access.stubs["iam"]
    iam.add_client_error("get_role", "NoSuchEntity", "The role with name OrgBackupRole cannot be found.", 404)
    missing = roles.check_backup_role(access, role_config(), REGION)  # type: ignore[arg-type]
    assert "does not exist" in only(missing).message
    iam.add_client_error("get_role", "AccessDenied", "not authorized to perform: iam:GetRole", 403)
    denied = attempt("backup-role", ACCOUNT, None, lambda: roles.check_backup_role(access, role_config(), REGION))  # type: ignore[arg-type]
    assert "could not check: AccessDenied" in only(denied).message
    role = {
        "Path": "/",
        "RoleName": "OrgBackupRole",
        "RoleId": "AROAEXAMPLEEXAMPLE123",
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/OrgBackupRole",
        "CreateDate": datetime(2024, 1, 1, tzinfo=UTC),
        "AssumeRolePolicyDocument": "%7B%22Statement%22%3A%5B%5D%7D",
    }
    iam.add_response("get_role", {"Role": role}, {"RoleName": "OrgBackupRole"})
    iam.add_client_error("list_attached_role_policies", "Throttling", "Rate exceeded", 400)
    throttled = attempt(
        "backup-role",
        ACCOUNT,
        None,
        lambda: roles.check_backup_role(access, role_config(), REGION),  # type: ignore[arg-type]
    )
    assert "could not check: Throttling" in only(throttled).message
