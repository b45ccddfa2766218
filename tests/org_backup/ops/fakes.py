"""An organization in moto, the stack config that describes it, and what ``pulumi up`` would have made of it.

moto lacks some APIs the commands read (pulumi-offline.md §3: effective policies, vault access policies,
jobs, frameworks, report jobs). ``StubbedApis`` is the demo's stand-in (``org_backup.demo.standin``, one home):
it answers exactly those operations, from state the test sets, and records every operation prepared.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from components.documents.iam import BACKUP_POLICY_TYPE, backup_role_managed_policy_arns, backup_role_trust_policy
from components.documents.kms import central_backup_key_policy
from components.documents.vault_policy import central_vault_policy, member_vault_policy
from deployment.layout import Layout, build_layout
from deployment.load import config_from_stack_file
from org_backup.demo.server import fill_moto_gaps
from org_backup.demo.standin import StandIn, error_response
from org_backup.ops.inventory import yaml_text
from stackconfig.inventory import OrgTree, inventory_path, load_inventory
from stackconfig.model import StackConfig, VaultLock
from tests.moto_server import DEFAULT_ACCOUNT_ID, MotoServer
from tests.org_backup.ops.guardrail_fakes import deploy_stack_guardrail, ready_guardrail

WORKLOAD_REGIONS = ("us-east-1", "eu-west-1")
DR_REGIONS = ("us-west-2",)
STACK = "ops"
BREAK_GLASS = "BackupBreakGlass"
StubbedApis = StandIn
_error = error_response


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
    fill_moto_gaps()  # moto's CreatePolicy refuses BACKUP_POLICY without it (org_backup.demo.server)
    organizations = org.client("organizations")
    for attached in layout.policies:  # verify compares each with what the program renders (security review F2)
        organizations.create_policy(
            Name=attached.document.name,
            Description="org-backup",
            Type=BACKUP_POLICY_TYPE,
            Content=attached.document.content,
        )
    deploy_stack_guardrail(org, stack_file)
    return layout
