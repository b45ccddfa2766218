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
- the reserved role names (deploy role, break-glass roles, ``stacksets-exec-*``) and the program's roles (backup
  role, event-forwarding role), at the root path and under any path, and any role tagged ``org-backup:reserved``
  whatever the spelling of its name: creating, deleting, changing trust, policies or boundary, and passing it
  (CT.IAM.PV.1, https://docs.aws.amazon.com/controltower/latest/controlreference/ct-iam-pv-1.html);
- the central vaults: backup jobs into them, and copies into them by any role but the backup role;
- the failed-job rule and the org-backup framework (security review F5).

Every statement exempts principals by ``ArnNotLike aws:PrincipalArn`` (as CT.BACKUP.PV.3 exempts
``AWSControlTowerExecution``): the deploy role, the break-glass roles and the configured extra names. In StackSet
mode ``stacksets-exec-*`` (the role every service-managed stack set of an account runs as) is exempt only from what
the member template writes (``deployer_role_names``), never from the reserved-name statement nor from disabling or
deleting a key: any StackSets administrator acts as it. The exemption names a role at the root path only, and the
reserved-name statement forbids anyone else to create a role of that name, so nobody can squat an exemption once
the SCP is attached; preflight and verify look for squatters that were there before
(``org_backup/ops/guardrail_roles.py``).

Pure: no Pulumi import. ``guardrail_scp_documents`` is the entry point for the access analysis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.documents.iam import Document, Statement, statement
from components.documents.member_template import (
    FAILED_JOBS_RULE_NAME as STACKSET_FAILED_JOBS_RULE_NAME,
)
from components.documents.member_template import (
    FORWARDING_ROLE_NAME as STACKSET_FORWARDING_ROLE_NAME,
)
from components.documents.member_template import STACKSETS_EXECUTION_ROLE
from components.documents.scanning import scanner_role_names
from policies.backup_rules.guardrail import MAX_SCP_BYTES, check_scp_document, minified, scp_size
from policies.backup_rules.names import (
    BACKUP_KEY_TAG,
    BACKUP_SERVICE_LINKED_ROLE,
    FAILED_JOBS_RULE_NAME,
    FORWARDING_ROLE_NAME,
    RESERVED_ROLE_TAG,
)
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
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
)
# Revoking a grant is denied only when no integrated AWS service makes the call: AWS Backup and the services behind
# it (EBS, RDS) manage the grants they create for their resources ("Allow attachment of persistent resources",
# kms:CreateGrant/ListGrants/RevokeGrant with kms:GrantIsForAWSResource, in AWS Backup's own cross-account key
# policy: https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html), and those calls
# run as the job's role, which the SCP binds. kms:GrantIsForAWSResource is set on RevokeGrant only when such a
# service calls on the principal's behalf (https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource);
# BoolIfExists keeps a direct call (key absent) denied.
GRANT_ACTIONS = ("kms:RevokeGrant",)
# Deployers write these when they create or update the member vault and key (CloudFormation in StackSet mode).
TEMPLATE_VAULT_ACTIONS = (
    "backup:CreateBackupVault",
    "backup:PutBackupVaultAccessPolicy",
    "backup:PutBackupVaultLockConfiguration",
)
TEMPLATE_KEY_ACTIONS = ("kms:PutKeyPolicy",)
# Whoever may pass the backup role (or AWS Backup's service-linked role) to StartCopyJob/StartBackupJob runs a job
# as a role the central vault admits (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html:
# "IamRoleArn ... used to copy"); StartCopyJob authorizes only the source recovery point and has no condition key on
# the destination (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsbackup.html), so the
# pass is what can be denied. The jobs of the organization's backup policies are started by AWS Backup itself and
# restore tests by its service-linked role, which SCPs never restrict (SCP_EFFECTS_URL); AWS does not document any
# account principal passing the role for them, so nothing the program needs passes through a member principal.
PASS_ROLE_ACTIONS = ("iam:PassRole",)
# A direct backup into a central (copy-destination) vault needs no copy: deny it to all but the exempt roles.
CENTRAL_JOB_ACTIONS = ("backup:StartBackupJob",)
# A copy job runs as its IamRoleArn, and CopyIntoBackupVault is checked for that role: the organization's copies run as
# the backup role (the backup policies name it). Any other role of a guarded account (the central account's own
# administrators' included, for whom the vault policy is not needed) is kept out of the central vaults.
CENTRAL_COPY_ACTIONS = ("backup:CopyIntoBackupVault",)
# The failed-job rule and its target, and the Audit Manager framework: a member administrator who deletes or
# disables them blinds alerting and audit (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoneventbridge.html,
# rule ARN arn:${Partition}:events:${Region}:${Account}:rule/[${EventBusName}/]${RuleName}; framework ARN
# arn:${Partition}:backup:${Region}:${Account}:framework:${FrameworkName}-${FrameworkId}, list_awsbackup.html).
ALERTING_ACTIONS = (
    "events:DeleteRule",
    "events:DisableRule",
    "events:PutRule",
    "events:PutTargets",
    "events:RemoveTargets",
)
FRAMEWORK_ACTIONS = ("backup:DeleteFramework", "backup:UpdateFramework")
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


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def exempt_role_names(config: StackConfig) -> list[str]:
    """Roles that may still change what the guardrail protects, in every account it reaches.

    Never ``stacksets-exec-*``: every service-managed stack set deployed into an account runs as that role, so
    whoever may create or update any stack set (the management account, every CloudFormation delegated
    administrator) would hold its exemptions (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html).
    It is exempt only from what the member template writes (``deployer_role_names``)."""
    vaults, guardrail = config.vaults, config.guardrail
    names = [
        config.organization.member_role_name,
        *vaults.member.break_glass_role_names,
        *vaults.central.break_glass_role_names,
        *guardrail.extra_exempt_role_names,
    ]
    return _unique(names)


