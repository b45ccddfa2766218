"""The loader's half of ``policies.backup_rules.central_copy``: a team's extra statement on the central vault
may not re-open backup:CopyIntoBackupVault beyond the backup role (the pack judges the registered policy)."""

from __future__ import annotations

from dataclasses import replace

from policies.backup_rules.central_copy import copy_beyond_backup_role
from policies.backup_rules.findings import Finding

from .model import Vaults

WHERE = "vaults.central.extra_access_policy_statements"


def check_central_copy(vaults: Vaults) -> list[Finding]:
    statements = vaults.central.extra_access_policy_statements
    if not statements:
        return []
    findings = copy_beyond_backup_role(
        {"Version": "2012-10-17", "Statement": list(statements)},
        backup_role_names=[vaults.backup_role_name],
        path=WHERE,
    )
    return [replace(f, path=f.path.replace(f"{WHERE}.Statement[", f"{WHERE}[", 1)) for f in findings]
