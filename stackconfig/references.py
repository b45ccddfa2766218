"""Every OU and account the configuration names, resolved against the organization as the stack knows it.

The organization is the inventory file, the listed accounts, or (``accounts.source: discover``) what
Organizations answered; the offline preview answers ``discover`` from the inventory file, so a pull request
is judged against the whole organization. A deploy with ``discover`` only walks the targeted OUs: then the
tree is partial (``OrgTree.complete`` is False) and only what it can prove is checked (whether plans reach
an account); Organizations itself refuses a targeted OU id that does not exist.

An id the organization does not have is an error at its own config path, with the closest known id; a plan
that would reach no active account is a warning.
"""

from __future__ import annotations

from collections.abc import Sequence

from policies.backup_rules import limits
from policies.backup_rules.findings import Finding, join

from .inventory import MemberAccount, OrgTree
from .model import StackConfig


def check_references(config: StackConfig, tree: OrgTree, members: Sequence[MemberAccount]) -> list[Finding]:
    """Errors for unknown or unusable ids, warnings for plans and targets that reach nobody."""
    if tree.complete:
        wrong_org = _same_organization(config, tree)
        if wrong_org:
            return wrong_org
        out = _account_fields(config, tree) + _ou_fields(config, tree) + _listed_parents(config, tree)
        out += _organization_paths(config, tree)
    else:
        out = []
    if any(f.severity == "error" for f in out):
        return out
    out += _restore_testing_members(config, tree, members)
    if any(f.severity == "error" for f in out):
        return out
    return out + _reach(config, tree, members)


def _restore_testing_members(config: StackConfig, tree: OrgTree, members: Sequence[MemberAccount]) -> list[Finding]:
    """Restore testing is deployed with a member account's vault (components/member_account.py): an account no
    plan reaches would get none, silently, and would have no recovery point to test anyway."""
    rt = config.restore_testing
    if not rt.enabled:
        return []
    reached = {m.id for m in members}
    out: list[Finding] = []
    for i, account_id in enumerate(rt.accounts):
        if account_id in reached or account_id not in tree.accounts:
            continue
        name = tree.accounts[account_id].name
        excluding = [ou for ou in config.targets.exclude_organizational_units if tree.is_under(account_id, ou)]
        if account_id in config.targets.exclude_accounts:
            why = "it is excluded (targets.exclude_accounts)"
        elif excluding:
            why = f"it is under the excluded OU {excluding[0]} (targets.exclude_organizational_units)"
        else:
            why = "no plan reaches it (it is under no targeted OU, and not in targets.accounts)"
        out.append(
            Finding(
                join("restore_testing.accounts", i),
                account_id,
                "restore-testing-not-member",
                f"account {account_id} ({name}) receives no backups, {why}: restore testing would find no recovery "
                "point there and is deployed only with a member vault; remove it or back the account up",
            )
        )
    return out


def _same_organization(config: StackConfig, tree: OrgTree) -> list[Finding]:
    """An inventory of another organization makes every other reference meaningless: one error, not fifty."""
    org = config.organization
    if tree.organization_id is not None and tree.organization_id != org.id:
        return [
            Finding(
                "organization.id",
                org.id,
                "organization-mismatch",
                f"{tree.source} describes organization {tree.organization_id}, not {org.id}: refresh it "
                "(`org-backup inventory`) or correct organization.id",
            )
        ]
    if tree.root_id != org.root_id:
        return [
            Finding(
                "organization.root_id",
                org.root_id,
                "organization-mismatch",
                f"the root of the organization in {tree.source} is {tree.root_id}, not {org.root_id}",
            )
        ]
    return []


def _suggest(value: str, known: dict[str, str]) -> str:
    """': did you mean <id> (<name>)?' when a known id differs by one character or one swap of neighbours
    (the typos of a 12-digit or OU id); ids are not words, so anything further is no suggestion."""
    for candidate in sorted(known):
        if len(candidate) != len(value):
            continue
        diff = [i for i, (a, b) in enumerate(zip(value, candidate, strict=True)) if a != b]
        swapped = len(diff) == 2 and diff[1] == diff[0] + 1 and value[diff[0]] == candidate[diff[1]]
        if len(diff) == 1 or (swapped and value[diff[1]] == candidate[diff[0]]):
            return f": did you mean {candidate} ({known[candidate]})?"
    return ""


