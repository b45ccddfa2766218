"""KMS keys that encrypt recovery points: rotation, deletion safety, key policy, and the backup-key tag.

Losing a vault's key loses every recovery point it encrypts, and a key policy that does not admit the
organization breaks cross-account copies; the key is as much part of the backup as the vault.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.findings import errors
from backup_rules.iam import (
    KEY_PROTECTED_ACTIONS,
    admits_backup_use,
    check_policy_document,
    key_policy_denies_destruction,
)
from backup_rules.levels import KMS_MIN_DELETION_WINDOW_DAYS
from backup_rules.names import BACKUP_KEY_TAG

from .adapter import as_int, is_unknown, not_known
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy, stack_policy
from .resources import AIR_GAPPED_VAULT, KMS_KEY, KMS_KEY_POLICY, VAULT, Resource, StackIndex

DOMAIN = "kms"
SYMMETRIC = "SYMMETRIC_DEFAULT"
VAULT_KEY_PROPS = {VAULT: "kmsKeyArn", AIR_GAPPED_VAULT: "encryptionKeyArn"}


def _is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


# --------------------------------------------------------------------------- kms-key-rotation

ROTATION = Rule(
    name="kms-key-rotation",
    description=(
        "A symmetric KMS key (aws.kms.Key) has enableKeyRotation true and, when rotationPeriodInDays is set, "
        "rotates at least every maxRotationPeriodDays (Security Hub KMS.4, AWS Config "
        "cmk-backing-key-rotation-enabled). Rotation limits how much data one key version protects; old "
        "versions stay available, so recovery points remain readable. Asymmetric, HMAC and custom-key-store "
        "keys cannot rotate automatically and are skipped, as are values not known during preview."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup turns rotation on for every vault key; shorten it with vaults.member.key.rotation_period_days "
        "/ vaults.central.key.rotation_period_days. Hand-written keys: set enable_key_rotation=True and "
        "rotation_period_in_days on the aws.kms.Key."
    ),
    config={
        "maxRotationPeriodDays": integer_setting(
            minimum=90, maximum=2560, default=365, description="Longest acceptable rotationPeriodInDays."
        )
    },
    domain=DOMAIN,
)


def _rotation_supported(key: Resource) -> bool:
    spec = key.get("customerMasterKeySpec")
    if isinstance(spec, str) and spec != SYMMETRIC:
        return False
    return not any(isinstance(key.get(prop), str) and key.get(prop) for prop in ("customKeyStoreId", "xksKeyId"))


def check_rotation(key: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not _rotation_supported(key):
        return
    enabled = key.get("enableKeyRotation")
    if not is_unknown(enabled) and not _is_true(enabled):
        yield "enableKeyRotation is not true: the key material is never rotated"
    period = as_int(key.get("rotationPeriodInDays"))
    longest = as_int(config.get("maxRotationPeriodDays"))
    if period is not None and longest is not None and period > longest:
        yield f"rotationPeriodInDays {period} exceeds the configured maximum of {longest} days"


# --------------------------------------------------------------------------- kms-key-deletion-safety

DELETION_SAFETY = Rule(
    name="kms-key-deletion-safety",
    description=(
        "A KMS key (aws.kms.Key) keeps a deletion window of at least minDeletionWindowDays (an absent "
        "deletionWindowInDays means AWS's 30 days), does not set bypassPolicyLockoutSafetyCheck, and is not "
        "disabled (isEnabled false). A vault key (tagged org-backup:backup-key=true, or whose policy lets AWS "
        f"Backup use it through kms:ViaService), and an aws.kms.KeyPolicy of one, denies {', '.join(KEY_PROTECTED_ACTIONS)} "
        "to every principal, the account root included, but named roles (ArnNotLike aws:PrincipalArn; a pattern "
        "exempting any role or any account does not count): Allow statements alone leave the key to every "
        "administrator of its account. A deleted or disabled key, or one whose policy locks the backup role out, "
        "makes every recovery point it encrypts unreadable; the window is the only time to notice and cancel a "
        "deletion, and the lockout check stops a key policy that nobody can change again. Fails closed: a value "
        "not known during preview is reported (an unknown policy by kms-key-policy-backup)."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: set vaults.member.key.deletion_window_days / vaults.central.key.deletion_window_days "
        "to 30 (the default); org-backup writes the Deny into every vault key's policy. Hand-written keys: set "
        "deletion_window_in_days=30, remove bypass_policy_lockout_safety_check=True and is_enabled=False from the "
        'aws.kms.Key, and add a Deny statement with Principal "*", Resource "*", those three actions and an '
        "ArnNotLike aws:PrincipalArn condition naming the break-glass roles to its policy."
    ),
    config={
        "minDeletionWindowDays": integer_setting(
            minimum=7,
            maximum=30,
            default=KMS_MIN_DELETION_WINDOW_DAYS,
            description="Shortest acceptable deletionWindowInDays.",
        )
    },
    domain=DOMAIN,
)


def is_vault_key(tag_maps: Iterable[Any], policy: Any) -> bool:
    """A key that encrypts recovery points, as far as the key itself tells: the org-backup tag, or a policy that
    lets AWS Backup use it (``kms:ViaService backup.<region>...``)."""
    if any(isinstance(tags, Mapping) and tags.get(BACKUP_KEY_TAG) == "true" for tags in tag_maps):
        return True
    return isinstance(policy, (str, Mapping)) and bool(policy) and admits_backup_use(policy)


def check_key_protected(key: Resource) -> Iterator[str]:
    """The Deny of ``KEY_PROTECTED_ACTIONS`` in a vault key's policy (an unknown policy: kms-key-policy-backup)."""
    document = key.get("policy")
    if is_unknown(document) or not isinstance(document, (str, Mapping)) or not document:
        return
    if is_vault_key([key.get("tags"), key.get("tagsAll")], document):
        yield from (str(finding) for finding in key_policy_denies_destruction(document))


