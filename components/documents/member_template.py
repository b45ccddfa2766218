"""The CloudFormation template a member-account StackSet deploys (``member_deployment.mode: stackset``).

Pure, like every builder here: it describes the same role, key, locked vault, access policy, failed-job
forwarding, Audit Manager framework and restore-testing plan as the direct mode's ``MemberAccount``, built by
the same document builders. One template serves every account and Region, so the documents are rendered
for a placeholder account and Region and every string that contains one, or an ARN, becomes an ``Fn::Sub`` on
``${AWS::AccountId}`` / ``${AWS::Region}`` / ``${AWS::Partition}``: the statements stay byte for byte those of
direct mode, and no ARN hardcodes the partition (cfn-lint I3042; a StackSet deploys in the partition of the
account that owns it: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).

Deliberate differences from direct mode, and why:

- no name pattern is exempt from what destroys backups. Every call CloudFormation makes in a member account runs
  as the StackSets execution role, which StackSets names ``stacksets-exec-<suffix>``: the member account's
  service-linked role may create any role of that pattern and the management account's may assume any
  (https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgMemberServiceRolePolicy.html,
  https://docs.aws.amazon.com/aws-managed-policy/latest/reference/CloudFormationStackSetsOrgAdminServiceRolePolicy.html,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html). The
  suffix is not documented, and no global condition key tells that role's sessions from those of a role a member
  administrator creates with a matching name
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html), so a
  ``stacksets-exec-*`` exemption could be obtained by naming a role. Hence:

  * the vault access policy's Deny of recovery-point deletion, lifecycle changes and vault-policy changes, and
    the framework's ``principalArnList``, exempt exactly the roles direct mode exempts
    (``organization.member_role_name`` and the break-glass roles). The StackSet writes the access policy when it
    creates the vault; a later change of it (break-glass roles, extra statements) is refused to the StackSet and
    is applied through one of those roles (the route direct mode's ``pulumi up`` takes);
  * the StackSets execution role may still write the Vault Lock (own Deny statement), because CloudFormation does
    not document whether it writes a new vault's lock before or after its access policy;
  * the key's Deny exempts it too: KMS refuses a key policy that would stop its creator from calling
    ``kms:PutKeyPolicy`` again (https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html,
    BypassPolicyLockoutSafetyCheck). Those two residual name-based exemptions are closed by the organization's
    service control policy denying the creation or alteration of ``stacksets-exec-*`` roles (service control
    policies apply to that role, which is not service-linked, and not to the service-linked role that creates
    it: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html);
- IAM is global and the template runs once per Region, so the two roles live only in the stack of one
  Region (condition ``IsHomeRegion``); the other Regions refer to them by ARN;
- the failed-job rule, forwarding role, framework and restore-testing plan carry a ``-stackset`` (or
  ``_stackset``) suffix, so that moving an organization between modes never collides with the other mode's
  resources (the vault and backup role are named by the backup policies and move with a new name instead);
- key, vault and backup role have ``DeletionPolicy``/``UpdateReplacePolicy: Retain``: deleting the stack, or
  a template change that would replace them, never removes recovery points or the keys that decrypt them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from components.documents.events import (
    central_event_bus_arn,
    event_forwarding_role_policy,
    event_forwarding_role_trust_policy,
    failed_job_event_pattern,
)
from components.documents.frameworks import control_parameters
from components.documents.iam import backup_role_managed_policy_arns, backup_role_trust_policy
from components.documents.member_vault import member_access_policy, member_key_policy
from components.documents.scanning import add_scanning_to_template
from policies.backup_rules.names import (
    BACKUP_KEY_TAG,
    MEMBER_VAULT_ROLE,
    RESERVED_ROLE_TAG,
    ROLE_TAG,
    STACKSETS_EXECUTION_ROLE,
)
from policies.backup_rules.names import FAILED_JOBS_RULE_NAME as DIRECT_FAILED_JOBS_RULE_NAME
from policies.backup_rules.names import FORWARDING_ROLE_NAME as DIRECT_FORWARDING_ROLE_NAME
from stackconfig.model import StackConfig, schedule_expression

Template = dict[str, Any]

TEMPLATE_ACCOUNT = "000000000000"
TEMPLATE_REGION = "zz-template-1"
PSEUDO_PARAMETERS = {TEMPLATE_ACCOUNT: "${AWS::AccountId}", TEMPLATE_REGION: "${AWS::Region}"}
PARTITION_ARN_PREFIX = "arn:${AWS::Partition}:"
MAX_TEMPLATE_BODY_BYTES = 51_200
MAX_OR_CONDITIONS = 10

KEY, ALIAS, VAULT, ROLE = "BackupKey", "BackupKeyAlias", "BackupVault", "BackupRole"
FORWARDING_ROLE, FAILED_JOBS_RULE = "EventForwardingRole", "FailedJobsRule"
FRAMEWORK, RESTORE_PLAN = "AuditFramework", "RestoreTestingPlan"
IS_HOME_REGION, IS_RESTORE_TESTING_ACCOUNT = "IsHomeRegion", "IsRestoreTestingAccount"
RETAINED = (KEY, VAULT, ROLE)

FORWARDING_ROLE_NAME = f"{DIRECT_FORWARDING_ROLE_NAME}-stackset"
FAILED_JOBS_RULE_NAME = f"{DIRECT_FAILED_JOBS_RULE_NAME}-stackset"
RESTORE_PLAN_NAME = "org_backup_restore_testing_stackset"
MEMBER_TAGS = {"managed-by": "org-backup", ROLE_TAG: MEMBER_VAULT_ROLE}
PROGRAM_ROLE_TAGS = {"managed-by": "org-backup", RESERVED_ROLE_TAG: "true"}
"""The guardrail denies changes to roles with ``RESERVED_ROLE_TAG`` whatever the letter case of the request."""


def role_region(config: StackConfig) -> str:
    """The Region whose stack holds the account's IAM roles: the home Region if it has member vaults."""
    org = config.organization
    return org.primary_region if org.primary_region in org.workload_regions else org.workload_regions[0]


