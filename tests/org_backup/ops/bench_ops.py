"""``make bench-ops``: verify --coverage over a synthetic organization, through a fake transport (a measurement).

    .venv/bin/python -m tests.org_backup.ops.bench_ops --accounts 1000 --regions 3 --latency-ms 100 \\
        --output bench/ops.json [--describe] [--workers 64]

No network and no moto: a ``before-call`` hook on the command's boto3 session answers every operation from a
synthetic organization generated on the fly (so the fake itself holds nothing per account), after sleeping
``--latency-ms`` and taking a token from a bucket per account, Region and API. The buckets use the rates of
``org_backup.ops.aws.RATE_LIMITS`` (AWS Backup per-API rates: https://docs.aws.amazon.com/general/latest/gr/bk.html;
Organizations and STS publish none per operation, see that table's docstring): a call that finds its bucket
empty counts as throttled and waits, as the SDK's retry would. The command limits itself client-side, so
``throttled`` should stay 0. Each member account and Region holds an EC2 instance, an EBS volume, an RDS
instance, a DynamoDB table and an EFS file system (and each account an S3 bucket), all tagged for the daily
plan, backed up an hour ago and copied to the central vault. By default resources come from an AWS Config
aggregator (``--config-aggregator``); ``--describe`` reads each service instead.

Writes ``{accounts, regions, latency_ms, wall_s, calls, calls_per_account_region, peak_rss_mb, ...}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse

from components.documents.iam import backup_role_managed_policy_arns, backup_role_trust_policy
from components.documents.vault_policy import central_vault_policy, member_vault_policy
from org_backup.ops import verify
from org_backup.ops.aws import DEFAULT_RATE, RATE_LIMITS, Aws
from tests.moto_server import FAKE_CREDENTIALS, MotoServer
from tests.org_backup.ops.fakes import BREAK_GLASS, FakeOrg, effective_form, stack_layout, write_stack

MANAGEMENT = "100000000000"
ADMIN = "100000000001"
CENTRAL = "100000000002"
FIRST_MEMBER = 200000000000
ALL_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-east-2")
DR_REGION = "us-west-2"
AGGREGATOR = "org-backup-bench"


def synthetic_org(accounts: int) -> FakeOrg:
    """An organization that exists only as ids: prod and non-prod OUs, the admin and central accounts."""
    ous = {"prod": "ou-bnch-prod0000", "non-prod": "ou-bnch-nonprod0", "security": "ou-bnch-security"}
    org = FakeOrg(MotoServer("http://unused.invalid"), "o-bench00000", "r-bnch", ous, {}, {}, {})
    org.parents[MANAGEMENT] = org.root_id
    org.names[MANAGEMENT] = "management"
    for name, account in (("backup-admin", ADMIN), ("backup-central", CENTRAL)):
        org.accounts[name], org.parents[account], org.names[account] = account, ous["security"], name
    for n in range(accounts):
        account = str(FIRST_MEMBER + n)
        name = f"member-{n:04d}"
        org.accounts[name], org.names[account] = account, name
        org.parents[account] = ous["prod"] if n % 4 else ous["non-prod"]
    return org


class Bucket:
    """AWS's side of a rate limit: a token bucket that counts the calls it had to hold back."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, burst, burst, time.monotonic()
        self.lock = threading.Lock()

    def take(self) -> bool:
        """True if the call went through at once; otherwise waits for a token (the SDK's retry) first."""
        throttled = False
        while True:
            with self.lock:
                now = time.monotonic()
                self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1:
                    self.tokens -= 1
                    return not throttled
                pause = (1 - self.tokens) / self.rate
            throttled = True
            time.sleep(pause)