def _account_problem(tree: OrgTree, account_id: str, *, must_be_active: bool) -> str | None:
    account = tree.accounts.get(account_id)
    if account is None:
        known = {a.id: a.name for a in tree.accounts.values()}
        hint = _suggest(account_id, known)
        if tree.source == LISTED:
            hint += " (accounts.listed is the whole organization the stack knows: list every account it names)"
        return f"{account_id} is not an account of the organization ({tree.source}){hint}"
    if must_be_active and account.status != "ACTIVE":
        return f"account {account_id} ({account.name}) is {account.status} in {tree.source}: it cannot hold this role"
    return None


def _account_fields(config: StackConfig, tree: OrgTree) -> list[Finding]:
    """Each account id field of the model (grep ``AccountId`` in model.py: these are all of them)."""
    org = config.organization
    fields: list[tuple[str, str, bool]] = [
        ("organization.management_account_id", org.management_account_id, True),
        ("organization.backup_admin_account_id", org.backup_admin_account_id, True),
        ("organization.central_vault_account_id", org.central_vault_account_id, True),
    ]
    fields += [(join("targets.accounts", i), a, False) for i, a in enumerate(config.targets.accounts)]
    fields += [(join("targets.exclude_accounts", i), a, False) for i, a in enumerate(config.targets.exclude_accounts)]
    fields += [(join("restore_testing.accounts", i), a, True) for i, a in enumerate(config.restore_testing.accounts)]
    out: list[Finding] = []
    for path, account_id, must_be_active in fields:
        problem = _account_problem(tree, account_id, must_be_active=must_be_active)
        if problem is not None:
            out.append(Finding(path, account_id, "unknown-account", problem))
    for target, _count in config.backup_policies.policies_attached_elsewhere.items():
        out += _target_id(join("backup_policies.policies_attached_elsewhere", target), target, tree)
    for name, custom in config.backup_policies.custom.items():
        for i, target in enumerate(custom.targets):
            if limits.ACCOUNT_ID_RE.fullmatch(target) or limits.OU_ID_RE.fullmatch(target):
                out += _target_id(join("backup_policies.custom", name, "targets", i), target, tree)
    return out


def _target_id(path: str, target: str, tree: OrgTree) -> list[Finding]:
    """An attachment target: the root, an OU or an account of the organization."""
    if target == tree.root_id or target in tree.ou_parent or target in tree.accounts:
        return []
    if limits.ACCOUNT_ID_RE.fullmatch(target):
        known = {a.id: a.name for a in tree.accounts.values()}
        message = f"{target} is not an account of the organization ({tree.source}){_suggest(target, known)}"
        return [Finding(path, target, "unknown-account", message)]
    message = f"{target} is not the root, an OU or an account of the organization ({tree.source})"
    return [Finding(path, target, "unknown-ou", message + _suggest(target, tree.ou_names))]


def _ou_fields(config: StackConfig, tree: OrgTree) -> list[Finding]:
    places = [
        (join("targets.organizational_units", i, "id"), ou.id)
        for i, ou in enumerate(config.targets.organizational_units)
    ]
    places += [
        (join("targets.exclude_organizational_units", i), ou)
        for i, ou in enumerate(config.targets.exclude_organizational_units)
    ]
    out: list[Finding] = []
    for path, ou_id in places:
        if ou_id not in tree.ou_parent:
            hint = _suggest(ou_id, tree.ou_names)
            listed = " (list it, with its parent, under accounts.organizational_units)" if tree.source == LISTED else ""
            out.append(
                Finding(
                    path, ou_id, "unknown-ou", f"{ou_id} is not an OU of the organization ({tree.source}){hint}{listed}"
                )
            )
    return out


LISTED = "accounts.listed"


def _listed_parents(config: StackConfig, tree: OrgTree) -> list[Finding]:
    """Listed accounts and OUs hang off the root or an OU the stack knows, and OUs form a tree (no cycle):
    an account under an OU nobody declared would silently fall outside every target."""
    if config.accounts.source != "listed":
        return []
    out: list[Finding] = []
    known = {tree.root_id, *tree.ou_parent}
    for i, ou in enumerate(config.accounts.organizational_units):
        path = join("accounts.organizational_units", i, "parent_id")
        if ou.parent_id not in known:
            out.append(_unknown_parent(path, ou.parent_id, tree))
        elif tree.root_id not in tree.ancestors(ou.id):
            out.append(
                Finding(path, ou.parent_id, "ou-cycle", f"OU {ou.id}'s parents never reach the root {tree.root_id}")
            )
    orphans: dict[str, list[int]] = {}
    for i, account in enumerate(config.accounts.listed):
        if account.parent_id not in known:
            orphans.setdefault(account.parent_id, []).append(i)
    declared = {ou.id for ou in config.accounts.organizational_units}
    parents = {a.parent_id for a in config.accounts.listed} | {
        ou.parent_id for ou in config.accounts.organizational_units
    }
    for parent_id, indexes in orphans.items():
        names = ", ".join(config.accounts.listed[i].name for i in indexes)
        # A targeted OU known only because targets names it, holding nothing, one character off the parent of
        # the listed accounts: the target is the typo, and one error there says so.
        typo = next(
            (
                (i, target.id)
                for i, target in enumerate(config.targets.organizational_units)
                if target.id not in declared and target.id not in parents and _suggest(target.id, {parent_id: names})
            ),
            None,
        )
        if typo is not None:
            i, target_id = typo
            out.append(
                Finding(
                    join("targets.organizational_units", i, "id"),
                    target_id,
                    "unknown-ou",
                    f"{target_id} holds no listed account, while the accounts {names} are listed under {parent_id}: "
                    f"did you mean {parent_id}? (accounts.listed is the whole organization the stack knows)",
                )
            )
            continue
        finding = _unknown_parent(join("accounts.listed", indexes[0], "parent_id"), parent_id, tree)
        if len(indexes) > 1:
            finding = Finding(
                finding.path, finding.value, finding.rule, f"{finding.message} (also the parent of {names})"
            )
        out.append(finding)
    return out


