"""The table: each resource type the program registers -> the AWS calls the pulumi-aws provider makes to create it.

Each applier gets the resource's resolved inputs (engine camelCase names, numbers as floats) and returns the
outputs other resources may refer to (``id`` always; ``arn``/``keyId`` where AWS makes them up). The calls are
listed beside each applier (``Apply.calls``) so the README can say which of them moto does not cover and how the
stand-in answers them (``STOOD_IN``); a test keeps the two in step. Where moto cannot take a call the way AWS
does, ``Apply.note`` says what the demo does instead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.documents.delegation_policy import merge
from org_backup.demo.apply import DYNAMIC_TYPE, Applier, Context
from org_backup.demo.standin import STOOD_IN

__all__ = ["TABLE", "Apply", "stood_in_rows"]

DELEGATED_NOTE = (
    "moto keeps the organization in the management account only and has no delegated administration of "
    "policies: calls the delegated administrator makes are sent as the management account"
)


@dataclass(frozen=True)
class Apply:
    calls: tuple[str, ...]
    run: Applier
    note: str = ""


def _int(value: Any) -> int:
    return int(float(value))


def _tag_list(tags: Mapping[str, str], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in sorted(tags.items())]


def _policy(value: Any) -> str:
    """Policies arrive as JSON text (sometimes JSON-encoded twice by the engine's mocks); send compact JSON."""
    while isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return str(value)
    return json.dumps(value)


def _camel_to_pascal(node: Any) -> Any:
    if isinstance(node, dict):
        return {k[:1].upper() + k[1:]: _camel_to_pascal(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_camel_to_pascal(v) for v in node]
    return node


# --- KMS -------------------------------------------------------------------------------------------------------


def kms_key(ctx: Context) -> dict[str, Any]:
    kms = ctx.client("kms")
    args: dict[str, Any] = {
        "Description": ctx.inputs.get("description", ""),
        "BypassPolicyLockoutSafetyCheck": bool(ctx.inputs.get("bypassPolicyLockoutSafetyCheck", False)),
        "Tags": _tag_list(ctx.tags, "TagKey", "TagValue"),
    }
    if ctx.inputs.get("policy"):
        args["Policy"] = _policy(ctx.inputs["policy"])
    key = kms.create_key(**args)["KeyMetadata"]
    if ctx.inputs.get("enableKeyRotation"):
        period = ctx.inputs.get("rotationPeriodInDays")
        kms.enable_key_rotation(KeyId=key["KeyId"], **({"RotationPeriodInDays": _int(period)} if period else {}))
    return {"id": key["KeyId"], "keyId": key["KeyId"], "arn": key["Arn"]}


def kms_alias(ctx: Context) -> dict[str, Any]:
    name = ctx.name()
    ctx.client("kms").create_alias(AliasName=name, TargetKeyId=ctx.inputs["targetKeyId"])
    return {"id": name, "arn": f"arn:aws:kms:{ctx.region}:{ctx.account}:{name}"}


# --- AWS Backup ------------------------------------------------------------------------------------------------


def backup_vault(ctx: Context) -> dict[str, Any]:
    name = ctx.name()
    args: dict[str, Any] = {"BackupVaultName": name, "BackupVaultTags": ctx.tags}
    if ctx.inputs.get("kmsKeyArn"):
        args["EncryptionKeyArn"] = ctx.inputs["kmsKeyArn"]
    created = ctx.client("backup").create_backup_vault(**args)
    return {"id": name, "arn": created["BackupVaultArn"]}


def vault_lock(ctx: Context) -> dict[str, Any]:
    name = ctx.inputs["backupVaultName"]
    args = {
        key[:1].upper() + key[1:]: _int(ctx.inputs[key])
        for key in ("minRetentionDays", "maxRetentionDays", "changeableForDays")
        if ctx.inputs.get(key) is not None
    }
    ctx.client("backup").put_backup_vault_lock_configuration(BackupVaultName=name, **args)
    return {"id": name}


def vault_policy(ctx: Context) -> dict[str, Any]:
    name = ctx.inputs["backupVaultName"]
    ctx.client("backup").put_backup_vault_access_policy(BackupVaultName=name, Policy=_policy(ctx.inputs["policy"]))
    return {"id": name}


def global_settings(ctx: Context) -> dict[str, Any]:
    settings = {k[:1].upper() + k[1:]: str(v) for k, v in ctx.inputs["globalSettings"].items()}
    ctx.client("backup").update_global_settings(GlobalSettings=settings)
    return {"id": ctx.account}


def framework(ctx: Context) -> dict[str, Any]:
    controls = ctx.inputs["controls"]
    if isinstance(controls, str):
        controls = json.loads(controls)
    framework_controls = [
        {
            "ControlName": c["name"],
            "ControlInputParameters": [
                {"ParameterName": p["name"], "ParameterValue": str(p["value"])} for p in c.get("inputParameters") or []
            ],
            **({"ControlScope": _camel_to_pascal(c["scope"])} if c.get("scope") else {}),
        }
        for c in controls
    ]
    created = ctx.client("backup").create_framework(
        FrameworkName=ctx.name(),
        FrameworkDescription=ctx.inputs.get("description", ""),
        FrameworkControls=framework_controls,
        FrameworkTags=ctx.tags,
    )
    return {"id": created["FrameworkName"], "arn": created["FrameworkArn"]}


def report_plan(ctx: Context) -> dict[str, Any]:
    setting = ctx.inputs["reportSetting"]
    channel = ctx.inputs["reportDeliveryChannel"]
    created = ctx.client("backup").create_report_plan(
        ReportPlanName=ctx.name(),
        ReportPlanDescription=ctx.inputs.get("description", ""),
        ReportDeliveryChannel=_camel_to_pascal(channel) | {"S3BucketName": channel["s3BucketName"]},
        ReportSetting=_camel_to_pascal(setting),
        ReportPlanTags=ctx.tags,
    )
    return {"id": ctx.name(), "arn": created["ReportPlanArn"]}


def restore_testing_plan(ctx: Context) -> dict[str, Any]:
    selection = ctx.inputs["recoveryPointSelection"]
    plan: dict[str, Any] = {
        "RestoreTestingPlanName": ctx.name(),
        "ScheduleExpression": ctx.inputs["scheduleExpression"],
        "RecoveryPointSelection": {
            "Algorithm": selection["algorithm"],
            "IncludeVaults": list(selection["includeVaults"]),
            "RecoveryPointTypes": list(selection["recoveryPointTypes"]),
            **(
                {"SelectionWindowDays": _int(selection["selectionWindowDays"])}
                if "selectionWindowDays" in selection
                else {}
            ),
        },
    }
    if ctx.inputs.get("startWindowHours") is not None:
        plan["StartWindowHours"] = _int(ctx.inputs["startWindowHours"])
    created = ctx.client("backup").create_restore_testing_plan(RestoreTestingPlan=plan, Tags=ctx.tags)
    return {"id": ctx.name(), "arn": created["RestoreTestingPlanArn"]}


def restore_testing_selection(ctx: Context) -> dict[str, Any]:
    conditions = ctx.inputs.get("protectedResourceConditions") or {}
    selection: dict[str, Any] = {
        "RestoreTestingSelectionName": ctx.name(),
        "ProtectedResourceType": ctx.inputs["protectedResourceType"],
        "IamRoleArn": ctx.inputs["iamRoleArn"],
        "ProtectedResourceArns": list(ctx.inputs.get("protectedResourceArns") or []),
        "ProtectedResourceConditions": {
            key[:1].upper() + key[1:]: [{"Key": c["key"], "Value": c["value"]} for c in values]
            for key, values in conditions.items()
        },
    }
    if ctx.inputs.get("validationWindowHours") is not None:
        selection["ValidationWindowHours"] = _int(ctx.inputs["validationWindowHours"])
    ctx.client("backup").create_restore_testing_selection(
        RestoreTestingPlanName=ctx.inputs["restoreTestingPlanName"], RestoreTestingSelection=selection
    )
    return {"id": f"{ctx.inputs['restoreTestingPlanName']}:{ctx.name()}"}


# --- IAM -------------------------------------------------------------------------------------------------------


def iam_role(ctx: Context) -> dict[str, Any]:
    iam = ctx.client("iam")
    name = ctx.name()
    args: dict[str, Any] = {
        "RoleName": name,
        "AssumeRolePolicyDocument": _policy(ctx.inputs["assumeRolePolicy"]),
        "Tags": _tag_list(ctx.tags),
    }
    if ctx.inputs.get("description"):
        args["Description"] = ctx.inputs["description"]
    role = iam.create_role(**args)["Role"]
    for inline in ctx.inputs.get("inlinePolicies") or []:
        iam.put_role_policy(RoleName=name, PolicyName=inline["name"], PolicyDocument=_policy(inline["policy"]))
    return {"id": name, "arn": role["Arn"]}


def role_policy_attachment(ctx: Context) -> dict[str, Any]:
    ctx.client("iam").attach_role_policy(RoleName=ctx.inputs["role"], PolicyArn=ctx.inputs["policyArn"])
    return {"id": f"{ctx.inputs['role']}-{ctx.inputs['policyArn']}"}


# --- Organizations ---------------------------------------------------------------------------------------------


def org_policy(ctx: Context) -> dict[str, Any]:
    created = ctx.management("organizations").create_policy(
        Content=_policy(ctx.inputs["content"]),
        Description=ctx.inputs.get("description", ""),
        Name=ctx.name(),
        Type=ctx.inputs["type"],
        Tags=_tag_list(ctx.tags),
    )["Policy"]["PolicySummary"]
    return {"id": created["Id"], "arn": created["Arn"]}


def org_policy_attachment(ctx: Context) -> dict[str, Any]:
    policy, target = ctx.inputs["policyId"], ctx.inputs["targetId"]
    ctx.management("organizations").attach_policy(PolicyId=policy, TargetId=target)
    return {"id": f"{target}:{policy}"}


def service_access(ctx: Context) -> dict[str, Any]:
    ctx.management("organizations").enable_aws_service_access(ServicePrincipal=ctx.inputs["servicePrincipal"])
    return {"id": ctx.inputs["servicePrincipal"]}


def delegated_administrator(ctx: Context) -> dict[str, Any]:
    account, principal = ctx.inputs["accountId"], ctx.inputs["servicePrincipal"]
    ctx.management("organizations").register_delegated_administrator(AccountId=account, ServicePrincipal=principal)
    return {"id": f"{account}/{principal}"}


def policy_type(ctx: Context) -> dict[str, Any]:
    """``components.policy_type``: enable the type on the root (the provider waits until it is ENABLED)."""
    organizations = ctx.management("organizations")
    organizations.enable_policy_type(RootId=ctx.inputs["root_id"], PolicyType=ctx.inputs["policy_type"])
    return {"id": f"{ctx.inputs['root_id']}/{ctx.inputs['policy_type']}"}


def delegation_statements(ctx: Context) -> dict[str, Any]:
    """``components.delegation_policy``: our statements merged into the organization's one delegation policy."""
    organizations = ctx.management("organizations")
    try:
        current: str | None = organizations.describe_resource_policy()["ResourcePolicy"]["Content"]
    except organizations.exceptions.ResourcePolicyNotFoundException:
        current = None
    result = merge(current, json.loads(_policy(ctx.inputs["content"]))["Statement"])
    if result.changed and result.content is not None:
        organizations.put_resource_policy(Content=result.content)
    return {"id": "delegation-statements"}


# --- EventBridge, SNS, S3 --------------------------------------------------------------------------------------


def event_bus(ctx: Context) -> dict[str, Any]:
    created = ctx.client("events").create_event_bus(Name=ctx.name(), Tags=_tag_list(ctx.tags))
    return {"id": ctx.name(), "arn": created["EventBusArn"]}


def event_bus_policy(ctx: Context) -> dict[str, Any]:
    bus = ctx.inputs.get("eventBusName", "default")
    ctx.client("events").put_permission(EventBusName=bus, Policy=_policy(ctx.inputs["policy"]))
    return {"id": bus}


def event_rule(ctx: Context) -> dict[str, Any]:
    args: dict[str, Any] = {
        "Name": ctx.name(),
        "EventPattern": _policy(ctx.inputs["eventPattern"]),
        "State": "ENABLED",
        "Tags": _tag_list(ctx.tags),
    }
    for source, target in (("description", "Description"), ("eventBusName", "EventBusName")):
        if ctx.inputs.get(source):
            args[target] = ctx.inputs[source]
    created = ctx.client("events").put_rule(**args)
    return {"id": ctx.name(), "arn": created["RuleArn"]}


def event_target(ctx: Context) -> dict[str, Any]:
    target_id = str(ctx.inputs.get("targetId") or ctx.resource.name)[:64]
    target: dict[str, Any] = {"Id": target_id, "Arn": ctx.inputs["arn"]}
    if ctx.inputs.get("roleArn"):
        target["RoleArn"] = ctx.inputs["roleArn"]
    bus = {"EventBusName": ctx.inputs["eventBusName"]} if ctx.inputs.get("eventBusName") else {}
    response = ctx.client("events").put_targets(Rule=ctx.inputs["rule"], Targets=[target], **bus)
    if response.get("FailedEntryCount"):
        raise RuntimeError(f"PutTargets failed: {response['FailedEntries']}")
    return {"id": f"{ctx.inputs['rule']}-{target_id}"}


def sns_topic(ctx: Context) -> dict[str, Any]:
    attributes = {"KmsMasterKeyId": ctx.inputs["kmsMasterKeyId"]} if ctx.inputs.get("kmsMasterKeyId") else {}
    created = ctx.client("sns").create_topic(Name=ctx.name(), Attributes=attributes, Tags=_tag_list(ctx.tags))
    return {"id": created["TopicArn"], "arn": created["TopicArn"]}


def sns_topic_policy(ctx: Context) -> dict[str, Any]:
    ctx.client("sns").set_topic_attributes(
        TopicArn=ctx.inputs["arn"], AttributeName="Policy", AttributeValue=_policy(ctx.inputs["policy"])
    )
    return {"id": ctx.inputs["arn"]}


def sns_subscription(ctx: Context) -> dict[str, Any]:
    created = ctx.client("sns").subscribe(
        TopicArn=ctx.inputs["topic"], Protocol=ctx.inputs["protocol"], Endpoint=ctx.inputs["endpoint"]
    )
    return {"id": created["SubscriptionArn"], "arn": created["SubscriptionArn"]}


def s3_bucket(ctx: Context) -> dict[str, Any]:
    s3 = ctx.client("s3")
    bucket = str(ctx.inputs.get("bucket") or ctx.name())
    location = {} if ctx.region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": ctx.region}}
    s3.create_bucket(Bucket=bucket, **location)
    if ctx.tags:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tag_list(ctx.tags)})
    return {"id": bucket, "arn": f"arn:aws:s3:::{bucket}", "bucket": bucket}


