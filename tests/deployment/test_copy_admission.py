"""deployment.copy_admission: the central vault's policy and both keys, as deployed, admit every copy path."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.backup_rules import copy_paths as rules
from tests.deployment.loading import at, findings

CENTRAL_EXTRA = "vaults.central.extra_access_policy_statements"
DAILY_COPY = "plans.daily.rules.daily.copies[0]"


def deny(action: str, **extra: Any) -> dict[str, Any]:
    return {"Sid": "TeamDeny", "Effect": "Deny", "Principal": "*", "Action": action, "Resource": "*", **extra}


def test_organization_paths_that_leave_out_a_targeted_ou(prod_raw):
    prod_raw["vaults"]["central"]["allowed_organization_paths"] = ["o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*"]
    found = findings(prod_raw)
    (refused,) = at(found, DAILY_COPY, rules.SOURCE_NOT_ADMITTED)
    assert refused.severity == "error"
    assert refused.message.startswith(
        "copies from 444444444401/us-east-1 into org-backup-central in 333333333333/us-west-2 need "
        "backup:CopyIntoBackupVault, but no statement of the central vault's access policy (vaults.central) allows "
        "it to account 444444444401 with OU path o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ (widen "
        "vaults.central.allowed_organization_paths to cover the account's OU)"
    )
    assert at(found, DAILY_COPY, rules.DESTINATION_KEY)
    # The nested OU prod-critical (prod-ledger) is refused too: it is under prod, not under non-prod.
    assert "444444444405" in str(refused.value)


def test_organization_paths_covering_nested_ous_pass(prod_raw):
    prod_raw["vaults"]["central"]["allowed_organization_paths"] = [
        "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*",
        "o-a1b2c3d4e5/r-ab12/ou-ab12-22222222/*",
    ]
    assert findings(prod_raw) == []


def test_an_extra_statement_refusing_copies_is_named(prod_raw):
    prod_raw["vaults"]["central"]["extra_access_policy_statements"] = [
        deny("backup:CopyIntoBackupVault", Condition={"StringNotEquals": {"aws:PrincipalAccount": "444444444401"}})
    ]
    (refused,) = at(findings(prod_raw), DAILY_COPY, rules.SOURCE_NOT_ADMITTED)
    assert f"denies it ({CENTRAL_EXTRA}[0])" in refused.message


# The prod stack moved to each partition's Regions: workload, DR and central copies in that partition.
PARTITION_REGIONS = {
    "aws-cn": {"us-east-1": "cn-north-1", "eu-west-1": "cn-north-1", "us-west-2": "cn-northwest-1"},
    "aws-us-gov": {"us-east-1": "us-gov-west-1", "eu-west-1": "us-gov-west-1", "us-west-2": "us-gov-east-1"},
}


@pytest.mark.parametrize("partition", sorted(PARTITION_REGIONS))
def test_copies_are_admitted_in_every_partition(prod_raw, partition):
    """The key check asks with the partition's kms:ViaService endpoint (backup.cn-north-1.amazonaws.com.cn in
    China), as the generated key policies write it: before, every China copy was refused by both keys."""
    text = json.dumps(prod_raw)
    for old, new in PARTITION_REGIONS[partition].items():
        text = text.replace(f'"{old}"', f'"{new}"')
    raw = json.loads(text)
    raw["organization"]["partition"] = partition
    raw["organization"]["workload_regions"] = sorted(set(raw["organization"]["workload_regions"]))
    found = findings(raw)
    assert [f for f in found if f.rule in (rules.DESTINATION_KEY, rules.SOURCE_KEY)] == []
    assert [f for f in found if f.severity == "error"] == []
