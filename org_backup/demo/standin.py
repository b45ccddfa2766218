"""The one stand-in for what moto's server lacks: a stateful answer, on the client side, to named operations.

moto 5.2.5 has no AWS Backup vault access policies, frameworks, restore testing, global settings, jobs,
recovery points or protected resources, no Organizations effective policies or resource (delegation) policy, and
no AWS Config aggregator queries (/work/shared/reference/pulumi-offline.md §3; moto's ``backup/responses.py``,
``organizations/responses.py``, ``config/responses.py``). ``StandIn.install(session)`` makes every boto3 client of that
session answer exactly those operations from state kept here, after botocore has validated the request's
parameters (validation runs before ``before-call``), with responses checked against the operation's output
shape; every other call goes to moto. Effective policies are computed from the backup policies really attached
in moto (``effective``), unless a test sets one. It also records each operation prepared, so read-only tests
can prove a command changed nothing. The demo (``org_backup.demo``) and the tests share this one stand-in.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import boto3
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

from components.documents.iam import BACKUP_POLICY_TYPE
from org_backup.demo.effective import effective_content
from policies.backup_rules.arns import parse_vault_arn

__all__ = ["STOOD_IN", "Endpoint", "StandIn", "StubError", "error_response", "now"]

ORGANIZATION_WIDE = "*"
MUTATING_PREFIXES = ("Create", "Put", "Update", "Delete", "Enable", "Attach", "Register", "Tag")


class Endpoint(Protocol):
    """Where moto's server listens (``tests.moto_server.MotoServer`` or the demo's server)."""

    @property
    def endpoint_url(self) -> str: ...


def now() -> datetime:
    return datetime.now(UTC)


class StubError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


Handler = Callable[[Mapping[str, Any], str, str], dict[str, Any]]

STOOD_IN: dict[str, str] = {
    "Organizations:DescribeEffectivePolicy": "merged from the BACKUP_POLICY policies attached in moto to the root, "
    "the OUs above the account and the account (org_backup.demo.effective); a test may set one",
    "Organizations:PutResourcePolicy": "kept as the organization's one delegation policy",
    "Organizations:DescribeResourcePolicy": "the delegation policy kept, else ResourcePolicyNotFoundException",
    "Backup:PutBackupVaultAccessPolicy": "kept per account, Region and vault (the vault must exist in moto)",
    "Backup:GetBackupVaultAccessPolicy": "the policy kept, if the vault still exists in moto",
    "Backup:CreateFramework": "kept per account and Region, deployed (COMPLETED, ACTIVE) at once",
    "Backup:ListFrameworks": "the frameworks kept",
    "Backup:DescribeFramework": "the framework kept",
    "Backup:CreateRestoreTestingPlan": "kept per account and Region",
    "Backup:CreateRestoreTestingSelection": "kept with its plan (the plan must exist)",
    "Backup:UpdateGlobalSettings": "kept per account",
    "Backup:DescribeGlobalSettings": "the settings kept",
    "Backup:ListBackupJobs": "the job history seeded (org_backup.demo.seed) or set by a test; ByAccountId '*' "
    "gives every account's (from the management or delegated administrator account)",
    "Backup:ListCopyJobs": "the copy-job history seeded or set by a test, filtered the same way",
    "Backup:ListRestoreJobs": "the restore jobs set by a test (none seeded), filtered the same way",
    "Backup:ListProtectedResources": "the newest completed recovery point of each resource in the caller's "
    "account and Region",
    "Backup:ListRecoveryPointsByResource": "the recovery points kept for that resource in the caller's account "
    "and Region",
    "Config Service:SelectAggregateResourceConfig": "the aggregator's resources set by a test (the demo uses "
    "each service's own describe calls instead)",
    "Backup:ListReportJobs": "the report jobs seeded or set by a test",
    "Backup:ListRecoveryPointsByBackupVault": "the recovery points of the completed jobs seeded",
}
"""Every operation the stand-in answers, and how: the README's list is generated from this table."""


