"""The preview's "Who can destroy backups" section: the access analysis of the recorded run, in every format.

The pack's rule ``backup-destructive-access-exempt-only`` fails on the same matrix; this section shows the
whole of it, grouped so a reviewer reads one line per vault or key and principal.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from org_backup.preview.offline import ProgramRun
from policies.access import ACTION_CLASSES, AccessMatrix, Cell, analyse
from policies.access.stack import Target
from stackconfig.copy_paths import organization_paths
from stackconfig.inventory import OrgTree

TITLE = "Who can destroy backups"


@dataclass(frozen=True)
class _Resource:
    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    account: str | None
    region: str | None
    parent_urn: str | None
    property_dependencies: Mapping[str, Any] = field(default_factory=dict)


def ou_accounts(tree: OrgTree) -> dict[str, list[str]]:
    """Root and OU id -> every account under it, as the organization tree knows them."""
    return {node: sorted(a for a in tree.accounts if tree.is_under(a, node)) for node in [tree.root_id, *tree.ou_names]}


def ordered(matrix: AccessMatrix) -> AccessMatrix:
    """The matrix with its targets and SCPs sorted by name, and its cells grouped by their target in that order.

    The analysis lists targets in the order the program registered their resources, which varies between runs;
    within one target it lists principals and action classes in a fixed order, which the (stable) sort keeps."""
    targets = tuple(sorted(matrix.targets, key=lambda t: (t.label, t.arn)))
    rank = {(t.label, t.arn): i for i, t in enumerate(targets)}
    cells = tuple(sorted(matrix.cells, key=lambda c: (rank.get((c.target, c.target_arn), len(rank)), c.target)))
    return AccessMatrix(cells, targets, tuple(sorted(matrix.scps)))


def access_matrix(run: ProgramRun, tree: OrgTree | None = None) -> AccessMatrix:
    resources = [
        _Resource(
            r.type,
            r.name,
            r.urn,
            dict(r.inputs) if r.custom else {**r.inputs, **r.outputs},
            r.account,
            r.region,
            r.parent_urn,
            dict(r.property_dependencies),
        )
        for r in run.resources
    ]
    return ordered(analyse(resources, ou_accounts=ou_accounts(tree) if tree is not None else None))


PACK_ACCESS_RULES = "rules.access"
"""The pack's module of the access rules, as ``policy_eval.load_pack`` imports it."""


def forget_pack_matrix() -> None:
    """Before the pack runs: forget the matrix of an earlier evaluation in this process."""
    module = sys.modules.get(PACK_ACCESS_RULES)
    if module is not None:
        module.forget_analysed()


def pack_matrix() -> AccessMatrix | None:
    """After the pack ran: the matrix its access rules judged (with the policy config they were given), as this
    module's classes; None when they did not run (disabled, or another pack). The section then shows what the rule
    judged, and the stack is analysed once."""
    module = sys.modules.get(PACK_ACCESS_RULES)
    judged = module.last_analysed() if module is not None else None
    if judged is None:
        return None

    def copy(cls: type, value: Any) -> Any:
        return cls(**{f.name: getattr(value, f.name) for f in fields(cls)})

    return ordered(
        AccessMatrix(
            tuple(copy(Cell, c) for c in judged.cells),
            tuple(copy(Target, t) for t in judged.targets),
            tuple(judged.scps),
        )
    )


def _rows(matrix: AccessMatrix) -> list[tuple[str, str, list[str], list[str]]]:
    """(target, principal, allowed action classes, deciding statements), open-to-attacker rows first."""
    allowed: dict[tuple[str, str], list[Cell]] = defaultdict(list)
    order: dict[tuple[str, str], int] = {}
    for cell in matrix.cells:
        key = (cell.target, cell.principal)
        order.setdefault(key, len(order))
        if cell.allowed:
            allowed[key].append(cell)
    rows = []
    for key in order:
        cells = allowed.get(key, [])
        decided = list(dict.fromkeys(d for c in cells for d in c.decided_by))
        rows.append((key[0], key[1], [c.action_class for c in cells], decided))
    opened = {(c.target, c.principal) for c in matrix.open_to_attackers()}
    return sorted(rows, key=lambda row: (row[:2] not in opened, order[row[:2]]))


