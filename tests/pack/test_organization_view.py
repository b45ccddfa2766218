"""The organization view the program publishes for the pack: a real `pulumi preview --policy-pack policies` of
prod passes the copy-path rules with no policy config; without the view they fail closed with their hint; the
policy config overrides the view per account; the view is the tree's, computed by one function."""

from __future__ import annotations

import pytest
from pulumi_policy import EnforcementLevel

from components.program import offline_tree
from deployment.load import load_config
from org_backup.preview.offline import load_stack_config, run_program
from policies.backup_rules.names import ORGANIZATION_VIEW_TYPE
from policies.backup_rules.stack_outputs import ORGANIZATION_PATHS, OU_ACCOUNTS
from rules import copies, copy_paths, org_policies, org_setup
from stackconfig.copy_paths import organization_paths
from stackconfig.load import sections_from_pulumi_config
from stackconfig.organization_view import organization_view, target_accounts
from tests.pack.harness import Spec, fired, run_stack, specs_from_run

MANDATORY = [
    policy
    for policy in org_policies.POLICIES + org_setup.POLICIES + copies.POLICIES
    if policy.enforcement_level == EnforcementLevel.MANDATORY
]
ACCEPTS = "backup-copy-destination-accepts-org"
KEYS = "backup-copy-keys-admit"
NESTED = "444444444405"


@pytest.fixture(scope="module")
def prod_specs() -> list[Spec]:
    return specs_from_run(run_program(load_stack_config("prod"), stack="prod").resources)


def _view(specs: list[Spec]) -> Spec:
    [view] = [s for s in specs if s.type == ORGANIZATION_VIEW_TYPE]
    return view


def test_the_program_publishes_the_trees_view_computed_by_organization_paths(prod_specs: list[Spec]) -> None:
    tree = offline_tree(load_config(sections_from_pulumi_config(load_stack_config("prod"))).config, "prod")
    assert tree.organization_id is not None
    view = _view(prod_specs)
    assert view.props[ORGANIZATION_PATHS] == organization_paths(tree, tree.organization_id)
    assert view.props[ORGANIZATION_PATHS][NESTED] == "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-55555555/"
    ous = view.props[OU_ACCOUNTS]
    assert NESTED in ous["ou-ab12-11111111"] and ous["ou-ab12-55555555"] == [NESTED], "nested OUs count upwards"
    assert sorted(ous[tree.root_id]) == sorted(tree.accounts)


def test_prod_passes_every_mandatory_copy_rule_with_no_policy_config(prod_specs: list[Spec]) -> None:
    assert fired(prod_specs, MANDATORY) == {}


def test_without_the_view_the_copy_path_rules_fail_closed_with_their_hint(prod_specs: list[Spec]) -> None:
    without = [s for s in prod_specs if s.type != ORGANIZATION_VIEW_TYPE]
    found = fired(without, MANDATORY)
    assert set(found) == {ACCEPTS, KEYS}
    for reports in found.values():
        assert all(copy_paths.ORGANIZATION_HINT in message for _, message in reports)
        assert all("OrganizationView" in message and "organizationPaths" in message for _, message in reports)


def test_the_policy_config_overrides_the_view_per_account(prod_specs: list[Spec]) -> None:
    """A path the config gives wins over the view's: one in another organization changes the verdict."""
    accepts = copy_paths.DESTINATION_ACCEPTS_POLICY
    same = {"organizationPaths": {NESTED: _view(prod_specs).props[ORGANIZATION_PATHS][NESTED]}}
    assert run_stack(accepts, prod_specs, same) == []
    elsewhere = {"organizationPaths": {NESTED: "o-zzzzzzzzzz/r-zz99/"}}
    assert run_stack(accepts, prod_specs, elsewhere), "the config's path was not used"


def test_target_accounts_of_an_account_an_ou_and_an_unknown_ou() -> None:
    ous = {"ou-ab12-11111111": ["444444444401"]}
    assert target_accounts(["444444444499", "ou-ab12-11111111", "ou-ab12-00000000"], ous) == {
        "444444444499": ["444444444499"],
        "ou-ab12-11111111": ["444444444401"],
        "ou-ab12-00000000": [],
    }


def test_an_empty_ou_is_listed_with_no_accounts() -> None:
    tree = offline_tree(load_config(sections_from_pulumi_config(load_stack_config("prod"))).config, "prod")
    tree.ou_names["ou-ab12-77777777"] = "empty"
    tree.ou_parent["ou-ab12-77777777"] = tree.root_id
    assert organization_view(tree, "o-a1b2c3d4e5").ou_accounts["ou-ab12-77777777"] == []