class FakeTransport:
    """Answers every call of the command from the synthetic organization (see the module docstring)."""

    def __init__(
        self, org: FakeOrg, effective: Mapping[str, str], regions: tuple[str, ...], latency: float, stack_file: Path
    ) -> None:
        self.org = org
        self.effective = effective
        self.regions = regions
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.throttled = 0
        self.throttled_by: Counter[str] = Counter()
        self.unanswered: Counter[str] = Counter()
        self._buckets: dict[tuple[str, str, str], Bucket] = {}
        self._lock = threading.Lock()
        self.now = datetime.now(UTC)
        config, _ = stack_layout(stack_file)
        self.config = config
        self.central_policy = json.dumps(
            central_vault_policy(
                organization_id=org.id,
                break_glass_role_arns=config.organization.vault_admin_role_arns(CENTRAL, [BREAK_GLASS]),
                backup_role_name=config.vaults.backup_role_name,
            )
        )

    def install(self, session: Any) -> None:
        session.events.register("before-parameter-build", self._remember)
        session.events.register("before-call", self._answer)

    @staticmethod
    def _remember(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = dict(params)

    def _answer(self, model: Any, context: dict[str, Any], request_signer: Any, **_: Any) -> Any:
        service = model.service_model.endpoint_prefix
        operation = model.name
        region = context["client_region"]
        key = request_signer._credentials.get_frozen_credentials().access_key
        account = key[-12:] if key.startswith("FAKE") else MANAGEMENT
        scope = "global" if service in ("organizations", "iam", "sts") else region
        rate = RATE_LIMITS.get(service, DEFAULT_RATE)
        with self._lock:
            self.calls[f"{service}:{operation}"] += 1
            bucket = self._buckets.setdefault((account, f"{service}:{scope}", operation), Bucket(*rate))
        if not bucket.take():
            with self._lock:
                self.throttled += 1
                self.throttled_by[f"{service}:{operation} as {account}"] += 1
        time.sleep(self.latency)
        params = context.get("bench_params", {})
        handler = getattr(self, f"_{service}_{operation}".replace("-", "_"), None)
        if handler is None:
            with self._lock:
                self.unanswered[f"{service}:{operation}"] += 1
            body: dict[str, Any] = {}
        else:
            body = handler(account, region, params)
        if "Error" in body:
            return AWSResponse(None, 400, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 400}}
        return AWSResponse(None, 200, {}, None), {**body, "ResponseMetadata": {"HTTPStatusCode": 200}}

    # --- identity and organization
    def _sts_GetCallerIdentity(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Account": account, "Arn": f"arn:aws:iam::{account}:user/bench", "UserId": "bench"}

    def _sts_AssumeRole(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        target = params["RoleArn"].split(":")[4]
        expires = self.now + timedelta(hours=1)
        credentials = {
            "AccessKeyId": f"FAKE{target}",
            "SecretAccessKey": "x" * 20,
            "SessionToken": "t",
            "Expiration": expires,
        }
        return {"Credentials": credentials}

    def _organizations_DescribeOrganization(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {"Organization": {"Id": self.org.id, "MasterAccountId": MANAGEMENT, "FeatureSet": "ALL"}}

    def _organizations_DescribeEffectivePolicy(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        content = self.effective[self.org.parents[params["TargetId"]]]
        return {"EffectivePolicy": {"PolicyContent": content, "TargetId": params["TargetId"]}}

    def _ec2_DescribeRegions(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Regions": [{"RegionName": r, "OptInStatus": "opt-in-not-required"} for r in (*ALL_REGIONS, DR_REGION)]}

    def _iam_GetRole(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        name = params["RoleName"]
        role = {
            "RoleName": name,
            "Arn": f"arn:aws:iam::{account}:role/{name}",
            "Path": "/",
            "RoleId": "AROABENCH",
            "CreateDate": self.now,
            "AssumeRolePolicyDocument": json.dumps(backup_role_trust_policy()),
        }
        return {"Role": role}

    def _iam_ListAttachedRolePolicies(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        arns = backup_role_managed_policy_arns()
        return {"AttachedPolicies": [{"PolicyArn": a, "PolicyName": a.rsplit("/", 1)[-1]} for a in arns]}

    # --- vaults and keys
    def _vault_name(self, account: str) -> str:
        return self.config.vaults.central.name if account == CENTRAL else self.config.vaults.member.name

    def _backup_DescribeBackupVault(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        name = params["BackupVaultName"]
        lock = self.config.vaults.central.lock if account == CENTRAL else self.config.vaults.member.lock
        vault: dict[str, Any] = {
            "BackupVaultName": name,
            "BackupVaultArn": f"arn:aws:backup:{region}:{account}:backup-vault:{name}",
            "EncryptionKeyArn": f"arn:aws:kms:{region}:{account}:key/11111111-2222-3333-4444-555555555555",
            "CreationDate": self.now - timedelta(days=30),
        }
        if lock is not None:
            vault |= {
                "Locked": True,
                "MinRetentionDays": lock.min_retention_days,
                "MaxRetentionDays": lock.max_retention_days,
                "LockDate": self.now - timedelta(days=20),
            }
        return vault

    def _backup_GetBackupVaultAccessPolicy(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        if account == CENTRAL:
            return {"BackupVaultName": params["BackupVaultName"], "Policy": self.central_policy}
        admins = self.config.organization.vault_admin_role_arns(account, [BREAK_GLASS])
        policy = member_vault_policy(break_glass_role_arns=admins, copy_source_account_ids=[CENTRAL])
        return {"BackupVaultName": params["BackupVaultName"], "Policy": json.dumps(policy)}

    def _kms_DescribeKey(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        key = {
            "KeyId": "11111111-2222-3333-4444-555555555555",
            "Arn": f"arn:aws:kms:{region}:{account}:key/11111111-2222-3333-4444-555555555555",
            "KeyManager": "CUSTOMER",
            "KeyState": "Enabled",
            "Enabled": True,
        }
        return {"KeyMetadata": key}

    # --- resources
    def _arn(self, account: str, region: str, kind: str) -> str:
        return {
            "volume": f"arn:aws:ec2:{region}:{account}:volume/vol-{account}",
            "instance": f"arn:aws:ec2:{region}:{account}:instance/i-{account}",
            "db": f"arn:aws:rds:{region}:{account}:db:db-{account}",
            "table": f"arn:aws:dynamodb:{region}:{account}:table/t{account}",
            "efs": f"arn:aws:elasticfilesystem:{region}:{account}:file-system/fs-{account}",
        }[kind]

    def _members_resources(self, account: str, region: str) -> list[tuple[str, str]]:
        if account in (MANAGEMENT, ADMIN, CENTRAL) or region not in self.regions:
            return []
        kinds: tuple[tuple[str, str], ...] = (
            ("AWS::EC2::Volume", "volume"),
            ("AWS::EC2::Instance", "instance"),
            ("AWS::RDS::DBInstance", "db"),
            ("AWS::DynamoDB::Table", "table"),
            ("AWS::EFS::FileSystem", "efs"),
        )
        return [(config_type, self._arn(account, region, kind)) for config_type, kind in kinds]

    _TAGS = [{"Key": "backup", "Value": "daily"}]
    _WEEKLY = [{"Key": "backup", "Value": "weekly"}]
    """The daily plan leaves databases out; the weekly plan (prod only) takes them: non-prod's are not selected."""

    def _ec2_DescribeVolumes(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if not self._members_resources(account, region):
            return {"Volumes": []}
        return {"Volumes": [{"VolumeId": f"vol-{account}", "Encrypted": False, "Tags": self._TAGS}]}

    def _ec2_DescribeInstances(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if not self._members_resources(account, region):
            return {"Reservations": []}
        instance = {"InstanceId": f"i-{account}", "State": {"Name": "running"}, "Tags": self._TAGS}
        return {"Reservations": [{"Instances": [instance]}]}

    def _rds_DescribeDBInstances(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if not self._members_resources(account, region):
            return {"DBInstances": []}
        db = {"DBInstanceArn": self._arn(account, region, "db"), "StorageEncrypted": False, "TagList": self._WEEKLY}
        return {"DBInstances": [db]}

    def _dynamodb_ListTables(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"TableNames": [f"t{account}"] if self._members_resources(account, region) else []}

    def _dynamodb_ListTagsOfResource(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"Tags": self._TAGS}

    def _elasticfilesystem_DescribeFileSystems(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        if not self._members_resources(account, region):
            return {"FileSystems": []}
        fs = {
            "FileSystemArn": self._arn(account, region, "efs"),
            "FileSystemId": f"fs-{account}",
            "Tags": self._TAGS,
            "OwnerId": account,
            "CreationToken": "t",
            "CreationTime": self.now,
            "LifeCycleState": "available",
            "NumberOfMountTargets": 0,
            "SizeInBytes": {"Value": 0},
            "PerformanceMode": "generalPurpose",
        }
        return {"FileSystems": [fs]}

    def _s3_ListBuckets(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        if account in (MANAGEMENT, ADMIN, CENTRAL):
            return {"Buckets": []}
        return {"Buckets": [{"Name": f"data-{account}", "BucketRegion": self.regions[0], "CreationDate": self.now}]}

    def _s3_GetBucketTagging(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        return {"TagSet": self._TAGS}

    def _config_SelectAggregateResourceConfig(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        expression = params["Expression"]
        accounts = expression.split("accountId IN (", 1)[1].rstrip(")").replace("'", "").split(", ")
        rows = [
            json.dumps(
                {
                    "accountId": member,
                    "awsRegion": r,
                    "resourceType": config_type,
                    "arn": arn,
                    "tags": [
                        {"key": "backup", "value": "weekly" if config_type == "AWS::RDS::DBInstance" else "daily"}
                    ],
                    "configuration": {},
                }
            )
            for member in accounts
            for r in self.regions
            for config_type, arn in self._members_resources(member, r)
        ]
        rows += [
            json.dumps(
                {
                    "accountId": member,
                    "awsRegion": self.regions[0],
                    "resourceType": "AWS::S3::Bucket",
                    "arn": f"arn:aws:s3:::data-{member}",
                    "tags": [{"key": "backup", "value": "daily"}],
                }
            )
            for member in accounts
        ]
        return {"Results": rows}

    # --- recovery points
    def _backup_ListProtectedResources(self, account: str, region: str, params: Mapping[str, Any]) -> dict[str, Any]:
        vault = f"arn:aws:backup:{region}:{account}:backup-vault:{self.config.vaults.member.name}"
        arns = [arn for _, arn in self._members_resources(account, region)]
        if region == self.regions[0] and account not in (MANAGEMENT, ADMIN, CENTRAL):
            arns.append(f"arn:aws:s3:::data-{account}")
        when = self.now - timedelta(hours=1)
        return {"Results": [{"ResourceArn": a, "LastBackupTime": when, "LastBackupVaultArn": vault} for a in arns]}

    def _backup_ListRecoveryPointsByBackupVault(
        self, account: str, region: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The central vault: one copy per member resource; paged by 1,000 as AWS allows."""
        if account != CENTRAL:
            return {"RecoveryPoints": []}
        members = [a for a in self.org.names if a not in (MANAGEMENT, ADMIN, CENTRAL)]
        arns = [arn for member in members for r in self.regions for _, arn in self._members_resources(member, r)] + [
            f"arn:aws:s3:::data-{m}" for m in members
        ]
        start = int(params.get("NextToken") or 0)
        page = arns[start : start + 1000]
        when = self.now - timedelta(minutes=30)
        out: dict[str, Any] = {
            "RecoveryPoints": [{"ResourceArn": a, "CreationDate": when, "Status": "COMPLETED"} for a in page]
        }
        if start + 1000 < len(arns):
            out["NextToken"] = str(start + 1000)
        return out


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def measure(accounts: int, regions: int, latency_ms: float, workers: int, *, describe: bool) -> dict[str, Any]:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    org = synthetic_org(accounts)
    workload = ALL_REGIONS[:regions]
    directory = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-ops-{os.getpid()}"
    directory.mkdir(parents=True, exist_ok=True)
    stack_file = write_stack(
        directory,
        org,
        workload_regions=workload,
        organization={
            "id": org.id,
            "root_id": org.root_id,
            "management_account_id": MANAGEMENT,
            "backup_admin_account_id": ADMIN,
            "central_vault_account_id": CENTRAL,
            "workload_regions": list(workload),
            "dr_regions": [DR_REGION],
        },
    )
    _, layout = stack_layout(stack_file)
    effective: dict[str, str] = {}
    for member in layout.members:
        if member.parent_id not in effective:
            plans: dict[str, Any] = {}
            for policy in layout.policies:
                if member.id in policy.reaches:
                    plans.update(effective_form(json.loads(policy.document.content))["plans"])
            effective[member.parent_id] = json.dumps({"plans": plans})
    transport = FakeTransport(org, effective, workload, latency_ms / 1000, stack_file)
    aws = Aws.connect(profile=None, endpoint_url=None, command="verify")
    transport.install(aws.session)
    argv = ["--config", str(stack_file), "--coverage", "--workers", str(workers), "--json", str(directory / "v.json")]
    if not describe:
        argv += ["--config-aggregator", AGGREGATOR]
    started = time.perf_counter()
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        code = verify.main(argv, aws=aws)
    wall = time.perf_counter() - started
    result = json.loads((directory / "v.json").read_text())
    calls = sum(transport.calls.values())
    return {
        "accounts": accounts,
        "regions": regions,
        "latency_ms": latency_ms,
        "wall_s": round(wall, 1),
        "calls": calls,
        "calls_per_account_region": round(calls / (accounts * regions), 2),
        "peak_rss_mb": peak_rss_mb(),
        "throttled": transport.throttled,
        "throttled_by": dict(transport.throttled_by),
        "workers": workers,
        "resource_source": "each service's describe calls" if describe else "AWS Config aggregator",
        "exit_code": code,
        "resources": result.get("resource_coverage", {}).get("total", {}),
        "findings": Counter(f["check"] for f in result["findings"]).most_common(8),
        "calls_by_operation": dict(transport.calls.most_common()),
        "unanswered_operations": dict(transport.unanswered),
    }


def main(argv: list[str] | None = None, *, run: Callable[..., dict[str, Any]] = measure) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(ALL_REGIONS) + 1))
    parser.add_argument("--latency-ms", type=float, default=100)
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--output", default="bench/ops.json")
    parser.add_argument("--describe", action="store_true", help="read each service instead of the aggregator")
    args = parser.parse_args(argv)
    result = run(args.accounts, args.regions, args.latency_ms, args.workers, describe=args.describe)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    summary = {
        k: result[k]
        for k in (
            "accounts",
            "regions",
            "latency_ms",
            "wall_s",
            "calls",
            "calls_per_account_region",
            "peak_rss_mb",
            "throttled",
        )
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
