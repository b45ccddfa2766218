"""An organization in moto, the stack config that describes it, and what ``pulumi up`` would have made of it.

moto lacks some APIs the commands read (pulumi-offline.md §3: effective policies, vault access policies,
jobs, frameworks, report jobs). ``StubbedApis`` answers exactly those operations, from state the test sets,
with responses checked against botocore's output shapes the way botocore's Stubber checks them; every other
call goes to moto. It also records every operation the command prepares, for the read-only tests.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

from components.documents.iam import backup_role_managed_policy_arns, backup_role_trust_policy
from components.documents.kms import central_backup_key_policy
from components.documents.vault_policy import central_vault_policy, member_vault_policy
from org_backup.ops.inventory import yaml_text
from stackconfig.inventory import OrgTree, inventory_path, load_inventory
from stackconfig.layout import Layout, build_layout
from stackconfig.load import config_from_stack_file
from stackconfig.model import StackConfig, VaultLock
from tests.moto_server import DEFAULT_ACCOUNT_ID, MotoServer
from tests.org_backup.ops.guardrail_fakes import deploy_stack_guardrail, ready_guardrail

WORKLOAD_REGIONS = ("us-east-1", "eu-west-1")
DR_REGIONS = ("us-west-2",)
STACK = "ops"
BREAK_GLASS = "BackupBreakGlass"
MUTATING_PREFIXES = ("Create", "Put", "Update", "Delete", "Enable", "Attach", "Register", "Tag")


@dataclass
class FakeOrg:
    """The organization moto holds: ids are random, so tests look them up by name."""

    moto: MotoServer
    id: str
    root_id: str
    ous: dict[str, str]
    accounts: dict[str, str]
    parents: dict[str, str]
    names: dict[str, str]
    _session: boto3.Session = field(default_factory=boto3.Session)
    _credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, account: str | None = None, region: str = "us-east-1") -> Any:
        """A moto client as ``account`` (None: the management account), from one shared session: a new
        boto3 session per client would load botocore's data files again each time."""
        with self._lock:
            if account is not None and account not in self._credentials:
                self._credentials[account] = self.moto.member_credentials(account)
            keys = self._credentials.get(account or "", {})
            return self._session.client(
                service,
                region_name=region,
                endpoint_url=self.moto.endpoint_url,
                aws_access_key_id=keys.get("AccessKeyId"),
                aws_secret_access_key=keys.get("SecretAccessKey"),
                aws_session_token=keys.get("SessionToken"),
            )

    @property
    def management(self) -> str:
        return DEFAULT_ACCOUNT_ID

    @property
    def admin(self) -> str:
        return self.accounts["backup-admin"]

    @property
    def central(self) -> str:
        return self.accounts["backup-central"]

    def in_ou(self, ou: str) -> list[str]:
        return sorted(a for a, parent in self.parents.items() if parent == self.ous[ou])

    def add_account(self, name: str, ou: str | None) -> str:
        account = self.client("organizations").create_account(Email=f"{name}@example.com", AccountName=name)
        account_id = str(account["CreateAccountStatus"]["AccountId"])
        self.parents[account_id] = self.root_id
        self.names[account_id] = name
        self.accounts[name] = account_id
        if ou is not None:
            self.move(account_id, ou)
        return account_id

    def move(self, account_id: str, ou: str) -> None:
        self.client("organizations").move_account(
            AccountId=account_id, SourceParentId=self.parents[account_id], DestinationParentId=self.ous[ou]
        )
        self.parents[account_id] = self.ous[ou]


def build_org(moto: MotoServer, *, prod_accounts: int = 2) -> FakeOrg:
    """Root > prod (prod-NN), non-prod (nonprod-01), sandbox (sandbox-01), security (backup-admin, -central)."""
    organizations = moto.client("organizations")
    org_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    root = organizations.list_roots()["Roots"][0]["Id"]
    fake = FakeOrg(moto, org_id, root, {}, {}, {DEFAULT_ACCOUNT_ID: root}, {DEFAULT_ACCOUNT_ID: "master"})
    for ou in ("prod", "non-prod", "sandbox", "security"):
        fake.ous[ou] = organizations.create_organizational_unit(ParentId=root, Name=ou)["OrganizationalUnit"]["Id"]
    fake.add_account("backup-admin", "security")
    fake.add_account("backup-central", "security")
    for n in range(1, prod_accounts + 1):
        fake.add_account(f"prod-{n:02d}", "prod")
    fake.add_account("nonprod-01", "non-prod")
    fake.add_account("sandbox-01", "sandbox")
    ready_guardrail(fake, BREAK_GLASS)
    return fake


