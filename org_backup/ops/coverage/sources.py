"""Where coverage reads the resources of a member account and Region, their recovery points and their copies.

Resources, cheaper path first:

- An AWS Config aggregator (``--config-aggregator NAME``): ``SelectAggregateResourceConfig`` runs one SQL query
  over every account and Region the aggregator collects
  (https://docs.aws.amazon.com/config/latest/APIReference/API_SelectAggregateResourceConfig.html; the query
  language: https://docs.aws.amazon.com/config/latest/developerguide/querying-AWS-resources.html). Coverage asks
  for a batch of accounts at a time (``accountId IN (...)``) so memory stays bounded by the batch, not the
  organization. Config records only what its recorders are set to record; a type the aggregator does not hold
  (FSx here) is still read with the service's describe call.
- AWS Resource Explorer also searches an organization's resources
  (https://docs.aws.amazon.com/resource-explorer/latest/userguide/manage-service-multi-account.html) but returns
  ARNs and tags without the encryption key, which coverage needs for the copy check; it is not used.
- Otherwise each service's own list call in the member account: EC2 DescribeInstances and DescribeVolumes
  (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html,
  .../API_DescribeVolumes.html), RDS DescribeDBInstances and DescribeDBClusters
  (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBInstances.html,
  .../API_DescribeDBClusters.html), DynamoDB ListTables and ListTagsOfResource
  (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ListTables.html,
  .../API_ListTagsOfResource.html), EFS DescribeFileSystems
  (https://docs.aws.amazon.com/efs/latest/ug/API_DescribeFileSystems.html), FSx DescribeFileSystems
  (https://docs.aws.amazon.com/fsx/latest/APIReference/API_DescribeFileSystems.html), S3 ListBuckets (with each
  bucket's Region, https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html) and GetBucketTagging
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketTagging.html). Tags that need a call per resource
  (DynamoDB, S3) are read only when a selection in effect looks at them (``LazyTags``).

Recovery points: ``ListProtectedResources`` (one call per account and Region: every resource AWS Backup has a
recovery point of, with the latest one, https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListProtectedResources.html);
``ListRecoveryPointsByResource`` only for a resource whose latest recovery point is not in the vault its plan
targets (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByResource.html). Copies:
``ListRecoveryPointsByBackupVault`` on each central vault, from the central account, once per DR Region
(https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListRecoveryPointsByBackupVault.html); a copy keeps
the source resource's ARN in ``ResourceArn``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from org_backup.ops.aws import AccountAccess, error_code, paginate

__all__ = [
    "AGGREGATOR_TYPES",
    "LazyTags",
    "ProtectedResource",
    "Resource",
    "TagsUnavailableError",
    "aggregator_resources",
    "central_copies",
    "describe_resources",
    "protected_resources",
    "recovery_points",
]

KEYED_TYPES = frozenset({"EBS", "RDS", "Aurora"})
"""Types whose backups keep the resource's own KMS key (org_backup/ops/checks/managed_keys.py says why)."""

AGGREGATOR_TYPES: dict[str, str] = {
    "AWS::EC2::Instance": "EC2",
    "AWS::EC2::Volume": "EBS",
    "AWS::RDS::DBInstance": "RDS",
    "AWS::RDS::DBCluster": "Aurora",
    "AWS::DynamoDB::Table": "DynamoDB",
    "AWS::EFS::FileSystem": "EFS",
    "AWS::S3::Bucket": "S3",
}
"""Config resource types (https://docs.aws.amazon.com/config/latest/developerguide/resource-config-reference.html)
and the AWS Backup resource type each is; FSx is read with its describe call either way."""

AGGREGATOR_BATCH = 50


class TagsUnavailableError(Exception):
    """A resource's tags could not be read: whether a tag selection picks it is unknown."""


class LazyTags(Mapping[str, str]):
    """A resource's tags, read with one call the first time a selection looks at them."""

    def __init__(self, read: Callable[[], Mapping[str, str]]) -> None:
        self._read: Callable[[], Mapping[str, str]] | None = read
        self._tags: Mapping[str, str] = {}
        self._lock = threading.Lock()

    def _load(self) -> Mapping[str, str]:
        with self._lock:
            if self._read is not None:
                try:
                    self._tags = dict(self._read())
                except (ClientError, BotoCoreError) as exc:
                    raise TagsUnavailableError(error_code(exc)) from None
                self._read = None
            return self._tags

    def __getitem__(self, key: str) -> str:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


