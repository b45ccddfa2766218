"""Workloads in the member accounts and the history AWS Backup would have of them.

In every member account and workload Region: an EBS volume, a DynamoDB table and an S3 bucket, each tagged so
that every plan reaching the account selects it (the tags come from the plans' own selections, and
``policy_selection_selects`` confirms it). Then ``HISTORY_DAYS`` of completed daily backup jobs, each with its
recovery point, and for rules that copy, completed copy jobs into the destination vault; one completed report
job per report plan. moto runs no jobs, so this history lives in the stand-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from deployment.layout import build_layout
from org_backup.demo.apply import Accounts, Deployment
from org_backup.demo.standin import StandIn, now
from org_backup.ops.checks.policies import expected_plans
from policies.backup_rules.arns import ACCOUNT_PLACEHOLDER, parse_vault_arn
from policies.backup_rules.backup_policy.parse import ParsedPlan
from policies.backup_rules.selections import policy_selection_selects
from stackconfig.inventory import OrgTree, inventory_path, load_inventory
from stackconfig.model import StackConfig

__all__ = ["HISTORY_DAYS", "TAG_PREFIX", "Workloads", "job", "seed"]

HISTORY_DAYS = 7
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
TAG_PREFIX = "aws:ResourceTag/"


@dataclass
class Workloads:
    """The seeded resources: ARN -> (account, Region, tags)."""

    resources: dict[str, tuple[str, str, dict[str, str]]] = field(default_factory=dict)


def job(
    account: str,
    region: str,
    state: str,
    *,
    resource: str,
    kind: str = "backup",
    hours_ago: float = 1,
    vault: str = "org-backup",
    **extra: Any,
) -> dict[str, Any]:
    """A backup or copy job as ListBackupJobs/ListCopyJobs return it (``Region`` is for the stand-in only)."""
    created = now() - timedelta(hours=hours_ago)
    vault_arn = f"arn:aws:backup:{region}:{account}:backup-vault:{vault}"
    common = {
        "Region": region,
        "AccountId": account,
        "ResourceArn": resource,
        "CreationDate": created,
        "State": state,
        "ResourceType": extra.pop("ResourceType", "EBS"),
        "StatusMessage": extra.pop("StatusMessage", f"job {state.lower()}"),
    }
    if kind == "backup":
        return (
            common
            | {"BackupJobId": f"job-{account}-{hours_ago}-{state}-{resource}", "BackupVaultArn": vault_arn}
            | extra
        )
    return (
        common
        | {"CopyJobId": f"copy-{account}-{hours_ago}-{state}-{resource}", "SourceBackupVaultArn": vault_arn}
        | extra
    )


def _plan_tags(plans: Mapping[str, ParsedPlan]) -> dict[str, str]:
    """Tags that satisfy every plan's selections (string-equals conditions and tag selections)."""
    tags: dict[str, str] = {}
    for plan in plans.values():
        for selection in plan.selections:
            for condition in selection.conditions:
                if condition.key.startswith(TAG_PREFIX) and "equals" in condition.operator.lower():
                    tags[condition.key.removeprefix(TAG_PREFIX)] = condition.value
            if selection.tag_key and selection.tag_values:
                tags[selection.tag_key] = selection.tag_values[0].replace("*", "x")
    return tags


def _create(accounts: Accounts, account: str, region: str, tags: dict[str, str]) -> list[tuple[str, str]]:
    """The three workloads; returns (ARN, AWS Backup resource type)."""
    pairs = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    ec2 = accounts.client(account, "ec2", region)
    volume = ec2.create_volume(
        AvailabilityZone=f"{region}a",
        Size=8,
        TagSpecifications=[{"ResourceType": "volume", "Tags": [*pairs, {"Key": "Name", "Value": "app-data"}]}],
    )
    table = accounts.client(account, "dynamodb", region).create_table(
        TableName="orders",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        BillingMode="PAY_PER_REQUEST",
        Tags=pairs,
    )["TableDescription"]
    s3 = accounts.client(account, "s3", region)
    bucket = f"app-assets-{account}-{region}"
    s3.create_bucket(
        Bucket=bucket,
        **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}),
    )
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": pairs})
    return [
        (f"arn:aws:ec2:{region}:{account}:volume/{volume['VolumeId']}", "EBS"),
        (str(table["TableArn"]), "DynamoDB"),
        (f"arn:aws:s3:::{bucket}", "S3"),
    ]


