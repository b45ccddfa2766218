"""The guardrail service control policy: what a member-account administrator may not do to backups.

A vault access policy or a key policy lives in the member account, so the account's administrator can
rewrite it; an SCP is attached from the management account and binds every principal of the account,
its root user included (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).
The guardrail plays the part of AWS Control Tower's backup controls (CT.BACKUP.PV.1 tags, CT.BACKUP.PV.3
vaults, CT.IAM.PV.1 the backup role:
https://docs.aws.amazon.com/controltower/latest/controlreference/backup-controls.html), for our own names:

- the backup vaults (member, central, air-gapped): creation under our names, deletion, access policy, lock
  and sharing policy (CT.BACKUP.PV.3, https://docs.aws.amazon.com/controltower/latest/controlreference/ct-backup-pv-3.html);
- the Region's opt-in settings (``backup:UpdateRegionSettings``), always: the call does not delete a recovery
  point, it decides which resource types AWS Backup protects in the Region when a plan selects them by tag, and
  Aurora, Neptune and DocumentDB even when selected by type ("Otherwise, Backup does not try to protect that
  service's resources in this Region": https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateRegionSettings.html,
  https://docs.aws.amazon.com/aws-backup/latest/devguide/assigning-resources.html). Existing recovery points stay,
  but opting a type out silently stops new backups of the organization's plans in the account: it stays with
  the exempt roles;
- recovery points (deletion, lifecycle changes, disassociation) only when
  ``guardrail.deny_recovery_point_changes_in_every_vault`` is set. Recovery-point ARNs do not name their vault
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteRecoveryPoint.html), so an SCP can only
  deny them in every vault of the account, other teams' own vaults included, which is not ours to decide.
  Our vaults do not need it: their access policy denies these actions to everyone but the break-glass roles,
  and an explicit Deny in a resource policy binds the account's own administrators too
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html); the statements
  above forbid changing or deleting that policy, the lock and the vault, and squatting the exempt names
  (``tests/policies/access`` proves it). AWS Backup's own lifecycle deletions run as its service-linked role,
  which SCPs never restrict;
- the backup keys (any key tagged ``org-backup:backup-key``, whatever the value): disabling, scheduling
  deletion, rewriting the policy, revoking grants, untagging or retagging (``aws:ResourceTag`` on KMS keys:
  https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html; tags, CT.BACKUP.PV.1,
  https://docs.aws.amazon.com/controltower/latest/controlreference/ct-backup-pv-1.html);
- the reserved role names (backup role, deploy role, break-glass roles, ``stacksets-exec-*``), at the root
  path and under any path: creating, deleting, or changing trust, policies or boundary (CT.IAM.PV.1,
  https://docs.aws.amazon.com/controltower/latest/controlreference/ct-iam-pv-1.html).

Every statement exempts the same principals by ``ArnNotLike aws:PrincipalArn`` (as CT.BACKUP.PV.3 exempts
``AWSControlTowerExecution``): the deploy role, the break-glass roles, the configured extra names and, in
StackSet mode, ``stacksets-exec-*`` (the role CloudFormation uses in each account). The exemption names a
role at the root path only, and the reserved-name statement forbids anyone else to create a role of that
name, so nobody can squat an exemption once the SCP is attached; preflight and verify look for squatters that
were there before (``org_backup/ops/guardrail_roles.py``).

Pure: no Pulumi import. ``guardrail_scp_documents`` is the entry point for the access analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.documents.iam import Document, Statement, statement
from components.documents.member_template import STACKSETS_EXECUTION_ROLE
from policies.backup_rules.guardrail import MAX_SCP_BYTES, check_scp_document, minified, scp_size
from policies.backup_rules.names import BACKUP_KEY_TAG
from stackconfig.inventory import OrgTree, attachment_targets, plan_target_ids
from stackconfig.model import StackConfig

SCP_VERSION = "2012-10-17"

# The MPA team of an air-gapped vault is its recovery path when the account is lost: an administrator who could
# disassociate it ("disabling the MPA approval workflow for restore operations") or associate a team of their own
# would own that path. https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DisassociateBackupVaultMpaApprovalTeam.html
# https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html
VAULT_ACTIONS = (
    "backup:AssociateBackupVaultMpaApprovalTeam",
    "backup:CreateBackupVault",
    "backup:CreateLogicallyAirGappedBackupVault",
    "backup:DeleteBackupVault",
    "backup:DeleteBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
    "backup:DeleteBackupVaultSharingPolicy",
    "backup:DisassociateBackupVaultMpaApprovalTeam",
    "backup:PutBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
    "backup:PutBackupVaultSharingPolicy",
)
RECOVERY_POINT_ACTIONS = (
    "backup:DeleteRecoveryPoint",
    "backup:DisassociateRecoveryPoint",
    "backup:DisassociateRecoveryPointFromParent",
    "backup:UpdateRecoveryPointLifecycle",
)
REGION_SETTINGS_ACTIONS = ("backup:UpdateRegionSettings",)
KEY_ACTIONS = (
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
)
ROLE_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:CreateRole",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
)


class GuardrailError(ValueError):
    """The guardrail cannot be expressed within AWS's SCP limits; the message says what to shorten."""