def summary(matrix: AccessMatrix) -> str:
    opened = matrix.open_to_attackers()
    targets = len(matrix.targets)
    head = f"{targets} vaults, keys, backup policies and alerting resources analysed: "
    if opened:
        pairs = len({(c.target, c.principal) for c in opened})
        head += f"{pairs} (target, attacker) pairs can destroy or weaken backups"
    else:
        head += "no destructive action is open to an attacker principal"
    broken = matrix.broken()
    if broken:
        head += f"; {len(broken)} backup-role copies into central vaults would fail"
    weakening = {(c.target, c.principal) for c in matrix.weakening()}
    if weakening:
        head += f"; {len(weakening)} (target, attacker) pairs can stop new backups or blind alerting (advisory)"
    depends = {c.principal for c in matrix.cells if c.attacker and not c.exact}
    if depends:
        head += (
            f"; {len(depends)} attacker classes depend on roles the stack does not hold (their trust and tags: "
            "verify checks them)"
        )
    return head


def _special_lines(matrix: AccessMatrix) -> list[str]:
    """Broken liveness, weakening access and answers that depend on what the stack does not hold."""
    lines = [f"  BROKEN  {c.target}: {c.principal} cannot {c.action_class} ({c.reason})" for c in matrix.broken()]
    weak: dict[tuple[str, str], list[str]] = defaultdict(list)
    for c in matrix.weakening():
        weak[(c.target, c.principal)].append(c.action_class)
    lines += [f"  WEAK  {t}: {p} can {', '.join(a)}" for (t, p), a in weak.items()]
    depends = sorted({(c.principal, c.reason) for c in matrix.cells if c.attacker and not c.exact})
    lines += [f"  DEPENDS  {p}: {r}" for p, r in depends]
    return lines


def text_section(matrix: AccessMatrix) -> list[str]:
    lines = ["", f"{TITLE}: {summary(matrix)}"]
    opened = {(c.target, c.principal) for c in matrix.open_to_attackers()}
    for target, principal, actions, decided in _rows(matrix):
        if (target, principal) in opened:
            lines.append(f"  OPEN  {target}: {principal} can {', '.join(actions)} ({'; '.join(decided)})")
    lines += _special_lines(matrix)
    lines.append(f"  ({len(matrix.cells)} cells; the json format lists each with the statements that decided it)")
    return lines


def markdown_section(matrix: AccessMatrix) -> list[str]:
    lines = ["", f"### {TITLE}", "", summary(matrix), ""]
    destructive = [name for name, action_class in ACTION_CLASSES.items() if action_class.destructive]
    opened = {(c.target, c.principal) for c in matrix.open_to_attackers()}
    rows = [
        f"| {'**open**' if (t, p) in opened else 'by design'} | {t} | {p} | {', '.join(a) or 'nothing destructive'} |"
        for t, p, a, _ in _rows(matrix)
        if (t, p) in opened or any(x in destructive for x in a)
    ]
    if rows:
        lines += ["| who | target | principal | can |", "|---|---|---|---|", *rows]
    special = _special_lines(matrix)
    if special:
        lines += ["", *[f"- {line.strip()}" for line in special]]
    return lines


def json_section(matrix: AccessMatrix) -> dict[str, Any]:
    return {"title": TITLE, "summary": summary(matrix), **matrix.as_dict()}


RULE = "backup-destructive-access-exempt-only"
WEAKENING_RULE = "backup-weakening-access-exempt-only"
# The copy-path rules that evaluate vault and key policies with each account's OU path (policies/rules/copy_paths).
COPY_PATH_RULES = ("backup-copy-destination-accepts-org", "backup-copy-keys-admit")


def pack_config(policy_config: Mapping[str, Any] | None, tree: OrgTree) -> dict[str, Any]:
    """The policy config with what the tree knows, unless the file gives its own: its OU membership for the
    access rule (the pack alone cannot tell which accounts an SCP attached to an OU covers) and each account's
    OU path for the copy-path rules (nor which OU path a vault or key policy condition sees)."""
    out = dict(policy_config or {})
    paths = organization_paths(tree, tree.organization_id) if tree.organization_id else {}
    for rule, key, value in [
        (RULE, "ouAccounts", ou_accounts(tree)),
        (WEAKENING_RULE, "ouAccounts", ou_accounts(tree)),
    ] + [(name, "organizationPaths", paths) for name in (*COPY_PATH_RULES, RULE, WEAKENING_RULE)]:
        entry = out.get(rule)
        settings = dict(entry) if isinstance(entry, Mapping) else ({"enforcementLevel": entry} if entry else {})
        settings.setdefault(key, value)
        out[rule] = settings
    return out
