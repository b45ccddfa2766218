"""The organization as the operations commands read it, and the program's layout over it.

Every command first proves it talks to the organization the stack config describes (the wrong credentials
would otherwise produce a report about someone else's accounts), then computes the same layout as the
program: same accounts source, same targeting, same backup-policy documents.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from deployment.layout import Layout, build_layout
from org_backup.ops.aws import AccessError, AccountAccess, Aws, CannotRunError, error_code, paginate
from org_backup.ops.common import Stack, iso, utc_now
from policies.backup_rules.findings import Finding
from stackconfig.inventory import Inventory, InventoryError, OrgTree, load_inventory
from stackconfig.load import ConfigError

__all__ = ["Org", "account_status", "connect", "layout_for", "org_tree", "read_organization", "usable_regions"]

ENABLED_OPT_IN = frozenset({"opt-in-not-required", "opted-in"})


@dataclass(frozen=True)
class Org:
    """The caller, the management account as reached by the program's role, and the organization."""

    caller_account: str
    caller_arn: str
    management: AccountAccess
    description: dict[str, Any]
    region: str
    effective_policies: dict[str, Future[str | None]] = field(default_factory=dict, compare=False, repr=False)
    """DescribeEffectivePolicy answers of this run by account (pending while being read): verify and coverage,
    running side by side, read each account's once."""

    def organizations(self) -> Any:
        return self.management.client("organizations", self.region)


def connect(stack: Stack, aws: Aws) -> Org:
    """Reach the management account and check that its organization is the configured one."""
    org = stack.config.organization
    region = stack.home_region
    caller = aws.caller_identity(region)
    try:
        management = aws.account(org.management_account_id, stack.role_arn(org.management_account_id), region)
        description = management.client("organizations", region).describe_organization()["Organization"]
    except AccessError as exc:
        raise CannotRunError(f"{exc}; check organization.management_role_name") from None
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        if code == "AWSOrganizationsNotInUseException":
            raise CannotRunError(f"account {caller['Account']} is not in an organization") from None
        raise CannotRunError(
            f"cannot describe the organization as {caller['Arn']} ({code}): run with credentials of the management "
            "account, or set organization.management_role_name"
        ) from None
    if description["Id"] != org.id:
        raise CannotRunError(
            f"these credentials reach organization {description['Id']}, but the stack config is for {org.id}"
        )
    return Org(str(caller["Account"]), str(caller["Arn"]), management, dict(description), region)


def account_status(row: dict[str, Any]) -> str:
    """Newer Organizations APIs say ``State`` (with PENDING_CLOSURE/CLOSED); older ones ``Status``."""
    return str(row.get("State") or row.get("Status") or "ACTIVE")


def read_organization(organizations: Any) -> Inventory:
    """Every OU (recursively from the root) and account, in the inventory file's deterministic order:
    OUs depth-first with siblings by name, accounts by id."""
    root = next(iter(paginate(organizations, "list_roots", "Roots")))
    ous: list[dict[str, str]] = []
    accounts: list[dict[str, str]] = []
    pending: deque[str] = deque([root["Id"]])
    while pending:
        parent = pending.popleft()
        children = sorted(
            paginate(organizations, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent),
            key=lambda ou: (ou["Name"], ou["Id"]),
        )
        ous.extend({"id": ou["Id"], "name": ou["Name"], "parent_id": parent} for ou in children)
        pending.extend(ou["Id"] for ou in children)
        accounts.extend(
            {"id": a["Id"], "name": a["Name"], "parent_id": parent, "status": account_status(a)}
            for a in paginate(organizations, "list_accounts_for_parent", "Accounts", ParentId=parent)
        )
    try:
        return Inventory.model_validate(
            {
                "organization_id": organizations.describe_organization()["Organization"]["Id"],
                "root_id": root["Id"],
                "generated_at": iso(utc_now()),
                "organizational_units": _depth_first(root["Id"], ous),
                "accounts": sorted(accounts, key=lambda a: a["id"]),
            }
        )
    except ValidationError as exc:
        raise CannotRunError(f"the organization does not fit the inventory format: {exc}") from None


def _depth_first(root_id: str, ous: list[dict[str, str]]) -> list[dict[str, str]]:
    by_parent: dict[str, list[dict[str, str]]] = {}
    for ou in ous:
        by_parent.setdefault(ou["parent_id"], []).append(ou)
    out: list[dict[str, str]] = []
    pending = list(reversed(by_parent.get(root_id, [])))
    while pending:
        ou = pending.pop()
        out.append(ou)
        pending.extend(reversed(by_parent.get(ou["id"], [])))
    return out


def org_tree(stack: Stack, org: Org) -> OrgTree:
    """The accounts the program sees: listed in config, the inventory file, or (discover) Organizations."""
    config = stack.config
    if config.accounts.source == "listed":
        return OrgTree.from_listed(config)
    if config.accounts.source == "discover":
        return OrgTree.from_inventory(read_organization(org.organizations()))
    try:
        return OrgTree.from_inventory(load_inventory(stack.inventory_file()))
    except InventoryError as exc:
        raise CannotRunError("; ".join(str(f) for f in exc.findings)) from None


def layout_for(stack: Stack, tree: OrgTree) -> Layout:
    try:
        return build_layout(stack.config, tree)
    except ConfigError as exc:
        raise CannotRunError(str(exc)) from None


def usable_regions(access: AccountAccess, home_region: str, wanted: Sequence[str]) -> tuple[list[str], list[Finding]]:
    """The ``wanted`` Regions the account has enabled (EC2's opt-in status), and a finding for each other one.

    If the Regions cannot be read, every wanted Region is tried (a warning says so): a disabled one then
    shows up as failed calls rather than hiding the others.
    """
    account_id = access.account_id
    try:
        answer = access.client("ec2", home_region).describe_regions(AllRegions=True)
        problem = None
    except (ClientError, BotoCoreError) as exc:
        answer, problem = {}, error_code(exc)
    listed = answer.get("Regions")
    if problem is None and (not isinstance(listed, list) or not listed):
        # The output member is optional in EC2's model; an empty or missing list says nothing about opt-in.
        problem = "the answer listed no Regions"
    if problem is not None:
        warning = Finding.observed(
            rule="region-enabled",
            message=f"could not read the account's Regions ({problem}); checking all configured Regions",
            remediation="allow ec2:DescribeRegions to the role",
            account=account_id,
            severity="warning",
        )
        return list(wanted), [warning]
    enabled = {
        r["RegionName"]
        for r in listed
        if isinstance(r, dict) and r.get("RegionName") and r.get("OptInStatus", "opt-in-not-required") in ENABLED_OPT_IN
    }
    disabled = [
        Finding.observed(
            rule="region-enabled",
            message=f"Region {region} is not enabled in this account",
            remediation="enable the Region (Account settings, or account:EnableRegion from the management account), "
            "or remove it from the stack's Regions",
            account=account_id,
            region=region,
        )
        for region in wanted
        if region not in enabled
    ]
    return [r for r in wanted if r in enabled], disabled