def deployer_role_names(config: StackConfig) -> list[str]:
    """The exempt roles plus, in StackSet mode, the StackSets execution role: who may write what the member template
    creates (the member vault, its policy and lock, the key policy, the program's roles, the failed-job rule, the
    framework), and nothing else."""
    names = exempt_role_names(config)
    if config.member_deployment.mode == "stackset":
        names.append(STACKSETS_EXECUTION_ROLE)
    return _unique(names)


def program_role_names(config: StackConfig) -> list[str]:
    """The roles org-backup itself creates in member accounts: the backup role, the scanner role (when a plan scans:
    an administrator who re-trusts or strips it silently ends malware scanning) and the event-forwarding role."""
    names = [config.vaults.backup_role_name, *scanner_role_names(config)]
    if config.alerting.enabled:
        names += [FORWARDING_ROLE_NAME, STACKSET_FORWARDING_ROLE_NAME]
    return _unique(names)


def reserved_role_names(config: StackConfig) -> list[str]:
    """Names (``stacksets-exec-*`` is a pattern) nobody but an exempt principal may create, alter or pass.

    ``stacksets-exec-*`` is reserved and exempt from nothing of its own: in a member account only the StackSets
    service-linked role creates it, and SCPs never restrict service-linked roles (SCP_EFFECTS_URL,
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-activate-trusted-access.html:
    CloudFormation creates it in the target accounts).
    """
    return _unique([*exempt_role_names(config), STACKSETS_EXECUTION_ROLE])


def _principal_arns(config: StackConfig, names: list[str]) -> list[str]:
    partition = config.organization.partition
    return [f"arn:{partition}:iam::*:role/{name}" for name in names]


def exempt_principal_arns(config: StackConfig) -> list[str]:
    """``aws:PrincipalArn`` patterns of the exempt roles, in any account (the SCP is one document for all)."""
    return _principal_arns(config, exempt_role_names(config))


def deployer_principal_arns(config: StackConfig) -> list[str]:
    """``aws:PrincipalArn`` patterns of ``deployer_role_names``."""
    return _principal_arns(config, deployer_role_names(config))


def protected_vault_names(config: StackConfig) -> list[str]:
    central = config.vaults.central
    names = [config.vaults.member.name, central.name]
    if central.air_gapped is not None:
        names.append(central.air_gapped.name)
    if config.vaults.member.air_gapped is not None:
        names.append(config.vaults.member.air_gapped.name)
    return _unique(names)


def _role_arns(config: StackConfig, names: list[str]) -> list[str]:
    """The roles of ``names`` at the root path and under any path, in any account."""
    partition = config.organization.partition
    return [f"arn:{partition}:iam::*:role/{prefix}{name}" for name in names for prefix in ("", "*/")]