@dataclass(frozen=True)
class GuardrailPolicy:
    """One SCP of the guardrail: its Organizations name and its minified content."""

    name: str
    content: str

    @property
    def document(self) -> Document:
        import json

        value: Document = json.loads(self.content)
        return value


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def exempt_role_names(config: StackConfig) -> list[str]:
    """Roles that may still change what the guardrail protects, in every account it reaches."""
    vaults, guardrail = config.vaults, config.guardrail
    names = [
        config.organization.member_role_name,
        *vaults.member.break_glass_role_names,
        *vaults.central.break_glass_role_names,
        *guardrail.extra_exempt_role_names,
    ]
    if config.member_deployment.mode == "stackset":
        names.append(STACKSETS_EXECUTION_ROLE)
    return _unique(names)


def reserved_role_names(config: StackConfig) -> list[str]:
    """Names (``stacksets-exec-*`` is a pattern) nobody but an exempt principal may create or alter."""
    return _unique([config.vaults.backup_role_name, *exempt_role_names(config), STACKSETS_EXECUTION_ROLE])


def exempt_principal_arns(config: StackConfig) -> list[str]:
    """``aws:PrincipalArn`` patterns of the exempt roles, in any account (the SCP is one document for all)."""
    partition = config.organization.partition
    return [f"arn:{partition}:iam::*:role/{name}" for name in exempt_role_names(config)]


def protected_vault_names(config: StackConfig) -> list[str]:
    central = config.vaults.central
    names = [config.vaults.member.name, central.name]
    if central.air_gapped is not None:
        names.append(central.air_gapped.name)
    if config.vaults.member.air_gapped is not None:
        names.append(config.vaults.member.air_gapped.name)
    return _unique(names)


def _statements(config: StackConfig) -> list[Statement]:
    partition = config.organization.partition
    exempt = {"ArnNotLike": {"aws:PrincipalArn": exempt_principal_arns(config)}}
    vaults = [f"arn:{partition}:backup:*:*:backup-vault:{name}" for name in protected_vault_names(config)]
    roles = [
        f"arn:{partition}:iam::*:role/{prefix}{name}" for name in reserved_role_names(config) for prefix in ("", "*/")
    ]
    every_vault = config.guardrail.deny_recovery_point_changes_in_every_vault
    return [
        statement(
            sid="DenyBackupVaultChanges", effect="Deny", actions=VAULT_ACTIONS, resources=vaults, conditions=exempt
        ),
        *(
            [
                statement(
                    sid="DenyRecoveryPointDeletion",
                    effect="Deny",
                    actions=RECOVERY_POINT_ACTIONS,
                    resources=["*"],
                    conditions=exempt,
                )
            ]
            if every_vault
            else []
        ),
        statement(
            sid="DenyBackupRegionSettingsChanges",
            effect="Deny",
            actions=REGION_SETTINGS_ACTIONS,
            resources=["*"],
            conditions=exempt,
        ),
        statement(
            sid="DenyBackupKeyChanges",
            effect="Deny",
            actions=KEY_ACTIONS,
            resources=["*"],
            conditions={**exempt, "Null": {f"aws:ResourceTag/{BACKUP_KEY_TAG}": "false"}},
        ),
        statement(
            sid="DenyReservedRoleChanges", effect="Deny", actions=ROLE_ACTIONS, resources=roles, conditions=exempt
        ),
    ]


