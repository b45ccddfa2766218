"""The organization as the program built the stack from it, in the shape the policy pack reads.

Published by ``components.organization_view.OrganizationView`` (names in ``policies.backup_rules.stack_outputs``)
so that ``pulumi preview --policy-pack policies`` needs no hand-written policy config. Both maps come from
``copy_paths.organization_paths``: an account's path lists the root and every OU above it, so the accounts
under an OU are exactly those whose path names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from policies.backup_rules.limits import ACCOUNT_ID_RE

from .copy_paths import organization_paths
from .inventory import OrgTree


@dataclass(frozen=True)
class OrganizationView:
    organization_paths: dict[str, str]
    ou_accounts: dict[str, list[str]]


def organization_view(tree: OrgTree, organization_id: str) -> OrganizationView:
    paths = organization_paths(tree, organization_id)
    under: dict[str, list[str]] = {node: [] for node in [tree.root_id, *tree.ou_names]}
    for account, path in sorted(paths.items()):
        for node in path.strip("/").split("/")[1:]:
            under.setdefault(node, []).append(account)
    return OrganizationView(paths, under)


def target_accounts(targets: Iterable[str], ou_accounts: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """Each attachment target (root, OU or account id) -> the accounts it covers."""
    return {t: [t] if ACCOUNT_ID_RE.match(t) else sorted(ou_accounts.get(t, [])) for t in targets}
