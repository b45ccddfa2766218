"""The meaning pass over copy actions: keyed by a vault ARN, never cross-account into a Default vault, and the
RDS/Aurora one-step rule (cross-account and cross-Region at once); the vault-name and lifecycle checks a rule
shares with its copies.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..arns import ACCOUNT_PLACEHOLDER, REGION_PLACEHOLDER, VaultArn, parse_vault_arn
from ..copy_paths import CopyPath, check_rds_one_step
from ..findings import Finding, join
from ..lifecycle import check_lifecycle
from ..limits import (
    MAX_COPY_ACTIONS_PER_RULE,
    VAULT_NAME,
    VAULT_NAME_RE,
)
from .selections import _RdsScope
from .values import _child, _children, _read_bool, _read_int, _text, _too_many

DEFAULT_VAULT = "Default"


AWS_CROSS_ACCOUNT_COPY = "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html"


def _check_vault_name(arn: VaultArn, path: str) -> list[Finding]:
    if VAULT_NAME_RE.match(arn.name):
        return []
    return [Finding(path, arn.name, VAULT_NAME, f"vault name {arn.name!r} must match {VAULT_NAME_RE.pattern}")]


def _check_lifecycle(node: Any, path: str, *, continuous: bool) -> list[Finding]:
    out: list[Finding] = []
    cold = _read_int(node, "move_to_cold_storage_after_days", path, out)
    delete = _read_int(node, "delete_after_days", path, out)
    _read_bool(node, "opt_in_to_archive_for_supported_resources", path, out)
    out += check_lifecycle(path, cold_after_days=cold, delete_after_days=delete, continuous=continuous)
    return out


def _check_copy_actions(node: Any, path: str, plan_regions: tuple[str, ...], rds_scope: _RdsScope) -> list[Finding]:
    actions = _children(node)
    out = _too_many(path, len(actions), MAX_COPY_ACTIONS_PER_RULE, "copy-action-count", "copy actions in a rule")
    for key, action in actions:
        action_path = join(path, key)
        destination, destination_findings = _copy_destination(key, action, action_path)
        out += destination_findings
        if destination is not None:
            out += _check_destination(destination, action_path, plan_regions, rds_scope)
        out += _check_lifecycle(_child(action, "lifecycle"), join(action_path, "lifecycle"), continuous=False)
    return out


def _copy_destination(key: str, action: Any, path: str) -> tuple[VaultArn | None, list[Finding]]:
    """The destination vault of one copy action (§1.5).

    AWS_SYNTAX_ARCHIVE: the key "must be the Amazon Resource Name (ARN) of the backup vault";
    ``target_backup_vault_arn`` is "(Optional)", and when it "is missing, then an all lower-case version of the
    ARN in the parent key name is used" so an upper-case letter in the key points the copy at a vault that
    does not exist. The same page's first example keys a copy by a ``$account`` ARN whose target names a literal
    account: a key that differs from the target is legal, the target decides, and the key only identifies the
    copy action when policies merge.
    """
    key_arn = parse_vault_arn(key)
    if key_arn is None:
        return None, [
            Finding(
                path,
                key,
                "copy-action-key",
                f"copy_actions key {key!r} is not a backup vault ARN; key each copy action by its "
                "destination vault ARN, the same value as its target_backup_vault_arn",
            )
        ]
    target_text = _text(_child(action, "target_backup_vault_arn"))
    if target_text is None:
        if key == key.lower():
            return key_arn, []
        return key_arn, [
            Finding(
                path,
                key,
                "copy-action-key-case",
                "without target_backup_vault_arn AWS uses the lower-cased key "
                f"{key.lower()} as the destination, which is not the vault {key_arn.name}: "
                "add target_backup_vault_arn with the exact ARN",
            )
        ]
    target_path = join(path, "target_backup_vault_arn")
    target = parse_vault_arn(target_text)
    if target is None:
        return key_arn, [
            Finding(target_path, target_text, "copy-action-arn", f"{target_text!r} is not a backup vault ARN")
        ]
    if target_text.lower() != key.lower():
        return target, [
            Finding(
                target_path,
                target_text,
                "copy-action-key",
                f"target_backup_vault_arn {target_text} differs from its copy_actions key {key}: the copy goes to "
                "the target, and a child policy that changes this key's copy action changes it; key it by the "
                "target's ARN",
                "warning",
            )
        ]
    return target, []


def _check_destination(
    destination: VaultArn, path: str, plan_regions: tuple[str, ...], rds_scope: _RdsScope
) -> list[Finding]:
    out = _check_vault_name(destination, path)
    if destination.name == DEFAULT_VAULT and destination.account != ACCOUNT_PLACEHOLDER:
        # AWS_CROSS_ACCOUNT_COPY: cross-account copies need a destination vault other than the Default vault.
        # Same-account copies into Default are fine (AWS_SYNTAX example 2, child policy, copies to
        # arn:aws:backup:us-east-1:$account:backup-vault:Default).
        out.append(
            Finding(
                path,
                str(destination),
                "copy-default-vault",
                f"copies cannot go to the Default vault of account {destination.account}: the copy is "
                "cross-account for every other account the policy reaches, and AWS refuses cross-account copies "
                "into a Default vault; use a named vault (or $account for a same-account copy)",
            )
        )
    # One home for the RDS/Aurora one-step rule (copy_paths): a $account destination is the source account, a
    # $region destination the source Region; any plan Region other than the destination's is cross-Region.
    source_region = next((r for r in plan_regions if r != destination.region), destination.region)
    path_of_copy = CopyPath(
        where=path,
        plan="",
        rule="",
        source_account=ACCOUNT_PLACEHOLDER,
        source_region=source_region if destination.region != REGION_PLACEHOLDER else REGION_PLACEHOLDER,
        destination_account=destination.account,
        destination_region=destination.region,
        destination_vault=destination.name,
        rds=("no", "maybe", "selected")[rds_scope],
    )
    out += [replace(f, value=str(destination)) for f in check_rds_one_step(path_of_copy)]
    return out