def stackset_admin_role_arns(config: StackConfig) -> list[str]:
    """Who may still delete recovery points or change a StackSet-made vault's policy: the same exact role ARNs as
    in direct mode (``organization.member_role_name`` and the break-glass roles), never a name pattern."""
    org = config.organization
    return org.vault_admin_role_arns(TEMPLATE_ACCOUNT, config.vaults.member.break_glass_role_names)


def stackset_execution_role_arns(config: StackConfig) -> list[str]:
    """The StackSets execution role, exempt only where AWS requires it (the key policy, the Vault Lock)."""
    return [f"arn:{config.organization.partition}:iam::{TEMPLATE_ACCOUNT}:role/{STACKSETS_EXECUTION_ROLE}"]


def substitute(value: Any, *, partition: str) -> Any:
    """Strings naming the placeholder account or Region, or holding an ARN of ``partition``, become ``Fn::Sub`` on
    the pseudo parameters (``arn:<partition>:`` becomes ``arn:${AWS::Partition}:``)."""
    arn_prefix = re.compile(rf"(?<![\w-])arn:{re.escape(partition)}:")
    if isinstance(value, dict):
        return {key: substitute(item, partition=partition) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, partition=partition) for item in value]
    if isinstance(value, str) and (
        any(placeholder in value for placeholder in PSEUDO_PARAMETERS) or arn_prefix.search(value)
    ):
        text = value.replace("${", "${!")
        for placeholder, pseudo in PSEUDO_PARAMETERS.items():
            text = text.replace(placeholder, pseudo)
        return {"Fn::Sub": arn_prefix.sub(PARTITION_ARN_PREFIX, text)}
    return value


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in sorted(tags.items())]


