"""CloudFormation StackSets: the vault, lock and KMS rules applied to the resources inside a StackSet's template.

With ``member_deployment.mode: stackset`` every member vault, key and backup role is created by a StackSet,
not by a Pulumi resource, so the vault and KMS rules never see them: an unlocked vault in the template would
pass them all. These rules read the StackSet's ``templateBody`` (JSON, or YAML with the short-form tags) and
judge each vault, key and backup role in it with the same ``backup_rules``.

Intrinsic functions are resolved by ``resolve``: pseudo parameters (``AWS::AccountId``, ``AWS::Region``...)
become sample values, so an ``Fn::Sub`` that builds an ARN or a ``kms:ViaService`` value reads like the
rendered one; anything that depends on parameters, conditions or other resources is ``UNKNOWN``, and the
mandatory rules fail closed on it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

import yaml
from pulumi_policy import Policy, Severity

from backup_rules.findings import errors
from backup_rules.guardrail import policy_mapping
from backup_rules.iam import (
    KEY_PROTECTED_ACTIONS,
    admits_backup_use,
    check_policy_document,
    key_policy_denies_destruction,
    trusts_service,
)
from backup_rules.lifecycle import check_lock
from backup_rules.limits import LOCK_MAX_RETENTION_CEILING, LOCK_MIN_RETENTION_FLOOR
from backup_rules.names import BACKUP_KEY_TAG, BACKUP_SERVICE_PRINCIPAL, STACKSETS_EXECUTION_ROLE

from .adapter import UNKNOWN, as_int, is_unknown, not_known
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy
from .resources import STACK_SET, Resource
from .vaults import (
    MAX_EXEMPT_PRINCIPALS_SETTINGS,
    configured_lock_bounds,
    deletion_deny_messages,
    lock_bounds_settings,
)

DOMAIN = "stacksets"
CFN_VAULT = "AWS::Backup::BackupVault"
CFN_KEY = "AWS::KMS::Key"
CFN_ROLE = "AWS::IAM::Role"
SAMPLE_PSEUDO_PARAMETERS = {
    "AWS::AccountId": "123456789012",
    "AWS::Region": "us-east-1",
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": "StackSet-sample",
}
_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


# --------------------------------------------------------------------------- reading templates


class _TemplateLoader(yaml.SafeLoader):
    """YAML templates with the short forms (``!Ref``, ``!GetAtt A.B``, ``!Sub``...) read as the long forms."""


def _short_form(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any = None
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{tag_suffix}": value}


_TemplateLoader.add_multi_constructor("!", _short_form)


@lru_cache(maxsize=16)
def read_template(body: str) -> Mapping[str, Any] | None:
    """The parsed template (cached: every rule of this module reads the same body), or None if unreadable."""
    try:
        template = json.loads(body)
    except ValueError:
        try:
            template = yaml.load(body, Loader=_TemplateLoader)
        except yaml.YAMLError:
            return None
    return template if isinstance(template, Mapping) else None


def _substituted(text: str, variables: Mapping[str, Any]) -> Any:
    """``Fn::Sub``: variables from the map or the pseudo parameters; ``${!Literal}`` stays ``${Literal}``."""
    parts: list[str] = []
    position = 0
    for match in _SUB_VARIABLE.finditer(text):
        name = match.group(1)
        value = resolve(variables[name]) if name in variables else SAMPLE_PSEUDO_PARAMETERS.get(name, UNKNOWN)
        if not isinstance(value, str):
            return UNKNOWN
        parts += [text[position : match.start()].replace("${!", "${"), value]
        position = match.end()
    return "".join([*parts, text[position:].replace("${!", "${")])


def resolve(value: Any) -> Any:
    """A template value with the intrinsic functions a rule can evaluate resolved, the rest ``UNKNOWN``."""
    if isinstance(value, list):
        return [resolve(item) for item in value]
    if not isinstance(value, Mapping):
        return value
    if len(value) == 1:
        (function, argument), *_ = value.items()
        if function == "Ref":
            return SAMPLE_PSEUDO_PARAMETERS.get(argument, UNKNOWN) if isinstance(argument, str) else UNKNOWN
        if function == "Fn::Sub":
            if isinstance(argument, str):
                return _substituted(argument, {})
            if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
                variables = argument[1]
                return _substituted(argument[0], variables) if isinstance(variables, Mapping) else UNKNOWN
            return UNKNOWN
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            delimiter, items = resolve(argument[0]), resolve(argument[1])
            if isinstance(delimiter, str) and isinstance(items, list) and all(isinstance(i, str) for i in items):
                return delimiter.join(items)
            return UNKNOWN
        if function.startswith("Fn::"):
            return UNKNOWN
    return {key: resolve(item) for key, item in value.items()}


def _contains_unknown(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_contains_unknown(item) for item in value.values())
    if isinstance(value, list):
        return any(_contains_unknown(item) for item in value)
    return is_unknown(value)


def _resources(template: Mapping[str, Any], resource_type: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    resources = template.get("Resources")
    if not isinstance(resources, Mapping):
        return
    for logical_id, resource in resources.items():
        if isinstance(resource, Mapping) and resource.get("Type") == resource_type:
            yield str(logical_id), resource


def _properties(resource: Mapping[str, Any]) -> Mapping[str, Any]:
    properties = resource.get("Properties")
    return properties if isinstance(properties, Mapping) else {}


def _template(stack_set: Resource) -> tuple[Mapping[str, Any] | None, str | None]:
    """The template, or the violation a mandatory rule reports when it cannot read one."""
    body = stack_set.get("templateBody")
    if is_unknown(body):
        return None, not_known("templateBody", "the resources the StackSet deploys")
    if not isinstance(body, str) or not body:
        if isinstance(stack_set.get("templateUrl"), str):
            return None, "the template is given by templateUrl, which cannot be read here: pass it as templateBody"
        return None, None
    template = read_template(body)
    if template is None:
        return None, "templateBody is neither JSON nor YAML: the resources the StackSet deploys cannot be verified"
    return template, None


def _not_resolved(logical_id: str, prop: str, what: str) -> str:
    return (
        f"{logical_id}: {prop} depends on a parameter, condition or other resource, so {what} could not be "
        "verified; it is treated as a violation"
    )


# --------------------------------------------------------------------------- stackset-template-vaults-locked

VAULTS_LOCKED = Rule(
    name="stackset-template-vaults-locked",
    description=(
        "Every AWS::Backup::BackupVault in a StackSet's template (aws.cloudformation.StackSet templateBody) has "
        "a LockConfiguration with MinRetentionDays at least minRetentionDaysFloor, MaxRetentionDays at most "
        "maxRetentionDaysCeiling and greater than the minimum, and ChangeableForDays, when set, of 3 to 36,500 "
        "days: the same bounds as backup-vault-lock-bounds, for vaults Pulumi never sees. Fails closed: a body or "
        "value not known during preview, or built from parameters or conditions, is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: set vaults.member.lock (the member template takes it from there). Hand-written "
        "templates: give every AWS::Backup::BackupVault a LockConfiguration with literal MinRetentionDays, "
        "MaxRetentionDays and, for compliance mode, ChangeableForDays."
    ),
    config=lock_bounds_settings("MinRetentionDays", "MaxRetentionDays"),
    domain=DOMAIN,
)

LOCK_PROPS = ("MinRetentionDays", "MaxRetentionDays", "ChangeableForDays")


def check_vaults_locked(stack_set: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    template, problem = _template(stack_set)
    if problem:
        yield problem
    for logical_id, vault in _resources(template or {}, CFN_VAULT):
        lock = resolve(_properties(vault).get("LockConfiguration"))
        if is_unknown(lock):
            yield _not_resolved(logical_id, "LockConfiguration", "the Vault Lock")
            continue
        if not isinstance(lock, Mapping):
            yield f"{logical_id}: the vault has no LockConfiguration, so recovery points can be deleted at any time"
            continue
        values: dict[str, int | None] = {}
        for prop in LOCK_PROPS:
            if is_unknown(lock.get(prop)):
                yield _not_resolved(logical_id, f"LockConfiguration.{prop}", "the lock's retention bounds")
            values[prop] = as_int(lock.get(prop))
        minimum, maximum = values["MinRetentionDays"], values["MaxRetentionDays"]
        for finding in check_lock(
            "",
            changeable_for_days=values["ChangeableForDays"],
            min_retention_days=minimum,
            max_retention_days=maximum,
        ):
            yield f"{logical_id}: {finding.message}"
        floor, ceiling = configured_lock_bounds(config)
        if minimum is None and not is_unknown(lock.get("MinRetentionDays")):
            yield f"{logical_id}: MinRetentionDays is not set: the lock does not stop early deletion"
        elif minimum is not None and LOCK_MIN_RETENTION_FLOOR <= minimum < floor:
            yield f"{logical_id}: MinRetentionDays {minimum} is below the configured floor of {floor} days"
        if maximum is None and not is_unknown(lock.get("MaxRetentionDays")):
            yield f"{logical_id}: MaxRetentionDays is not set: recovery points could be kept (and billed) forever"
        elif maximum is not None and ceiling < maximum <= LOCK_MAX_RETENTION_CEILING:
            yield f"{logical_id}: MaxRetentionDays {maximum} is above the configured ceiling of {ceiling} days"


# --------------------------------------------------------------------------- stackset-template-kms

TEMPLATE_KMS = Rule(
    name="stackset-template-kms",
    description=(
        "Every AWS::KMS::Key in a StackSet's template rotates (EnableKeyRotation true, for symmetric keys), "
        "waits at least minDeletionWindowDays before deletion (PendingWindowInDays; CloudFormation's default is "
        "30), does not bypass the policy lockout check, and has a KeyPolicy that passes the least-privilege "
        "checks of kms-key-policy-backup (pseudo parameters resolved to sample values). A vault key (one a vault's "
        f"EncryptionKeyArn refers to, tagged {BACKUP_KEY_TAG}=true, or whose policy lets AWS Backup use it) also "
        f"denies {', '.join(KEY_PROTECTED_ACTIONS)} to every principal but named roles, as kms-key-deletion-safety "
        "requires of Pulumi-made keys, never exempts stacksets-exec-* from kms:DisableKey or kms:ScheduleKeyDeletion "
        f"(any StackSets administrator acts as that role) and denies untagging {BACKUP_KEY_TAG} (the guardrail finds "
        "backup keys by it). Losing a vault key loses every recovery point it encrypts. Fails closed: "
        "values not known or built from parameters are reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: vaults.member.key sets rotation and the deletion window. Hand-written templates: set "
        "EnableKeyRotation: true, PendingWindowInDays: 30 and a KeyPolicy that lists the KMS actions it grants, "
        'scopes Principal "*" with aws:PrincipalOrgID, uses regional kms:ViaService values and, for a vault key, '
        'denies those three actions (Principal "*", ArnNotLike aws:PrincipalArn naming the break-glass roles).'
    ),
    config={
        "minDeletionWindowDays": integer_setting(
            minimum=7, maximum=30, default=30, description="Shortest acceptable PendingWindowInDays."
        )
    },
    domain=DOMAIN,
)

SYMMETRIC = "SYMMETRIC_DEFAULT"


def _tags(properties: Mapping[str, Any]) -> dict[Any, Any]:
    """CloudFormation's ``Tags: [{Key, Value}]`` as a mapping."""
    tags = properties.get("Tags")
    pairs = tags if isinstance(tags, list) else []
    return {tag.get("Key"): tag.get("Value") for tag in pairs if isinstance(tag, Mapping)}


