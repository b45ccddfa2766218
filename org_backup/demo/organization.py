"""The stack's organization in moto, with the inventory's ids, names, nesting and account states."""

from __future__ import annotations

import json
from dataclasses import dataclass

from org_backup.demo.apply import Accounts
from org_backup.demo.server import DemoServer, Identity, PlannedIds
from policies.backup_rules.guardrail import SERVICE_CONTROL_POLICY
from stackconfig.inventory import Inventory, InventoryOu
from stackconfig.model import StackConfig

__all__ = ["DemoOrganization", "create_organization", "ready_organization"]

REGION = "us-east-1"
CLOSED = frozenset({"SUSPENDED", "PENDING_CLOSURE", "CLOSED"})


@dataclass(frozen=True)
class DemoOrganization:
    management_account_id: str
    caller: Identity
    inventory: Inventory


def _parents_first(ous: list[InventoryOu], root_id: str) -> list[InventoryOu]:
    """OUs in an order where each parent exists before its children."""
    done, ordered, pending = {root_id}, [], list(ous)
    while pending:
        ready = [ou for ou in pending if ou.parent_id in done]
        if not ready:
            raise ValueError(f"OUs whose parent is not in the inventory: {sorted(ou.id for ou in pending)}")
        for ou in ready:
            ordered.append(ou)
            done.add(ou.id)
            pending.remove(ou)
    return ordered


def create_organization(server: DemoServer, inventory: Inventory, management_account_id: str) -> DemoOrganization:
    """``CreateOrganization`` as the management account, then every OU and account of the inventory.

    Closed accounts are created and closed (``CloseAccount`` leaves them SUSPENDED in moto, as in AWS).
    """
    caller = server.caller_in(management_account_id)
    organizations = caller.session().client("organizations", region_name=REGION, endpoint_url=server.endpoint_url)
    planned = PlannedIds(inventory.organization_id, inventory.root_id)
    with planned.active():
        planned.plan("OU", inventory.root_id)
        planned.plan("account", management_account_id)
        organizations.create_organization(FeatureSet="ALL")
        for ou in _parents_first(list(inventory.organizational_units), inventory.root_id):
            planned.plan("OU", ou.id)
            organizations.create_organizational_unit(ParentId=ou.parent_id, Name=ou.name)
        for account in inventory.accounts:
            if account.id == management_account_id:
                continue
            planned.plan("account", account.id)
            organizations.create_account(Email=f"{account.name}@example.com", AccountName=account.name)
            if account.parent_id != inventory.root_id:
                organizations.move_account(
                    AccountId=account.id, SourceParentId=inventory.root_id, DestinationParentId=account.parent_id
                )
            if account.status in CLOSED:
                organizations.close_account(AccountId=account.id)
    return DemoOrganization(management_account_id, caller, inventory)


def ready_organization(accounts: Accounts, config: StackConfig, inventory: Inventory) -> list[str]:
    """What the organization has before ``pulumi up``, as the README's prerequisites ask: service control
    policies enabled on the root (the guardrail needs them; the program never enables them) and the
    break-glass roles, trusted by the management account, in every active account but the management account.
    Returns the break-glass role ARNs created."""
    management = config.organization.management_account_id
    accounts.client(management, "organizations", REGION).enable_policy_type(
        RootId=inventory.root_id, PolicyType=SERVICE_CONTROL_POLICY
    )
    names = sorted({*config.vaults.member.break_glass_role_names, *config.vaults.central.break_glass_role_names})
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:{config.organization.partition}:iam::{management}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    created: list[str] = []
    for account in inventory.accounts:
        if account.id == management or account.status in CLOSED:
            continue
        iam = accounts.client(account.id, "iam", REGION)
        for name in names:
            created.append(str(iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]))
    return created