def stack_config(
    org: FakeOrg, *, workload_regions: Iterable[str] = WORKLOAD_REGIONS, **overrides: Any
) -> dict[str, Any]:
    """The ``org-backup:*`` sections: prod and non-prod targeted, a daily plan copied to the central vault."""
    sections: dict[str, Any] = {
        "organization": {
            "id": org.id,
            "root_id": org.root_id,
            "management_account_id": org.management,
            "backup_admin_account_id": org.admin,
            "central_vault_account_id": org.central,
            "workload_regions": list(workload_regions),
            "dr_regions": list(DR_REGIONS),
        },
        "targets": {
            "organizational_units": [
                {"name": "prod", "id": org.ous["prod"]},
                {"name": "non-prod", "id": org.ous["non-prod"]},
            ]
        },
        "vaults": {
            "member": {
                "name": "org-backup",
                "lock": {"mode": "governance", "min_retention_days": 7, "max_retention_days": 400},
                "break_glass_role_names": [BREAK_GLASS],
            },
            "central": {
                "name": "org-backup-central",
                "lock": {
                    "mode": "compliance",
                    "changeable_for_days": 3,
                    "min_retention_days": 7,
                    "max_retention_days": 400,
                },
                "break_glass_role_names": [BREAK_GLASS],
            },
        },
        "plans": {
            "daily": {
                "rules": {
                    "daily": {
                        "schedule": "daily",
                        "retention_days": 35,
                        "copies": [{"region": DR_REGIONS[0], "retention_days": 90}],
                    }
                },
                "selections": {
                    "resources": {
                        "tagged-daily": {
                            "resource_types": ["*"],
                            "not_resource_types": ["arn:aws:rds:*:*:db:*", "arn:aws:rds:*:*:cluster:*"],
                            "conditions": {"string_equals": {"aws:ResourceTag/backup": "daily"}},
                        }
                    }
                },
            },
            "weekly": {
                "targets": ["prod"],
                "rules": {"weekly": {"schedule": "weekly", "retention_days": 180}},
                "selections": {"tags": {"weekly": {"key": "backup", "values": ["weekly"]}}},
            },
        },
        "alerting": {"subscriptions": [{"protocol": "email", "endpoint": "backup@example.com"}]},
    }
    sections.update(overrides)
    return sections


def inventory_document(org: FakeOrg) -> dict[str, Any]:
    ou_parent = dict.fromkeys(org.ous.values(), org.root_id)
    return {
        "organization_id": org.id,
        "root_id": org.root_id,
        "generated_at": "2026-11-26T09:00:00Z",
        "organizational_units": [
            {"id": ou_id, "name": name, "parent_id": ou_parent[ou_id]} for name, ou_id in sorted(org.ous.items())
        ],
        "accounts": [{"id": a, "name": org.names[a], "parent_id": parent} for a, parent in sorted(org.parents.items())],
    }


def write_stack(
    directory: Path, org: FakeOrg, *, stack: str = STACK, with_inventory: bool = True, **config: Any
) -> Path:
    """``Pulumi.<stack>.yaml`` (and ``inventory/<stack>.yaml``) describing ``org``; returns the stack file."""
    stack_file = directory / f"Pulumi.{stack}.yaml"
    document = {"config": {f"org-backup:{k}": v for k, v in stack_config(org, **config).items()}}
    stack_file.write_text(yaml_text(document), encoding="utf-8")
    if with_inventory:
        inventory = directory / "inventory" / f"{stack}.yaml"
        inventory.parent.mkdir(exist_ok=True)
        inventory.write_text(yaml_text(inventory_document(org)), encoding="utf-8")
    return stack_file


def stack_layout(stack_file: Path) -> tuple[StackConfig, Layout]:
    config = config_from_stack_file(stack_file).config
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    tree = OrgTree.from_inventory(load_inventory(inventory_path(config, stack, stack_file.parent)))
    return config, build_layout(config, tree)


def effective_form(node: Any) -> Any:
    """A rendered policy as Organizations shows it effective: operators resolved, child controls dropped."""
    if isinstance(node, dict):
        if "@@assign" in node:
            return node["@@assign"]
        return {key: effective_form(value) for key, value in node.items() if not key.startswith("@@")}
    return node


def now() -> datetime:
    return datetime.now(UTC)


class StubError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


Handler = Callable[[Mapping[str, Any], str, str], dict[str, Any]]


