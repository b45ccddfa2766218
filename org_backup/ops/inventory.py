"""``org-backup inventory --stack prod``: read the organization and write the inventory file.

The program (``accounts.source: inventory``) and the offline preview read that file instead of asking
Organizations, so it must be current: this command rewrites it from Organizations and says what changed
since it was last written (new, moved, suspended, renamed and removed accounts and OUs) and which targeted
OUs and plans each change affects. ``--dry-run`` only prints the changes, and exits 1 when there are any,
so a scheduled job can tell that the file is stale. The file is the only thing written; AWS is only read.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from org_backup.ops.aws import Aws
from org_backup.ops.common import Report, Stack, Table, command_parser, run_command
from org_backup.ops.organization import connect, read_organization
from policies.backup_rules.findings import Finding, Severity
from stackconfig.inventory import (
    Inventory,
    InventoryError,
    OrgTree,
    load_inventory,
    member_accounts,
)
from stackconfig.model import StackConfig

__all__ = ["diff_inventories", "main", "ou_path", "render_inventory", "run", "yaml_text"]

COMMAND = "inventory"
HEADER = (
    "# Written by `org-backup inventory --stack {stack}`; read by the program when accounts.source is\n"
    "# inventory, and by the offline preview. Commit it with the change that needs it.\n"
)


def ou_path(tree: OrgTree, node_id: str) -> str:
    """``prod/prod-critical``: OU names from the root down (the root itself is ``/``)."""
    chain = [node_id, *tree.ancestors(node_id)] if node_id in tree.ou_parent else tree.ancestors(node_id)
    names = [tree.ou_names.get(n, n) for n in reversed(chain) if n in tree.ou_parent]
    return "/".join(names) or "/"


def _targets_over(config: StackConfig, tree: OrgTree, node_id: str) -> list[str]:
    """Labels of the targeted OUs (and targeted account ids) above or at ``node_id``."""
    if node_id not in tree.accounts and node_id not in tree.ou_parent:
        return []
    labels = [ou.name for ou in config.targets.organizational_units if tree.is_under(node_id, ou.id)]
    return labels + [a for a in config.targets.accounts if a == node_id]


def diff_inventories(
    config: StackConfig, old: Inventory | None, new: Inventory, *, severity: Severity, action: str
) -> list[Finding]:
    """One finding per changed account or OU, naming the targeted OUs and the plans it gains or loses."""
    old_tree = OrgTree.from_inventory(old) if old else OrgTree(root_id=new.root_id)
    new_tree = OrgTree.from_inventory(new)
    old_plans = {m.id: m.plans for m in member_accounts(config, old_tree)}
    new_plans = {m.id: m.plans for m in member_accounts(config, new_tree)}
    out: list[Finding] = []
    for account_id in sorted(set(old_tree.accounts) | set(new_tree.accounts)):
        change = _account_change(old_tree, new_tree, account_id)
        if change is None:
            continue
        check, name, what = change
        targets = sorted(
            set(_targets_over(config, old_tree, account_id)) | set(_targets_over(config, new_tree, account_id))
        )
        effect = _effect(targets, old_plans.get(account_id, ()), new_plans.get(account_id, ()))
        out.append(
            Finding.observed(
                rule=check,
                message=what + effect,
                remediation=action,
                account=account_id,
                resource=name,
                severity=severity,
            )
        )
    out.extend(_ou_changes(config, old_tree, new_tree, severity=severity, action=action))
    return out


def _account_change(old: OrgTree, new: OrgTree, account_id: str) -> tuple[str, str, str] | None:
    """(check, account name, what changed), or None when the account is unchanged."""
    before, after = old.accounts.get(account_id), new.accounts.get(account_id)
    if before is None and after is not None:
        return "account-new", after.name, f"new account in {ou_path(new, account_id)}"
    if after is None and before is not None:
        return "account-removed", before.name, f"left the organization (was in {ou_path(old, account_id)})"
    if before is None or after is None:
        return None
    parts = []
    if before.parent_id != after.parent_id:
        parts.append(("account-moved", f"moved {ou_path(old, account_id)} -> {ou_path(new, account_id)}"))
    if before.status != after.status:
        parts.append(("account-status", f"status {before.status} -> {after.status}"))
    if before.name != after.name:
        parts.append(("account-renamed", f"renamed from {before.name}"))
    if not parts:
        return None
    return parts[0][0], after.name, "; ".join(text for _, text in parts)


def _effect(targets: list[str], before: Sequence[str], after: Sequence[str]) -> str:
    gained = [p for p in after if p not in before]
    lost = [p for p in before if p not in after]
    text = f"; targeted OUs: {', '.join(targets)}" if targets else "; not under a targeted OU"
    if gained:
        text += f"; gains plans {', '.join(gained)} (pulumi up creates its vaults; until then its jobs fail)"
    if lost:
        text += f"; loses plans {', '.join(lost)} (its vaults and recovery points are kept)"
    return text


def _ou_changes(config: StackConfig, old: OrgTree, new: OrgTree, *, severity: Severity, action: str) -> list[Finding]:
    out: list[Finding] = []
    for ou_id in sorted(set(old.ou_parent) | set(new.ou_parent)):
        if ou_id not in old.ou_parent:
            check, what = "ou-new", f"new OU {ou_path(new, ou_id)}"
        elif ou_id not in new.ou_parent:
            check, what = "ou-removed", f"OU {ou_path(old, ou_id)} was removed"
        elif old.ou_parent[ou_id] != new.ou_parent[ou_id] or old.ou_names[ou_id] != new.ou_names[ou_id]:
            check, what = "ou-moved", f"OU {ou_path(old, ou_id)} is now {ou_path(new, ou_id)}"
        else:
            continue
        targets = sorted(set(_targets_over(config, old, ou_id)) | set(_targets_over(config, new, ou_id)))
        where = f"; targeted OUs: {', '.join(targets)}" if targets else "; not under a targeted OU"
        out.append(
            Finding.observed(rule=check, message=what + where, remediation=action, resource=ou_id, severity=severity)
        )
    return out


class _Dumper(yaml.SafeDumper):
    """Quotes digit-only strings (account ids): PyYAML leaves some plain (``0980…``), and YAML 1.2 readers
    such as the Pulumi CLI would then read a number."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if value.isdigit() else None)