def _retained(resource: Template) -> Template:
    return {**resource, "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


def _role_arn(config: StackConfig, name: str) -> str:
    return f"arn:{config.organization.partition}:iam::{TEMPLATE_ACCOUNT}:role/{name}"


def _account_is_one_of(accounts: Sequence[str]) -> Template:
    """A condition true in the listed accounts (``Fn::Or`` takes 2 to 10 conditions, so larger lists nest)."""
    terms: list[Template] = [{"Fn::Equals": [{"Ref": "AWS::AccountId"}, account]} for account in accounts]
    while len(terms) > 1:
        terms = [
            {"Fn::Or": chunk} if len(chunk) > 1 else chunk[0]
            for chunk in (terms[i : i + MAX_OR_CONDITIONS] for i in range(0, len(terms), MAX_OR_CONDITIONS))
        ]
    return terms[0]


def _vault_resources(config: StackConfig) -> Template:
    org = config.organization
    member = config.vaults.member
    admins = stackset_admin_role_arns(config)
    execution = stackset_execution_role_arns(config)
    key_policy = member_key_policy(
        config,
        account_id=TEMPLATE_ACCOUNT,
        region=TEMPLATE_REGION,
        admin_role_arns=admins,
        policy_writer_role_arns=execution,
    )
    vault_policy = member_access_policy(config, admin_role_arns=admins, lock_writer_role_arns=execution)
    vault: Template = {
        "BackupVaultName": member.name,
        "EncryptionKeyArn": {"Fn::GetAtt": [KEY, "Arn"]},
        "AccessPolicy": vault_policy,
        "BackupVaultTags": dict(MEMBER_TAGS),
    }
    if member.lock is not None:
        lock: Template = {
            "MinRetentionDays": member.lock.min_retention_days,
            "MaxRetentionDays": member.lock.max_retention_days,
        }
        if member.lock.mode == "compliance":
            lock["ChangeableForDays"] = member.lock.changeable_for_days
        vault["LockConfiguration"] = lock
    return {
        KEY: _retained(
            {
                "Type": "AWS::KMS::Key",
                "Properties": {
                    "Description": f"org-backup: encrypts recovery points in vault {member.name}",
                    "KeyPolicy": key_policy,
                    "EnableKeyRotation": True,
                    "RotationPeriodInDays": member.key.rotation_period_days,
                    "PendingWindowInDays": member.key.deletion_window_days,
                    "Tags": _tags({**MEMBER_TAGS, BACKUP_KEY_TAG: "true"}),
                },
            }
        ),
        ALIAS: {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": f"alias/{member.name}", "TargetKeyId": {"Ref": KEY}},
        },
        VAULT: _retained({"Type": "AWS::Backup::BackupVault", "Properties": vault}),
        ROLE: _retained(
            {
                "Type": "AWS::IAM::Role",
                "Condition": IS_HOME_REGION,
                "Properties": {
                    "RoleName": config.vaults.backup_role_name,
                    "Description": (
                        "org-backup: the role AWS Backup assumes for plans from the organization's backup policies"
                    ),
                    "AssumeRolePolicyDocument": backup_role_trust_policy(),
                    "ManagedPolicyArns": backup_role_managed_policy_arns(org.partition),
                    "Tags": _tags(PROGRAM_ROLE_TAGS),
                },
            }
        ),
    }


def _alerting_resources(config: StackConfig) -> Template:
    bus_arn = central_event_bus_arn(config)
    return {
        FORWARDING_ROLE: {
            "Type": "AWS::IAM::Role",
            "Condition": IS_HOME_REGION,
            "Properties": {
                "RoleName": FORWARDING_ROLE_NAME,
                "AssumeRolePolicyDocument": event_forwarding_role_trust_policy(),
                "Policies": [
                    {
                        "PolicyName": "put-events-central-bus",
                        "PolicyDocument": event_forwarding_role_policy(event_bus_arn=bus_arn),
                    }
                ],
                "Tags": _tags(PROGRAM_ROLE_TAGS),
            },
        },
        FAILED_JOBS_RULE: {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Name": FAILED_JOBS_RULE_NAME,
                "Description": "org-backup: forward failed, aborted and expired AWS Backup jobs to the central bus",
                "EventPattern": failed_job_event_pattern(),
                "State": "ENABLED",
                "Targets": [{"Id": "central-bus", "Arn": bus_arn, "RoleArn": _role_arn(config, FORWARDING_ROLE_NAME)}],
            },
        },
    }


def _framework_resource(config: StackConfig) -> Template:
    audit = config.audit
    controls = []
    for name, parameters in control_parameters(config, stackset_admin_role_arns(config)).items():
        control: Template = {"ControlName": name}
        if parameters:
            control["ControlInputParameters"] = [
                {"ParameterName": key, "ParameterValue": value} for key, value in parameters.items()
            ]
        controls.append(control)
    return {
        FRAMEWORK: {
            "Type": "AWS::Backup::Framework",
            "Properties": {
                "FrameworkName": f"{audit.framework_name}_stackset",
                "FrameworkDescription": "org-backup: controls for backups managed by the organization's backup policies",
                "FrameworkControls": controls,
            },
        }
    }