@dataclass(frozen=True)
class _Workload:
    account: str
    region: str
    arn: str
    resource_type: str
    tags: dict[str, str]


def _history(standin: StandIn, workload: _Workload, plans: Mapping[str, ParsedPlan], vault: str) -> None:
    account, region, arn, resource_type = workload.account, workload.region, workload.arn, workload.resource_type
    selecting = [
        plan
        for plan in plans.values()
        if region in plan.regions and any(policy_selection_selects(s, arn, workload.tags) for s in plan.selections)
    ]
    copies = {
        copy.destination_arn.replace(ACCOUNT_PLACEHOLDER, account)
        for plan in selecting
        for rule in plan.rules
        for copy in rule.copy_actions
    }
    if not selecting:
        return
    for day in range(HISTORY_DAYS):
        hours = 24 * day + 2
        backup = job(
            account, region, "COMPLETED", resource=arn, hours_ago=hours, vault=vault, ResourceType=resource_type
        )
        standin.backup_jobs.append(backup)
        point = f"arn:aws:backup:{region}:{account}:recovery-point:{backup['BackupJobId']}"
        standin.recovery_points.append(
            {
                "RecoveryPointArn": point,
                "BackupVaultName": vault,
                "BackupVaultArn": backup["BackupVaultArn"],
                "ResourceArn": arn,
                "ResourceType": resource_type,
                "CreationDate": backup["CreationDate"],
                "Status": "COMPLETED",
            }
        )
        for destination in sorted(copies):
            target = parse_vault_arn(destination)
            if target is not None:
                standin.recovery_points.append(
                    {
                        "RecoveryPointArn": f"arn:aws:backup:{target.region}:{target.account}:recovery-point:"
                        f"copy-{backup['BackupJobId']}",
                        "BackupVaultName": target.name,
                        "BackupVaultArn": destination,
                        "ResourceArn": arn,
                        "ResourceType": resource_type,
                        "CreationDate": backup["CreationDate"] + timedelta(hours=1),
                        "Status": "COMPLETED",
                    }
                )
            standin.copy_jobs.append(
                job(
                    account,
                    region,
                    "COMPLETED",
                    resource=arn,
                    kind="copy",
                    hours_ago=hours - 1,
                    vault=vault,
                    ResourceType=resource_type,
                    DestinationBackupVaultArn=destination,
                    SourceRecoveryPointArn=point,
                )
            )


def seed(config: StackConfig, stack_file: Path, deployment: Deployment, standin: StandIn) -> Workloads:
    """Workloads selected by every plan of their account, with ``HISTORY_DAYS`` of completed jobs."""
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    tree = OrgTree.from_inventory(load_inventory(inventory_path(config, stack, stack_file.parent)))
    layout = build_layout(config, tree)
    documents: dict[str, list[str]] = {}
    for policy in layout.policies:
        for account_id in policy.reaches:
            documents.setdefault(account_id, []).append(policy.document.content)
    accounts = deployment.accounts
    workloads = Workloads()
    for member in layout.members:
        plans = expected_plans(documents.get(member.id, []))
        tags = _plan_tags(plans)
        for region in layout.member_regions:
            for arn, resource_type in _create(accounts, member.id, region, tags):
                workloads.resources[arn] = (member.id, region, tags)
                workload = _Workload(member.id, region, arn, resource_type, tags)
                _history(standin, workload, plans, config.vaults.member.name)
    _report_jobs(standin, deployment)
    return workloads


def _report_jobs(standin: StandIn, deployment: Deployment) -> None:
    """One completed job, a few hours old, per report plan the program created."""
    for resource in deployment.run.of_type(REPORT_PLAN):
        arn = str(deployment.outputs[resource.urn]["arn"])
        channel = resource.inputs.get("reportDeliveryChannel") or {}
        prefix = channel.get("s3KeyPrefix", "")
        standin.report_jobs.append(
            {
                "Region": resource.region or "us-east-1",
                "ReportJobId": f"report-{resource.name}",
                "ReportPlanArn": arn,
                "ReportTemplate": resource.inputs["reportSetting"]["reportTemplate"],
                "CreationTime": now() - timedelta(hours=3),
                "CompletionTime": now() - timedelta(hours=2),
                "Status": "COMPLETED",
                "ReportDestination": {
                    "S3BucketName": str(channel.get("s3BucketName", "")),
                    "S3Keys": [f"{prefix}/{resource.name}.csv".lstrip("/")],
                },
            }
        )