def s3_public_access_block(ctx: Context) -> dict[str, Any]:
    flags = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
    configuration = {flag[:1].upper() + flag[1:]: bool(ctx.inputs.get(flag, False)) for flag in flags}
    ctx.client("s3").put_public_access_block(Bucket=ctx.inputs["bucket"], PublicAccessBlockConfiguration=configuration)
    return {"id": ctx.inputs["bucket"]}


def s3_encryption(ctx: Context) -> dict[str, Any]:
    rules = _camel_to_pascal(ctx.inputs["rules"])
    for rule in rules:
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if "SseAlgorithm" in default:
            default["SSEAlgorithm"] = default.pop("SseAlgorithm")
        if "KmsMasterKeyId" in default:
            default["KMSMasterKeyID"] = default.pop("KmsMasterKeyId")
    ctx.client("s3").put_bucket_encryption(
        Bucket=ctx.inputs["bucket"], ServerSideEncryptionConfiguration={"Rules": rules}
    )
    return {"id": ctx.inputs["bucket"]}


def s3_versioning(ctx: Context) -> dict[str, Any]:
    status = ctx.inputs["versioningConfiguration"]["status"]
    ctx.client("s3").put_bucket_versioning(Bucket=ctx.inputs["bucket"], VersioningConfiguration={"Status": status})
    return {"id": ctx.inputs["bucket"]}


