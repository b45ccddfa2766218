"""Copy paths: one record per (source account, source Region, plan rule, destination vault), and the AWS
rules every path must meet for its copy jobs to succeed and to protect what they are meant to.

The configuration loader (``stackconfig.copy_paths``), the policy pack (``rules.copies``) and
``org_backup.ops.checks.copy_paths`` each enumerate ``CopyPath`` records from what they see (the config and the
organization tree; the registered resources; the live organization) and judge them with the functions
below, so the three agree by construction. Each finding is reported at the copy's own path.

AWS sources:

- cross-account copy: both accounts in one organization; the destination vault's access policy must allow
  ``backup:CopyIntoBackupVault`` to the source; the source account must share its customer managed key with
  the destination account; the copy is re-encrypted with the destination vault's key
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html,
  https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html,
  https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html#copy-encryption);
- cross-Region copy: the destination vault must exist in the destination Region
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html);
- a copy job whose retention lies outside the destination vault's Vault Lock [min, max] fails
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/vault-lock.html);
- RDS and Aurora cannot be copied cross-account *and* cross-Region in one step
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/recov-point-create-a-copy.html);
- ``aws:PrincipalOrgPaths`` holds ``o-…/r-…/ou-…/`` down to the account's parent OU
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .access import Decision, decide, principal_request
from .arns import arn_partition, service_endpoint
from .findings import Finding
from .iam import COPY_INTO_VAULT
from .lifecycle import check_retention_within_lock

RdsScope = Literal["selected", "maybe", "no"]

# Finding ids (also the keys of ``levels.SHARED_RULES``).
RDS_ONE_STEP = "rds-cross-account-cross-region"
DR_SAME_REGION = "copy-dr-same-region"
DESTINATION_MISSING = "copy-destination-missing"
SOURCE_NOT_ADMITTED = "copy-source-not-admitted"
DESTINATION_KEY = "copy-destination-key"
SOURCE_KEY = "copy-source-key"

# The role AWS Backup itself uses in every account
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles-AWSServiceRoleForBackup.html).
# The minimum key-policy permissions AWS Backup needs on a key it encrypts or decrypts recovery points with
# (encryption.html). AWS does not split them by copy direction, so both keys of a copy must allow all three.
KEY_ACTIONS = ("kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKey")
MAX_SOURCES_SHOWN = 5


@dataclass(frozen=True)
class CopyPath:
    """One copy action as it runs in one source account and Region.

    ``where`` is the path of the copy action (config or document); ``source_account`` is None when the
    caller does not know the accounts (a config checked without the organization tree).
    """

    where: str
    plan: str
    rule: str
    source_account: str | None
    source_region: str
    destination_account: str | None
    destination_region: str
    destination_vault: str
    retention_days: int | None = None
    rds: RdsScope = "no"
    disaster_recovery: bool = True

    @property
    def cross_account(self) -> bool:
        return self.destination_account is not None and self.destination_account != self.source_account

    @property
    def cross_region(self) -> bool:
        return self.destination_region != self.source_region

    @property
    def source(self) -> str:
        return f"{self.source_account or '*'}/{self.source_region}"


def organization_path(organization_id: str, ancestors_from_root: Sequence[str]) -> str:
    """The ``aws:PrincipalOrgPaths`` value of an account: ``o-…/r-…/ou-…/`` down to its parent."""
    return "/".join([organization_id, *ancestors_from_root]) + "/"


# --------------------------------------------------------------------------- rules on one path


def check_rds_one_step(path: CopyPath) -> list[Finding]:
    """RDS/Aurora copies are either cross-account or cross-Region (error when the selection surely holds
    them; a warning when a tag or condition selection may)."""
    if path.rds == "no" or not (path.cross_account and path.cross_region):
        return []
    certainty = (
        "the plan selects RDS/Aurora"
        if path.rds == "selected"
        else "the plan may select RDS/Aurora (tag- or condition-based selection)"
    )
    return [
        Finding(
            path.where,
            path.destination_region,
            RDS_ONE_STEP,
            f"{certainty}, and this copy is both cross-account and cross-Region, which AWS Backup does not "
            "do in one step for RDS/Aurora: copy cross-account in-Region, then cross-Region from the "
            "destination account",
            "error" if path.rds == "selected" else "warning",
        )
    ]


def check_leaves_region(path: CopyPath) -> list[Finding]:
    """A disaster-recovery copy that stays in its source Region survives the loss of the account, not of the
    Region. A warning: AWS's own two-hop design for RDS copies cross-account within the Region first."""
    if not path.disaster_recovery or path.cross_region:
        return []
    return [
        Finding(
            join_region(path.where),
            path.destination_region,
            DR_SAME_REGION,
            f"plan {path.plan!r} rule {path.rule!r} copies backups taken in {path.source_region} to "
            f"{path.destination_region}, the same Region: the copy protects nothing against losing "
            f"{path.source_region}; choose a DR Region that is not a workload Region",
            "warning",
        )
    ]


