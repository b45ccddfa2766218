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


POLICIES: list[Policy] = [stack_policy(CENTRAL_COPY, check_central_copy)]