def s3_ownership(ctx: Context) -> dict[str, Any]:
    ownership = ctx.inputs["rule"]["objectOwnership"]
    ctx.client("s3").put_bucket_ownership_controls(
        Bucket=ctx.inputs["bucket"], OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]}
    )
    return {"id": ctx.inputs["bucket"]}


def s3_bucket_policy(ctx: Context) -> dict[str, Any]:
    ctx.client("s3").put_bucket_policy(Bucket=ctx.inputs["bucket"], Policy=_policy(ctx.inputs["policy"]))
    return {"id": ctx.inputs["bucket"]}


TABLE: dict[str, Apply] = {
    "aws:kms/key:Key": Apply(("KMS:CreateKey", "KMS:EnableKeyRotation"), kms_key),
    "aws:kms/alias:Alias": Apply(("KMS:CreateAlias",), kms_alias),
    "aws:backup/vault:Vault": Apply(("Backup:CreateBackupVault",), backup_vault),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": Apply(
        ("Backup:PutBackupVaultLockConfiguration",), vault_lock
    ),
    "aws:backup/vaultPolicy:VaultPolicy": Apply(("Backup:PutBackupVaultAccessPolicy",), vault_policy),
    "aws:backup/globalSettings:GlobalSettings": Apply(("Backup:UpdateGlobalSettings",), global_settings),
    "aws:backup/framework:Framework": Apply(("Backup:CreateFramework",), framework),
    "aws:backup/reportPlan:ReportPlan": Apply(("Backup:CreateReportPlan",), report_plan),
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": Apply(
        ("Backup:CreateRestoreTestingPlan",), restore_testing_plan
    ),
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": Apply(
        ("Backup:CreateRestoreTestingSelection",), restore_testing_selection
    ),
    "aws:iam/role:Role": Apply(("IAM:CreateRole", "IAM:PutRolePolicy"), iam_role),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": Apply(("IAM:AttachRolePolicy",), role_policy_attachment),
    "aws:organizations/policy:Policy": Apply(("Organizations:CreatePolicy",), org_policy, DELEGATED_NOTE),
    "aws:organizations/policyAttachment:PolicyAttachment": Apply(
        ("Organizations:AttachPolicy",), org_policy_attachment, DELEGATED_NOTE
    ),
    "aws:organizations/awsServiceAccess:AwsServiceAccess": Apply(
        ("Organizations:EnableAWSServiceAccess",), service_access
    ),
    "aws:organizations/delegatedAdministrator:DelegatedAdministrator": Apply(
        ("Organizations:RegisterDelegatedAdministrator",), delegated_administrator
    ),
    f"{DYNAMIC_TYPE}#policy-type": Apply(("Organizations:EnablePolicyType",), policy_type),
    f"{DYNAMIC_TYPE}#delegation-statements": Apply(
        ("Organizations:DescribeResourcePolicy", "Organizations:PutResourcePolicy"), delegation_statements
    ),
    "aws:cloudwatch/eventBus:EventBus": Apply(("EventBridge:CreateEventBus",), event_bus),
    "aws:cloudwatch/eventBusPolicy:EventBusPolicy": Apply(("EventBridge:PutPermission",), event_bus_policy),
    "aws:cloudwatch/eventRule:EventRule": Apply(("EventBridge:PutRule",), event_rule),
    "aws:cloudwatch/eventTarget:EventTarget": Apply(("EventBridge:PutTargets",), event_target),
    "aws:sns/topic:Topic": Apply(("SNS:CreateTopic",), sns_topic),
    "aws:sns/topicPolicy:TopicPolicy": Apply(("SNS:SetTopicAttributes",), sns_topic_policy),
    "aws:sns/topicSubscription:TopicSubscription": Apply(("SNS:Subscribe",), sns_subscription),
    "aws:s3/bucket:Bucket": Apply(("S3:CreateBucket", "S3:PutBucketTagging"), s3_bucket),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Apply(
        ("S3:PutPublicAccessBlock",), s3_public_access_block
    ),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Apply(
        ("S3:PutBucketEncryption",), s3_encryption
    ),
    "aws:s3/bucketVersioning:BucketVersioning": Apply(("S3:PutBucketVersioning",), s3_versioning),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": Apply(("S3:PutBucketOwnershipControls",), s3_ownership),
    "aws:s3/bucketPolicy:BucketPolicy": Apply(("S3:PutBucketPolicy",), s3_bucket_policy),
}


