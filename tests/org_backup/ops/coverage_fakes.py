"""Recovery points for the coverage tests; the stand-in itself (``org_backup.demo.standin.StandIn``) answers
ListProtectedResources, ListRecoveryPointsByResource, ListRestoreJobs, organization-wide job lists and
SelectAggregateResourceConfig, which moto 5.2.5 lacks. The vault ARN of a point tells its account and Region.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from org_backup.demo.standin import StandIn, now

CoverageStandIn = StandIn
"""The stand-in answers coverage's operations too (one home: org_backup.demo.standin)."""


def point(account: str, region: str, resource: str, *, hours_ago: float, vault: str = "org-backup") -> dict[str, Any]:
    """A completed recovery point as ListRecoveryPointsByBackupVault returns it."""
    created: datetime = now() - timedelta(hours=hours_ago)
    return {
        "RecoveryPointArn": f"arn:aws:backup:{region}:{account}:recovery-point:rp-{abs(hash((resource, hours_ago)))}",
        "BackupVaultName": vault,
        "BackupVaultArn": f"arn:aws:backup:{region}:{account}:backup-vault:{vault}",
        "ResourceArn": resource,
        "ResourceType": "EBS",
        "CreationDate": created,
        "Status": "COMPLETED",
    }