def _document(statements: list[Statement]) -> Document:
    return {"Version": SCP_VERSION, "Statement": statements}


def _fits(statements: list[Statement]) -> bool:
    return scp_size(minified(_document(statements))) <= MAX_SCP_BYTES


def _split(entry: Statement) -> list[Statement]:
    """A statement too large for one SCP, cut into parts of consecutive resources (same Sid plus a number)."""
    if _fits([entry]):
        return [entry]
    resources = entry["Resource"] if isinstance(entry["Resource"], list) else [entry["Resource"]]
    if len(resources) < 2:
        raise GuardrailError(
            f"statement {entry['Sid']} alone is {scp_size(minified(_document([entry])))} bytes, over the "
            f"{MAX_SCP_BYTES}-byte SCP limit: shorten the exempt role names (vaults.*.break_glass_role_names, "
            "guardrail.extra_exempt_role_names)"
        )
    half = len(resources) // 2
    parts = []
    for chunk in (resources[:half], resources[half:]):
        part = dict(entry)
        part["Resource"] = chunk[0] if len(chunk) == 1 else chunk
        parts.extend(_split(part))
    return parts


def _pack(statements: list[Statement]) -> list[list[Statement]]:
    """Statements in order into as few documents as the size allows (deterministic: same config, same split)."""
    parts = [part for entry in statements for part in _split(entry)]
    seen: dict[str, int] = {}
    for part in parts:
        seen[part["Sid"]] = seen.get(part["Sid"], 0) + 1
        if seen[part["Sid"]] > 1:
            part["Sid"] = f"{part['Sid']}{seen[part['Sid']]}"
    documents: list[list[Statement]] = [[]]
    for part in parts:
        if documents[-1] and not _fits([*documents[-1], part]):
            documents.append([])
        documents[-1].append(part)
    return documents


def guardrail_scp_documents(config: StackConfig) -> list[dict[str, Any]]:
    """The guardrail SCPs for ``config`` as policy documents (dicts), in attachment order.

    For the access analysis: every document is attached to every target of ``guardrail_attachment_targets``
    and binds every principal of the member accounts there except service-linked roles (the management
    account is never bound). Each statement is a ``Deny`` with ``ArnNotLike aws:PrincipalArn`` on
    ``exempt_principal_arns(config)``. Empty when ``guardrail.enabled`` is false. Raises ``GuardrailError``
    when a single statement cannot fit in one SCP.
    """
    if not config.guardrail.enabled:
        return []
    out = [_document(statements) for statements in _pack(_statements(config))]
    for index, document in enumerate(out):
        findings = check_scp_document(document)
        if findings:
            raise GuardrailError(f"guardrail SCP {index + 1}: " + "; ".join(str(f) for f in findings))
    return out


def guardrail_policies(config: StackConfig) -> list[GuardrailPolicy]:
    """The SCPs to create, named ``<name_prefix>-<n>`` so the first keeps its name when more are needed."""
    prefix = config.guardrail.name_prefix
    return [
        GuardrailPolicy(f"{prefix}-{index}", minified(document))
        for index, document in enumerate(guardrail_scp_documents(config), start=1)
    ]


def guardrail_attachment_targets(config: StackConfig, tree: OrgTree) -> list[str]:
    """Where the SCPs go: every target of the config and of its plans, split around exclusions exactly as
    the backup policies are (``attachment_targets``), plus the central vault account unless
    ``guardrail.protect_central_account`` is false. The management account is left out: SCPs never apply
    there (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html)."""
    if not config.guardrail.enabled:
        return []
    org = config.organization
    wanted = [ou.id for ou in config.targets.organizational_units] + list(config.targets.accounts)
    for plan in sorted(config.plans):
        wanted += plan_target_ids(config, plan)
    out: list[str] = []
    for target in dict.fromkeys(wanted):
        out += attachment_targets(config, tree, target)
    if config.guardrail.protect_central_account and not any(
        tree.is_under(org.central_vault_account_id, target) for target in out if not target.isdigit()
    ):
        out.append(org.central_vault_account_id)
    return sorted(t for t in dict.fromkeys(out) if t != org.management_account_id)