def _unknown_parent(path: str, parent_id: str, tree: OrgTree) -> Finding:
    return Finding(
        path,
        parent_id,
        "unknown-parent",
        f"{parent_id} is neither the root nor an OU the stack knows{_suggest(parent_id, tree.ou_names)}: list it "
        "under accounts.organizational_units with its own parent_id (a nested OU needs its whole chain), or the "
        "accounts under it fall outside every target",
    )


def _organization_paths(config: StackConfig, tree: OrgTree) -> list[Finding]:
    """``o-…/r-…/ou-…/…/`` names a real chain: each OU the child of the one before (aws:PrincipalOrgPaths
    matches the full path, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths)."""
    out: list[Finding] = []
    for i, text in enumerate(config.vaults.central.allowed_organization_paths):
        parts = [p for p in text.split("/") if p and p != "*"]
        if len(parts) < 2 or "*" in "".join(parts):
            continue
        parent = parts[1]
        path = join("vaults.central.allowed_organization_paths", i)
        if parent != tree.root_id:
            out.append(
                Finding(path, text, "unknown-ou", f"{parent} is not the root of the organization ({tree.root_id})")
            )
            continue
        for ou in parts[2:]:
            if ou not in tree.ou_parent:
                message = f"{ou} is not an OU of the organization ({tree.source}){_suggest(ou, tree.ou_names)}"
                out.append(Finding(path, text, "unknown-ou", message))
                break
            if tree.ou_parent[ou] != parent:
                real = "/".join([config.organization.id, *reversed(tree.ancestors(ou)), ou]) + "/"
                out.append(
                    Finding(
                        path,
                        text,
                        "organization-path-chain",
                        f"{ou} is not a child of {parent}: its full path is {real} (an organization path lists "
                        "every OU from the root)",
                    )
                )
                break
            parent = ou
    return out


def _reach(config: StackConfig, tree: OrgTree, members: Sequence[MemberAccount]) -> list[Finding]:
    """Warnings: a plan whose policy reaches no active account, and a targeted OU or account that holds none."""
    out: list[Finding] = []
    reached = {name for m in members for name in m.plans}
    for name, plan in config.plans.items():
        if name not in reached:
            labels = ", ".join(plan.targets) if plan.targets is not None else "all targets"
            out.append(
                Finding(
                    join("plans", name, "targets") if plan.targets is not None else join("plans", name),
                    plan.targets,
                    "plan-reaches-nothing",
                    f"plan {name} reaches no active account in {tree.source} (targets: {labels}): "
                    "its backup policy would protect nothing",
                    "warning",
                )
            )
    for i, account_id in enumerate(config.targets.accounts):
        account = tree.accounts.get(account_id)
        if account is not None and account.status != "ACTIVE":
            out.append(
                Finding(
                    join("targets.accounts", i),
                    account_id,
                    "target-reaches-nothing",
                    f"account {account_id} ({account.name}) is {account.status} in {tree.source}: it receives nothing",
                    "warning",
                )
            )
    member_ids = {m.id for m in members}
    for i, ou in enumerate(config.targets.organizational_units):
        if not any(tree.is_under(m, ou.id) for m in member_ids):
            out.append(
                Finding(
                    join("targets.organizational_units", i, "id"),
                    ou.id,
                    "target-reaches-nothing",
                    f"OU {ou.name} ({ou.id}) holds no active account that is not excluded, in {tree.source}",
                    "warning",
                )
            )
    return out