def _vault_statements(config: StackConfig, exempt: dict[str, Any], deployers: dict[str, Any]) -> list[Statement]:
    """Vault changes denied to all but the exempt roles; in StackSet mode the execution role keeps what the member
    template writes to the member vault (create it, its access policy, its lock), never its deletion or lock removal."""
    partition = config.organization.partition
    names = protected_vault_names(config)
    vaults = [f"arn:{partition}:backup:*:*:backup-vault:{name}" for name in names]
    if config.member_deployment.mode != "stackset":
        return [
            statement(
                sid="DenyBackupVaultChanges", effect="Deny", actions=VAULT_ACTIONS, resources=vaults, conditions=exempt
            )
        ]
    member = f"arn:{partition}:backup:*:*:backup-vault:{config.vaults.member.name}"
    others = [arn for arn in vaults if arn != member]
    return [
        statement(
            sid="DenyBackupVaultChanges",
            effect="Deny",
            actions=[a for a in VAULT_ACTIONS if a not in TEMPLATE_VAULT_ACTIONS],
            resources=vaults,
            conditions=exempt,
        ),
        *(
            [
                statement(
                    sid="DenyOtherVaultWrites",
                    effect="Deny",
                    actions=TEMPLATE_VAULT_ACTIONS,
                    resources=others,
                    conditions=exempt,
                )
            ]
            if others
            else []
        ),
        statement(
            sid="DenyMemberVaultWrites",
            effect="Deny",
            actions=TEMPLATE_VAULT_ACTIONS,
            resources=[member],
            conditions=deployers,
        ),
    ]


