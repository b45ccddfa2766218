"""One emulated prod organization per module: deploying it takes most of a minute on a shared 2-core machine."""

from __future__ import annotations

import json
from collections.abc import Iterator

import moto.iam.models
import pytest

from components.documents.iam import backup_role_managed_policy_arns
from org_backup.demo.deploy import Demo, deploy_stack
from org_backup.demo.server import DemoServer
from tests.moto_server import MotoServer


@pytest.fixture(scope="module")
def demo(moto_server: MotoServer) -> Iterator[Demo]:
    """The prod stack deployed into a freshly reset moto (the test session's server), AWS managed policies
    limited to the backup role's as in the operations tests."""
    names = {arn.rsplit("/", 1)[-1] for arn in backup_role_managed_policy_arns()}
    every = json.loads(moto.iam.models.aws_managed_policies_data)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            moto.iam.models, "aws_managed_policies_data", json.dumps({k: v for k, v in every.items() if k in names})
        )
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        moto_server.reset()
        yield deploy_stack(DemoServer(moto_server.endpoint_url), "prod")
        moto_server.reset()
