"""An organization in moto per test, the stack file that describes it, and the stubs for what moto lacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import moto.iam.models
import pytest

from components.documents.iam import backup_role_managed_policy_arns
from org_backup.ops.aws import Aws
from tests.moto_server import MotoServer
from tests.org_backup.ops.fakes import FakeOrg, StubbedApis, build_org, write_stack


@pytest.fixture
def managed_policies(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto knows AWS managed policies only when told to load them; loading just the four the backup role
    uses keeps account creation fast (all 1,500 cost about a second per account)."""
    names = {arn.rsplit("/", 1)[-1] for arn in backup_role_managed_policy_arns()}
    every = json.loads(moto.iam.models.aws_managed_policies_data)
    monkeypatch.setattr(
        moto.iam.models, "aws_managed_policies_data", json.dumps({k: v for k, v in every.items() if k in names})
    )
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")


@pytest.fixture
def org(aws_env: MotoServer, managed_policies: None) -> FakeOrg:
    return build_org(aws_env)


@pytest.fixture
def stack_file(tmp_path: Path, org: FakeOrg) -> Path:
    return write_stack(tmp_path, org)


@pytest.fixture
def stubs(aws_env: MotoServer) -> StubbedApis:
    return StubbedApis(aws_env)


@pytest.fixture
def connect(aws_env: MotoServer, stubs: StubbedApis) -> Callable[[str], Aws]:
    """A command's AWS connection with the stubs and the call recorder installed."""

    def make(command: str) -> Aws:
        aws = Aws.connect(profile=None, endpoint_url=aws_env.endpoint_url, command=command)
        stubs.install(aws.session)
        return aws

    return make
