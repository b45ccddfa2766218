"""``member_deployment.mode: stackset``: one StackSet instead of per-account resources, describing the same vault."""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Mapping

import pytest
import yaml

from components.documents import member_template as mt
from components.documents import vault_policy as vp
from org_backup.preview.offline import PROJECT_DIR, ProgramRun, load_stack_config, run_program
from org_backup.preview.policy_eval import evaluate
from tests.cfn import rendered

STACK_SET = "aws:cloudformation/stackSet:StackSet"
INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
POLICY = "aws:organizations/policy:Policy"
PROVIDER = "pulumi:providers:aws"
MEMBER = "444444444401"
REGION = "eu-west-1"


def _prod(mode: str = "stackset", **sections: object) -> dict[str, object]:
    config = copy.deepcopy(load_stack_config("prod"))
    config["org-backup:member_deployment"] = {"mode": mode, **sections}
    return config


@pytest.fixture(scope="module")
def stackset_run() -> ProgramRun:
    return run_program(_prod(), stack="prod")


def _template(run: ProgramRun) -> dict:
    (stack_set,) = run.of_type(STACK_SET)
    return json.loads(stack_set.inputs["templateBody"])


def test_prod_registers_no_per_member_resources(stackset_run: ProgramRun, prod_run: ProgramRun):
    # the OrganizationView component included; StackSet mode's guardrail is two SCPs (the execution role's own
    # exemptions add statements), each attached to the backup-admin account too; both modes have the key-state
    # alerting of security F3 (2 rules, 2 targets, 1 forwarding role); one backup policy per plan (4 policies,
    # 17 attachments)
    assert len(stackset_run.resources) == 96
    assert len(prod_run.resources) == 287
    providers = {json.loads(p.inputs["allowedAccountIds"])[0] for p in stackset_run.of_type(PROVIDER)}
    assert providers == {"111111111111", "222222222222", "333333333333"}
    assert not [r for r in stackset_run.resources if r.account and r.account.startswith(("4444", "5555"))]


def _daily_only(config: dict[str, object], targets: Mapping[str, object], restore_tested: str) -> dict[str, object]:
    """Prod's daily plan alone, aimed at ``targets``; restore testing moves to ``restore_tested``, an account the
    targets reach (the loader refuses restore testing where no plan backs anything up)."""
    prod = load_stack_config("prod")
    daily = prod["org-backup:plans"]["daily"]
    restore_testing = prod["org-backup:restore_testing"] | {"accounts": [restore_tested]}
    return config | {
        "org-backup:targets": targets,
        "org-backup:plans": {"daily": daily | {"targets": None}},
        "org-backup:restore_testing": restore_testing,
    }


def _listed(*members: dict[str, str]) -> dict[str, object]:
    """``accounts.listed``: the whole organization, so prod's management, backup-admin and central accounts (and
    their OUs, from the inventory) besides ``members``."""
    inventory = yaml.safe_load((PROJECT_DIR / "inventory" / "prod.yaml").read_text())
    infra = [a for a in inventory["accounts"] if a["id"] in ("111111111111", "222222222222", "333333333333")]
    return {"source": "listed", "listed": [*infra, *members], "organizational_units": inventory["organizational_units"]}


def test_the_resource_count_does_not_depend_on_the_number_of_accounts():
    listed = [{"id": f"5555555{i:05d}", "name": f"a{i}", "parent_id": "ou-ab12-22222222"} for i in range(40)]
    targets = {"organizational_units": [{"name": "non-prod", "id": "ou-ab12-22222222"}]}
    config = _daily_only(_prod(), targets, restore_tested=listed[0]["id"])
    few, many = (
        run_program(config | {"org-backup:accounts": _listed(*ls)}, stack="prod") for ls in (listed[:3], listed)
    )
    assert len(few.resources) == len(many.resources)
    assert len(many.exports["member_accounts"]) == 40