def join_region(where: str) -> str:
    return f"{where}.region"


def check_destination_exists(path: CopyPath, exists: bool, where_vaults_are: str) -> list[Finding]:
    if exists:
        return []
    return [
        Finding(
            join_region(path.where),
            path.destination_region,
            DESTINATION_MISSING,
            f"there is no vault {path.destination_vault!r} in {path.destination_region} "
            f"({where_vaults_are}): AWS Backup fails the copy job",
        )
    ]


def check_retention_fits(path: CopyPath, lock_min: int | None, lock_max: int | None, vault: str) -> list[Finding]:
    return check_retention_within_lock(
        path.where,
        delete_after_days=path.retention_days,
        lock_min_days=lock_min,
        lock_max_days=lock_max,
        vault=vault,
    )


def copy_into_decision(
    vault_policy: str | Mapping[str, Any] | None,
    *,
    principal_arn: str,
    organization_id: str | bool | None,
    organization_path: str | bool | None,
) -> Decision:
    request = principal_request(
        COPY_INTO_VAULT, principal_arn, organization_id=organization_id, organization_path=organization_path
    )
    return decide(vault_policy, request)


def check_vault_admits(
    path: CopyPath,
    vault_policy: str | Mapping[str, Any] | None,
    *,
    principal_arn: str,
    organization_id: str | bool | None,
    organization_path: str | bool | None,
    policy_name: str,
    remedy: str = "",
) -> list[Finding]:
    """A cross-account copy needs the destination vault's access policy to allow ``CopyIntoBackupVault`` to
    the source's backup role (its account, organization and OU path)."""
    if not path.cross_account:
        return []
    decision = copy_into_decision(
        vault_policy, principal_arn=principal_arn, organization_id=organization_id, organization_path=organization_path
    )
    if decision.allowed:
        return []
    if vault_policy is None:
        why = "the destination vault has no access policy"
    elif decision.denied_by or decision.maybe_denied_by:
        why = f"{policy_name} denies it ({', '.join(decision.denied_by + decision.maybe_denied_by)})"
    elif decision.maybe_allowed_by:
        why = f"{policy_name} may not allow it (its conditions cannot be checked here: {decision.maybe_allowed_by[0]})"
    else:
        path_text = f" with OU path {organization_path}" if isinstance(organization_path, str) else ""
        why = f"no statement of {policy_name} allows it to account {path.source_account}{path_text}"
        why += f" ({remedy})" if remedy else ""
    return [
        Finding(
            path.where,
            path.source,
            SOURCE_NOT_ADMITTED,
            f"copies from {path.source} into {path.destination_vault} in {path.destination_account}/"
            f"{path.destination_region} need {COPY_INTO_VAULT}, but {why}: AWS Backup fails the copy job",
        )
    ]


def _key_problem(
    key_policy: str | Mapping[str, Any] | None,
    *,
    principal_arn: str,
    organization_id: str | bool | None,
    organization_path: str | bool | None,
    region: str,
) -> str | None:
    if key_policy is None:
        return "the key policy is not known"
    # The endpoint name of the principal's partition: a China key policy names backup.cn-north-1.amazonaws.com.cn.
    via = service_endpoint("backup", region, arn_partition(principal_arn) or "aws")
    for action in KEY_ACTIONS:
        extra = {
            "kms:viaservice": via,
            "kms:grantisforawsresource": "true",
            "kms:calleraccount": principal_arn.split(":")[4],
        }
        request = principal_request(
            action, principal_arn, organization_id=organization_id, organization_path=organization_path, extra=extra
        )
        if not decide(key_policy, request).allowed:
            return f"it does not allow {action} through AWS Backup in {region}"
    return None