def _check_key(logical_id: str, key: Mapping[str, Any], shortest: int, *, encrypts_vault: bool) -> Iterator[str]:
    properties = resolve(_properties(key))
    spec = properties.get("KeySpec", SYMMETRIC)
    rotation = properties.get("EnableKeyRotation")
    if spec == SYMMETRIC and is_unknown(rotation):
        yield _not_resolved(logical_id, "EnableKeyRotation", "key rotation")
    elif spec == SYMMETRIC and rotation not in (True, "true", "True"):
        yield f"{logical_id}: EnableKeyRotation is not true: the key never rotates"
    window = properties.get("PendingWindowInDays")
    if is_unknown(window):
        yield _not_resolved(logical_id, "PendingWindowInDays", "the key's deletion window")
    elif (days := as_int(window)) is not None and days < shortest:
        yield f"{logical_id}: PendingWindowInDays {days} is shorter than {shortest} days"
    if properties.get("BypassPolicyLockoutSafetyCheck") in (True, "true", "True"):
        yield f"{logical_id}: BypassPolicyLockoutSafetyCheck is true: a key policy could lock every administrator out"
    policy = properties.get("KeyPolicy")
    if is_unknown(policy) or _contains_unknown(policy):
        yield _not_resolved(logical_id, "KeyPolicy", "the key policy")
    elif not isinstance(policy, (str, Mapping)) or not policy:
        yield f"{logical_id}: no KeyPolicy: the default policy admits no other account, so cross-account copies fail"
    else:
        for finding in errors(check_policy_document(policy, path=f"{logical_id}.KeyPolicy")):
            yield str(finding)
        if encrypts_vault or _tags(properties).get(BACKUP_KEY_TAG) == "true" or admits_backup_use(policy):
            for finding in key_policy_denies_destruction(policy, path=f"{logical_id}.KeyPolicy"):
                yield str(finding)
            yield from (f"{logical_id}.KeyPolicy: {m}" for m in _template_key_hardening(policy))


