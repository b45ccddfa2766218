"""Organization-wide job listings: one ListBackupJobs/ListCopyJobs per Region and state with ByAccountId='*',
one per account only where the organization-wide call is refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from org_backup.demo.seed import job
from org_backup.ops import verify
from org_backup.ops.aws import Aws
from policies.backup_rules.events import BACKUP_JOB_FAILURE_STATES, COPY_JOB_FAILURE_STATES
from tests.moto_server import MotoServer
from tests.org_backup.ops.coverage_fakes import CoverageStandIn
from tests.org_backup.ops.fakes import WORKLOAD_REGIONS, FakeOrg, deploy


def failed_jobs(
    org: FakeOrg, stack_file: Path, stand_in: CoverageStandIn, aws_env: MotoServer, tmp_path: Path, *, refused: bool
) -> tuple[set[tuple[str, str, str]], int, int]:
    stand_in.org_wide_refused = refused
    aws = Aws.connect(profile=None, endpoint_url=aws_env.endpoint_url, command="verify")
    stand_in.install(aws.session)
    before = len(stand_in.calls)
    out = tmp_path / f"verify-{refused}.json"
    verify.main(["--config", str(stack_file), "--json", str(out)], aws=aws)
    calls = stand_in.calls[before:]
    found = {
        (f["check"], f["account"], f["region"])
        for f in json.loads(out.read_text())["findings"]
        if f["check"] in ("backup-jobs", "copy-jobs")
    }
    return found, calls.count("Backup:ListBackupJobs"), calls.count("Backup:ListCopyJobs")


@pytest.fixture
def stand_in(aws_env: MotoServer) -> CoverageStandIn:
    return CoverageStandIn(aws_env)


def test_one_organization_wide_listing_per_region_and_state_with_a_per_account_fallback(
    org: FakeOrg, stack_file: Path, stand_in: CoverageStandIn, aws_env: MotoServer, tmp_path: Path
) -> None:
    deploy(org, stack_file, stand_in)
    prod_01, prod_02 = org.in_ou("prod")
    nonprod = org.accounts["nonprod-01"]
    stand_in.backup_jobs += [
        job(prod_01, "us-east-1", "FAILED", resource="arn:aws:ec2:us-east-1:1:volume/vol-1"),
        job(nonprod, "eu-west-1", "ABORTED", resource="arn:aws:efs:eu-west-1:1:file-system/fs-1"),
    ]
    stand_in.copy_jobs.append(job(prod_02, "us-east-1", "FAILED", resource="arn:x", kind="copy"))
    expected = {
        ("backup-jobs", prod_01, "us-east-1"),
        ("backup-jobs", nonprod, "eu-west-1"),
        ("copy-jobs", prod_02, "us-east-1"),
    }

    found, backups, copies = failed_jobs(org, stack_file, stand_in, aws_env, tmp_path, refused=False)

    assert found == expected
    assert backups == len(WORKLOAD_REGIONS) * len(BACKUP_JOB_FAILURE_STATES), "not one listing per account"
    assert copies == len(WORKLOAD_REGIONS) * len(COPY_JOB_FAILURE_STATES)

    found, backups, copies = failed_jobs(org, stack_file, stand_in, aws_env, tmp_path, refused=True)

    assert found == expected, "the per-account fallback finds the same jobs"
    members = 3
    refused_attempts = 1
    assert backups == len(WORKLOAD_REGIONS) * (refused_attempts + len(BACKUP_JOB_FAILURE_STATES) * members)
