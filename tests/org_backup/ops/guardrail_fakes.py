"""The guardrail side of the fake organization: what a ready organization has and what ``pulumi up`` adds.

A ready organization has service control policies enabled (the program requires it, never enables it) and
its break-glass roles, trusted by the management account, in every account. ``pulumi up`` creates the
guardrail SCPs and attaches them where the config says.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.documents.guardrail_scp import guardrail_attachment_targets, guardrail_policies
from deployment.load import config_from_stack_file
from policies.backup_rules.guardrail import SERVICE_CONTROL_POLICY
from stackconfig.inventory import OrgTree, inventory_path, load_inventory
from stackconfig.model import StackConfig

if TYPE_CHECKING:
    from tests.org_backup.ops.fakes import FakeOrg


def trust(*principals: str, service: str | None = None) -> str:
    """A trust policy admitting the given AWS principals (or one service)."""
    principal: dict[str, Any] = {"Service": service} if service else {"AWS": list(principals)}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


def ready_guardrail(org: FakeOrg, break_glass: str) -> None:
    """SCPs enabled on the root; the break-glass role in every account but the management account."""
    org.client("organizations").enable_policy_type(RootId=org.root_id, PolicyType=SERVICE_CONTROL_POLICY)
    for account_id in org.accounts.values():
        create_break_glass(org, account_id, break_glass)


def create_break_glass(org: FakeOrg, account_id: str, name: str) -> None:
    org.client("iam", account_id).create_role(
        RoleName=name, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{org.management}:root")
    )


def deploy_guardrail(org: FakeOrg, config: StackConfig, tree: OrgTree) -> dict[str, str]:
    """The SCPs and their attachments, as ``pulumi up`` creates them; returns name -> policy id."""
    organizations = org.client("organizations")
    ids: dict[str, str] = {}
    targets = guardrail_attachment_targets(config, tree)
    for policy in guardrail_policies(config):
        created = organizations.create_policy(
            Name=policy.name, Description="guardrail", Type=SERVICE_CONTROL_POLICY, Content=policy.content
        )
        ids[policy.name] = created["Policy"]["PolicySummary"]["Id"]
        for target in targets:
            organizations.attach_policy(PolicyId=ids[policy.name], TargetId=target)
    return ids


def deploy_stack_guardrail(org: FakeOrg, stack_file: Path) -> dict[str, str]:
    """``deploy_guardrail`` for a stack file and the inventory beside it."""
    config = config_from_stack_file(stack_file).config
    stack = stack_file.name.removeprefix("Pulumi.").removesuffix(".yaml")
    tree = OrgTree.from_inventory(load_inventory(inventory_path(config, stack, stack_file.parent)))
    return deploy_guardrail(org, config, tree)