def _restore_testing_resources(config: StackConfig) -> Template:
    rt = config.restore_testing
    plan: Template = {
        "Type": "AWS::Backup::RestoreTestingPlan",
        "Condition": IS_RESTORE_TESTING_ACCOUNT,
        "Properties": {
            "RestoreTestingPlanName": RESTORE_PLAN_NAME,
            "ScheduleExpression": schedule_expression(rt.schedule),
            "StartWindowHours": rt.start_window_hours,
            "RecoveryPointSelection": {
                "Algorithm": rt.algorithm,
                "IncludeVaults": [{"Fn::GetAtt": [VAULT, "BackupVaultArn"]}],
                "RecoveryPointTypes": list(rt.recovery_point_types),
                "SelectionWindowDays": rt.selection_window_days,
            },
        },
    }
    out: Template = {RESTORE_PLAN: plan}
    for index, (name, selection) in enumerate(sorted(rt.selections.items()), start=1):
        properties: Template = {
            "RestoreTestingPlanName": {"Ref": RESTORE_PLAN},
            "RestoreTestingSelectionName": name,
            "ProtectedResourceType": selection.resource_type,
            "ProtectedResourceArns": list(selection.resource_arns),
            "IamRoleArn": _role_arn(config, config.vaults.backup_role_name),
            "ValidationWindowHours": selection.validation_window_hours,
        }
        if selection.conditions:
            properties["ProtectedResourceConditions"] = {
                "StringEquals": [{"Key": k, "Value": v} for k, v in sorted(selection.conditions.items())]
            }
        out[f"RestoreTestingSelection{index}"] = {
            "Type": "AWS::Backup::RestoreTestingSelection",
            "Condition": IS_RESTORE_TESTING_ACCOUNT,
            "Properties": properties,
        }
    return out


def member_template(config: StackConfig) -> Template:
    """The template of every member account's stack, as a JSON-ready mapping."""
    org = config.organization
    if TEMPLATE_ACCOUNT in (org.management_account_id, org.backup_admin_account_id, org.central_vault_account_id):
        raise ValueError(f"account id {TEMPLATE_ACCOUNT} is the template's placeholder and cannot be configured")
    conditions: Template = {IS_HOME_REGION: {"Fn::Equals": [{"Ref": "AWS::Region"}, role_region(config)]}}
    resources = _vault_resources(config)
    if config.alerting.enabled:
        resources.update(_alerting_resources(config))
    add_scanning_to_template(
        config,
        resources,
        role_key=ROLE,
        home_condition=IS_HOME_REGION,
        bus_arn=central_event_bus_arn(config),
        forwarding_role_arn=_role_arn(config, FORWARDING_ROLE_NAME) if config.alerting.enabled else None,
    )
    if config.audit.enabled and config.audit.frameworks_in_member_accounts:
        resources.update(_framework_resource(config))
    rt = config.restore_testing
    if rt.enabled and rt.accounts:
        conditions[IS_RESTORE_TESTING_ACCOUNT] = _account_is_one_of(sorted(rt.accounts))
        resources.update(_restore_testing_resources(config))
    return substitute(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Description": "org-backup: the backup role, locked vault and failed-job forwarding of a member account",
            "Conditions": conditions,
            "Resources": resources,
            "Outputs": {
                "BackupVaultArn": {"Value": {"Fn::GetAtt": [VAULT, "BackupVaultArn"]}},
                "BackupKeyArn": {"Value": {"Fn::GetAtt": [KEY, "Arn"]}},
            },
        },
        partition=org.partition,
    )


def member_template_body(config: StackConfig) -> str:
    """Minified, key-sorted JSON (stable bytes, so an unchanged config never updates every stack instance)."""
    body = json.dumps(member_template(config), separators=(",", ":"), sort_keys=True)
    if len(body.encode()) > MAX_TEMPLATE_BODY_BYTES:
        raise ValueError(
            f"the member template is {len(body.encode())} bytes, over CloudFormation's inline limit of "
            f"{MAX_TEMPLATE_BODY_BYTES}"
        )
    return body