@dataclass(frozen=True)
class Resource:
    """One resource as coverage judges it; ``type`` is AWS Backup's name for it (EBS, RDS, Aurora...)."""

    account: str
    region: str
    type: str
    arn: str
    tags: Mapping[str, str]
    key: str | None = None


@dataclass(frozen=True)
class ProtectedResource:
    arn: str
    last_backup: datetime | None
    vault_arn: str | None
    recovery_point_arn: str | None


def _pairs(items: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    return {str(p["Key"]): str(p["Value"]) for p in items or [] if "Key" in p and "Value" in p}


def _bucket_tags(s3: Any, bucket: str) -> Mapping[str, str]:
    try:
        return _pairs(s3.get_bucket_tagging(Bucket=bucket).get("TagSet"))
    except ClientError as exc:
        if error_code(exc) == "NoSuchTagSet":
            return {}
        raise


def describe_resources(
    access: AccountAccess, region: str, partition: str, *, types: frozenset[str] | None = None
) -> Iterator[Resource]:
    """The supported resources of one account and Region, from each service's own list call."""
    account = access.account_id

    def wanted(kind: str) -> bool:
        return types is None or kind in types

    if wanted("EC2") or wanted("EBS"):
        ec2 = access.client("ec2", region)
        if wanted("EC2"):
            for reservation in paginate(ec2, "describe_instances", "Reservations"):
                for instance in reservation.get("Instances", []):
                    if instance.get("State", {}).get("Name") in ("terminated", "shutting-down"):
                        continue
                    arn = f"arn:{partition}:ec2:{region}:{account}:instance/{instance['InstanceId']}"
                    yield Resource(account, region, "EC2", arn, _pairs(instance.get("Tags")))
        if wanted("EBS"):
            for volume in paginate(ec2, "describe_volumes", "Volumes"):
                arn = f"arn:{partition}:ec2:{region}:{account}:volume/{volume['VolumeId']}"
                key = volume.get("KmsKeyId") if volume.get("Encrypted") else None
                yield Resource(account, region, "EBS", arn, _pairs(volume.get("Tags")), key)
    if wanted("RDS") or wanted("Aurora"):
        rds = access.client("rds", region)
        for db in paginate(rds, "describe_db_instances", "DBInstances"):
            # An instance of a cluster is backed up through its cluster.
            if db.get("DBClusterIdentifier") or not wanted("RDS"):
                continue
            key = db.get("KmsKeyId") if db.get("StorageEncrypted") else None
            yield Resource(account, region, "RDS", db["DBInstanceArn"], _pairs(db.get("TagList")), key)
        for cluster in paginate(rds, "describe_db_clusters", "DBClusters"):
            kind = "Aurora" if str(cluster.get("Engine", "")).startswith("aurora") else "RDS"
            if wanted(kind):
                key = cluster.get("KmsKeyId") if cluster.get("StorageEncrypted") else None
                yield Resource(account, region, kind, cluster["DBClusterArn"], _pairs(cluster.get("TagList")), key)
    if wanted("DynamoDB"):
        dynamodb = access.client("dynamodb", region)
        for name in paginate(dynamodb, "list_tables", "TableNames"):
            arn = f"arn:{partition}:dynamodb:{region}:{account}:table/{name}"
            read = _dynamodb_tags(dynamodb, arn)
            yield Resource(account, region, "DynamoDB", arn, LazyTags(read))
    if wanted("EFS"):
        for fs in paginate(access.client("efs", region), "describe_file_systems", "FileSystems"):
            yield Resource(account, region, "EFS", fs["FileSystemArn"], _pairs(fs.get("Tags")))
    if wanted("FSx"):
        for fs in paginate(access.client("fsx", region), "describe_file_systems", "FileSystems"):
            yield Resource(account, region, "FSx", fs["ResourceARN"], _pairs(fs.get("Tags")))


def _dynamodb_tags(dynamodb: Any, arn: str) -> Callable[[], Mapping[str, str]]:
    return lambda: _pairs(paginate(dynamodb, "list_tags_of_resource", "Tags", ResourceArn=arn))


def s3_buckets(access: AccountAccess, home_region: str, partition: str, regions: Iterable[str]) -> Iterator[Resource]:
    """The account's buckets in ``regions``: one ListBuckets for the account (it names each bucket's Region)."""
    wanted = set(regions)
    s3 = access.client("s3", home_region)
    for bucket in paginate(s3, "list_buckets", "Buckets"):
        region = bucket.get("BucketRegion") or _bucket_region(s3, bucket["Name"])
        if region not in wanted:
            continue
        name = bucket["Name"]
        regional = access.client("s3", region)
        yield Resource(
            access.account_id,
            region,
            "S3",
            f"arn:{partition}:s3:::{name}",
            LazyTags(partial(_bucket_tags, regional, name)),
        )


def _bucket_region(s3: Any, name: str) -> str:
    """GetBucketLocation, for answers without ``BucketRegion``; a null constraint means us-east-1
    (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketLocation.html)."""
    return str(s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1")


def _aggregator_query(accounts: Iterable[str]) -> str:
    ids = ", ".join(f"'{a}'" for a in accounts if a.isdigit())
    types = ", ".join(f"'{t}'" for t in AGGREGATOR_TYPES)
    return (
        "SELECT accountId, awsRegion, resourceType, arn, tags, configuration.kmsKeyId, configuration.encrypted, "
        "configuration.storageEncrypted, configuration.dBClusterIdentifier, configuration.engine, "
        f"configuration.state.name WHERE resourceType IN ({types}) AND accountId IN ({ids})"
    )


def _config_tags(raw: Any) -> dict[str, str]:
    """Config items carry tags as ``[{"key": k, "value": v}]`` (some older items as ``{"k": "v"}``)."""
    if isinstance(raw, Mapping):
        return {str(k): str(v) for k, v in raw.items()}
    return {str(t["key"]): str(t.get("value", "")) for t in raw or [] if isinstance(t, Mapping) and "key" in t}


def aggregator_resources(
    config: Any, aggregator: str, accounts: list[str], regions: Iterable[str]
) -> Iterator[Resource]:
    """The supported resources of ``accounts`` in ``regions`` as the aggregator holds them."""
    wanted = set(regions)
    for row in paginate(
        config,
        "select_aggregate_resource_config",
        "Results",
        Expression=_aggregator_query(accounts),
        ConfigurationAggregatorName=aggregator,
    ):
        item = json.loads(row)
        region = item.get("awsRegion")
        kind = AGGREGATOR_TYPES.get(item.get("resourceType", ""))
        if region not in wanted or kind is None or not item.get("arn"):
            continue
        settings = item.get("configuration") or {}
        if kind == "RDS" and settings.get("dBClusterIdentifier"):
            continue
        if kind == "Aurora" and not str(settings.get("engine", "aurora")).startswith("aurora"):
            kind = "RDS"
        if kind == "EC2" and (settings.get("state") or {}).get("name") in ("terminated", "shutting-down"):
            continue
        encrypted = settings.get("encrypted") or settings.get("storageEncrypted")
        key = settings.get("kmsKeyId") if kind in KEYED_TYPES and encrypted else None
        yield Resource(str(item["accountId"]), region, kind, str(item["arn"]), _config_tags(item.get("tags")), key)


def protected_resources(access: AccountAccess, region: str) -> dict[str, ProtectedResource]:
    """Every resource of the account and Region with a recovery point, by ARN (one paginated call)."""
    out = {}
    for item in paginate(access.client("backup", region), "list_protected_resources", "Results"):
        arn = item.get("ResourceArn")
        if arn:
            out[arn] = ProtectedResource(
                arn, item.get("LastBackupTime"), item.get("LastBackupVaultArn"), item.get("LastRecoveryPointArn")
            )
    return out


def recovery_points(access: AccountAccess, region: str, arn: str) -> list[dict[str, Any]]:
    """Completed recovery points of one resource, newest first."""
    points = [
        p
        for p in paginate(
            access.client("backup", region), "list_recovery_points_by_resource", "RecoveryPoints", ResourceArn=arn
        )
        if p.get("Status") == "COMPLETED" and p.get("CreationDate")
    ]
    return sorted(points, key=lambda p: p["CreationDate"], reverse=True)


def central_copies(central: AccountAccess, region: str, vault: str, since: datetime | None) -> dict[str, datetime]:
    """Source resource ARN -> newest completed copy in the central vault of ``region`` (created after ``since``)."""
    out: dict[str, datetime] = {}
    params: dict[str, Any] = {"BackupVaultName": vault}
    if since is not None:
        params["ByCreatedAfter"] = since
    for point in paginate(
        central.client("backup", region), "list_recovery_points_by_backup_vault", "RecoveryPoints", **params
    ):
        arn, created = point.get("ResourceArn"), point.get("CreationDate")
        if (
            arn
            and created
            and point.get("Status", "COMPLETED") == "COMPLETED"
            and (arn not in out or out[arn] < created)
        ):
            out[arn] = created
    return out
