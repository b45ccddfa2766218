"""Which Regions exist, per partition, and which of them have the AWS features the program relies on.

The Region list is the one botocore ships (``botocore/data/endpoints.json``, the data behind
``Session.get_available_regions``): no network, and the same answer on every machine with the pinned boto3.
A Region AWS launched after that botocore release is reported as unknown; upgrading boto3 fixes it.

- AWS Regions and partitions: https://docs.aws.amazon.com/general/latest/gr/rande.html
- AWS Backup's Regions (its service endpoints): https://docs.aws.amazon.com/general/latest/gr/bk.html,
  read from botocore's endpoint data for the ``backup`` service.
- Logically air-gapped vaults: AWS documents them as available everywhere but a list of Regions
  (``limits.LAG_UNSUPPORTED_REGIONS``, from
  https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html, as read on 2026-12-07).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache

import botocore
import botocore.loaders
import botocore.session

from policies.backup_rules import limits
from policies.backup_rules.findings import Finding

# Rule ids (one home each: the loader, the pack and the tests import them).
LAG_REGION = "lag-region"
REGION_PARTITION = "region-partition"
REGION_SERVICE = "region-service"
REGION_UNKNOWN = "region-unknown"

REGIONS_SOURCE = f"botocore {botocore.__version__}'s Region list"


@lru_cache(maxsize=1)
@lru_cache(maxsize=1)
def partition_regions() -> dict[str, frozenset[str]]:
    """Every Region code of every partition, from botocore's bundled endpoint data."""
    data = botocore.loaders.create_loader().load_data("endpoints")
    return {p["partition"]: frozenset(p.get("regions", {})) for p in data["partitions"]}


@lru_cache(maxsize=32)
def service_regions(service: str, partition: str) -> frozenset[str]:
    """Regions where botocore knows an endpoint of ``service`` in ``partition``."""
    session = botocore.session.get_session()
    return frozenset(session.get_available_regions(service, partition_name=partition))


def partition_of(region: str) -> str | None:
    for partition, regions in partition_regions().items():
        if region in regions:
            return partition
    return None


def check_region(
    path: str, region: str, partition: str, *, services: Iterable[str] = ("backup",), air_gapped: bool = False
) -> list[Finding]:
    """At most one finding: the Region does not exist, is in another partition, or lacks a feature."""
    known = partition_regions().get(partition, frozenset())
    if region not in known:
        other = partition_of(region)
        if other is not None:
            return [
                Finding(
                    path,
                    region,
                    REGION_PARTITION,
                    f"{region} is a Region of partition {other}, but organization.partition is {partition}: "
                    "an organization lives in one partition",
                )
            ]
        close = difflib.get_close_matches(region, sorted(known), n=2, cutoff=0.6)
        hint = f": did you mean {' or '.join(close)}?" if close else ""
        return [
            Finding(
                path,
                region,
                REGION_UNKNOWN,
                f"{region!r} is not an AWS Region of partition {partition} ({REGIONS_SOURCE}){hint}",
            )
        ]
    for service in services:
        if region not in service_regions(service, partition):
            return [
                Finding(
                    path,
                    region,
                    REGION_SERVICE,
                    f"AWS Backup is not available in {region} (no {service} endpoint there in "
                    f"{REGIONS_SOURCE}; https://docs.aws.amazon.com/general/latest/gr/bk.html)",
                )
            ]
    if air_gapped and region in limits.LAG_UNSUPPORTED_REGIONS:
        return [
            Finding(
                path,
                region,
                LAG_REGION,
                f"logically air-gapped vaults are not available in {region} (AWS lists the Regions without them: "
                "https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html)",
            )
        ]
    return []
