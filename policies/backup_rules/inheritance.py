"""Keys a parent policy may supply: when no policy of the effective set supplies one, the plan cannot run.

AWS lists a plan's ``regions``, ``rules`` and ``selections``, a rule's ``target_backup_vault_name`` and a
selection's role and criteria as required *in the effective policy*
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html), and the
effective policy of an account merges every policy attached to the root, the OUs above it and the account itself
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html). So one
document alone may omit them (``backup_policy`` reports that as a warning), but when none of the documents that
apply to an account supplies the key, the account's effective plan is incomplete and AWS Backup cannot run it.

This module lists a document's gaps (which keys of which plan it leaves to a parent) and tells whether another
document supplies one; ``rules.inheritance`` decides per account which documents apply. The required keys are
the syntax checker's own (``backup_policy.keytree._PLAN`` ...), not a second list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .backup_policy.document import _load
from .backup_policy.keytree import _PLAN, _RESOURCE_SELECTION, _RULE, _TAG_SELECTION
from .backup_policy.values import _child, _children
from .findings import join

SYNTAX_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html"
INHERITANCE_URL = (
    "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_mgmt.html"
)


@dataclass(frozen=True)
class Gap:
    """A key one document leaves to a parent: where (document keys from ``plans``), how to show it, and whether a
    supplier must give entries (``rules``, a selection) or only the key."""

    keys: tuple[str, ...]
    path: str
    what: str
    needs_entries: bool = False


def _document(content: Any) -> Any:
    document, _ = _load(content)
    return document


def gaps(content: Any) -> list[Gap]:
    """Every parent-suppliable key the document's plans lack (nothing for an unreadable document)."""
    plans = _child(_document(content), "plans")
    out: list[Gap] = []
    for plan_name, plan in _children(plans):
        if not hasattr(plan, "get"):
            continue
        base = ("plans", plan_name)
        where = join("plans", plan_name)
        for key in sorted(_PLAN.required):
            if key not in plan:
                out.append(Gap((*base, key), join(where, key), f"plan {plan_name!r} has no {key}"))
        rules = _child(plan, "rules")
        if hasattr(rules, "get") and not _children(rules):
            out.append(Gap((*base, "rules"), join(where, "rules"), f"plan {plan_name!r} has no rule", True))
        for rule_name, rule in _children(rules):
            for key in sorted(_RULE.required):
                if hasattr(rule, "get") and key not in rule:
                    rule_keys: tuple[str, ...] = (*base, "rules", rule_name, key)
                    out.append(Gap(rule_keys, join(where, "rules", rule_name, key), f"rule {rule_name!r} has no {key}"))
        selections = _child(plan, "selections")
        if hasattr(selections, "get"):
            if not _children(_child(selections, "tags")) and not _children(_child(selections, "resources")):
                what = f"plan {plan_name!r} selects nothing"
                out.append(Gap((*base, "selections"), join(where, "selections"), what, True))
            for kind, schema in (("tags", _TAG_SELECTION), ("resources", _RESOURCE_SELECTION)):
                for name, selection in _children(_child(selections, kind)):
                    for key in sorted(schema.required):
                        if hasattr(selection, "get") and key not in selection:
                            selection_keys: tuple[str, ...] = (*base, "selections", kind, name, key)
                            what = f"selection {name!r} has no {key}"
                            out.append(Gap(selection_keys, join(where, "selections", kind, name, key), what))
    return out


def supplies(content: Any, gap: Gap) -> bool:
    """Whether the document gives the gap's key (with entries, where the gap needs them)."""
    node = _document(content)
    for key in gap.keys:
        if not hasattr(node, "get") or key not in node:
            return False
        node = node[key]
    if not gap.needs_entries:
        return True
    if gap.keys[-1] == "selections":
        return bool(_children(_child(node, "tags")) or _children(_child(node, "resources")))
    return bool(_children(node))
