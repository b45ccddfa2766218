"""org_backup.preview.offline: the mocks answer as AWS would, in every partition."""

from __future__ import annotations

import pytest

from org_backup.preview.offline import mock_outputs
from policies.backup_rules.arns import arn_partition

ACCOUNT = "333333333333"
TYPES = (
    "aws:kms/key:Key",
    "aws:backup/vault:Vault",
    "aws:iam/role:Role",
    "aws:cloudwatch/eventBus:EventBus",
    "aws:sns/topic:Topic",
    "aws:s3/bucket:Bucket",
    "aws:backup/framework:Framework",
    "aws:organizations/policy:Policy",
    "aws:backup/plan:Plan",
)


@pytest.mark.parametrize(
    ("region", "partition"), [("us-east-1", "aws"), ("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn")]
)
@pytest.mark.parametrize("type_token", TYPES)
def test_every_mocked_arn_is_in_the_partition_of_its_region(type_token: str, region: str, partition: str) -> None:
    """A GovCloud vault's ARN is arn:aws-us-gov:backup:...: the pack and the access analysis compare it with
    policies written for that partition, so an arn:aws: mock would fail them for a reason AWS would not."""
    arn = mock_outputs(type_token, "thing", {}, ACCOUNT, region)["arn"]
    assert arn_partition(arn) == partition