def check_deletion_safety(key: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    yield from check_key_protected(key)
    is_key = key.type == KMS_KEY
    window = key.get("deletionWindowInDays")
    shortest = as_int(config.get("minDeletionWindowDays")) or KMS_MIN_DELETION_WINDOW_DAYS
    if is_key and is_unknown(window):
        yield not_known("deletionWindowInDays", "the key's deletion window")
    elif is_key and (days := as_int(window)) is not None and days < shortest:
        yield f"deletionWindowInDays {days} is shorter than {shortest} days: a scheduled deletion may go unnoticed"
    bypass = key.get("bypassPolicyLockoutSafetyCheck")
    if is_unknown(bypass):
        yield not_known("bypassPolicyLockoutSafetyCheck", "that the key policy lockout check runs")
    elif _is_true(bypass):
        yield "bypassPolicyLockoutSafetyCheck is true: a key policy could lock every administrator out of the key"
    enabled = key.get("isEnabled")
    if is_key and is_unknown(enabled):
        yield not_known("isEnabled", "that the key is enabled")
    elif is_key and _is_false(enabled):
        yield "isEnabled is false: nothing encrypted with this key can be backed up, copied or restored"


# --------------------------------------------------------------------------- kms-key-policy-backup

KEY_POLICY = Rule(
    name="kms-key-policy-backup",
    description=(
        "A KMS key (aws.kms.Key policy) or key policy (aws.kms.KeyPolicy policy) is present and passes the "
        "least-privilege checks shared by the whole pack: valid JSON, no Allow with wildcard actions or "
        'NotAction, Principal "*" only with an aws:PrincipalOrgID/PrincipalOrgPaths condition, kms:ViaService '
        "values that can match (<service>.<region>.amazonaws.com, such as the backup, ec2 and rds endpoints "
        "org-backup's vault keys admit, or backup.*.amazonaws.com with StringLike). "
        "Without a policy AWS applies its default, which grants the whole account and no other account, so "
        "cross-account copies fail. Warnings are not reported. Fails closed: a policy not known during "
        "preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup writes the key policies of its vault keys. Hand-written keys: set policy on the "
        "aws.kms.Key (or the aws.kms.KeyPolicy) to a document that lists the KMS actions it grants, scopes "
        'Principal "*" with aws:PrincipalOrgID and uses regional kms:ViaService values. When the key\'s policy '
        "is managed by a separate aws.kms.KeyPolicy, set requireInlineKeyPolicy to false."
    ),
    config={
        "requireInlineKeyPolicy": {
            "type": "boolean",
            "default": True,
            "description": "Report an aws.kms.Key without policy (false when aws.kms.KeyPolicy resources hold them).",
        }
    },
    domain=DOMAIN,
)


def check_key_policy(key: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    document = key.get("policy")
    if is_unknown(document):
        yield not_known("policy", "the key policy")
    elif not isinstance(document, (str, Mapping)) or not document:
        if key.type == KMS_KEY_POLICY or config.get("requireInlineKeyPolicy"):
            yield (
                "no key policy: AWS applies its default policy, which admits no other account, so cross-account "
                "copies cannot use this key"
            )
    else:
        yield from (str(finding) for finding in errors(check_policy_document(document, path="policy")))


# --------------------------------------------------------------------------- kms-backup-key-tagged

BACKUP_KEY_TAGGED = Rule(
    name="kms-backup-key-tagged",
    description=(
        "Every KMS key in the stack that encrypts a backup vault (the vault's kmsKeyArn, or a logically "
        "air-gapped vault's encryptionKeyArn, is the key's output, its ARN or its key id) carries the tag "
        f'{BACKUP_KEY_TAG} = "true" (in tags, or tagsAll when the provider adds default tags). org-backup '
        "recommends an SCP that denies kms:ScheduleKeyDeletion on keys with that tag: an untagged vault key is "
        "not covered by it. Keys outside the stack and tags not known during preview are skipped."
    ),
    enforcement=ADVISORY,
    severity=Severity.LOW,
    remediation=(
        f'org-backup tags its vault keys itself. Hand-written keys: add tags={{"{BACKUP_KEY_TAG}": "true"}} to '
        "the aws.kms.Key that encrypts the vault."
    ),
    domain=DOMAIN,
)


def _keys_by_reference(index: StackIndex) -> dict[str, Resource]:
    """Keys by ARN, key id and resource id (stack policies see outputs, so these are known after create)."""
    out: dict[str, Resource] = {}
    for key in index.of_type(KMS_KEY):
        for prop in ("arn", "keyId", "id"):
            value = key.get(prop)
            if isinstance(value, str) and value:
                out[value] = key
    return out


def _keys_of(vault: Resource, prop: str, index: StackIndex, keys: Mapping[str, Resource]) -> list[Resource]:
    by_output = [
        index.by_urn[urn]
        for urn in vault.property_dependencies.get(prop, ())
        if urn in index.by_urn and index.by_urn[urn].type == KMS_KEY
    ]
    if by_output:
        return by_output
    reference = vault.get(prop)
    if not isinstance(reference, str):
        return []
    key = keys.get(reference) or keys.get(reference.rsplit("key/", 1)[-1])
    return [key] if key is not None else []


def check_backup_key_tagged(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    keys = _keys_by_reference(index)
    vaults_of_key: dict[str, list[str]] = defaultdict(list)
    for vault_type, prop in VAULT_KEY_PROPS.items():
        for vault in index.of_type(vault_type):
            name = vault.get("name")
            for key in _keys_of(vault, prop, index, keys):
                vaults_of_key[key.urn].append(name if isinstance(name, str) else vault.name)
    for urn, vault_names in vaults_of_key.items():
        key = index.by_urn[urn]
        tag_maps = [key.get(prop) for prop in ("tags", "tagsAll")]
        if any(is_unknown(tags) for tags in tag_maps):
            continue
        values = [tags.get(BACKUP_KEY_TAG) for tags in tag_maps if isinstance(tags, Mapping)]
        if any(is_unknown(value) or value == "true" for value in values):
            continue
        yield (
            urn,
            f"KMS key {key.name} encrypts vault {', '.join(sorted(set(vault_names)))} but is not tagged "
            f"{BACKUP_KEY_TAG}=true, so the SCP that protects backup keys from deletion does not cover it",
        )


POLICIES: list[Policy] = [
    resource_policy(ROTATION, [KMS_KEY], check_rotation),
    resource_policy(DELETION_SAFETY, [KMS_KEY, KMS_KEY_POLICY], check_deletion_safety),
    resource_policy(KEY_POLICY, [KMS_KEY, KMS_KEY_POLICY], check_key_policy),
    stack_policy(BACKUP_KEY_TAGGED, check_backup_key_tagged),
]
