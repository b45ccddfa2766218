"""Vaults and Vault Lock: encryption, deletion safety, lock bounds and mode, access policies, coverage.

Recovery points are only as safe as the vault that holds them: a vault that ``pulumi destroy`` may empty,
a lock that does not bound retention, or an access policy that lets anyone delete or copy in, undoes the
rest of the backup design. The AWS arithmetic lives in ``backup_rules``; this module applies it to the
resources and says which org-backup config key or resource property to change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.iam import vault_policy_copy_into_scoped, vault_policy_denies_deletion
from backup_rules.lifecycle import (
    LAG_MIN_RETENTION,
    LOCK_MAX_RANGE,
    LOCK_MIN_RANGE,
    check_air_gapped_retention,
    check_lock,
)
from backup_rules.limits import (
    LAG_MIN_RETENTION_DAYS,
    LAG_UNSUPPORTED_REGIONS,
    LOCK_MAX_RETENTION_CEILING,
    LOCK_MIN_RETENTION_FLOOR,
    MAX_PRINCIPAL_ARN_LIST,
    MAX_RETENTION_DAYS,
)

from .adapter import as_int, is_unknown, not_known
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy, stack_policy
from .resources import AIR_GAPPED_VAULT, VAULT, VAULT_LOCK, VAULT_POLICY, Resource, StackIndex

DOMAIN = "vaults-and-locks"
LOCK_PROPS = ("changeableForDays", "minRetentionDays", "maxRetentionDays")


def _kms_key_account(arn: str) -> str | None:
    """The account of ``arn:<partition>:kms:<region>:<account>:key/...`` (or ``:alias/...``); None otherwise."""
    parts = arn.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] == "kms" and parts[4]:
        return parts[4]
    return None


def _is_aws_managed_key(key: str) -> bool:
    """``alias/aws/...`` (as a name or an alias ARN) is an AWS managed key the organization cannot share."""
    return key.startswith("alias/aws/") or ":alias/aws/" in key


def lock_bounds_settings(min_prop: str, max_prop: str) -> dict[str, dict[str, Any]]:
    """The config of a rule that bounds a lock's retention; the descriptions name the lock's properties."""
    return {
        "minRetentionDaysFloor": integer_setting(
            minimum=LOCK_MIN_RETENTION_FLOOR,
            default=LOCK_MIN_RETENTION_FLOOR,
            description=f"Smallest acceptable {min_prop}.",
        ),
        "maxRetentionDaysCeiling": integer_setting(
            minimum=LOCK_MIN_RETENTION_FLOOR,
            maximum=LOCK_MAX_RETENTION_CEILING,
            default=LOCK_MAX_RETENTION_CEILING,
            description=f"Largest acceptable {max_prop}.",
        ),
    }


def configured_lock_bounds(config: Mapping[str, Any]) -> tuple[int, int]:
    """The retention floor and ceiling a lock-bounds rule's config asks for (AWS's limits when unset)."""
    floor = as_int(config.get("minRetentionDaysFloor")) or LOCK_MIN_RETENTION_FLOOR
    ceiling = as_int(config.get("maxRetentionDaysCeiling")) or LOCK_MAX_RETENTION_CEILING
    return floor, ceiling


MAX_EXEMPT_PRINCIPALS_SETTINGS = {
    "maxExemptPrincipals": integer_setting(
        minimum=0,
        maximum=MAX_PRINCIPAL_ARN_LIST,
        default=MAX_PRINCIPAL_ARN_LIST,
        description="Most principals the deletion deny may exempt.",
    )
}


def deletion_deny_messages(
    document: str | Mapping[str, Any], config: Mapping[str, Any], *, path: str = "policy"
) -> Iterator[str]:
    """What ``vault_policy_denies_deletion`` finds in a vault access policy, exempting at most config
    ``maxExemptPrincipals`` principals."""
    limit = as_int(config.get("maxExemptPrincipals"))
    max_exempt = MAX_PRINCIPAL_ARN_LIST if limit is None else limit
    yield from (str(f) for f in vault_policy_denies_deletion(document, path=path, max_exempt=max_exempt))


# --------------------------------------------------------------------------- backup-vault-cmk

VAULT_CMK = Rule(
    name="backup-vault-cmk",
    description=(
        "A backup vault (aws.backup.Vault) sets kmsKeyArn to a customer managed KMS key, not the AWS managed "
        "alias/aws/backup key (and, when allowedKeyAccounts is configured, a key of one of those accounts). "
        "Cross-account copies of resources AWS Backup does not fully manage (RDS, EBS, EC2...) need a key whose "
        "policy the organization controls, and a vault's key can never be changed after creation. A kmsKeyArn "
        "that is not known during preview comes from a key created in the same update and passes."
    ),
    enforcement=ADVISORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup gives every member and central vault its own customer managed key; if this vault is "
        "hand-written, create an aws.kms.Key and pass its ARN as kms_key_arn on the aws.backup.Vault (the vault "
        "is replaced, so create a new vault and move the plans to it). With allowedKeyAccounts set, use a key "
        "of one of those accounts."
    ),
    config={
        "allowedKeyAccounts": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[0-9]{12}$"},
            "default": [],
            "description": "Accounts whose keys may encrypt vaults; empty allows any account.",
        }
    },
    domain=DOMAIN,
    vault_key="key",
)


def check_vault_cmk(vault: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    key = vault.get("kmsKeyArn")
    if is_unknown(key):
        return
    if not isinstance(key, str) or not key:
        yield (
            "kmsKeyArn is not set: recovery points are encrypted with the AWS managed key aws/backup, whose "
            "policy cannot be changed to allow cross-account copies"
        )
        return
    if _is_aws_managed_key(key):
        yield f"kmsKeyArn {key} is an AWS managed key: its policy cannot be changed to allow cross-account copies"
        return
    allowed = [str(account) for account in config.get("allowedKeyAccounts") or ()]
    if not allowed:
        return
    account = _kms_key_account(key)
    if account is None:
        yield f"kmsKeyArn {key} names no account, so allowedKeyAccounts cannot be checked: use the key's ARN"
    elif account not in allowed:
        yield f"kmsKeyArn {key} belongs to account {account}, not one of allowedKeyAccounts {', '.join(allowed)}"


# --------------------------------------------------------------------------- backup-vault-no-force-destroy

NO_FORCE_DESTROY = Rule(
    name="backup-vault-no-force-destroy",
    description=(
        "A backup vault (aws.backup.Vault) does not set forceDestroy to true. With forceDestroy, deleting the "
        "vault (pulumi destroy, a replace, a removed config entry) first deletes every recovery point in it. "
        "Fails closed: a forceDestroy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "org-backup users: remove vaults.member.force_destroy / vaults.central.force_destroy (or set it to "
        "false). Hand-written vaults: drop force_destroy=True from the aws.backup.Vault."
    ),
    domain=DOMAIN,
    vault_key="force_destroy",
)


def check_no_force_destroy(vault: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    value = vault.get("forceDestroy")
    if is_unknown(value):
        yield not_known("forceDestroy", "that the vault keeps its recovery points on deletion")
    elif value is True or (isinstance(value, str) and value.lower() == "true"):
        yield "forceDestroy is true: deleting this vault would delete every recovery point in it"


# --------------------------------------------------------------------------- backup-vault-lock-bounds

LOCK_BOUNDS = Rule(
    name="backup-vault-lock-bounds",
    description=(
        "A Vault Lock (aws.backup.VaultLockConfiguration) bounds retention: minRetentionDays is set and at "
        "least minRetentionDaysFloor, maxRetentionDays is set, at most maxRetentionDaysCeiling and greater "
        "than minRetentionDays, and changeableForDays, when set, is 3 to 36,500 days. AWS rejects some of "
        "these (the provider does not check them before creating), and a lock without a maximum lets recovery "
        "points be kept, and billed, forever. Fails closed: a bound not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: fix vaults.member.lock / vaults.central.lock (min_retention_days, "
        "max_retention_days greater than the minimum, changeable_for_days 3 to 36500 in compliance mode). "
        "Hand-written locks: set min_retention_days, max_retention_days and changeable_for_days on the "
        "aws.backup.VaultLockConfiguration accordingly; every argument forces a new lock."
    ),
    config=lock_bounds_settings("minRetentionDays", "maxRetentionDays"),
    domain=DOMAIN,
)


def check_lock_bounds(lock: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    values: dict[str, int | None] = {}
    for prop in LOCK_PROPS:
        raw = lock.get(prop)
        if is_unknown(raw):
            yield not_known(prop, "the lock's retention bounds")
        values[prop] = as_int(raw)
    minimum, maximum = values["minRetentionDays"], values["maxRetentionDays"]
    findings = check_lock(
        "",
        changeable_for_days=values["changeableForDays"],
        min_retention_days=minimum,
        max_retention_days=maximum,
    )
    yield from (finding.message for finding in findings)
    reported = {finding.rule for finding in findings}
    floor, ceiling = configured_lock_bounds(config)
    if minimum is None and not is_unknown(lock.get("minRetentionDays")):
        yield "min_retention_days is not set: the lock does not stop recovery points from being deleted early"
    elif minimum is not None and minimum < floor and LOCK_MIN_RANGE not in reported:
        yield f"min_retention_days {minimum} is below the configured floor of {floor} days"
    if maximum is None and not is_unknown(lock.get("maxRetentionDays")):
        yield "max_retention_days is not set: recovery points could be kept (and billed) forever"
    elif maximum is not None and maximum > ceiling and LOCK_MAX_RANGE not in reported:
        yield f"max_retention_days {maximum} is above the configured ceiling of {ceiling} days"


# --------------------------------------------------------------------------- backup-vault-lock-compliance-mode

COMPLIANCE_MODE = Rule(
    name="backup-vault-lock-compliance-mode",
    description=(
        "A Vault Lock in compliance mode (changeableForDays set) has a grace period of at most "
        "maxChangeableForDays: until the grace period ends anyone allowed to can still delete the lock, so a "
        "long one means the lock is not in force. With requireComplianceMode, governance-mode locks (no "
        "changeableForDays), which any principal with backup:DeleteBackupVaultLockConfiguration can remove, "
        "are reported too. Values not known during preview are skipped (advisory)."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "org-backup users: in vaults.member.lock / vaults.central.lock set mode: compliance with a short "
        "changeable_for_days (compliance locks become immutable when it ends, so choose the retention bounds "
        "first). Hand-written locks: set changeable_for_days on the aws.backup.VaultLockConfiguration."
    ),
    config={
        "maxChangeableForDays": integer_setting(
            minimum=3, default=30, description="Longest acceptable compliance-mode grace period, in days."
        ),
        "requireComplianceMode": {
            "type": "boolean",
            "default": False,
            "description": "Report governance-mode locks.",
        },
    },
    domain=DOMAIN,
)


def check_compliance_mode(lock: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    raw = lock.get("changeableForDays")
    if is_unknown(raw):
        return
    changeable = as_int(raw)
    if changeable is None:
        if config.get("requireComplianceMode"):
            yield (
                "the lock is in governance mode (no changeable_for_days): anyone with "
                "backup:DeleteBackupVaultLockConfiguration can remove it"
            )
        return
    longest = as_int(config.get("maxChangeableForDays"))
    if longest is not None and changeable > longest:
        yield (
            f"changeable_for_days {changeable} exceeds {longest}: the compliance lock can be removed for "
            f"{changeable} days after creation, so it is not in force until then"
        )


# --------------------------------------------------------------------------- backup-air-gapped-vault-retention

AIR_GAPPED_RETENTION = Rule(
    name="backup-air-gapped-vault-retention",
    description=(
        "A logically air-gapped vault (aws.backup.LogicallyAirGappedVault) sets minRetentionDays of at least "
        f"{LAG_MIN_RETENTION_DAYS} (or minRetentionDaysFloor), maxRetentionDays between the minimum and "
        f"{MAX_RETENTION_DAYS}, and lives in a Region that offers air-gapped vaults. AWS rejects the vault "
        "otherwise, and copies whose retention lies outside the bounds fail. Fails closed: a value not known "
        "during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: fix vaults.central.air_gapped (min_retention_days >= 7, max_retention_days >= the "
        "minimum, regions limited to Regions that support air-gapped vaults). Hand-written vaults: set "
        "min_retention_days, max_retention_days and region on the aws.backup.LogicallyAirGappedVault."
    ),
    config={
        "minRetentionDaysFloor": integer_setting(
            minimum=LAG_MIN_RETENTION_DAYS,
            default=LAG_MIN_RETENTION_DAYS,
            description="Smallest acceptable minRetentionDays.",
        )
    },
    domain=DOMAIN,
)


def check_air_gapped(vault: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    region_prop = vault.get("region")
    if is_unknown(region_prop):
        yield not_known("region", "that the Region supports logically air-gapped vaults")
    elif vault.region in LAG_UNSUPPORTED_REGIONS:
        yield f"Region {vault.region} does not support logically air-gapped vaults"
    bounds: dict[str, int] = {}
    for prop in ("minRetentionDays", "maxRetentionDays"):
        raw = vault.get(prop)
        value = as_int(raw)
        if is_unknown(raw):
            yield not_known(prop, "the vault's retention bounds")
        elif value is None:
            yield f"{prop} is required on a logically air-gapped vault"
        else:
            bounds[prop] = value
    if len(bounds) < 2:
        return
    minimum, maximum = bounds["minRetentionDays"], bounds["maxRetentionDays"]
    findings = check_air_gapped_retention("", min_retention_days=minimum, max_retention_days=maximum)
    yield from (finding.message for finding in findings)
    floor = as_int(config.get("minRetentionDaysFloor")) or LAG_MIN_RETENTION_DAYS
    if minimum < floor and not any(f.rule == LAG_MIN_RETENTION for f in findings):
        yield f"min_retention_days {minimum} is below the configured floor of {floor} days"


# --------------------------------------------------------------------------- vault access policies

DENIES_DELETION = Rule(
    name="backup-vault-policy-denies-deletion",
    description=(
        "A vault access policy (aws.backup.VaultPolicy) denies backup:DeleteRecoveryPoint, "
        "backup:UpdateRecoveryPointLifecycle and backup:PutBackupVaultAccessPolicy to every principal, "
        "exempting at most maxExemptPrincipals roles through ArnNotLike on aws:PrincipalArn (the Audit "
        "Manager control BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED), and also "
        "backup:DeleteBackupVaultAccessPolicy, which the control does not check: deleting the policy deletes "
        "the Deny (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DeleteBackupVaultAccessPolicy.html). "
        "Without it, a compromised administrator can delete recovery points. The exemptions from those and the other actions that delete "
        "recovery points or remove the vault's protection (DeleteBackupVault, DeleteBackupVaultAccessPolicy, "
        "DeleteBackupVaultLockConfiguration, DisassociateRecoveryPoint...) are exact role ARNs: a name pattern "
        "(stacksets-exec-*, BreakGlass*) is matched by any role an account administrator creates with such a "
        "name. Fails closed: a policy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup writes this deny itself; list exempt roles in vaults.member.break_glass_role_names / "
        "vaults.central.break_glass_role_names (at most 5 with the deploy role). Hand-written policies: add a "
        'Deny statement with Principal "*", Resource "*", those four actions and an ArnNotLike '
        "aws:PrincipalArn condition listing the break-glass roles' exact ARNs to the policy of the "
        "aws.backup.VaultPolicy."
    ),
    config=MAX_EXEMPT_PRINCIPALS_SETTINGS,
    domain=DOMAIN,
)


def check_denies_deletion(policy: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    document = policy.get("policy")
    if is_unknown(document):
        yield not_known("policy", "that the vault denies deletion of recovery points")
    elif not isinstance(document, (str, Mapping)) or not document:
        yield "the vault access policy is empty: nothing denies deletion of recovery points"
    else:
        yield from deletion_deny_messages(document, config)


COPY_SCOPED = Rule(
    name="backup-vault-policy-copy-scoped",
    description=(
        "A vault access policy (aws.backup.VaultPolicy) allows backup:CopyIntoBackupVault only to named "
        "principals or under a StringEquals/StringLike aws:PrincipalOrgID or aws:PrincipalOrgPaths condition. "
        "An unscoped allow lets any AWS account fill the vault (and its lock keeps that data, and its bill). "
        "Fails closed: a policy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "org-backup scopes copies to the organization; narrow them with vaults.central.allowed_organization_paths. "
        "Hand-written policies: add a StringEquals aws:PrincipalOrgID (or StringLike aws:PrincipalOrgPaths) "
        "condition to the CopyIntoBackupVault statement, or name the source accounts as principals."
    ),
    domain=DOMAIN,
)


def check_copy_scoped(policy: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    document = policy.get("policy")
    if is_unknown(document):
        yield not_known("policy", "who may copy into the vault")
    elif isinstance(document, (str, Mapping)) and document:
        yield from (str(f) for f in vault_policy_copy_into_scoped(document))


# --------------------------------------------------------------------------- every vault locked / has a policy

EVERY_VAULT_LOCKED = Rule(
    name="backup-every-vault-locked",
    description=(
        "Every backup vault (aws.backup.Vault) in the stack has a Vault Lock (aws.backup.VaultLockConfiguration) "
        "whose backupVaultName is the vault's output, or names the vault in the same account and Region. "
        "Without a lock, recovery points can be deleted before their retention ends. Fails closed: a vault "
        "whose name is not known during preview and that no lock references is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup users: set vaults.member.lock and vaults.central.lock. Hand-written vaults: add an "
        "aws.backup.VaultLockConfiguration with backup_vault_name=vault.name, using the vault's provider."
    ),
    domain=DOMAIN,
    vault_key="lock",
)

EVERY_VAULT_HAS_POLICY = Rule(
    name="backup-every-vault-has-access-policy",
    description=(
        "Every backup vault (aws.backup.Vault) in the stack has an access policy (aws.backup.VaultPolicy) "
        "whose backupVaultName is the vault's output, or names the vault in the same account and Region. "
        "Without one, nothing denies deleting recovery points and no other account can copy into the vault. "
        "Fails closed: a vault whose name is not known during preview and that no policy references is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup creates a policy for every vault it makes. Hand-written vaults: add an aws.backup.VaultPolicy "
        "with backup_vault_name=vault.name that denies recovery-point deletion (see "
        "backup-vault-policy-denies-deletion)."
    ),
    domain=DOMAIN,
)


def _vaults_without(
    index: StackIndex,
    attached_type: str,
    by_vault: Mapping[tuple[str | None, str | None, str], Resource],
    what: str,
) -> Iterator[tuple[str | None, str]]:
    """Standard vaults that no resource of ``attached_type`` references (by output, else by name)."""
    for vault in index.of_type(VAULT):
        referenced = index.property_dependents.get((vault.urn, "backupVaultName"), ())
        if any(r.type == attached_type for r in referenced):
            continue
        name = vault.get("name")
        if is_unknown(name):
            yield vault.urn, f"vault {vault.name}: {not_known('name', f'that it has a {what}')}"
        elif not isinstance(name, str):
            yield vault.urn, f"vault {vault.name} has no name input and no {what} references its output"
        elif (vault.account, vault.region, name) not in by_vault:
            where = f"account {vault.account or 'unknown'}, Region {vault.region or 'unknown'}"
            yield vault.urn, f"vault {name} ({where}) has no {what}"


def check_every_vault_locked(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    return _vaults_without(index, VAULT_LOCK, index.locks, "Vault Lock")


def check_every_vault_has_policy(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    return _vaults_without(index, VAULT_POLICY, index.vault_policies, "access policy")


POLICIES: list[Policy] = [
    resource_policy(VAULT_CMK, [VAULT], check_vault_cmk),
    resource_policy(NO_FORCE_DESTROY, [VAULT], check_no_force_destroy),
    resource_policy(LOCK_BOUNDS, [VAULT_LOCK], check_lock_bounds),
    resource_policy(COMPLIANCE_MODE, [VAULT_LOCK], check_compliance_mode),
    resource_policy(AIR_GAPPED_RETENTION, [AIR_GAPPED_VAULT], check_air_gapped),
    resource_policy(DENIES_DELETION, [VAULT_POLICY], check_denies_deletion),
    resource_policy(COPY_SCOPED, [VAULT_POLICY], check_copy_scoped),
    stack_policy(EVERY_VAULT_LOCKED, check_every_vault_locked),
    stack_policy(EVERY_VAULT_HAS_POLICY, check_every_vault_has_policy),
]
