"""What every check family of verify shares: the account and vault checked, its evidence row, the usual remedy."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from org_backup.ops.checks.copy_paths import CopySources
from stackconfig.model import VaultLock

REDEPLOY = "run `pulumi up` for the stack"


@dataclass(frozen=True)
class Target:
    """An account and the vault the program keeps in each of its Regions."""

    account_id: str
    name: str
    kind: Literal["member", "central"]
    regions: tuple[str, ...]
    vault_name: str
    lock: VaultLock | None
    copy_sources: CopySources | None = None


@dataclass
class Coverage:
    """One account and Region as verify saw it: the evidence rows of the audit report."""

    account_id: str
    name: str
    region: str
    kind: str
    reachable: bool = True
    region_enabled: bool = True
    checked: bool = True
    vault: bool = False
    key: bool = False
    locked: bool = False
    lock_mode: str = "-"
    min_retention_days: int | None = None
    max_retention_days: int | None = None
    lock_date: str | None = None
    denies_deletion: bool = False
    plans: list[str] = field(default_factory=list)
    failed_jobs: int = 0
    findings: int = 0

    @property
    def why_unchecked(self) -> str | None:
        """Why this account-Region could not be checked, if it could not."""
        if not self.reachable:
            return "unreachable"
        if not self.region_enabled:
            return "Region disabled"
        return None if self.checked else "unchecked"

    @property
    def protected(self) -> bool:
        return self.reachable and self.region_enabled and self.checked and self.vault and self.key and not self.findings