def test_the_stackset_is_service_managed_protected_and_auto_deployed(stackset_run: ProgramRun):
    (stack_set,) = stackset_run.of_type(STACK_SET)
    inputs = stack_set.inputs
    assert stack_set.protect and stack_set.account == "222222222222"
    assert inputs["permissionModel"] == "SERVICE_MANAGED" and inputs["callAs"] == "DELEGATED_ADMIN"
    assert inputs["autoDeployment"] == {"enabled": True, "retainStacksOnAccountRemoval": True}
    assert inputs["capabilities"] == ["CAPABILITY_NAMED_IAM"]
    assert inputs["operationPreferences"] == {
        "maxConcurrentPercentage": 25,
        "failureTolerancePercentage": 10,
        "regionConcurrencyType": "PARALLEL",
    }
    (registration,) = [
        r
        for r in stackset_run.of_type("aws:organizations/delegatedAdministrator:DelegatedAdministrator")
        if r.inputs["servicePrincipal"] == "member.org.stacksets.cloudformation.amazonaws.com"
    ]
    assert registration.account == "111111111111" and registration.inputs["accountId"] == "222222222222"
    assert registration.urn in stack_set.dependencies


def test_instances_go_where_the_policies_are_attached_in_every_workload_region(stackset_run: ProgramRun):
    instances = stackset_run.of_type(INSTANCE)
    assert all(i.protect and i.inputs["retainStack"] and i.inputs["callAs"] == "DELEGATED_ADMIN" for i in instances)
    targets = Counter(
        (json.dumps(i.inputs["deploymentTargets"], sort_keys=True), i.inputs["stackSetInstanceRegion"])
        for i in instances
    )
    expected = [{"organizationalUnitIds": [ou]} for ou in ("ou-ab12-22222222", "ou-ab12-55555555")] + [
        {"accountFilterType": "INTERSECTION", "accounts": [a], "organizationalUnitIds": ["ou-ab12-11111111"]}
        for a in ("444444444401", "444444444402", "444444444403")
    ]
    assert targets == Counter(
        (json.dumps(t, sort_keys=True), region) for t in expected for region in ("us-east-1", "eu-west-1")
    )
    flat = json.dumps([i.inputs for i in instances])
    assert "444444444406" not in flat and "ou-ab12-33333333" not in flat and "444444444404" not in flat


def test_backup_policies_wait_for_the_stackset_and_every_instance(stackset_run: ProgramRun):
    waited = {r.urn for r in stackset_run.resources if r.type in (STACK_SET, INSTANCE)}
    for policy in stackset_run.of_type(POLICY):
        if policy.inputs["type"] == "BACKUP_POLICY":
            assert waited <= set(policy.dependencies)


def test_managed_from_the_management_account(stackset_run: ProgramRun):
    run = run_program(_prod(stackset={"managed_from": "management"}), stack="prod")
    (stack_set,) = run.of_type(STACK_SET)
    assert stack_set.account == "111111111111" and stack_set.inputs["callAs"] == "SELF"
    assert {i.inputs["callAs"] for i in run.of_type(INSTANCE)} == {"SELF"}
    assert len(run.resources) == len(stackset_run.resources) - 1, "no StackSets delegated administrator"


def test_the_management_account_keeps_direct_resources_because_stacksets_skip_it():
    run = run_program(_daily_only(_prod(), {"accounts": ["111111111111", MEMBER]}, MEMBER), stack="prod")
    member_accounts = {r.name for r in run.of_type("org-backup:member_account:MemberAccount")}
    assert member_accounts == {"member-111111111111"}
    accounts = [i.inputs["deploymentTargets"]["accounts"] for i in run.of_type(INSTANCE)]
    assert accounts == [[MEMBER], [MEMBER]]


def test_the_pack_passes_the_stackset_stack(stackset_run: ProgramRun):
    mandatory = [v for v in evaluate(stackset_run).violations if v.enforcement == "mandatory"]
    assert mandatory == []


# --------------------------------------------------------------------------- parity with direct mode


def _one(run: ProgramRun, type_token: str, account: str, region: str | None = None):
    (found,) = [r for r in run.of_type(type_token) if r.account == account and (region is None or r.region == region)]
    return found


