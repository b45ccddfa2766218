"""backup-central-vault-copy-backup-role-only: the central vault takes copies from the backup role only.

The same rule as the loader's check of ``vaults.central.extra_access_policy_statements``
(``backup_rules.central_copy``), here on every central vault's registered access policy, so a hand-edited
statement that re-opens ``backup:CopyIntoBackupVault`` to the organization fails the preview as it fails the
loader. Central vaults are the ones org-backup tags ``org-backup:role=central-copy-destination``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.central_copy import CENTRAL_COPY_RULE, copy_beyond_backup_role
from backup_rules.guardrail import policy_mapping
from backup_rules.names import CENTRAL_COPY_DESTINATION_ROLE, ROLE_TAG

from .adapter import is_unknown, not_known
from .base import MANDATORY, Rule, stack_policy
from .resources import SELECTION, VAULT, Resource, StackIndex
from .vaults import DOMAIN as VAULTS_DOMAIN

DOMAIN = VAULTS_DOMAIN
CENTRAL_TAG = (ROLE_TAG, CENTRAL_COPY_DESTINATION_ROLE)

CENTRAL_COPY = Rule(
    name="backup-central-vault-copy-backup-role-only",
    description=(
        "The access policy of each central copy-destination vault (tagged org-backup:role="
        "central-copy-destination) allows backup:CopyIntoBackupVault only to the backup role that the stack's "
        "backup policies and selections run as (iam_role_arn), and AWS Backup's service-linked role. A copy job "
        "runs as the role it is given (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html) "
        "and one Allow statement suffices "
        "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html): a statement "
        "that admits the whole organization or any other principal lets jobs running as any role fill the locked "
        "vault. The loader reports the same mistake in vaults.central.extra_access_policy_statements "
        f"({CENTRAL_COPY_RULE}). Fails closed: a policy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "Remove the statement from vaults.central.extra_access_policy_statements (the generated statement already "
        "admits the backup role of every organization account), or narrow its Principal / aws:PrincipalArn to "
        "the backup role."
    ),
    domain=DOMAIN,
)


def _role_name(arn: Any) -> str | None:
    if not isinstance(arn, str) or ":role/" not in arn:
        return None
    return arn.split(":role/", 1)[1].rsplit("/", 1)[-1] or None


def backup_role_names(index: StackIndex) -> set[str]:
    """The roles copy jobs of this stack run as: the selections' iam_role_arn (backup policies and Selections)."""
    names = {
        _role_name(selection.iam_role_arn)
        for _, parsed, _, _ in index.backup_policies()
        for plan in parsed.plans
        for selection in plan.selections
    }
    names |= {_role_name(s.get("iamRoleArn")) for s in index.of_type(SELECTION)}
    return {n for n in names if n}


def _is_central(vault: Resource) -> bool:
    tags = vault.get("tags")
    return isinstance(tags, Mapping) and tags.get(CENTRAL_TAG[0]) == CENTRAL_TAG[1]


def check_central_copy(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    roles = backup_role_names(index)
    for vault in index.of_type(VAULT):
        if not _is_central(vault):
            continue
        policy = index.vault_policies.get((vault.account, vault.region, vault.get("name")))
        document = policy.get("policy") if policy is not None else None
        urn = policy.urn if policy is not None else vault.urn
        if is_unknown(document):
            yield urn, not_known("policy", "who may copy into the central vault")
        elif isinstance(document, (str, Mapping)) and document:
            for finding in copy_beyond_backup_role(document, backup_role_names=roles):
                yield urn, str(finding)


COPY_FROM_TARGETS = Rule(
    name="backup-central-vault-copy-from-targets",
    description=(
        "Every statement of a central copy-destination vault's access policy that allows backup:CopyIntoBackupVault "
        "names the sources: aws:PrincipalOrgPaths (the targeted OUs) or aws:PrincipalAccount (accounts targeted "
        "directly), not the whole organization. An organization account the guardrail SCP does not reach (an excluded "
        "OU, a sandbox) can create a role of the backup role's name trusted by AWS Backup and fill the locked vault "
        "(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths). "
        "Fails closed: a policy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup derives the sources from targets and plans (components/documents/central_vault.py); set "
        "vaults.central.allowed_organization_paths to choose them yourself."
    ),
    domain=DOMAIN,
)
_SOURCE_KEYS = ("aws:principalorgpaths", "aws:principalaccount")


def unnamed_copy_sources(document: Any) -> list[str]:
    """Sids of Allow statements of CopyIntoBackupVault conditioned on neither source key."""
    policy = policy_mapping(document)
    if policy is None:
        return ["<unreadable policy>"]
    statements = policy.get("Statement", [])
    out = []
    for statement in statements if isinstance(statements, list) else [statements]:
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        if "backup:copyintobackupvault" not in {
            str(a).lower() for a in (actions if isinstance(actions, list) else [actions])
        }:
            continue
        condition = statement.get("Condition")
        keys = (
            {str(k).lower() for block in condition.values() if isinstance(block, Mapping) for k in block}
            if isinstance(condition, Mapping)
            else set()
        )
        if not keys & set(_SOURCE_KEYS):
            out.append(str(statement.get("Sid", "?")))
    return out


def check_copy_from_targets(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for vault in index.of_type(VAULT):
        if not _is_central(vault):
            continue
        policy = index.vault_policies.get((vault.account, vault.region, vault.get("name")))
        document = policy.get("policy") if policy is not None else None
        if policy is None or is_unknown(document):
            if policy is not None:
                yield policy.urn, not_known("policy", "which accounts may copy into the central vault")
            continue
        for sid in unnamed_copy_sources(document):
            yield (
                policy.urn,
                f"statement {sid} admits backup:CopyIntoBackupVault from the whole organization: name the targeted "
                "OUs (aws:PrincipalOrgPaths) or accounts (aws:PrincipalAccount)",
            )


POLICIES: list[Policy] = [
    stack_policy(CENTRAL_COPY, check_central_copy),
    stack_policy(COPY_FROM_TARGETS, check_copy_from_targets),
]
