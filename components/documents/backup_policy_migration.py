"""The backup-policy names of the previous scheme, handed on as aliases so that upgrading deletes no policy.

Until one policy per plan, plans with the same set of targets shared documents packed greedily in sorted name
order, each named ``<prefix>-<group_key(targets)>-<n>``. A policy's name is its Pulumi URN, so the new names
alone would make the first ``pulumi up`` after upgrading delete every deployed policy and create new ones (and
stop there, since policies are protected). Instead each previous document is inherited by one new document,
the one holding the first of its plans that no other previous document claimed: that policy declares the old
name as an alias, and Pulumi renames the existing policy in place and shrinks its content to the new
document's plans. Organizations renames a policy in place (UpdatePolicy takes ``Name``:
https://docs.aws.amazon.com/organizations/latest/APIReference/API_UpdatePolicy.html), and ``type`` is the only
Policy input that forces replacement (org_backup/preview/replacement.py). The other plans of a previous
document get new policies.

The previous names are computed from the configuration being deployed: the first ``pulumi up`` after upgrading
must deploy the configuration that was last deployed, with no other change (README, "Everyday changes").
Afterwards the aliases name policies that no longer exist, which Pulumi ignores.

Pure, like the rest of components/documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from components.documents.backup_policy import (
    POLICY_NAME_CLASH,
    POLICY_NAME_RE,
    BackupPolicyDocument,
    BackupPolicyError,
    check_policies_per_target,
    group_key,
    pack_plans,
    plan_target_sets,
)
from stackconfig.model import StackConfig
from stackconfig.plan_checks import POLICY_NAME

__all__ = ["migrated", "previous_backup_policies", "with_previous_names"]


def previous_backup_policies(
    config: StackConfig, targets_by_plan: Mapping[str, Sequence[str]]
) -> list[BackupPolicyDocument]:
    """The documents the previous scheme rendered for this configuration, under the names it gave them.

    Raises ``BackupPolicyError`` where that scheme refused the configuration (then nothing of it was deployed).
    """
    prefix = config.backup_policies.name_prefix
    groups: dict[tuple[str, ...], list[str]] = {}
    for name, targets in plan_target_sets(config, targets_by_plan).items():
        groups.setdefault(targets, []).append(name)
    keys: dict[str, tuple[str, ...]] = {}
    documents: list[BackupPolicyDocument] = []
    for targets, names in sorted(groups.items(), key=lambda group: group_key(group[0])):
        key = group_key(targets)
        if keys.setdefault(key, targets) != targets:
            raise BackupPolicyError("plans", key, POLICY_NAME_CLASH, f"{keys[key]} and {targets} share {key}")
        for n, (plan_names, content) in enumerate(pack_plans(config, names), start=1):
            name = f"{prefix}-{key}-{n}"
            if not POLICY_NAME_RE.match(name):
                raise BackupPolicyError("backup_policies.name_prefix", prefix, POLICY_NAME, name)
            documents.append(BackupPolicyDocument(name, plan_names, targets, content))
    check_policies_per_target(config, documents)
    return documents


def with_previous_names(
    documents: Sequence[BackupPolicyDocument], previous: Sequence[BackupPolicyDocument]
) -> list[BackupPolicyDocument]:
    """``documents`` with each previous document's name given to the one that inherits it.

    In previous-name order, a previous document goes to the holder of its first plan, or of its next plan
    when that holder already inherits another: no document gets two previous names and no previous name goes
    to two documents (Pulumi matches an alias to one resource). A previous name that is still a current name
    is nobody's alias: that policy keeps its URN as it is.
    """
    out = list(documents)
    current = {document.name for document in documents}
    holder = {plan: i for i, document in enumerate(documents) for plan in document.plan_names}
    heirs: set[int] = set()
    for old in sorted(previous, key=lambda document: document.name):
        if old.name in current:
            continue
        heir = next((holder[p] for p in old.plan_names if p in holder and holder[p] not in heirs), None)
        if heir is not None:
            heirs.add(heir)
            out[heir] = replace(out[heir], previous_name=old.name, previous_plans=old.plan_names)
    return out


def migrated(
    config: StackConfig, targets_by_plan: Mapping[str, Sequence[str]], documents: Sequence[BackupPolicyDocument]
) -> list[BackupPolicyDocument]:
    """``documents`` with the previous names of this configuration's policies, when that scheme rendered any."""
    try:
        previous = previous_backup_policies(config, targets_by_plan)
    except BackupPolicyError:
        return list(documents)
    return with_previous_names(documents, previous)