@dataclass
class StubbedApis:
    """What Organizations and AWS Backup would answer where moto cannot; see the module docstring."""

    moto: MotoServer
    effective_policies: dict[str, str] = field(default_factory=dict)
    delegation_policy: str | None = None
    vault_policies: dict[tuple[str, str, str], str] = field(default_factory=dict)
    backup_jobs: list[dict[str, Any]] = field(default_factory=list)
    copy_jobs: list[dict[str, Any]] = field(default_factory=list)
    frameworks: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    report_jobs: list[dict[str, Any]] = field(default_factory=list)
    denied_roles: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    stubbed: list[str] = field(default_factory=list)
    _accounts: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _session: boto3.Session = field(default_factory=boto3.Session)

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
        return {
            "Organizations:DescribeEffectivePolicy": self._effective_policy,
            "Organizations:DescribeResourcePolicy": self._delegation_policy,
            "Backup:GetBackupVaultAccessPolicy": self._vault_policy,
            "Backup:ListBackupJobs": lambda p, a, r: {"BackupJobs": self._jobs(self.backup_jobs, p, r)},
            "Backup:ListCopyJobs": lambda p, a, r: {"CopyJobs": self._jobs(self.copy_jobs, p, r)},
            "Backup:ListFrameworks": lambda p, a, r: {
                "Frameworks": [_summary(f) for f in self.frameworks.get((a, r), [])]
            },
            "Backup:DescribeFramework": self._framework,
            "Backup:ListReportJobs": lambda p, a, r: {"ReportJobs": self._report_jobs(p, r)},
        }

    def _answer(self, model: Any, context: dict[str, Any], request_signer: Any, **_: Any) -> Any:
        operation = f"{model.service_model.service_id}:{model.name}"
        params = context.get("stub_params", {})
        if operation == "STS:AssumeRole":
            denied = any(f":{account}:" in params.get("RoleArn", "") for account in self.denied_roles)
            return _error("AccessDenied", "not authorized to perform sts:AssumeRole", 403) if denied else None
        handler = self._handlers().get(operation)
        if handler is None:
            return None
        with self._lock:
            self.stubbed.append(operation)
        region = context["client_region"]
        try:
            response = handler(params, self._account(request_signer), region)
        except StubError as exc:
            return _error(exc.code, str(exc), exc.status)
        if model.output_shape is not None:
            validate_parameters(response, model.output_shape)
        return AWSResponse(None, 200, {}, None), {**response, "ResponseMetadata": {"HTTPStatusCode": 200}}

    def _account(self, request_signer: Any) -> str:
        """The account of the calling client's credentials, as moto's STS tells it (cached per access key)."""
        frozen = request_signer._credentials.get_frozen_credentials()
        with self._lock:
            if frozen.access_key not in self._accounts:
                sts = self._session.client(
                    "sts",
                    region_name="us-east-1",
                    endpoint_url=self.moto.endpoint_url,
                    aws_access_key_id=frozen.access_key,
                    aws_secret_access_key=frozen.secret_key,
                    aws_session_token=frozen.token,
                )
                self._accounts[frozen.access_key] = str(sts.get_caller_identity()["Account"])
            return self._accounts[frozen.access_key]

    def _delegation_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        """The organization's one resource-based delegation policy (moto 5.2.5 has no such API)."""
        if self.delegation_policy is None:
            raise _no_delegation_policy()
        summary = {"Id": "rp-abcd1234", "Arn": f"arn:aws:organizations::{account}:resourcepolicy/o-x/rp-abcd1234"}
        return {"ResourcePolicy": {"ResourcePolicySummary": summary, "Content": self.delegation_policy}}

    def _effective_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        content = self.effective_policies.get(params["TargetId"])
        if content is None:
            raise StubError("EffectivePolicyNotFoundException", "no effective policy")
        return {
            "EffectivePolicy": {
                "PolicyContent": content,
                "LastUpdatedTimestamp": now(),
                "TargetId": params["TargetId"],
                "PolicyType": params["PolicyType"],
            }
        }

    def _vault_policy(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        name = params["BackupVaultName"]
        policy = self.vault_policies.get((account, region, name))
        if policy is None:
            raise StubError("ResourceNotFoundException", f"no access policy on {name}", 404)
        arn = f"arn:aws:backup:{region}:{account}:backup-vault:{name}"
        return {"BackupVaultName": name, "BackupVaultArn": arn, "Policy": policy}

    @staticmethod
    def _jobs(jobs: list[dict[str, Any]], params: Mapping[str, Any], region: str) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in job.items() if k != "Region"}
            for job in jobs
            if job["Region"] == region
            and params.get("ByAccountId") in (None, job["AccountId"])
            and params.get("ByState") in (None, job["State"])
            and ("ByCreatedAfter" not in params or job["CreationDate"] >= params["ByCreatedAfter"])
        ]

    def _framework(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        for framework in self.frameworks.get((account, region), []):
            if framework["FrameworkName"] == params["FrameworkName"]:
                return framework
        raise StubError("ResourceNotFoundException", "no such framework", 404)

    def _report_jobs(self, params: Mapping[str, Any], region: str) -> list[dict[str, Any]]:
        plan = params.get("ByReportPlanName")
        return [
            {k: v for k, v in job.items() if k != "Region"}
            for job in self.report_jobs
            if job["Region"] == region and (plan is None or job["ReportPlanArn"].endswith(f":report-plan:{plan}"))
        ]


def _summary(framework: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("FrameworkName", "FrameworkArn", "FrameworkDescription", "CreationTime", "DeploymentStatus")
    return {k: framework[k] for k in keys if k in framework} | {"NumberOfControls": len(framework["FrameworkControls"])}


def _no_delegation_policy() -> StubError:
    return StubError("ResourcePolicyNotFoundException", "We can't find a resource policy request")


def _error(code: str, message: str, status: int) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse(None, status, {}, None), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }


def _lock_args(lock: VaultLock | None) -> dict[str, int]:
    if lock is None:
        return {}
    args = {"MinRetentionDays": lock.min_retention_days, "MaxRetentionDays": lock.max_retention_days}
    return args | ({"ChangeableForDays": lock.changeable_for_days} if lock.changeable_for_days else {})


def _vault(org: FakeOrg, account: str, region: str, name: str, lock: VaultLock | None) -> str:
    """The vault, its key (``alias/<name>``) and lock; returns the key ARN."""
    kms = org.client("kms", account, region)
    key = kms.create_key(Description=f"vault {name}")["KeyMetadata"]
    kms.create_alias(AliasName=f"alias/{name}", TargetKeyId=key["KeyId"])
    backup = org.client("backup", account, region)
    backup.create_backup_vault(BackupVaultName=name, EncryptionKeyArn=key["Arn"])
    if lock is not None:
        backup.put_backup_vault_lock_configuration(BackupVaultName=name, **_lock_args(lock))
    return str(key["Arn"])


def deploy(org: FakeOrg, stack_file: Path, stubs: StubbedApis, *, workers: int = 8) -> Layout:
    """What ``pulumi up`` leaves behind, built directly in moto (and in the stubs for what moto lacks)."""
    config, layout = stack_layout(stack_file)

    def admins(account_id: str) -> list[str]:
        return config.organization.vault_admin_role_arns(account_id, [BREAK_GLASS])

    def member(account_id: str) -> None:
        iam = org.client("iam", account_id)
        role = config.vaults.backup_role_name
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(backup_role_trust_policy()))
        for arn in backup_role_managed_policy_arns():
            iam.attach_role_policy(RoleName=role, PolicyArn=arn)
        for region in layout.member_regions:
            _vault(org, account_id, region, config.vaults.member.name, config.vaults.member.lock)
            policy = member_vault_policy(
                break_glass_role_arns=admins(account_id), copy_source_account_ids=[org.central]
            )
            stubs.vault_policies[(account_id, region, config.vaults.member.name)] = json.dumps(policy)
        documents = [p.document.content for p in layout.policies if account_id in p.reaches]
        plans: dict[str, Any] = {}
        for content in documents:
            plans.update(effective_form(json.loads(content))["plans"])
        stubs.effective_policies[account_id] = json.dumps({"plans": plans})

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(member, [m.id for m in layout.members]))
    for region in layout.central_regions:
        key = _vault(org, org.central, region, config.vaults.central.name, config.vaults.central.lock)
        key_policy = central_backup_key_policy(
            account_id=org.central,
            region=region,
            organization_id=org.id,
            organization_paths=config.vaults.central.allowed_organization_paths,
            break_glass_role_arns=admins(org.central),
        )
        org.client("kms", org.central, region).put_key_policy(
            KeyId=key, PolicyName="default", Policy=json.dumps(key_policy)
        )
        policy = central_vault_policy(
            organization_id=org.id,
            break_glass_role_arns=admins(org.central),
            backup_role_name=config.vaults.backup_role_name,
        )
        stubs.vault_policies[(org.central, region, config.vaults.central.name)] = json.dumps(policy)
    deploy_stack_guardrail(org, stack_file)
    return layout


def job(
    account: str, region: str, state: str, *, resource: str, kind: str = "backup", hours_ago: float = 1, **extra: Any
) -> dict[str, Any]:
    """A backup or copy job as ListBackupJobs/ListCopyJobs return it (``Region`` is for the stub only)."""
    created = now() - timedelta(hours=hours_ago)
    vault = f"arn:aws:backup:{region}:{account}:backup-vault:org-backup"
    common = {
        "Region": region,
        "AccountId": account,
        "ResourceArn": resource,
        "CreationDate": created,
        "State": state,
        "ResourceType": "EBS",
        "StatusMessage": extra.pop("StatusMessage", f"job {state.lower()}"),
    }
    if kind == "backup":
        return common | {"BackupJobId": f"job-{account}-{hours_ago}-{state}", "BackupVaultArn": vault} | extra
    return common | {"CopyJobId": f"copy-{account}-{hours_ago}-{state}", "SourceBackupVaultArn": vault} | extra
