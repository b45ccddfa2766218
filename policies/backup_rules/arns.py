"""The two ARN shapes backup documents carry: vault ARNs (copy and LAG targets) and IAM role ARNs.

Backup policies may write ``$region`` and ``$account`` in place of the Region and account (§1.4); the parsers
keep those placeholders so the callers can tell "same account/Region as the source" from a literal value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


def role_name(arn: object) -> str | None:
    """The role name (last path segment) of an IAM role ARN; None for other strings."""
    match = _ROLE_ARN_RE.match(arn) if isinstance(arn, str) else None
    return match.group("name") if match else None