def test_both_modes_describe_the_same_vault_lock_key_policy_access_policy_and_role(
    prod_run: ProgramRun, stackset_run: ProgramRun
):
    template = rendered(_template(stackset_run), MEMBER, REGION)["Resources"]
    key = _one(prod_run, "aws:kms/key:Key", MEMBER, REGION)
    vault = _one(prod_run, "aws:backup/vault:Vault", MEMBER, REGION)
    lock = _one(prod_run, "aws:backup/vaultLockConfiguration:VaultLockConfiguration", MEMBER, REGION)
    access = _one(prod_run, "aws:backup/vaultPolicy:VaultPolicy", MEMBER, REGION)
    role = next(r for r in prod_run.of_type("aws:iam/role:Role") if r.account == MEMBER and "backup-role" in r.name)
    attached = sorted(
        r.inputs["policyArn"]
        for r in prod_run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if r.account == MEMBER
    )

    cfn_vault = template[mt.VAULT]["Properties"]
    assert cfn_vault["BackupVaultName"] == vault.inputs["name"]
    assert cfn_vault["EncryptionKeyArn"] == {"Fn::GetAtt": [mt.KEY, "Arn"]}
    assert key.urn in vault.property_dependencies["kmsKeyArn"]
    assert cfn_vault["LockConfiguration"] == {
        "MinRetentionDays": lock.inputs["minRetentionDays"],
        "MaxRetentionDays": lock.inputs["maxRetentionDays"],
    }
    assert "changeableForDays" not in lock.inputs

    # The StackSets execution role creates the key, so KMS's lockout check needs it exempt from the Deny of
    # kms:PutKeyPolicy (the guardrail SCP keeps member administrators from making such a role), and from nothing
    # else: never DisableKey nor ScheduleKeyDeletion (security review F1); nothing else differs.
    execution_role = f"arn:aws:iam::{MEMBER}:role/{mt.STACKSETS_EXECUTION_ROLE}"
    cfn_key = template[mt.KEY]["Properties"]
    direct_key_policy = json.loads(key.inputs["policy"])
    key_deny = next(s for s in direct_key_policy["Statement"] if s["Sid"].startswith("DenyKeyDisableDeletion"))
    exempt_from_key = key_deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    split = [
        {
            **key_deny,
            "Sid": "DenyKeyDisableAndDeletionExceptBreakGlass",
            "Action": ["kms:DisableKey", "kms:ScheduleKeyDeletion"],
        },
        {
            **key_deny,
            "Sid": "DenyKeyPolicyChangeExceptBreakGlassAndDeployer",
            "Action": "kms:PutKeyPolicy",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted([*exempt_from_key, execution_role])}},
        },
    ]
    at = direct_key_policy["Statement"].index(key_deny)
    direct_key_policy["Statement"][at : at + 1] = split
    assert cfn_key["KeyPolicy"] == direct_key_policy
    assert cfn_key["EnableKeyRotation"] is key.inputs["enableKeyRotation"] is True
    assert cfn_key["PendingWindowInDays"] == key.inputs["deletionWindowInDays"]
    assert cfn_key["RotationPeriodInDays"] == key.inputs["rotationPeriodInDays"]

    # The vault's Deny exempts the same exact roles in both modes (issue 9 item 1: no stacksets-exec-* pattern);
    # the one difference is that the execution role may also write the Vault Lock, in a statement of its own.
    direct_policy = json.loads(access.inputs["policy"])
    *others, direct_deny = direct_policy["Statement"]
    *cfn_others, cfn_deny, cfn_lock = cfn_vault["AccessPolicy"]["Statement"]
    assert cfn_others == others
    assert cfn_deny == {**direct_deny, "Action": [a for a in direct_deny["Action"] if a != vp.LOCK_WRITE_ACTION]}
    exempt = direct_deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    assert "stacksets-exec" not in json.dumps(cfn_deny)
    assert cfn_lock == {
        "Sid": "DenyVaultLockChangesExceptBreakGlassAndDeployer",
        "Effect": "Deny",
        "Principal": "*",
        "Action": vp.LOCK_WRITE_ACTION,
        "Resource": "*",
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": sorted([*exempt, execution_role])}},
    }

    cfn_role = template[mt.ROLE]["Properties"]
    assert cfn_role["RoleName"] == role.inputs["name"]
    assert cfn_role["AssumeRolePolicyDocument"] == json.loads(role.inputs["assumeRolePolicy"])
    assert sorted(cfn_role["ManagedPolicyArns"]) == attached
