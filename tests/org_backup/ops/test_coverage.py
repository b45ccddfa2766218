"""org-backup coverage against moto (resources) and the stand-in (recovery points, jobs, aggregator).

The scenario plants one resource per status in prod-01, a DynamoDB table whose tags need their own call, an
S3 bucket in another Region, and a selected volume in an excluded OU that must never be listed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from org_backup.main import main as cli
from org_backup.ops.aws import Aws
from org_backup.ops.common import EXIT_FINDINGS
from org_backup.ops.coverage import command
from tests.moto_server import MotoServer
from tests.org_backup.ops.coverage_fakes import CoverageStandIn, point
from tests.org_backup.ops.fakes import DR_REGIONS, FakeOrg, deploy, write_stack

CENTRAL_VAULT = "org-backup-central"


@pytest.fixture
def stand_in(aws_env: MotoServer) -> CoverageStandIn:
    return CoverageStandIn(aws_env)


@pytest.fixture
def make_aws(aws_env: MotoServer, stand_in: CoverageStandIn) -> Callable[[], Aws]:
    def make() -> Aws:
        aws = Aws.connect(profile=None, endpoint_url=aws_env.endpoint_url, command="coverage")
        stand_in.install(aws.session)
        return aws

    return make


def volume(org: FakeOrg, account: str, tag: str | None, *, key: str | None = None, region: str = "us-east-1") -> str:
    tags = [{"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": tag}]}] if tag else []
    extra: dict[str, Any] = {"Encrypted": True, "KmsKeyId": key} if key else {}
    made = org.client("ec2", account, region).create_volume(
        AvailabilityZone=f"{region}a", Size=1, TagSpecifications=tags, **extra
    )
    return f"arn:aws:ec2:{region}:{account}:volume/{made['VolumeId']}"


def copy(org: FakeOrg, resource: str, hours_ago: float) -> dict[str, Any]:
    return point(org.central, DR_REGIONS[0], resource, hours_ago=hours_ago, vault=CENTRAL_VAULT)


def plant(org: FakeOrg, stand_in: CoverageStandIn) -> dict[str, str]:
    """One resource per status in prod-01/us-east-1, and more elsewhere; returns ARN by expected status."""
    prod_01, prod_02 = org.in_ou("prod")
    nonprod = org.accounts["nonprod-01"]
    sandbox = org.accounts["sandbox-01"]
    kms = org.client("kms", prod_01)
    aws_ebs = next(a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == "alias/aws/ebs")
    planted = {
        "protected": volume(org, prod_01, "daily"),
        "no-recovery-point": volume(org, prod_01, "daily"),
        "stale": volume(org, prod_01, "daily"),
        "not-selected": volume(org, prod_01, "none"),
        "copy-missing": volume(org, prod_01, "daily"),
        "key-blocks-copy": volume(org, prod_01, "daily", key=f"arn:aws:kms:us-east-1:{prod_01}:key/{aws_ebs}"),
        "elsewhere": volume(org, prod_01, "daily"),
        "sandbox": volume(org, sandbox, "daily"),
    }
    ok = ("protected", "copy-missing", "key-blocks-copy")
    stand_in.recovery_points += [point(prod_01, "us-east-1", planted[k], hours_ago=3) for k in ok]
    stand_in.recovery_points.append(point(prod_01, "us-east-1", planted["stale"], hours_ago=24 * 10))
    stand_in.recovery_points.append(copy(org, planted["stale"], 24 * 10))
    # A member admin's own vault: a recovery point there is not the plan's.
    stand_in.recovery_points.append(point(prod_01, "us-east-1", planted["elsewhere"], hours_ago=1, vault="mine"))
    stand_in.recovery_points += [copy(org, planted[k], 2) for k in ("protected", "key-blocks-copy")]
    stand_in.recovery_points.append(point(sandbox, "us-east-1", planted["sandbox"], hours_ago=1))
    table = org.client("dynamodb", prod_02, "eu-west-1").create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=[{"Key": "backup", "Value": "daily"}],
    )["TableDescription"]["TableArn"]
    planted["table"] = table
    stand_in.recovery_points.append(point(prod_02, "eu-west-1", table, hours_ago=5))
    stand_in.recovery_points.append(copy(org, table, 4))
    org.client("s3", nonprod, "eu-west-1").create_bucket(
        Bucket="nonprod-data", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    org.client("s3", nonprod, "eu-west-1").put_bucket_tagging(
        Bucket="nonprod-data", Tagging={"TagSet": [{"Key": "backup", "Value": "daily"}]}
    )
    planted["bucket"] = "arn:aws:s3:::nonprod-data"
    return planted


@pytest.fixture
def scenario(org: FakeOrg, stand_in: CoverageStandIn, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    stack_file = write_stack(
        tmp_path,
        org,
        targets={
            "organizational_units": [
                {"name": "prod", "id": org.ous["prod"]},
                {"name": "non-prod", "id": org.ous["non-prod"]},
            ],
            # Targeted by name, but its OU is excluded: exclusions win.
            "accounts": [org.accounts["sandbox-01"]],
            "exclude_organizational_units": [org.ous["sandbox"]],
        },
    )
    deploy(org, stack_file, stand_in)
    return stack_file, plant(org, stand_in)


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {r["arn"]: r["status"] for r in document["resources"]}


def test_every_planted_status_is_found_and_the_excluded_ou_is_never_listed(
    org: FakeOrg, scenario: tuple[Path, dict[str, str]], stand_in: CoverageStandIn, make_aws, tmp_path: Path
) -> None:
    stack_file, planted = scenario
    out = tmp_path / "coverage.json"

    code = command.main(["--config", str(stack_file), "--json", str(out)], aws=make_aws())

    assert code == EXIT_FINDINGS
    document = json.loads(out.read_text())
    found = statuses(document)
    for status in ("protected", "no-recovery-point", "stale", "not-selected", "copy-missing", "key-blocks-copy"):
        assert found[planted[status]] == status, status
    assert found[planted["elsewhere"]] == "no-recovery-point", "a recovery point in another vault is not the plan's"
    assert found[planted["table"]] == "protected", "DynamoDB tags were read to evaluate the condition"
    assert found[planted["bucket"]] == "no-recovery-point"
    sandbox = org.accounts["sandbox-01"]
    assert planted["sandbox"] not in found
    assert all(r["account"] != sandbox for r in document["resources"])
    assert "sandbox" not in document["summary"]["by_ou"]
    assert all(sandbox not in key for key in document["summary"]["by_account"])
    assert all(f["account"] != sandbox for f in document["findings"])
    stale = next(r for r in document["resources"] if r["arn"] == planted["stale"])
    assert stale["plans"] == ["daily"]
    assert stale["age_hours"] == pytest.approx(240, abs=0.2)
    # Daily (24 h) + the rule's 60-minute start window + AWS's default 7-day completion window.
    assert stale["max_age_hours"] == pytest.approx(24 + 1 + 7 * 24)
    assert stale["copy_in_central"] is None, "a stale resource's copy is not judged"
    protected = next(r for r in document["resources"] if r["arn"] == planted["protected"])
    assert protected["copy_in_central"] is True
    assert document["summary"]["by_ou"]["prod"]["protected"] == 2
    unprotected = {f["resource"]: f for f in document["findings"] if f["check"].startswith("coverage-")}
    assert set(unprotected) == {
        planted[k]
        for k in (
            "no-recovery-point",
            "stale",
            "not-selected",
            "copy-missing",
            "key-blocks-copy",
            "elsewhere",
            "bucket",
        )
    }
    assert "alias/aws/ebs" in unprotected[planted["key-blocks-copy"]]["message"]
    assert stand_in.mutating_calls() == []


def test_the_aggregator_is_the_cheaper_first_path(
    org: FakeOrg, scenario: tuple[Path, dict[str, str]], stand_in: CoverageStandIn, make_aws, tmp_path: Path
) -> None:
    stack_file, planted = scenario
    prod_01 = org.in_ou("prod")[0]
    stand_in.aggregate_resources = [
        {
            "accountId": prod_01,
            "awsRegion": "us-east-1",
            "resourceType": "AWS::EC2::Volume",
            "arn": planted[name],
            "tags": [{"key": "backup", "value": "daily"}],
            "configuration": {},
        }
        for name in ("protected", "stale")
    ]
    out = tmp_path / "coverage.json"

    command.main(["--config", str(stack_file), "--json", str(out), "--config-aggregator", "org"], aws=make_aws())

    found = statuses(json.loads(out.read_text()))
    assert found == {planted["protected"]: "protected", planted["stale"]: "stale"}
    assert "EC2:DescribeVolumes" not in stand_in.calls
    assert "Config Service:SelectAggregateResourceConfig" in stand_in.calls


def test_refused_recovery_points_are_could_not_check_never_protected(
    org: FakeOrg, scenario: tuple[Path, dict[str, str]], stand_in: CoverageStandIn, make_aws, tmp_path: Path
) -> None:
    stack_file, _planted = scenario
    stand_in.refused["Backup:ListProtectedResources"] = "AccessDeniedException"
    out = tmp_path / "coverage.json"

    code = command.main(["--config", str(stack_file), "--json", str(out)], aws=make_aws())

    assert code == EXIT_FINDINGS
    document = json.loads(out.read_text())
    assert set(statuses(document).values()) == {"could-not-check"}
    assert "protected" not in document["summary"]["total"]
    reasons = [f["message"] for f in document["findings"] if f["check"] == "coverage"]
    assert reasons and all("ListProtectedResources" in m for m in reasons)


def test_org_backup_coverage_writes_json_through_the_cli(
    scenario: tuple[Path, dict[str, str]], make_aws, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_env
) -> None:
    stack_file, _planted = scenario
    out = tmp_path / "cli.json"

    code = cli(
        [
            "coverage",
            "--config",
            str(stack_file),
            "--endpoint-url",
            aws_env.endpoint_url,
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )

    assert code == EXIT_FINDINGS
    document = json.loads(out.read_text())
    assert {"account", "region", "type", "arn", "status"} <= set(document["resources"][0])


@pytest.mark.parametrize(
    ("schedule", "hours"),
    [
        ("cron(0 5 ? * * *)", 24),
        ("cron(0 5 ? * 1 *)", 7 * 24),
        ("cron(0 */12 ? * * *)", 12),
        ("cron(0 5 ? * MON-FRI *)", 3 * 24),
        ("cron(0 5 1 * ? *)", 31 * 24),
        ("not a schedule", None),
    ],
)
def test_the_longest_gap_between_runs_sets_how_old_a_backup_may_be(schedule: str, hours: int | None) -> None:
    from policies.backup_rules.schedule import max_interval_minutes

    assert max_interval_minutes(schedule) == (None if hours is None else hours * 60)


def test_verify_with_coverage_reports_each_unprotected_resource_once(
    org: FakeOrg, scenario: tuple[Path, dict[str, str]], stand_in: CoverageStandIn, make_aws, tmp_path: Path
) -> None:
    from org_backup.ops import verify

    stack_file, planted = scenario
    out = tmp_path / "verify.json"

    verify.main(["--config", str(stack_file), "--coverage", "--json", str(out)], aws=make_aws())

    document = json.loads(out.read_text())
    by_resource = [f for f in document["findings"] if f["resource"] == planted["key-blocks-copy"]]
    assert [f["check"] for f in by_resource] == ["coverage-key-blocks-copy"], "not also verify's aws-managed-key"
    assert document["resource_coverage"]["by_ou"]["prod"]["stale"] == 1
    assert stand_in.calls.count("Organizations:DescribeEffectivePolicy") == 3, "read once per member for both"


def test_verify_with_coverage_reports_a_failed_restore_test(
    org: FakeOrg, scenario: tuple[Path, dict[str, str]], stand_in: CoverageStandIn, make_aws, tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from org_backup.ops import verify

    stack_file, _ = scenario
    prod_01 = org.in_ou("prod")[0]
    now = datetime.now(UTC)
    stand_in.restore_jobs.append(
        {
            "Region": "eu-west-1",
            "AccountId": prod_01,
            "RestoreJobId": "r-1",
            "RecoveryPointArn": "arn:rp",
            "ResourceType": "RDS",
            "Status": "COMPLETED",
            "CreationDate": now - timedelta(days=2),
            "CompletionDate": now - timedelta(days=2) + timedelta(minutes=30),
            "ValidationStatus": "FAILED",
            "ValidationStatusMessage": "the validation script exited 1",
            "CreatedBy": {"RestoreTestingPlanArn": "arn:aws:backup:eu-west-1:1:restore-testing-plan:weekly"},
        }
    )
    out = tmp_path / "verify.json"

    verify.main(["--config", str(stack_file), "--coverage", "--json", str(out)], aws=make_aws())

    tests = [f for f in json.loads(out.read_text())["findings"] if f["check"] == "restore-test"]
    assert [(f["account"], f["region"], f["resource"]) for f in tests] == [(prod_01, "eu-west-1", "arn:rp")]
    assert "the validation script exited 1" in tests[0]["message"]
