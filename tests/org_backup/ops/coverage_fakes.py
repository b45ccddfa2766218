"""The stand-in plus what coverage and the organization-wide job calls read that moto 5.2.5 lacks.

moto's backup backend has no ListProtectedResources, ListRecoveryPointsByResource, ListRestoreJobs or
ListRestoreTestingPlans, and its Config backend no SelectAggregateResourceConfig (checked in moto 5.2.5's
``backup/responses.py`` and ``config/responses.py``). Answers are validated against botocore's output shapes by
the stand-in. Recovery points use the stand-in's ``recovery_points`` (the ListRecoveryPointsByBackupVault shape);
the vault ARN tells their account and Region.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from org_backup.demo.standin import StandIn, StubError, now
from policies.backup_rules.arns import parse_vault_arn

ORGANIZATION_WIDE = "*"


@dataclass
class CoverageStandIn(StandIn):
    """``refused``: ``Service:Operation`` -> error code; ``org_wide_refused``: ByAccountId='*' is refused."""

    restore_jobs: list[dict[str, Any]] = field(default_factory=list)
    aggregate_resources: list[dict[str, Any]] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    org_wide_refused: bool = False

    def _handlers(self) -> dict[str, Any]:
        handlers = super()._handlers()
        handlers |= {
            "Backup:ListProtectedResources": self._protected,
            "Backup:ListRecoveryPointsByResource": self._points_by_resource,
            "Backup:ListBackupJobs": lambda p, a, r: {"BackupJobs": self._org_jobs(self.backup_jobs, p, a, r)},
            "Backup:ListCopyJobs": lambda p, a, r: {"CopyJobs": self._org_jobs(self.copy_jobs, p, a, r)},
            "Backup:ListRestoreJobs": lambda p, a, r: {"RestoreJobs": self._org_jobs(self.restore_jobs, p, a, r)},
            "Config Service:SelectAggregateResourceConfig": self._aggregate,
        }
        for operation, code in self.refused.items():
            handlers[operation] = _refuse(code)
        return handlers

    def _own_points(self, account: str, region: str) -> list[dict[str, Any]]:
        out = []
        for point in self.recovery_points:
            vault = parse_vault_arn(point["BackupVaultArn"])
            if vault is not None and (vault.account, vault.region) == (account, region):
                out.append(point)
        return out

    def _protected(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        latest: dict[str, dict[str, Any]] = {}
        for point in self._own_points(account, region):
            arn = point["ResourceArn"]
            if point.get("Status", "COMPLETED") == "COMPLETED" and (
                arn not in latest or latest[arn]["CreationDate"] < point["CreationDate"]
            ):
                latest[arn] = point
        results = [
            {
                "ResourceArn": arn,
                "ResourceType": p.get("ResourceType", "EBS"),
                "LastBackupTime": p["CreationDate"],
                "LastBackupVaultArn": p["BackupVaultArn"],
                "LastRecoveryPointArn": p["RecoveryPointArn"],
            }
            for arn, p in sorted(latest.items())
        ]
        return {"Results": results}

    def _points_by_resource(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        keys = ("RecoveryPointArn", "BackupVaultName", "CreationDate", "Status")
        return {
            "RecoveryPoints": [
                {k: p[k] for k in keys if k in p}
                for p in self._own_points(account, region)
                if p["ResourceArn"] == params["ResourceArn"]
            ]
        }

    def _org_jobs(
        self, jobs: list[dict[str, Any]], params: Mapping[str, Any], account: str, region: str
    ) -> list[dict[str, Any]]:
        """ByAccountId='*' from the management or delegated administrator account: every account's jobs."""
        wanted = params.get("ByAccountId")
        if wanted == ORGANIZATION_WIDE and self.org_wide_refused:
            raise StubError("AccessDeniedException", "not a delegated administrator for AWS Backup", 403)
        return [
            {k: v for k, v in job.items() if k != "Region"}
            for job in jobs
            if job["Region"] == region
            and wanted in (None, ORGANIZATION_WIDE, job["AccountId"])
            and params.get("ByState") in (None, job["State"])
            and ("ByCreatedAfter" not in params or job["CreationDate"] >= params["ByCreatedAfter"])
            and ("ByRestoreTestingPlanArn" not in params or job.get("_plan") == params["ByRestoreTestingPlanArn"])
        ]

    def _aggregate(self, params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        expression = params["Expression"]
        return {"Results": [json.dumps(i) for i in self.aggregate_resources if f"'{i['accountId']}'" in expression]}


def _refuse(code: str) -> Any:
    def handler(params: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
        raise StubError(code, f"refused ({code})", 403)

    return handler


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
