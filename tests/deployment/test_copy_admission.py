"""deployment.copy_admission: the central vault's policy and both keys, as deployed, admit every copy path."""

from __future__ import annotations

from typing import Any

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
