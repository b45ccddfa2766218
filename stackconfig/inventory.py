"""The organization as the program sees it: OUs and accounts, and which of them a plan reaches.

Backup policies are inherited down the OU tree, so excluding an account or OU that sits under a targeted
OU cannot be done by attaching to the parent: the policy is attached to the parent's other children
instead (see ``attachment_targets``). Everything here is pure; the tree comes from the inventory file, the
listed accounts, or (at deploy time, ``accounts.source: discover``) Organizations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from policies.backup_rules.findings import Finding

from .messages import pattern_at, plain_message
from .model import AccountId, Name, OrganizationId, OuId, RootId, StackConfig

# libyaml's safe loader when PyYAML was built with it: the same documents, read ~20x faster (an inventory
# of 10,000 accounts takes seconds to parse in pure Python).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# libyaml builds nested collections recursively in C: about 50,000 nested brackets crash the interpreter
# (a segmentation fault, not an exception). No inventory nests deeper than a few levels.
MAX_YAML_NESTING = 64


def load_yaml(text: str) -> Any:
    """``text`` parsed with ``SAFE_LOADER``, after an event scan (iterative in libyaml too) that refuses
    nesting deeper than ``MAX_YAML_NESTING`` with a ValueError instead of letting the C loader crash."""
    depth = 0
    for event in yaml.parse(text, Loader=SAFE_LOADER):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_NESTING:
                raise ValueError(f"nested deeper than {MAX_YAML_NESTING} levels")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
    return yaml.load(text, Loader=SAFE_LOADER)


class InventoryOu(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: OuId
    name: Name
    parent_id: OuId | RootId


class InventoryAccount(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: AccountId
    name: Name
    parent_id: OuId | RootId
    status: Literal["ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"] = "ACTIVE"


class Inventory(BaseModel):
    """The file ``org-backup inventory`` writes, read when there is no AWS access."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    organization_id: OrganizationId
    root_id: RootId
    generated_at: str | None = None
    organizational_units: list[InventoryOu] = Field(default_factory=list)
    accounts: list[InventoryAccount] = Field(default_factory=list)


class InventoryError(Exception):
    def __init__(self, findings: list[Finding]) -> None:
        super().__init__("\n".join(str(f) for f in findings))
        self.findings = findings


def inventory_path(config: StackConfig, stack: str, project_dir: Path) -> Path:
    return project_dir / config.accounts.inventory_file.format(stack=stack)


