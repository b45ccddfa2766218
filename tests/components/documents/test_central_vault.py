"""The central vault admits copies from the targeted OUs and accounts only (security review F4).

An account the guardrail does not reach (an excluded OU, a sandbox OU no plan targets, an excluded account) can name
a role like the backup role; the vault policy, not the SCP, must keep it out. Judged by IAMSpy's model.
"""

from __future__ import annotations

import json

import pytest

from components.documents.central_vault import central_access_policy, central_copy_sources
from policies.access.evaluator import Principal, Request, decide
from stackconfig.model import StackConfig
from tests.components.documents.test_guardrail_scp import ADMINISTRATOR_ACCESS, prod

ORG = "o-a1b2c3d4e5"
CENTRAL_VAULT = "arn:aws:backup:us-west-2:333333333333:backup-vault:org-backup-central"
BREAK_GLASS = ["arn:aws:iam::333333333333:role/BackupBreakGlass"]


def copies_in(config: StackConfig, account: str, path: str, role: str = "OrgBackupServiceRole") -> bool:
    policy = json.dumps(central_access_policy(config, admin_role_arns=BREAK_GLASS))
    principal = Principal(
        f"arn:aws:iam::{account}:role/{role}", org_id=ORG, org_path=path, identity=(ADMINISTRATOR_ACCESS,)
    )
    request = Request(principal, "backup:CopyIntoBackupVault", CENTRAL_VAULT, resource_policies=(("vault", policy),))
    decision = decide(request)
    assert decision.exact, decision
    return decision.allowed


@pytest.mark.parametrize(
    ("account", "path"),
    [
        ("444444444401", f"{ORG}/r-ab12/ou-ab12-11111111/ou-ab12-22222222/"),  # prod, nested
        ("555555555501", f"{ORG}/r-ab12/ou-ab12-11111111/"),
    ],
)
def test_targeted_accounts_copy_in(account: str, path: str) -> None:
    assert copies_in(prod(), account, path)


@pytest.mark.parametrize(
    ("account", "path"),
    [
        ("666666666601", f"{ORG}/r-ab12/ou-ab12-66666666/"),  # a sandbox OU no plan targets
        ("444444444499", f"{ORG}/r-ab12/ou-ab12-11111111/ou-ab12-33333333/"),  # an excluded OU under a targeted one
        ("444444444406", f"{ORG}/r-ab12/ou-ab12-11111111/"),  # an excluded account in a targeted OU
    ],
)
def test_an_unguarded_account_naming_its_role_like_the_backup_role_cannot_copy_in(account: str, path: str) -> None:
    assert not copies_in(prod(), account, path)


def test_accounts_targeted_directly_are_admitted_by_account_and_explicit_paths_win() -> None:
    config = prod()
    targets = config.targets.model_copy(update={"accounts": ["777777777701"]})
    direct = config.model_copy(update={"targets": targets})
    assert copies_in(direct, "777777777701", f"{ORG}/r-ab12/ou-ab12-77777777/")
    assert not copies_in(direct, "777777777702", f"{ORG}/r-ab12/ou-ab12-77777777/")
    central = config.vaults.central.model_copy(update={"allowed_organization_paths": [f"{ORG}/r-ab12/*"]})
    explicit = config.model_copy(update={"vaults": config.vaults.model_copy(update={"central": central})})
    assert central_copy_sources(explicit)[0] == [f"{ORG}/r-ab12/*"]
    assert copies_in(explicit, "666666666601", f"{ORG}/r-ab12/ou-ab12-66666666/")