def appliers() -> dict[str, Applier]:
    return {kind: entry.run for kind, entry in TABLE.items()}


def stood_in_rows() -> list[tuple[str, str, str]]:
    """(resource type, call, how it is stood in for) for every call moto does not cover, and every note."""
    rows: list[tuple[str, str, str]] = []
    for kind, entry in TABLE.items():
        rows += [(kind, call, STOOD_IN[call]) for call in entry.calls if call in STOOD_IN]
        if entry.note:
            rows += [(kind, call, entry.note) for call in entry.calls if call not in STOOD_IN]
    return rows


README_START = "<!-- generated by org_backup.demo.appliers.readme_table: start -->"
README_END = "<!-- generated by org_backup.demo.appliers.readme_table: end -->"


def readme_table() -> str:
    """The README's list of what moto does not cover and how the demo stands in, from ``TABLE`` and
    ``STOOD_IN`` (a test checks that the README holds exactly this)."""
    lines = [
        README_START,
        "| resource type (or read by the commands) | API call | how the demo answers it |",
        "| --- | --- | --- |",
    ]
    written = set()
    for kind, call, how in stood_in_rows():
        lines.append(f"| `{kind}` | `{call}` | {how} |")
        written.add(call)
    lines += [
        f"| (read by verify, coverage, report) | `{call}` | {how} |"
        for call, how in STOOD_IN.items()
        if call not in written
    ]
    return "\n".join([*lines, README_END])
