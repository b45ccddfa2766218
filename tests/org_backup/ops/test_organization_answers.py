"""org_backup.ops.organization against the answers EC2 really gives (botocore's Stubber validates each response shape).

DescribeRegions' output member ``Regions`` is optional in EC2's model, and a denied call is an ordinary answer
for a role without ec2:DescribeRegions: neither may stop the run or mark a Region as disabled.
https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from org_backup.ops.organization import usable_regions

WANTED = ["us-east-1", "eu-west-1"]


class StubAccess:
    """An AccountAccess whose EC2 client answers from a Stubber queue."""

    account_id = "444444444401"

    def __init__(self) -> None:
        self.ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
        self.stub = Stubber(self.ec2)

    def client(self, service: str, region: str) -> Any:
        assert service == "ec2"
        return self.ec2


@pytest.fixture
def access() -> Iterator[StubAccess]:
    stub_access = StubAccess()
    with stub_access.stub:
        yield stub_access
    stub_access.stub.assert_no_pending_responses()


def test_opted_out_region_is_reported_and_skipped(access: StubAccess) -> None:
    access.stub.add_response(
        "describe_regions",
        {
            "Regions": [
                {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
                {"RegionName": "eu-west-1", "OptInStatus": "not-opted-in"},
            ]
        },
        {"AllRegions": True},
    )
    regions, findings = usable_regions(access, "us-east-1", WANTED)  # type: ignore[arg-type]
    assert regions == ["us-east-1"]
    assert [(f.rule, f.region, f.severity) for f in findings] == [("region-enabled", "eu-west-1", "error")]


@pytest.mark.parametrize("answer", [{}, {"Regions": []}], ids=["no-member", "empty-list"])
def test_answer_without_regions_is_a_warning_and_every_region_is_tried(
    access: StubAccess, answer: dict[str, Any]
) -> None:
    access.stub.add_response("describe_regions", answer, {"AllRegions": True})
    regions, findings = usable_regions(access, "us-east-1", WANTED)  # type: ignore[arg-type]
    assert regions == WANTED
    assert len(findings) == 1
    assert findings[0].severity == "warning"
    assert "listed no Regions" in findings[0].message


def test_denied_is_a_warning_and_every_region_is_tried(access: StubAccess) -> None:
    access.stub.add_client_error("describe_regions", "UnauthorizedOperation", "not authorized", 403)
    regions, findings = usable_regions(access, "us-east-1", WANTED)  # type: ignore[arg-type]
    assert regions == WANTED
    assert [f.severity for f in findings] == ["warning"]
    assert "UnauthorizedOperation" in findings[0].message