_EXECUTOR = f"role/{STACKSETS_EXECUTION_ROLE}"


def _statements_of(policy: Any) -> list[Mapping[str, Any]]:
    document = policy_mapping(policy)
    statements = document.get("Statement", []) if document is not None else []
    return [s for s in (statements if isinstance(statements, list) else [statements]) if isinstance(s, Mapping)]


def _lowered(values: Any) -> set[str]:
    return {str(v).lower() for v in (values if isinstance(values, list) else [values])}


def _template_key_hardening(policy: Any) -> Iterator[str]:
    """Security review F1 and F10 on a template's vault key: the StackSets execution role (any StackSets administrator
    acts as it) is never exempt from disabling or deleting the key, and untagging BACKUP_KEY_TAG is denied in the key
    policy itself, not only by the SCP, which finds backup keys by that tag."""
    denies = [s for s in _statements_of(policy) if s.get("Effect") == "Deny"]
    for statement in denies:
        destroying = _lowered(statement.get("Action", [])) & {"kms:disablekey", "kms:schedulekeydeletion"}
        condition = statement.get("Condition")
        exempt = json.dumps(condition.get("ArnNotLike", {})) if isinstance(condition, Mapping) else ""
        if destroying and _EXECUTOR in exempt:
            yield (
                f"statement {statement.get('Sid', '?')} exempts {STACKSETS_EXECUTION_ROLE} from {sorted(destroying)}: "
                "whoever can update any service-managed stack set acts as that role; exempt it from kms:PutKeyPolicy only"
            )
    untag = [
        s
        for s in denies
        if "kms:untagresource" in _lowered(s.get("Action", [])) and BACKUP_KEY_TAG in json.dumps(s.get("Condition", {}))
    ]
    if not untag:
        yield (
            f"no Deny of kms:UntagResource on the {BACKUP_KEY_TAG} tag: without the tag the guardrail SCP no longer "
            "protects the key (https://docs.aws.amazon.com/kms/latest/developerguide/tag-authorization.html)"
        )


