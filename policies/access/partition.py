"""The partition a stack deploys into, and the ARNs and endpoint names of that partition the analysis builds.

Every Region is in exactly one partition, an account is scoped to one, and IAM credentials of one partition
cannot act in another (https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html):
the principals, resources and endpoints the analysis asks about are all of the stack's partition. ARNs start
``arn:<partition>:`` (``aws``, ``aws-us-gov``, ``aws-cn``: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html),
and the China Regions' endpoint domain is ``amazonaws.com.cn``
(https://docs.amazonaws.cn/en_us/aws/latest/userguide/endpoints-Beijing.html), the ``AWS::URLSuffix`` a
CloudFormation template sees there (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html).

This package imports nothing outside itself: ``DNS_SUFFIX`` and ``service_endpoint`` are copies of
``policies/backup_rules/arns.py``'s, pinned equal by tests/test_one_home.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

DEFAULT_PARTITION = "aws"
"""The partition of a stack that names none: the commercial Regions'."""
DNS_SUFFIX = {"aws-cn": "amazonaws.com.cn"}
"""Partitions whose service endpoints are not under ``amazonaws.com``."""
_PARTITION = re.compile(r"aws(-[a-z]+)*", re.ASCII)


def arn_partition(arn: object) -> str | None:
    """The partition of an ARN (``arn:<partition>:...``); None for other strings."""
    parts = arn.split(":", 2) if isinstance(arn, str) else []
    return parts[1] if len(parts) == 3 and parts[0] == "arn" and _PARTITION.fullmatch(parts[1]) else None


def stack_partition(role_arns: Iterable[object]) -> str:
    """The partition of the roles the stack's providers assume (the program builds them in its configured
    partition, one per account it deploys into but the management account).

    A stack whose providers name no partition, or several (no deployment can: credentials are scoped to one), is
    read as ``aws``. ARNs of another partition then match nothing the documents admit: the backup role's copies
    show as broken (a mandatory violation), never as silently passing."""
    found = {p for p in map(arn_partition, role_arns) if p is not None}
    return found.pop() if len(found) == 1 else DEFAULT_PARTITION


def url_suffix(partition: str) -> str:
    """The endpoint domain of the partition (``AWS::URLSuffix``)."""
    return DNS_SUFFIX.get(partition, "amazonaws.com")


def service_endpoint(service: str, region: str, partition: str) -> str:
    """The regional endpoint name ``kms:ViaService`` compares with (``backup.cn-north-1.amazonaws.com.cn``)."""
    return f"{service}.{region}.{url_suffix(partition)}"


def role_arn(partition: str, account: str, name: str) -> str:
    return f"arn:{partition}:iam::{account}:role/{name}"