def load_inventory(path: Path, *, config_path: str = "accounts.inventory_file") -> Inventory:
    """Read and validate the inventory file; every problem becomes a finding, never a traceback."""
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InventoryError(
            [
                Finding(
                    config_path,
                    str(path),
                    "inventory-missing",
                    f"inventory file {path} does not exist; run `org-backup inventory` or list the "
                    "accounts under accounts.listed",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError, RecursionError) as exc:
        # ValueError: a NUL byte in the path or a number past Python's digit limit; RecursionError: nesting
        # deeper than the YAML parser's recursion allows.
        raise InventoryError(
            [Finding(config_path, str(path), "inventory-unreadable", f"cannot read {path}: {exc}")]
        ) from None
    try:
        return Inventory.model_validate(raw)
    except ValidationError as exc:
        # Reported at the config key that names the file (the path to change, or the file to refresh), with
        # the place in the file and pydantic's error in plain words.
        raise InventoryError(
            [_schema_finding(config_path, path, err) for err in exc.errors(include_url=False)]
        ) from None


def _schema_finding(config_path: str, path: Path, err: ErrorDetails) -> Finding:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"]).lstrip(".") or "the file"
    if err["type"] == "missing":
        problem = "is required"
    elif err["type"] == "extra_forbidden":
        problem = "is not a key of an inventory file"
    else:
        problem = plain_message(err, pattern=pattern_at(Inventory, tuple(err["loc"])))
    return Finding(
        config_path,
        str(path),
        "inventory-schema",
        f"{path}: {where} {problem} (rewrite it with `org-backup inventory`)",
    )


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    parent_id: str
    status: str = "ACTIVE"


@dataclass
class OrgTree:
    """Parent links of OUs and accounts; enough to answer 'is X under Y' and 'what are Y's children'."""

    root_id: str
    ou_parent: dict[str, str] = field(default_factory=dict)
    ou_names: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    # Where this picture of the organization comes from, for messages ("inventory/prod.yaml").
    source: str = "the inventory file"
    # False when only the targeted OUs were walked (``discover`` at deploy): absence then proves nothing.
    complete: bool = True
    organization_id: str | None = None

    @classmethod
    def from_inventory(cls, inventory: Inventory, source: str = "the inventory file") -> OrgTree:
        return cls(
            root_id=inventory.root_id,
            ou_parent={ou.id: ou.parent_id for ou in inventory.organizational_units},
            ou_names={ou.id: ou.name for ou in inventory.organizational_units},
            accounts={a.id: Account(a.id, a.name, a.parent_id, a.status) for a in inventory.accounts},
            source=source,
            organization_id=inventory.organization_id,
        )

    @classmethod
    def from_listed(cls, config: StackConfig) -> OrgTree:
        """Listed accounts and OUs; a targeted OU not listed under ``accounts.organizational_units`` is taken
        to hang off the root (the references check refuses accounts under an OU nobody declared)."""
        root = config.organization.root_id
        listed_ous = config.accounts.organizational_units
        return cls(
            root_id=root,
            ou_parent={ou.id: root for ou in config.targets.organizational_units}
            | {ou.id: ou.parent_id for ou in listed_ous},
            ou_names={ou.id: ou.name for ou in config.targets.organizational_units}
            | {ou.id: ou.name for ou in listed_ous},
            accounts={a.id: Account(a.id, a.name, a.parent_id, a.status) for a in config.accounts.listed},
            source="accounts.listed",
            organization_id=config.organization.id,
        )

    def ancestors(self, node_id: str) -> list[str]:
        """Parents from nearest to the root (cycle-safe)."""
        out: list[str] = []
        parent = self.accounts[node_id].parent_id if node_id in self.accounts else self.ou_parent.get(node_id)
        while parent is not None and parent not in out:
            out.append(parent)
            parent = self.ou_parent.get(parent)
        return out

    def is_under(self, node_id: str, ancestor_id: str) -> bool:
        return node_id == ancestor_id or ancestor_id in self.ancestors(node_id)

    def children(self, parent_id: str) -> tuple[list[str], list[str]]:
        """(child OU ids, child account ids), sorted for deterministic output."""
        ous = sorted(ou for ou, parent in self.ou_parent.items() if parent == parent_id)
        accounts = sorted(a.id for a in self.accounts.values() if a.parent_id == parent_id)
        return ous, accounts


def resolve_target(config: StackConfig, label: str) -> str | None:
    """A plan target is an OU label, an OU id, an account id or the root id."""
    for ou in config.targets.organizational_units:
        if label in (ou.name, ou.id):
            return ou.id
    if label == config.organization.root_id or label in config.targets.accounts:
        return label
    return None


def plan_target_ids(config: StackConfig, plan_name: str) -> list[str]:
    plan = config.plans[plan_name]
    if plan.targets is None:
        ids = [ou.id for ou in config.targets.organizational_units] + list(config.targets.accounts)
    else:
        ids = [t for t in (resolve_target(config, label) for label in plan.targets) if t is not None]
    return sorted(dict.fromkeys(ids))


def _excluded(config: StackConfig, tree: OrgTree, node_id: str) -> bool:
    excluded = set(config.targets.exclude_accounts) | set(config.targets.exclude_organizational_units)
    return node_id in excluded or any(a in excluded for a in tree.ancestors(node_id))


def attachment_targets(config: StackConfig, tree: OrgTree, target_id: str) -> list[str]:
    """Where to attach a policy meant for ``target_id`` so that no excluded OU or account inherits it."""
    excluded = set(config.targets.exclude_accounts) | set(config.targets.exclude_organizational_units)
    if target_id in excluded:
        return []
    if not any(tree.is_under(x, target_id) and x != target_id for x in excluded):
        return [target_id]
    child_ous, child_accounts = tree.children(target_id)
    out: list[str] = []
    for ou in child_ous:
        out.extend(attachment_targets(config, tree, ou))
    out.extend(a for a in child_accounts if a not in excluded and tree.accounts[a].status == "ACTIVE")
    return out


@dataclass(frozen=True)
class MemberAccount:
    """An active, targeted account and the plans (by name) whose policies reach it."""

    id: str
    name: str
    parent_id: str
    plans: tuple[str, ...]


def member_accounts(config: StackConfig, tree: OrgTree) -> list[MemberAccount]:
    """Every active account reached by some plan and not excluded; suspended accounts get nothing."""
    targets_by_plan = {name: plan_target_ids(config, name) for name in config.plans}
    out: list[MemberAccount] = []
    for account in sorted(tree.accounts.values(), key=lambda a: a.id):
        if account.status != "ACTIVE" or _excluded(config, tree, account.id):
            continue
        plans = tuple(
            name for name, targets in targets_by_plan.items() if any(tree.is_under(account.id, t) for t in targets)
        )
        if plans:
            out.append(MemberAccount(account.id, account.name, account.parent_id, plans))
    return out


def tree_from_organizations(root_id: str, target_ids: Iterable[str], list_children: Any) -> OrgTree:
    """Build the tree by walking Organizations from each target (used by ``accounts.source: discover``).

    ``list_children(parent_id)`` returns ``(ou_rows, account_rows)`` as mappings with ``id``, ``name`` and,
    for accounts, ``status``; the program passes a function backed by the pulumi-aws data sources.
    """
    tree = OrgTree(root_id=root_id, source="Organizations (the targeted OUs)", complete=False)
    pending = [t for t in target_ids if not t.isdigit()]
    seen: set[str] = set()
    while pending:
        parent = pending.pop()
        if parent in seen:
            continue
        seen.add(parent)
        ou_rows, account_rows = list_children(parent)
        for ou in ou_rows:
            tree.ou_parent[ou["id"]] = parent
            tree.ou_names[ou["id"]] = ou.get("name", ou["id"])
            pending.append(ou["id"])
        for acc in account_rows:
            tree.accounts[acc["id"]] = Account(
                acc["id"], acc.get("name", acc["id"]), parent, str(acc.get("status", "ACTIVE"))
            )
    return tree


def account_rows(accounts: Mapping[str, Account]) -> list[dict[str, str]]:
    return [
        {"id": a.id, "name": a.name, "parent_id": a.parent_id, "status": a.status}
        for a in sorted(accounts.values(), key=lambda a: a.id)
    ]