def check_template_kms(stack_set: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    template, problem = _template(stack_set)
    if problem:
        yield problem
    shortest = as_int(config.get("minDeletionWindowDays")) or 30
    vault_keys = {
        _referenced_resource(_properties(vault).get("EncryptionKeyArn"))
        for _, vault in _resources(template or {}, CFN_VAULT)
    }
    for logical_id, key in _resources(template or {}, CFN_KEY):
        yield from _check_key(logical_id, key, shortest, encrypts_vault=logical_id in vault_keys)


# --------------------------------------------------------------------------- stackset-template-vault-policy

TEMPLATE_VAULT_POLICY = Rule(
    name="stackset-template-vault-policy",
    description=(
        "Every AWS::Backup::BackupVault in a StackSet's template has an AccessPolicy that denies "
        "backup:DeleteRecoveryPoint, backup:UpdateRecoveryPointLifecycle and backup:PutBackupVaultAccessPolicy "
        "to every principal but at most maxExemptPrincipals roles (ArnNotLike on aws:PrincipalArn), exempted by "
        "exact ARN from those and the other actions that delete recovery points or remove the vault's protection "
        "(no name pattern such as stacksets-exec-*, which any account administrator can match by creating a "
        "role), as backup-vault-policy-denies-deletion requires of Pulumi-made vaults. Fails closed: a policy not "
        "known, or built from parameters or conditions, is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup writes this deny into the member template; list exempt roles in "
        "vaults.member.break_glass_role_names (at most 4: organization.member_role_name is the fifth). "
        'Hand-written templates: add a Deny statement with Principal "*", Resource "*", those three actions and '
        "an ArnNotLike aws:PrincipalArn condition for the break-glass roles to the vault's AccessPolicy."
    ),
    config=MAX_EXEMPT_PRINCIPALS_SETTINGS,
    domain=DOMAIN,
)


def check_template_vault_policy(stack_set: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    template, problem = _template(stack_set)
    if problem:
        yield problem
    for logical_id, vault in _resources(template or {}, CFN_VAULT):
        policy = resolve(_properties(vault).get("AccessPolicy"))
        if is_unknown(policy) or _contains_unknown(policy):
            yield _not_resolved(logical_id, "AccessPolicy", "that the vault denies deletion of recovery points")
        elif not isinstance(policy, (str, Mapping)) or not policy:
            yield f"{logical_id}: the vault has no AccessPolicy: nothing denies deletion of recovery points"
        else:
            yield from deletion_deny_messages(policy, config, path=f"{logical_id}.AccessPolicy")


# --------------------------------------------------------------------------- stackset-template-retain

TEMPLATE_RETAIN = Rule(
    name="stackset-template-retain",
    description=(
        "In a StackSet's template, every AWS::Backup::BackupVault, every AWS::KMS::Key a vault's EncryptionKeyArn "
        "refers to, and every AWS::IAM::Role that AWS Backup may assume has DeletionPolicy Retain (or "
        "RetainExceptOnCreate) and UpdateReplacePolicy Retain. Without them, deleting a stack instance (an "
        "account leaving an OU, a removed Region) or a template change that replaces the resource deletes the "
        "vault (with AWS's refusal as the only guard), schedules the key's deletion (losing every recovery point "
        "it encrypts) or removes the role every backup job runs as."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup's member template sets both policies. Hand-written templates: add DeletionPolicy: Retain and "
        "UpdateReplacePolicy: Retain to the vault, its key and the backup role."
    ),
    domain=DOMAIN,
)

RETAIN_ON_DELETE = ("Retain", "RetainExceptOnCreate")


def _referenced_resource(value: Any) -> str | None:
    """The logical id an ``EncryptionKeyArn`` refers to (``Ref`` or ``Fn::GetAtt``)."""
    if isinstance(value, Mapping) and len(value) == 1:
        (function, argument), *_ = value.items()
        if function == "Ref" and isinstance(argument, str):
            return argument
        if function == "Fn::GetAtt":
            target = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
            return target if isinstance(target, str) else None
    return None


def check_template_retain(stack_set: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    template, problem = _template(stack_set)
    if problem:
        yield problem
    if template is None:
        return
    vaults = dict(_resources(template, CFN_VAULT))
    keys = dict(_resources(template, CFN_KEY))
    guarded: dict[str, tuple[str, Mapping[str, Any]]] = {v: ("vault", r) for v, r in vaults.items()}
    for vault in vaults.values():
        key_id = _referenced_resource(_properties(vault).get("EncryptionKeyArn"))
        if key_id in keys:
            guarded[key_id] = ("vault key", keys[key_id])
    for role_id, role in _resources(template, CFN_ROLE):
        trust = resolve(_properties(role).get("AssumeRolePolicyDocument"))
        if isinstance(trust, (str, Mapping)) and trusts_service(trust, BACKUP_SERVICE_PRINCIPAL):
            guarded[role_id] = ("backup role", role)
    for logical_id, (what, resource) in sorted(guarded.items()):
        if resource.get("DeletionPolicy") not in RETAIN_ON_DELETE:
            yield f"{logical_id}: the {what} has no DeletionPolicy Retain: deleting the stack would delete it"
        if resource.get("UpdateReplacePolicy") != "Retain":
            yield f"{logical_id}: the {what} has no UpdateReplacePolicy Retain: a replacement would delete the old one"


# --------------------------------------------------------------------------- stackset-auto-deployment

AUTO_DEPLOYMENT = Rule(
    name="stackset-auto-deployment",
    description=(
        "A StackSet whose template creates a backup vault is SERVICE_MANAGED with autoDeployment enabled and "
        "retainStacksOnAccountRemoval true: accounts that join a targeted OU get their vault and role without a "
        "deploy (the backup policy reaches them at once), and an account that leaves keeps its vault and the "
        "recovery points in it. Values not known during preview are skipped."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        'org-backup\'s member StackSet sets all three. Hand-written StackSets: permission_model="SERVICE_MANAGED" '
        "and auto_deployment={enabled: True, retain_stacks_on_account_removal: True}."
    ),
    domain=DOMAIN,
)


def check_auto_deployment(stack_set: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    template, _ = _template(stack_set)
    if template is None or not any(True for _ in _resources(template, CFN_VAULT)):
        return
    model = stack_set.get("permissionModel")
    if not is_unknown(model) and model != "SERVICE_MANAGED":
        yield (
            f"permissionModel is {model or 'SELF_MANAGED'}: accounts joining a targeted OU get no vault until "
            "someone adds them"
        )
    auto = stack_set.get("autoDeployment")
    if is_unknown(auto):
        return
    settings = auto if isinstance(auto, Mapping) else {}
    if settings.get("enabled") is not True and not is_unknown(settings.get("enabled")):
        yield "autoDeployment is not enabled: an account that joins a targeted OU receives plans but no vault"
    retain = settings.get("retainStacksOnAccountRemoval")
    if retain is not True and not is_unknown(retain):
        yield (
            "autoDeployment.retainStacksOnAccountRemoval is not true: an account that leaves a targeted OU has its "
            "stack deleted"
        )


POLICIES: list[Policy] = [
    resource_policy(VAULTS_LOCKED, [STACK_SET], check_vaults_locked),
    resource_policy(TEMPLATE_KMS, [STACK_SET], check_template_kms),
    resource_policy(TEMPLATE_VAULT_POLICY, [STACK_SET], check_template_vault_policy),
    resource_policy(TEMPLATE_RETAIN, [STACK_SET], check_template_retain),
    resource_policy(AUTO_DEPLOYMENT, [STACK_SET], check_auto_deployment),
]
