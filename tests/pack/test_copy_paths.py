"""The pack's copy-path rules (policies/rules/copy_paths.py): each copy path the registered policies run, judged
by the shared rules of backup_rules.copy_paths on the vault policies, keys and vaults the stack registers.

Hand-built stacks show each attacker edit (a vault policy narrowed to one OU, a Deny that catches the backup
role, a key policy without the organization grant, a copy into a Region without the vault); the prod stack,
run under mocks, shows the rules read what the program really registers.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest

from components.program import offline_tree
from deployment.load import load_config
from org_backup.preview.access_report import pack_config
from org_backup.preview.offline import load_stack_config, run_program
from rules import copy_paths as pack_paths
from stackconfig.copy_paths import organization_paths
from stackconfig.load import sections_from_pulumi_config
from tests.pack.harness import UNKNOWN_STRING, Spec, fired, run_stack, specs_from_run
from tests.pack.test_copies import (
    ADMIN,
    CENTRAL,
    CENTRAL_VAULT_ARN,
    COPY_FROM_ORG,
    MEMBER,
    OTHER_MEMBER,
    OU,
    backup_policy,
    central,
    copy_to,
    member,
    policy,
    rule_document,
    stack_messages,
    vault,
)

ORG = "o-a1b2c3d4e5"
PROD_OU = OU
DEV_OU = "ou-ab12-99999999"
PATHS = {
    "organizationPaths": {
        MEMBER: f"{ORG}/r-ab12/{PROD_OU}/",
        OTHER_MEMBER: f"{ORG}/r-ab12/{DEV_OU}/",
        CENTRAL: f"{ORG}/r-ab12/ou-ab12-55555555/",
        ADMIN: f"{ORG}/r-ab12/ou-ab12-55555555/",
    }
}
ACCEPTS = "backup-copy-destination-accepts-org"
KEYS = "backup-copy-keys-admit"
EXISTS = "backup-copy-destination-exists"
KEY = "aws:kms/key:Key"


def statement(**fields: Any) -> dict[str, Any]:
    return {"Principal": "*", "Resource": "*", **fields}


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ALLOW_PROD_OU = statement(
    Sid="AllowCopyFromProd",
    Effect="Allow",
    Action="backup:CopyIntoBackupVault",
    Condition={
        "StringEquals": {"aws:PrincipalOrgID": ORG},
        "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/r-ab12/{PROD_OU}/*"]},
    },
)


def both_members(**central_kwargs: Any) -> list[Spec]:
    """The daily plan for two members (prod OU and dev OU), copying into the central vault."""
    return [*backup_policy(rule_document(), MEMBER, OTHER_MEMBER), *central(**central_kwargs)]


# --------------------------------------------------------------------------- the destination admits the source


def test_a_vault_policy_narrowed_to_one_ou_refuses_exactly_the_other_ous_accounts() -> None:
    found = stack_messages(ACCEPTS, both_members(access_policy=document(ALLOW_PROD_OU)), PATHS)
    assert found == [
        f"plans.daily.rules.daily.copy_actions.{CENTRAL_VAULT_ARN}: copies from {OTHER_MEMBER}/eu-west-1 into "
        f"central-copies in {CENTRAL}/us-west-2 need backup:CopyIntoBackupVault, but no statement of the "
        f"destination vault's VaultPolicy allows it to account {OTHER_MEMBER} with OU path {ORG}/r-ab12/{DEV_OU}/: "
        "AWS Backup fails the copy job"
    ]
    assert stack_messages(ACCEPTS, both_members(access_policy=COPY_FROM_ORG), PATHS) == []


def test_a_deny_that_catches_the_backup_role_beats_the_organization_allow() -> None:
    deny = statement(
        Sid="NoCopiesFromBackupRoles",
        Effect="Deny",
        Action="backup:*",
        Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgBackup*"}},
    )
    allow = json.loads(COPY_FROM_ORG)["Statement"][0]
    [found] = stack_messages(ACCEPTS, both_members(access_policy=document(allow, deny)), PATHS)
    assert "but the destination vault's VaultPolicy denies it (policy.Statement[1])" in found
    assert "(2 sources: " in found and f"{MEMBER}/eu-west-1" in found and f"{OTHER_MEMBER}/eu-west-1" in found


def test_paths_of_two_organizations_leave_the_organization_unknown() -> None:
    outsider = {"organizationPaths": {**PATHS["organizationPaths"], OTHER_MEMBER: "o-zzzzzzzzzz/r-zz99/"}}
    specs = both_members(access_policy=COPY_FROM_ORG)
    assert stack_messages(ACCEPTS, specs, {**PATHS}) == []
    # The paths of one organization disagree: the organization id is not known, so nothing is granted by it.
    [found] = stack_messages(ACCEPTS, specs, outsider)
    assert pack_paths.ORGANIZATION_HINT in found


def test_without_organization_paths_the_rule_fails_closed_and_says_what_to_give() -> None:
    [found] = stack_messages(ACCEPTS, both_members(access_policy=COPY_FROM_ORG), {"organizationPaths": {}})
    assert "may not allow it (its conditions cannot be checked here: policy.Statement[0])" in found
    assert found.endswith(
        pack_paths.ORGANIZATION_HINT + " (2 sources: " + f"{MEMBER}/eu-west-1, {OTHER_MEMBER}/eu-west-1)"
    )
    by_account = document(
        statement(
            Effect="Allow",
            Action="backup:CopyIntoBackupVault",
            Principal={"AWS": [f"arn:aws:iam::{MEMBER}:root", f"arn:aws:iam::{OTHER_MEMBER}:root"]},
        )
    )
    assert stack_messages(ACCEPTS, both_members(access_policy=by_account), {"organizationPaths": {}}) == []


def test_a_plan_copies_as_its_selection_role() -> None:
    plan = Spec(
        "aws:backup/plan:Plan",
        {
            "name": "member-plan",
            "rules": [
                {
                    "ruleName": "daily",
                    "targetVaultName": "member-vault",
                    "schedule": "cron(0 3 ? * * *)",
                    "lifecycle": {"deleteAfter": 35.0},
                    "copyActions": [{"destinationVaultArn": CENTRAL_VAULT_ARN, "lifecycle": {"deleteAfter": 90.0}}],
                }
            ],
        },
        name="member-plan",
        account=OTHER_MEMBER,
        region="eu-west-1",
    )
    selection = Spec(
        "aws:backup/selection:Selection",
        {"name": "s", "planId": UNKNOWN_STRING, "iamRoleArn": f"arn:aws:iam::{OTHER_MEMBER}:role/AnyRole"},
        name="member-selection",
        account=OTHER_MEMBER,
        region="eu-west-1",
        property_dependencies={"planId": [plan.urn]},
    )
    [found] = stack_messages(ACCEPTS, [plan, selection, *central(access_policy=document(ALLOW_PROD_OU))], PATHS)
    assert found.startswith("rules[0].copyActions[0]: copies from " + f"{OTHER_MEMBER}/eu-west-1")
    unknown_role = replace(selection, props={**selection.props, "iamRoleArn": UNKNOWN_STRING})
    [found] = stack_messages(ACCEPTS, [plan, unknown_role, *central()], PATHS)
    assert "the Selection's iamRoleArn could not be verified during preview" in found


# --------------------------------------------------------------------------- both keys admit the copy


def key(account: str, region: str, name: str, key_policy: Any) -> Spec:
    props: dict[str, Any] = {"description": name, "arn": f"arn:aws:kms:{region}:{account}:key/{name}"}
    if key_policy is not None:
        props["policy"] = key_policy
    return Spec(KEY, props, name=f"{name}-key", account=account, region=region)


def with_key(vault_specs: list[Spec], key_spec: Spec) -> list[Spec]:
    """The vault encrypted with ``key_spec`` (linked as the program links them: kmsKeyArn is the key's output)."""
    first = vault_specs[0]
    keyed = replace(
        first,
        props={**first.props, "kmsKeyArn": key_spec.props["arn"]},
        property_dependencies={"kmsKeyArn": [key_spec.urn]},
    )
    return [key_spec, keyed, *vault_specs[1:]]


def organization_key(*, paths: list[str] | None = None, region: str = "us-west-2") -> str:
    condition: dict[str, Any] = {
        "StringEquals": {"aws:PrincipalOrgID": ORG, "kms:ViaService": f"backup.{region}.amazonaws.com"}
    }
    if paths:
        condition["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": paths}
    return document(
        statement(Effect="Allow", Action=["kms:Decrypt", "kms:GenerateDataKey"], Condition=condition),
        statement(
            Effect="Allow",
            Action="kms:CreateGrant",
            Condition={**condition, "Bool": {"kms:GrantIsForAWSResource": "true"}},
        ),
    )


def test_the_destination_key_must_admit_every_source() -> None:
    good = with_key(central(), key(CENTRAL, "us-west-2", "central", organization_key()))
    assert stack_messages(KEYS, [*backup_policy(rule_document(), MEMBER, OTHER_MEMBER), *good], PATHS) == []
    narrowed = with_key(
        central(), key(CENTRAL, "us-west-2", "central", organization_key(paths=[f"{ORG}/r-ab12/{PROD_OU}/*"]))
    )
    [found] = stack_messages(KEYS, [*backup_policy(rule_document(), MEMBER, OTHER_MEMBER), *narrowed], PATHS)
    assert found == (
        f"plans.daily.rules.daily.copy_actions.{CENTRAL_VAULT_ARN}: the key of central-copies in {CENTRAL}/us-west-2 "
        f"must let arn:aws:iam::{OTHER_MEMBER}:role/OrgBackupServiceRole re-encrypt the copy, but it does not allow "
        "kms:CreateGrant through AWS Backup in us-west-2"
    )


def test_a_key_without_a_policy_has_kms_default_policy_which_admits_no_other_account() -> None:
    specs = [*backup_policy(rule_document(), MEMBER), *with_key(central(), key(CENTRAL, "us-west-2", "central", None))]
    [found] = stack_messages(KEYS, specs, PATHS)
    assert f"must let arn:aws:iam::{MEMBER}:role/OrgBackupServiceRole re-encrypt the copy" in found


def test_an_unknown_key_policy_fails_closed() -> None:
    specs = [
        *backup_policy(rule_document(), MEMBER),
        *with_key(central(), key(CENTRAL, "us-west-2", "c", UNKNOWN_STRING)),
    ]
    [found] = stack_messages(KEYS, specs, PATHS)
    assert "the destination vault's key policy policy could not be verified during preview" in found


def test_the_source_key_must_be_shared_with_the_destination_account() -> None:
    own_only = document(
        statement(Effect="Allow", Action="kms:*", Principal={"AWS": f"arn:aws:iam::{MEMBER}:root"}),
    )
    source = with_key(member(), key(MEMBER, "eu-west-1", "member", own_only))
    specs = [*backup_policy(rule_document(), MEMBER), *source, *central()]
    assert stack_messages(KEYS, [*backup_policy(rule_document(), MEMBER), *source]) == [], "out of the stack"
    [found] = stack_messages(KEYS, specs, PATHS)
    assert found == (
        f"plans.daily.rules.daily.copy_actions.{CENTRAL_VAULT_ARN}: the source vault key in {MEMBER}/eu-west-1 must "
        f"be shared with the destination account {CENTRAL}, but it does not allow kms:CreateGrant through AWS "
        "Backup in eu-west-1"
    )
    shared = document(
        statement(
            Effect="Allow",
            Action="kms:*",
            Principal={"AWS": [f"arn:aws:iam::{MEMBER}:root", f"arn:aws:iam::{CENTRAL}:root"]},
        ),
    )
    specs = [
        *backup_policy(rule_document(), MEMBER),
        *with_key(member(), key(MEMBER, "eu-west-1", "member", shared)),
        *central(),
    ]
    assert stack_messages(KEYS, specs, PATHS) == []


# --------------------------------------------------------------------------- the destination exists, DR leaves the Region


def test_a_copy_into_a_region_without_the_vault_is_a_violation() -> None:
    elsewhere = f"arn:aws:backup:us-east-2:{CENTRAL}:backup-vault:central-copies"
    specs = [*backup_policy(rule_document(copy_actions=copy_to(elsewhere)), MEMBER), *central()]
    [found] = stack_messages(EXISTS, specs)
    assert found == (
        f"plans.daily.rules.daily.copy_actions.{elsewhere}: there is no vault 'central-copies' in us-east-2 (this "
        f"stack keeps 'central-copies' in {CENTRAL} only in us-west-2): AWS Backup fails the copy job"
    )
    assert stack_messages(EXISTS, [*backup_policy(rule_document(), MEMBER), *central()]) == []
    foreign = "arn:aws:backup:us-east-2:999999999999:backup-vault:theirs"
    assert stack_messages(EXISTS, backup_policy(rule_document(copy_actions=copy_to(foreign)), MEMBER)) == []


def test_a_disaster_recovery_copy_in_its_own_region_is_advice() -> None:
    same_region = f"arn:aws:backup:eu-west-1:{CENTRAL}:backup-vault:central-copies"
    specs = [
        *backup_policy(rule_document(copy_actions=copy_to(same_region)), MEMBER),
        *vault(CENTRAL, "eu-west-1", "central-copies"),
    ]
    [found] = stack_messages("backup-copy-is-cross-boundary", specs)
    assert found == (
        f"plans.daily.rules.daily.copy_actions.{same_region}: plan 'daily' rule 'daily' copies backups taken in "
        "eu-west-1 to eu-west-1, the same Region: the copy protects nothing against losing eu-west-1; choose a DR "
        "Region that is not a workload Region"
    )
    assert policy("backup-copy-is-cross-boundary").enforcement_level.value == "advisory"


# --------------------------------------------------------------------------- the prod stack as the program registers it


@pytest.fixture(scope="module")
def prod() -> tuple[list[Spec], dict[str, Any]]:
    raw = load_stack_config("prod")
    tree = offline_tree(load_config(sections_from_pulumi_config(raw)).config, "prod")
    assert tree.organization_id is not None
    config = {"organizationPaths": organization_paths(tree, tree.organization_id)}
    return specs_from_run(run_program(raw, stack="prod").resources), config


def copy_rules() -> list[Any]:
    return [policy(name) for name in (ACCEPTS, KEYS, EXISTS)]


def test_prod_passes_every_copy_path_rule(prod: tuple[list[Spec], dict[str, Any]]) -> None:
    specs, config = prod
    assert fired(specs, copy_rules(), config) == {}
    assert fired(specs, copy_rules()) == {}, "the stack's OrganizationView gives the OU paths"
    without_view = [s for s in specs if s.type != "org-backup:organization:OrganizationView"]
    assert fired(without_view, copy_rules()).keys() == {ACCEPTS, KEYS}, "without the OU paths both rules fail closed"


def test_prod_central_key_edited_to_one_ou_names_the_other_accounts(prod: tuple[list[Spec], dict[str, Any]]) -> None:
    specs, config = prod
    paths = config["organizationPaths"]
    central_account = next(s.account for s in specs if s.type == KEY and s.name.startswith("central-"))
    one_ou = paths["444444444401"] + "*"

    def narrowed(spec: Spec) -> Spec:
        if spec.type != KEY or not spec.name.startswith("central-"):
            return spec
        key_policy = json.loads(spec.props["policy"])
        for entry in key_policy["Statement"]:
            if "aws:PrincipalOrgID" in json.dumps(entry):
                entry["Condition"]["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": [one_ou]}
        return replace(spec, props={**spec.props, "policy": json.dumps(key_policy)})

    found = fired([narrowed(s) for s in specs], copy_rules(), config)
    assert found.keys() == {KEYS}
    [(_, message)] = found[KEYS]
    non_prod = {a for a, p in paths.items() if p.endswith("/ou-ab12-22222222/")}
    listed = re.search(r"\((\d+) sources: (.*)\)$", message)
    assert listed is not None and int(listed.group(1)) == 2 * len(non_prod), "each non-prod account, two Regions"
    assert set(re.findall(r"(\d{12})/", listed.group(2))) <= non_prod, "the nested OU under the kept one is admitted"
    assert (
        f"the key of org-backup-central in {central_account}/us-west-2 must let arn:aws:iam::555555555501:" in message
    )


def test_run_stack_reports_on_the_policy_resource() -> None:
    specs = both_members(access_policy=document(ALLOW_PROD_OU))
    [(urn, _)] = run_stack(policy(ACCEPTS), specs, PATHS)
    assert urn == specs[0].urn


# --------------------------------------------------------------------------- what the preview hands the rules


def test_the_preview_passes_every_accounts_ou_path_unless_the_policy_config_gives_its_own() -> None:
    raw = load_stack_config("prod")
    tree = offline_tree(load_config(sections_from_pulumi_config(raw)).config, "prod")
    given = {KEYS: {"organizationPaths": {MEMBER: "o-x/r-y/"}}, ACCEPTS: "advisory"}
    config = pack_config(given, tree)
    assert config[KEYS]["organizationPaths"] == {MEMBER: "o-x/r-y/"}
    assert config[ACCEPTS]["enforcementLevel"] == "advisory"
    paths = config[ACCEPTS]["organizationPaths"]
    assert paths["444444444405"] == "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-55555555/", "nested OU, root first"
    assert set(paths) == set(tree.accounts)