_Dumper.add_representer(str, _string)


def yaml_text(document: Any) -> str:
    """Block style, one line per flat mapping, keys in the given order, account ids quoted."""
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=10_000, allow_unicode=True
    )


def render_inventory(inventory: Inventory, stack: str) -> str:
    """YAML with a header comment, one line per OU and account; ACTIVE, the default status, is left out."""
    document: dict[str, Any] = {
        "organization_id": inventory.organization_id,
        "root_id": inventory.root_id,
        "generated_at": inventory.generated_at,
        "organizational_units": [ou.model_dump(mode="json") for ou in inventory.organizational_units],
        "accounts": [a.model_dump(mode="json", exclude_defaults=True) for a in inventory.accounts],
    }
    return HEADER.format(stack=stack) + yaml_text(document)


def write_inventory(path: Path, text: str) -> None:
    """Validate what is about to be written, then replace the file atomically."""
    Inventory.model_validate(yaml.safe_load(text))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(text)
    Path(temporary).replace(path)


def run(args: argparse.Namespace, stack: Stack, aws: Aws) -> Report:
    org = connect(stack, aws)
    live = read_organization(org.organizations())
    path = stack.inventory_file()
    shown = os.path.relpath(path)
    findings: list[Finding] = []
    old: Inventory | None = None
    if path.exists():
        try:
            old = load_inventory(path)
        except InventoryError as exc:
            findings.append(
                Finding.observed(
                    rule="inventory-invalid",
                    message=f"{shown} is not a valid inventory ({exc.findings[0]})",
                    remediation="it is replaced from Organizations" if not args.dry_run else "run without --dry-run",
                    resource=shown,
                    severity="info" if not args.dry_run else "warning",
                )
            )
    rerun = f"org-backup inventory {'--config ' + args.config if args.config else '--stack ' + stack.name}"
    if old is None:
        changes = [
            Finding.observed(
                rule="inventory-new",
                message=f"no inventory yet: {len(live.accounts)} accounts and {len(live.organizational_units)} OUs",
                remediation=f"run `{rerun}` and commit {shown}" if args.dry_run else f"commit {shown}",
                resource=shown,
                severity="warning" if args.dry_run else "info",
            )
        ]
    elif args.dry_run:
        action = f"run `{rerun}`, commit {shown}, then pulumi up"
        changes = diff_inventories(stack.config, old, live, severity="warning", action=action)
    else:
        changes = diff_inventories(stack.config, old, live, severity="info", action=f"commit {shown}, then pulumi up")
    findings += changes
    written = not args.dry_run and bool(changes)
    if written:
        write_inventory(path, render_inventory(live, stack.name))
    if stack.config.accounts.source != "inventory":
        findings.append(
            Finding.observed(
                rule="inventory-unused",
                message=f"accounts.source is {stack.config.accounts.source}: the program does not read {shown}",
                remediation="set accounts.source: inventory to deploy from this file",
                resource=shown,
                severity="info",
            )
        )
    tree = OrgTree.from_inventory(live)
    members = {m.id for m in member_accounts(stack.config, tree)}
    rows = [
        (
            ou.name,
            ou.id,
            str(sum(tree.is_under(a, ou.id) for a in tree.accounts)),
            str(sum(tree.is_under(a, ou.id) for a in members)),
        )
        for ou in stack.config.targets.organizational_units
    ]
    state = "written" if written else ("stale, --dry-run wrote nothing" if changes else "up to date")
    summary = Table(
        f"{shown} ({state}): {len(live.accounts)} accounts, {len(live.organizational_units)} OUs, "
        f"{len(members)} targeted members",
        ("TARGET", "OU", "ACCOUNTS", "MEMBERS"),
        rows,
    )
    return Report(
        command=COMMAND,
        stack=stack.name,
        organization_id=live.organization_id,
        findings=findings,
        tables=[summary],
        data={"inventory_file": str(path), "written": written, "changes": len(changes)},
    )


def main(argv: Sequence[str] | None = None, *, aws: Aws | None = None) -> int:
    parser = command_parser(COMMAND, __doc__.splitlines()[0] if __doc__ else COMMAND)
    parser.add_argument("--dry-run", action="store_true", help="print what changed; write nothing")
    return run_command(COMMAND, parser, run, argv, aws)
