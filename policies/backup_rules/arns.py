"""AWS identifiers and ARNs, in one place: the parsers of what documents carry, and the validated builders.

Parsers: the two ARN shapes backup documents carry, vault ARNs (copy and LAG targets) and IAM role ARNs.
Backup policies may write ``$region`` and ``$account`` in place of the Region and account (§1.4); the parsers
keep those placeholders so the callers can tell "same account/Region as the source" from a literal value.

Builders (``require_*``, ``role_arn``...): an id that does not match its shape raises ``ValueError`` before it
can widen or break a principal. The document builders (``components.documents``) and the configuration
loader (``stackconfig``) both call them, so a value the loader accepts is one the builders accept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .names import BACKUP_SERVICE_LINKED_ROLE

ACCOUNT_PLACEHOLDER = "$account"
REGION_PLACEHOLDER = "$region"

_PARTITION = r"aws(?:-[a-z]+)*"
_REGION = r"\$region|[a-z]{2}(?:-gov|-iso[a-z]*)?-[a-z]+-\d"
_ACCOUNT = r"\$account|\d{12}"
_VAULT_ARN_RE = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):backup:(?P<region>{_REGION}):(?P<account>{_ACCOUNT})"
    r":backup-vault:(?P<name>[^:/\s]+)$"
)
_ROLE_ARN_RE = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):iam::(?P<account>{_ACCOUNT}):role/(?:[\w+=,.@-]+/)*(?P<name>[\w+=,.@-]+)$"
)


@dataclass(frozen=True)
class VaultArn:
    """A backup vault ARN in parts; region and account may be the ``$region``/``$account`` placeholders.

    Logically air-gapped vaults use the same ``backup-vault:`` resource type, so one shape serves both.
    """

    partition: str
    region: str
    account: str
    name: str

    @property
    def uses_placeholders(self) -> bool:
        """The LAG target form backup policies require: ``arn:aws:backup:$region:$account:backup-vault:X``."""
        return self.region == REGION_PLACEHOLDER and self.account == ACCOUNT_PLACEHOLDER

    def __str__(self) -> str:
        return f"arn:{self.partition}:backup:{self.region}:{self.account}:backup-vault:{self.name}"


def parse_vault_arn(arn: object) -> VaultArn | None:
    """Split ``arn:<partition>:backup:<region|$region>:<account|$account>:backup-vault:<name>``, else None."""
    if not isinstance(arn, str):
        return None
    match = _VAULT_ARN_RE.match(arn)
    if match is None:
        return None
    return VaultArn(
        partition=match.group("partition"),
        region=match.group("region"),
        account=match.group("account"),
        name=match.group("name"),
    )


def role_arn_account(arn: object) -> str | None:
    """The account (or ``$account``) of ``arn:aws:iam::<account>:role/<path/>name``; None otherwise."""
    match = _ROLE_ARN_RE.match(arn) if isinstance(arn, str) else None
    return match.group("account") if match else None


def arn_partition(arn: object) -> str | None:
    """The partition of any ARN (``arn:<partition>:...``); None for other strings."""
    if not isinstance(arn, str):
        return None
    parts = arn.split(":", 2)
    return parts[1] if len(parts) == 3 and parts[0] == "arn" and _PARTITION_CODE.fullmatch(parts[1]) else None


def role_name(arn: object) -> str | None:
    """The role name (last path segment) of an IAM role ARN; None for other strings."""
    match = _ROLE_ARN_RE.match(arn) if isinstance(arn, str) else None
    return match.group("name") if match else None


# --------------------------------------------------------------------------- validated identifiers

_ACCOUNT_ID = re.compile(r"\d{12}", re.ASCII)
_ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}", re.ASCII)
_ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}", re.ASCII)
_REGION_CODE = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", re.ASCII)
_PARTITION_CODE = re.compile(r"aws(-[a-z]+)*", re.ASCII)
_ROLE_NAME = re.compile(r"([\w+=,.@-]+/)*[\w+=,.@-]{1,64}", re.ASCII)
_ROLE_PATH_AND_NAME = r"([\w+=,.@-]+/)*[\w+=,.@-]{1,64}"
_ROLE_PATH_AND_NAME_WILDCARD = r"([\w+=,.@*?-]+/)*[\w+=,.@*?-]{1,64}"
_ORGANIZATION_PATH = re.compile(r"o-[a-z0-9]{10,32}(/[\w*?-]+)*/?", re.ASCII)


def _require(pattern: re.Pattern[str], value: object, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{what}: {value!r} is not valid (expected {pattern.pattern})")
    return value


def require_account_id(value: object, what: str = "account_id") -> str:
    """A 12-digit AWS account id, so that a typo cannot widen or break a principal."""
    return _require(_ACCOUNT_ID, value, what)


def require_organization_id(value: object, what: str = "organization_id") -> str:
    """An Organizations id (``o-`` + 10-32 characters): every org condition hangs on it."""
    return _require(_ORGANIZATION_ID, value, what)


def require_root_id(value: object, what: str = "root_id") -> str:
    """An Organizations root id (``r-…``)."""
    return _require(_ROOT_ID, value, what)


def require_region(value: object, what: str = "region") -> str:
    """A Region code such as ``eu-west-1``: ``kms:ViaService`` values are regional."""
    return _require(_REGION_CODE, value, what)


def require_partition(value: object, what: str = "partition") -> str:
    """An ARN partition (``aws``, ``aws-us-gov``, ``aws-cn``…)."""
    return _require(_PARTITION_CODE, value, what)


def require_role_name(value: object, what: str = "role_name") -> str:
    """An IAM role name, optionally preceded by its path (``path/Name``)."""
    return _require(_ROLE_NAME, value, what)


def require_role_arns(
    arns: Iterable[str], *, partition: str | None, what: str, allow_wildcards: bool = False
) -> list[str]:
    """IAM role ARNs (of ``partition``, or any partition if None) with a concrete account id, de-duplicated
    and sorted.

    Sorting makes the document independent of the caller's order (stable diffs). Wildcards are only allowed
    where the ARN is used in an ``ArnNotLike`` exemption, never in an explicit principal.
    """
    if isinstance(arns, str):
        raise ValueError(f"{what}: expected a list of role ARNs, got the string {arns!r}")
    name = _ROLE_PATH_AND_NAME_WILDCARD if allow_wildcards else _ROLE_PATH_AND_NAME
    part = _PARTITION_CODE.pattern if partition is None else re.escape(require_partition(partition))
    pattern = re.compile(rf"arn:{part}:iam::\d{{12}}:role/{name}", re.ASCII)
    return sorted({_require(pattern, arn, what) for arn in arns})


def require_organization_paths(paths: Iterable[str], *, organization_id: str) -> list[str]:
    """``aws:PrincipalOrgPaths`` values, each inside ``organization_id`` (never another organization)."""
    if isinstance(paths, str):
        raise ValueError(f"organization_paths: expected a list of paths, got the string {paths!r}")
    out = set()
    for path in paths:
        _require(_ORGANIZATION_PATH, path, "organization_paths")
        if path.split("/", 1)[0] != organization_id:
            raise ValueError(f"organization_paths: {path!r} is not inside organization {organization_id}")
        out.add(path)
    return sorted(out)


def account_root_arn(account_id: str, partition: str = "aws") -> str:
    """The account principal (``arn:aws:iam::<id>:root``): delegates to the account's IAM policies."""
    return f"arn:{require_partition(partition)}:iam::{require_account_id(account_id)}:root"


def role_arn(account_id: str, role_name: str, partition: str = "aws") -> str:
    """The ARN of a role (name may carry a path) in ``account_id``."""
    return (
        f"arn:{require_partition(partition)}:iam::{require_account_id(account_id)}:role/{require_role_name(role_name)}"
    )


def backup_service_linked_role_arn(account_id: str, partition: str = "aws") -> str:
    """``AWSServiceRoleForBackup``, the role AWS Backup itself uses in every account."""
    return role_arn(account_id, BACKUP_SERVICE_LINKED_ROLE, partition)


# Partitions whose service endpoints are not under amazonaws.com (kms:ViaService uses the endpoint name): the
# China Regions' endpoint domain is amazonaws.com.cn (https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html).
_DNS_SUFFIX = {"aws-cn": "amazonaws.com.cn"}


def service_endpoint(service: str, region: str, partition: str = "aws") -> str:
    """The regional endpoint name ``kms:ViaService`` compares with (``backup.eu-west-1.amazonaws.com``)."""
    suffix = _DNS_SUFFIX.get(require_partition(partition), "amazonaws.com")
    return f"{service}.{require_region(region)}.{suffix}"