def _key_statements(config: StackConfig, exempt: dict[str, Any], deployers: dict[str, Any]) -> list[Statement]:
    tagged = {"Null": {f"aws:ResourceTag/{BACKUP_KEY_TAG}": "false"}}
    stackset = config.member_deployment.mode == "stackset"
    out = [
        statement(
            sid="DenyBackupKeyChanges",
            effect="Deny",
            actions=[a for a in KEY_ACTIONS if not (stackset and a in TEMPLATE_KEY_ACTIONS)],
            resources=["*"],
            conditions={**exempt, **tagged},
        ),
        statement(
            sid="DenyBackupKeyGrantRevocation",
            effect="Deny",
            actions=GRANT_ACTIONS,
            resources=["*"],
            conditions={**exempt, **tagged, "BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
        ),
    ]
    if stackset:
        # KMS refuses a key policy that locks its creator out of PutKeyPolicy (API_CreateKey.html,
        # BypassPolicyLockoutSafetyCheck): the template's updates of the key policy need it. Never DisableKey or
        # ScheduleKeyDeletion: the template retains the key and never disables it.
        out.append(
            statement(
                sid="DenyBackupKeyPolicyChanges",
                effect="Deny",
                actions=TEMPLATE_KEY_ACTIONS,
                resources=["*"],
                conditions={**deployers, **tagged},
            )
        )
    return out


def _role_statements(config: StackConfig, exempt: dict[str, Any], deployers: dict[str, Any]) -> list[Statement]:
    """Reserved names: exempt-role names (and ``stacksets-exec-*``) only the exempt roles may touch or pass; the
    program's roles (and AWS Backup's service-linked role, which nobody needs to pass) only the deployers; and any
    role tagged ``RESERVED_ROLE_TAG``, whose tag IAM reads from the role itself: names in a policy's Resource are
    matched case-sensitively (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN)
    while IAM role names are unique regardless of case (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names),
    and AWS does not document which spelling the authorized resource ARN takes when a request names an existing
    role in another case. ``aws:ResourceTag`` on IAM roles: https://docs.aws.amazon.com/IAM/latest/UserGuide/access_iam-tags.html."""
    partition = config.organization.partition
    actions = [*ROLE_ACTIONS, *PASS_ROLE_ACTIONS]
    program = [
        *_role_arns(config, program_role_names(config)),
        f"arn:{partition}:iam::*:role/{BACKUP_SERVICE_LINKED_ROLE}",
    ]
    return [
        statement(
            sid="DenyReservedRoleChanges",
            effect="Deny",
            actions=actions,
            resources=_role_arns(config, reserved_role_names(config)),
            conditions=exempt,
        ),
        statement(
            sid="DenyProgramRoleChanges", effect="Deny", actions=actions, resources=program, conditions=deployers
        ),
        statement(
            sid="DenyTaggedRoleChanges",
            effect="Deny",
            actions=[a for a in actions if a != "iam:CreateRole"],
            resources=["*"],
            conditions={**deployers, "Null": {f"aws:ResourceTag/{RESERVED_ROLE_TAG}": "false"}},
        ),
    ]


def _monitoring_statements(config: StackConfig, exempt: dict[str, Any], deployers: dict[str, Any]) -> list[Statement]:
    """Central vaults take copies only (no direct backup job); the failed-job rule and the framework stay."""
    partition = config.organization.partition
    central = config.vaults.central
    central_names = [central.name, *([central.air_gapped.name] if central.air_gapped is not None else [])]
    central_vaults = [f"arn:{partition}:backup:*:*:backup-vault:{name}" for name in _unique(central_names)]
    copiers = _principal_arns(config, [*exempt_role_names(config), config.vaults.backup_role_name])
    out = [
        statement(
            sid="DenyCentralVaultBackupJobs",
            effect="Deny",
            actions=CENTRAL_JOB_ACTIONS,
            resources=central_vaults,
            conditions=exempt,
        ),
        statement(
            sid="DenyCentralVaultCopiesExceptBackupRole",
            effect="Deny",
            actions=CENTRAL_COPY_ACTIONS,
            resources=central_vaults,
            conditions={"ArnNotLike": {"aws:PrincipalArn": copiers}},
        ),
    ]
    actions: list[str] = []
    resources: list[str] = []
    if config.alerting.enabled:
        actions += ALERTING_ACTIONS
        resources += [
            f"arn:{partition}:events:*:*:rule/{name}"
            for name in (FAILED_JOBS_RULE_NAME, STACKSET_FAILED_JOBS_RULE_NAME)
        ]
    audit = config.audit
    if audit.enabled and audit.frameworks_in_member_accounts:
        actions += FRAMEWORK_ACTIONS
        resources += [
            f"arn:{partition}:backup:*:*:framework:{name}-*"
            for name in (audit.framework_name, f"{audit.framework_name}_stackset")
        ]
    if actions:
        out.append(
            statement(
                sid="DenyAlertingChanges", effect="Deny", actions=actions, resources=resources, conditions=deployers
            )
        )
    return out


def _merged(statements: list[Statement]) -> list[Statement]:
    """Statements with the same resources and condition as an earlier one join it (actions added), and so do those
    with the same actions and condition (resources added, never into or from ``*``): the exemption list is the bulk
    of every statement, and the SCP's 5,120 bytes count each copy."""
    out: list[Statement] = []
    for entry in statements:
        twin = next(
            (s for s in out if s["Resource"] == entry["Resource"] and s.get("Condition") == entry.get("Condition")),
            None,
        )
        if twin is not None:
            twin["Action"] = sorted({*_as_list(twin["Action"]), *_as_list(entry["Action"])})
            continue
        same = next(
            (s for s in out if s["Action"] == entry["Action"] and s.get("Condition") == entry.get("Condition")), None
        )
        if same is None or "*" in (same["Resource"], entry["Resource"]):
            out.append(entry)
            continue
        as_list = [
            r for s in (same, entry) for r in ([s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"])
        ]
        same["Resource"] = _unique(as_list)
    return out


def _statements(config: StackConfig) -> list[Statement]:
    exempt = {"ArnNotLike": {"aws:PrincipalArn": exempt_principal_arns(config)}}
    deployers = {"ArnNotLike": {"aws:PrincipalArn": deployer_principal_arns(config)}}
    every_vault = config.guardrail.deny_recovery_point_changes_in_every_vault
    return _merged(
        [
            *_vault_statements(config, exempt, deployers),
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
            *_key_statements(config, exempt, deployers),
            *_role_statements(config, exempt, deployers),
            *_monitoring_statements(config, exempt, deployers),
        ]
    )


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
    ``guardrail.protect_central_account`` is false, plus the backup-admin (delegated administrator) account: it
    holds the alerting bus, the audit bucket and, in StackSet mode, the stack set, and SCPs bind a delegated
    administrator's principals like any member's. The management account is left out: SCPs never apply
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
    accounts = [org.backup_admin_account_id]
    if config.guardrail.protect_central_account:
        accounts.insert(0, org.central_vault_account_id)
    for account in accounts:
        if not any(tree.is_under(account, target) for target in out if not target.isdigit()):
            out.append(account)
    return sorted(t for t in dict.fromkeys(out) if t != org.management_account_id)