@dataclass
class StandIn:
    """What Organizations and AWS Backup would answer where moto cannot; see the module docstring."""

    moto: Endpoint
    effective_policies: dict[str, str] = field(default_factory=dict)
    delegation_policy: str | None = None
    vault_policies: dict[tuple[str, str, str], str] = field(default_factory=dict)
    backup_jobs: list[dict[str, Any]] = field(default_factory=list)
    copy_jobs: list[dict[str, Any]] = field(default_factory=list)
    recovery_points: list[dict[str, Any]] = field(default_factory=list)
    frameworks: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    report_jobs: list[dict[str, Any]] = field(default_factory=list)
    restore_jobs: list[dict[str, Any]] = field(default_factory=list)
    aggregate_resources: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    """``Service:Operation`` -> the error code to answer it with (a test's refusal)."""
    org_wide_refused: bool = False
    """``ByAccountId='*'`` refused: the caller is not a delegated administrator for AWS Backup."""
    restore_testing: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    global_settings: dict[str, dict[str, str]] = field(default_factory=dict)
    denied_roles: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    stubbed: list[str] = field(default_factory=list)
    _accounts: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _session: boto3.Session = field(default_factory=boto3.Session)
    _local: threading.local = field(default_factory=threading.local)

    def install(self, session: Any) -> None:
        session.events.register_first("before-parameter-build", self._remember)
        session.events.register("before-call", self._answer)

    def mutating_calls(self) -> list[str]:
        return [c for c in self.calls if c.split(":", 1)[1].startswith(MUTATING_PREFIXES)]

    def _remember(self, params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        context["stub_params"] = dict(params)
        with self._lock:
            self.calls.append(f"{model.service_model.service_id}:{model.name}")

    def _handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {
            "Organizations:DescribeEffectivePolicy": self._effective_policy,
            "Organizations:PutResourcePolicy": self._put_delegation_policy,
            "Organizations:DescribeResourcePolicy": self._delegation_policy,
            "Backup:PutBackupVaultAccessPolicy": self._put_vault_policy,
            "Backup:GetBackupVaultAccessPolicy": self._vault_policy,
            "Backup:CreateFramework": self._create_framework,
            "Backup:ListFrameworks": lambda p, a, r: {
                "Frameworks": [_summary(f) for f in self.frameworks.get((a, r), [])]
            },
            "Backup:DescribeFramework": self._framework,
            "Backup:CreateRestoreTestingPlan": self._create_restore_testing_plan,
            "Backup:CreateRestoreTestingSelection": self._create_restore_testing_selection,
            "Backup:UpdateGlobalSettings": self._update_global_settings,
            "Backup:DescribeGlobalSettings": lambda p, a, r: {"GlobalSettings": self.global_settings.get(a, {})},
            "Backup:ListBackupJobs": lambda p, a, r: {"BackupJobs": self._jobs(self.backup_jobs, p, r)},
            "Backup:ListCopyJobs": lambda p, a, r: {"CopyJobs": self._jobs(self.copy_jobs, p, r)},
            "Backup:ListRestoreJobs": lambda p, a, r: {"RestoreJobs": self._jobs(self.restore_jobs, p, r)},
            "Backup:ListProtectedResources": self._protected,
            "Backup:ListRecoveryPointsByResource": self._points_by_resource,
            "Config Service:SelectAggregateResourceConfig": self._aggregate,
            "Backup:ListReportJobs": lambda p, a, r: {"ReportJobs": self._report_jobs(p, r)},
            "Backup:ListRecoveryPointsByBackupVault": self._recovery_points,
        }
        for operation, code in self.refused.items():
            handlers[operation] = _refuse(code)
        return handlers

    def _answer(self, model: Any, context: dict[str, Any], request_signer: Any, **_: Any) -> Any:
        operation = f"{model.service_model.service_id}:{model.name}"
        params = context.get("stub_params", {})
        if operation == "STS:AssumeRole":
            denied = any(f":{account}:" in params.get("RoleArn", "") for account in self.denied_roles)
            return error_response("AccessDenied", "not authorized to perform sts:AssumeRole", 403) if denied else None
        handler = self._handlers().get(operation)
        if handler is None:
            return None
        with self._lock:
            self.stubbed.append(operation)
        region = context["client_region"]
        self._local.credentials = self._credentials(request_signer)
        try:
            response = handler(params, self._account(request_signer), region)
        except StubError as exc:
            return error_response(exc.code, str(exc), exc.status)
        if model.output_shape is not None:
            validate_parameters(response, model.output_shape)
        return AWSResponse(None, 200, {}, None), {**response, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def _credentials(self, request_signer: Any) -> Any:
        return request_signer._credentials.get_frozen_credentials()

    def _moto(self, service: str, region: str, credentials: Any) -> Any:
        """A plain moto client (without the stand-in) with the caller's credentials."""
        with self._lock:
            return self._session.client(
                service,
                region_name=region,
                endpoint_url=self.moto.endpoint_url,
                aws_access_key_id=credentials.access_key,
                aws_secret_access_key=credentials.secret_key,
                aws_session_token=credentials.token,
            )

    def _account(self, request_signer: Any) -> str:
        """The account of the calling client's credentials, as moto's STS tells it (cached per access key)."""
        frozen = self._credentials(request_signer)
        with self._lock:
            known = self._accounts.get(frozen.access_key)
        if known is None:
            known = str(self._moto("sts", "us-east-1", frozen).get_caller_identity()["Account"])
            with self._lock:
                self._accounts[frozen.access_key] = known
        return known

    # --- Organizations ---------------------------------------------------------------------------------

    def _put_delegation_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        self.delegation_policy = str(params["Content"])
        return self._delegation_policy(params, account, region)

    def _delegation_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        """The organization's one resource-based delegation policy."""
        if self.delegation_policy is None:
            raise StubError("ResourcePolicyNotFoundException", "We can't find a resource policy request")
        summary = {"Id": "rp-abcd1234", "Arn": f"arn:aws:organizations::{account}:resourcepolicy/o-x/rp-abcd1234"}
        return {"ResourcePolicy": {"ResourcePolicySummary": summary, "Content": self.delegation_policy}}

    def _effective_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        target = str(params["TargetId"])
        content = self.effective_policies.get(target)
        if content is None and params["PolicyType"] == BACKUP_POLICY_TYPE:
            content = self._attached_effective(target, region)
        if content is None:
            raise StubError("EffectivePolicyNotFoundException", "no effective policy")
        return {
            "EffectivePolicy": {
                "PolicyContent": content,
                "LastUpdatedTimestamp": now(),
                "TargetId": target,
                "PolicyType": params["PolicyType"],
            }
        }

    def _attached_effective(self, target: str, region: str) -> str | None:
        """Merge the backup policies attached to the root, the OUs above ``target`` and ``target`` itself."""
        organizations = self._moto("organizations", region, self._local.credentials)
        chain = [target]
        while not chain[-1].startswith("r-"):
            parents = organizations.list_parents(ChildId=chain[-1])["Parents"]
            if not parents:
                break
            chain.append(str(parents[0]["Id"]))
        contents: list[str] = []
        for node in reversed(chain):
            try:
                attached = organizations.list_policies_for_target(TargetId=node, Filter=BACKUP_POLICY_TYPE)
            except ClientError:
                continue
            for policy in attached["Policies"]:
                described = organizations.describe_policy(PolicyId=policy["Id"])
                contents.append(str(described["Policy"]["Content"]))
        return effective_content(contents)

    # --- AWS Backup -------------------------------------------------------------------------------------

    def _vault_exists(self, name: str, region: str) -> bool:
        try:
            self._moto("backup", region, self._local.credentials).describe_backup_vault(BackupVaultName=name)
        except ClientError:
            return False
        return True

    def _put_vault_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        name = str(params["BackupVaultName"])
        if not self._vault_exists(name, region):
            raise StubError("ResourceNotFoundException", f"Backup vault {name} does not exist", 404)
        self.vault_policies[(account, region, name)] = str(params.get("Policy") or "")
        return {}

    def _vault_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        name = params["BackupVaultName"]
        policy = self.vault_policies.get((account, region, name))
        if policy is None or not self._vault_exists(name, region):
            raise StubError("ResourceNotFoundException", f"no access policy on {name}", 404)
        arn = f"arn:aws:backup:{region}:{account}:backup-vault:{name}"
        return {"BackupVaultName": name, "BackupVaultArn": arn, "Policy": policy}

    def _create_framework(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        name = str(params["FrameworkName"])
        kept = self.frameworks.setdefault((account, region), [])
        if any(f["FrameworkName"] == name for f in kept):
            raise StubError("AlreadyExistsException", f"framework {name} already exists")
        arn = f"arn:aws:backup:{region}:{account}:framework:{name}-{len(kept):08d}"
        kept.append(
            {
                "FrameworkName": name,
                "FrameworkArn": arn,
                "FrameworkDescription": params.get("FrameworkDescription", ""),
                "FrameworkControls": list(params["FrameworkControls"]),
                "CreationTime": now(),
                "DeploymentStatus": "COMPLETED",
                "FrameworkStatus": "ACTIVE",
            }
        )
        return {"FrameworkName": name, "FrameworkArn": arn}

    def _framework(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        for framework in self.frameworks.get((account, region), []):
            if framework["FrameworkName"] == params["FrameworkName"]:
                return framework
        raise StubError("ResourceNotFoundException", "no such framework", 404)

    def _create_restore_testing_plan(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        plan = params["RestoreTestingPlan"]
        key = (account, region, str(plan["RestoreTestingPlanName"]))
        if key in self.restore_testing:
            raise StubError("AlreadyExistsException", f"restore testing plan {key[2]} already exists")
        self.restore_testing[key] = []
        return {"CreationTime": now(), "RestoreTestingPlanArn": _plan_arn(*key), "RestoreTestingPlanName": key[2]}

    def _create_restore_testing_selection(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        key = (account, region, str(params["RestoreTestingPlanName"]))
        if key not in self.restore_testing:
            raise StubError("ResourceNotFoundException", f"no restore testing plan {key[2]}", 404)
        selection = params["RestoreTestingSelection"]
        self.restore_testing[key].append(dict(selection))
        return {
            "CreationTime": now(),
            "RestoreTestingPlanArn": _plan_arn(*key),
            "RestoreTestingPlanName": key[2],
            "RestoreTestingSelectionName": str(selection["RestoreTestingSelectionName"]),
        }

    def _update_global_settings(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        self.global_settings.setdefault(account, {}).update(params.get("GlobalSettings", {}))
        return {}

    def _jobs(self, jobs: list[dict[str, Any]], params: Mapping[str, Any], region: str) -> list[dict[str, Any]]:
        """``ByAccountId='*'`` lists every account's jobs
        (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_ListBackupJobs.html)."""
        wanted = params.get("ByAccountId")
        if wanted == ORGANIZATION_WIDE and self.org_wide_refused:
            raise StubError("AccessDeniedException", "not a delegated administrator for AWS Backup", 403)
        return [
            {k: v for k, v in job.items() if k != "Region"}
            for job in jobs
            if job["Region"] == region
            and wanted in (None, ORGANIZATION_WIDE, job["AccountId"])
            and params.get("ByState") in (None, job.get("State"))  # restore jobs have Status, no State
            and ("ByCreatedAfter" not in params or job["CreationDate"] >= params["ByCreatedAfter"])
            and ("ByRestoreTestingPlanArn" not in params or job.get("_plan") == params["ByRestoreTestingPlanArn"])
        ]

    def _own_points(self, account: str, region: str) -> list[dict[str, Any]]:
        out = []
        for point in self.recovery_points:
            vault = parse_vault_arn(point["BackupVaultArn"])
            if vault is not None and (vault.account, vault.region) == (account, region):
                out.append(point)
        return out

    def _protected(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        latest: dict[str, dict[str, Any]] = {}
        for point in self._own_points(account, region):
            arn = point["ResourceArn"]
            if point.get("Status", "COMPLETED") == "COMPLETED" and (
                arn not in latest or latest[arn]["CreationDate"] < point["CreationDate"]
            ):
                latest[arn] = point
        results = [
            {
                "ResourceArn": arn,
                "ResourceType": p.get("ResourceType", "EBS"),
                "LastBackupTime": p["CreationDate"],
                "LastBackupVaultArn": p["BackupVaultArn"],
                "LastRecoveryPointArn": p["RecoveryPointArn"],
            }
            for arn, p in sorted(latest.items())
        ]
        return {"Results": results}

    def _points_by_resource(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        keys = ("RecoveryPointArn", "BackupVaultName", "CreationDate", "Status")
        return {
            "RecoveryPoints": [
                {k: p[k] for k in keys if k in p}
                for p in self._own_points(account, region)
                if p["ResourceArn"] == params["ResourceArn"]
            ]
        }

    def _aggregate(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        expression = params["Expression"]
        return {"Results": [json.dumps(i) for i in self.aggregate_resources if f"'{i['accountId']}'" in expression]}

    def _recovery_points(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        name = params["BackupVaultName"]
        owner = params.get("BackupVaultAccountId", account)
        vault = f"arn:aws:backup:{region}:{owner}:backup-vault:{name}"
        return {"RecoveryPoints": [p for p in self.recovery_points if p["BackupVaultArn"] == vault]}

    def _report_jobs(self, params: Mapping[str, Any], region: str) -> list[dict[str, Any]]:
        plan = params.get("ByReportPlanName")
        return [
            {k: v for k, v in job.items() if k != "Region"}
            for job in self.report_jobs
            if job["Region"] == region and (plan is None or job["ReportPlanArn"].endswith(f":report-plan:{plan}"))
        ]


def _refuse(code: str) -> Handler:
    def handler(params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        raise StubError(code, f"refused ({code})", 403)

    return handler


def _plan_arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:backup:{region}:{account}:restore-testing-plan:{name}-00000000"


def _summary(framework: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("FrameworkName", "FrameworkArn", "FrameworkDescription", "CreationTime", "DeploymentStatus")
    return {k: framework[k] for k in keys if k in framework} | {"NumberOfControls": len(framework["FrameworkControls"])}


def error_response(code: str, message: str, status: int) -> tuple[AWSResponse, dict[str, Any]]:
    """What a ``before-call`` handler returns to make botocore raise ``ClientError(code)``."""
    return AWSResponse(None, status, {}, None), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