def _key_finding(
    path: CopyPath,
    key_policy: str | Mapping[str, Any] | None,
    *,
    principal_arn: str,
    organization_id: str | bool | None,
    organization_path: str | bool | None,
    region: str,
    rule: str,
    must: str,
) -> list[Finding]:
    """A cross-account copy's finding when ``key_policy`` does not let ``principal_arn`` use the key through AWS
    Backup in ``region``; ``must`` says what the key must allow, for the message."""
    if not path.cross_account:
        return []
    problem = _key_problem(
        key_policy,
        principal_arn=principal_arn,
        organization_id=organization_id,
        organization_path=organization_path,
        region=region,
    )
    return [Finding(path.where, path.source, rule, f"{must}, but {problem}")] if problem else []


def check_destination_key(
    path: CopyPath,
    key_policy: str | Mapping[str, Any] | None,
    *,
    source_principal_arn: str,
    organization_id: str | bool | None,
    source_organization_path: str | bool | None,
) -> list[Finding]:
    """The destination vault's key must let the source re-encrypt the copy with it (encryption.html)."""
    return _key_finding(
        path,
        key_policy,
        principal_arn=source_principal_arn,
        organization_id=organization_id,
        organization_path=source_organization_path,
        region=path.destination_region,
        rule=DESTINATION_KEY,
        must=f"the key of {path.destination_vault} in {path.destination_account}/{path.destination_region} must "
        f"let {source_principal_arn} re-encrypt the copy",
    )


def check_source_key(
    path: CopyPath,
    key_policy: str | Mapping[str, Any] | None,
    *,
    destination_principal_arn: str,
    organization_id: str | bool | None,
    destination_organization_path: str | bool | None,
) -> list[Finding]:
    """The source vault's key must be shared with the destination account (AWS: "share this customer managed
    key with the destination account", create-cross-account-backup.html)."""
    return _key_finding(
        path,
        key_policy,
        principal_arn=destination_principal_arn,
        organization_id=organization_id,
        organization_path=destination_organization_path,
        region=path.source_region,
        rule=SOURCE_KEY,
        must=f"the source vault key in {path.source} must be shared with the destination account "
        f"{path.destination_account}",
    )


def check_keys_admit(
    path: CopyPath,
    *,
    source_key_policy: str | Mapping[str, Any] | None,
    destination_key_policy: str | Mapping[str, Any] | None,
    source_principal_arn: str,
    destination_principal_arn: str,
    organization_id: str | bool | None,
    source_organization_path: str | bool | None,
    destination_organization_path: str | bool | None,
) -> list[Finding]:
    """Both keys of a cross-account copy: the destination vault's key must admit the source (the copy is
    re-encrypted with it), and the source vault's key must admit the destination account."""
    return check_destination_key(
        path,
        destination_key_policy,
        source_principal_arn=source_principal_arn,
        organization_id=organization_id,
        source_organization_path=source_organization_path,
    ) + check_source_key(
        path,
        source_key_policy,
        destination_principal_arn=destination_principal_arn,
        organization_id=organization_id,
        destination_organization_path=destination_organization_path,
    )


# --------------------------------------------------------------------------- reporting


def grouped(findings: Iterable[tuple[CopyPath, Finding]]) -> list[Finding]:
    """One finding per (path, rule, severity), naming the first source places and how many more: thousands of
    accounts with one mistake give one line, not thousands."""
    groups: dict[tuple[str, str, str], list[tuple[CopyPath, Finding]]] = defaultdict(list)
    for path, finding in findings:
        groups[(finding.path, finding.rule, finding.severity)].append((path, finding))
    out: list[Finding] = []
    for (_, _, _), members in groups.items():
        first = members[0][1]
        sources = sorted({p.source for p, _ in members})
        if len(sources) <= 1:
            out.append(first)
            continue
        more = f" and {len(sources) - MAX_SOURCES_SHOWN} more" if len(sources) > MAX_SOURCES_SHOWN else ""
        shown = ", ".join(sources[:MAX_SOURCES_SHOWN]) + more
        out.append(
            Finding(
                first.path, sources, first.rule, f"{first.message} ({len(sources)} sources: {shown})", first.severity
            )
        )
    return out
