"""Safety rails: nothing irreversible or destructive happens unless the configuration says so explicitly.

Checked on what the program registers under mocks (prod, staging and variants), resource by resource:
compliance-mode Vault Lock only where the config says ``compliance`` (with a grace period of at least 3 days);
protection and retention of everything that holds or guards recovery points; no ``force_destroy``; central
keys that nobody but the break-glass and deploying roles can disable, delete or re-police; tagged member keys.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pulumi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.documents.vault_policy import protected_actions
from deployment.load import load_config
from org_backup.preview.offline import ProgramRun, RecordedResource, run_program
from policies.backup_rules.iam import vault_policy_denies_deletion
from policies.backup_rules.names import BACKUP_KEY_TAG
from stackconfig.load import ConfigError
from tests.hardening.fuzzing import BASE_SECTIONS, fuzz_settings, stack_config

VAULT = "aws:backup/vault:Vault"
AIR_GAPPED_VAULT = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
KEY = "aws:kms/key:Key"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
BACKUP_POLICY = "aws:organizations/policy:Policy"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
DYNAMIC = "pulumi-python:dynamic:Resource"

PROTECTED = (VAULT, AIR_GAPPED_VAULT, LOCK, KEY, BACKUP_POLICY, DELEGATED_ADMIN)
RETAINED = (VAULT, AIR_GAPPED_VAULT, LOCK, KEY)
CENTRAL_KEY_GUARDED = ("kms:DisableKey", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion")

CENTRAL_ACCOUNTS = {"prod": "333333333333", "staging": "700000000002"}


def _config(stack: str, **sections: Any) -> dict[str, Any]:
    config = stack_config(stack)
    for name, value in sections.items():
        config[f"org-backup:{name}"] = value
    return config


def _with_air_gapped(stack: str) -> dict[str, Any]:
    vaults = copy.deepcopy(stack_config(stack)["org-backup:vaults"])
    vaults["central"]["air_gapped"] = {"min_retention_days": 7, "max_retention_days": 400}
    return _config(stack, vaults=vaults)


@pytest.fixture(scope="module")
def air_gapped_run() -> ProgramRun:
    """Prod with a logically air-gapped vault in each DR Region."""
    return run_program(_with_air_gapped("prod"), stack="prod")


def _owner(resource: RecordedResource, run: ProgramRun) -> str:
    """``central``, ``member`` or ``other``: which component the resource was created by."""
    by_urn = run.by_urn()
    node: RecordedResource | None = resource
    while node is not None:
        if node.type == "org-backup:central_vaults:CentralVaults":
            return "central"
        if node.type == "org-backup:member_account:MemberAccount":
            return "member"
        node = by_urn.get(node.parent_urn or "")
    return "other"


# ----------------------------------------------------------------------------------- Vault Lock mode


def test_compliance_lock_only_on_the_vaults_the_config_puts_in_compliance_mode(
    prod_run: ProgramRun, staging_run: ProgramRun
) -> None:
    """prod: central is ``compliance`` (3 days), members ``governance``; staging: governance everywhere."""
    prod_locks = {(_owner(r, prod_run), r.region, r.inputs.get("changeableForDays")) for r in prod_run.of_type(LOCK)}
    assert prod_locks == {
        ("central", "us-west-2", 3),
        ("member", "us-east-1", None),
        ("member", "eu-west-1", None),
    }
    assert all(r.inputs.get("changeableForDays") is None for r in staging_run.of_type(LOCK))
    assert len(staging_run.of_type(LOCK)) == 3


_LOCK_DAYS = st.one_of(st.none(), st.sampled_from([-1, 0, 1, 2, 3, 4, 30, 36500, 36501]), st.integers(-5, 40000))


def _lock(mode: str | None, changeable: int | None, minimum: int = 7, maximum: int = 120) -> dict[str, Any]:
    lock: dict[str, Any] = {"min_retention_days": minimum, "max_retention_days": maximum}
    if mode is not None:
        lock["mode"] = mode
    if changeable is not None:
        lock["changeable_for_days"] = changeable
    return lock


@fuzz_settings(ci=300, fuzz=5_000)
@given(
    mode=st.sampled_from([None, "governance", "compliance", "Compliance", "COMPLIANCE", "locked", ""]),
    changeable=_LOCK_DAYS,
    where=st.sampled_from(["member", "central"]),
)
def test_the_loader_accepts_a_grace_period_only_for_an_explicit_compliance_lock(
    mode: str | None, changeable: int | None, where: str
) -> None:
    sections = copy.deepcopy(BASE_SECTIONS["staging"])
    sections["vaults"][where]["lock"] = _lock(mode, changeable)
    try:
        lock = getattr(load_config(sections).config.vaults, where).lock
    except ConfigError:
        return
    assert lock is not None and lock.mode == mode
    if mode == "compliance":
        assert changeable is not None and 3 <= changeable <= 36500
    else:
        assert changeable is None


@pytest.mark.parametrize(
    ("mode", "changeable", "rule"),
    [
        (None, 3, "required"),
        ("compliance", None, "compliance-needs-grace"),
        ("compliance", 2, "lock-changeable-range"),
        ("compliance", 0, "lock-changeable-range"),
        ("compliance", -1, "lock-changeable-range"),
        ("governance", 3, "governance-no-grace"),
    ],
)
def test_a_compliance_lock_needs_the_mode_spelt_out_and_three_days_of_grace(
    mode: str | None, changeable: int | None, rule: str
) -> None:
    sections = copy.deepcopy(BASE_SECTIONS["prod"])
    sections["vaults"]["central"]["lock"] = _lock(mode, changeable, 30, 400)
    with pytest.raises(ConfigError) as info:
        load_config(sections)
    assert rule in {f.rule for f in info.value.findings}


def mode_needs_grace(lock: tuple[str, int | None]) -> bool:
    """Whether the loader must refuse this (mode, changeable_for_days) pair."""
    mode, days = lock
    return (mode == "compliance") != (days is not None)


@fuzz_settings(ci=12, fuzz=300)
@given(
    member=st.tuples(st.sampled_from(["governance", "compliance"]), st.sampled_from([None, 3, 7, 30])),
    central=st.tuples(st.sampled_from(["governance", "compliance"]), st.sampled_from([None, 3, 14])),
)
def test_the_deployed_locks_follow_the_configured_mode(
    member: tuple[str, int | None], central: tuple[str, int | None]
) -> None:
    """Whatever mode each vault is configured with, only compliance locks carry changeableForDays (>= 3)."""
    vaults = copy.deepcopy(stack_config("staging")["org-backup:vaults"])
    vaults["member"]["lock"] = _lock(*member)
    vaults["central"]["lock"] = _lock(*central, 7, 120)
    try:
        run = run_program(_config("staging", vaults=vaults), stack="staging")
    except pulumi.RunError:
        assert mode_needs_grace(member) or mode_needs_grace(central)
        return
    wanted = {"member": member, "central": central}
    for lock in run.of_type(LOCK):
        mode, days = wanted[_owner(lock, run)]
        if mode == "compliance":
            assert lock.inputs["changeableForDays"] == days and days is not None and days >= 3
        else:
            assert lock.inputs.get("changeableForDays") is None


# ------------------------------------------------------------------------------ protection, retention


def _policy_type_resources(run: ProgramRun) -> list[RecordedResource]:
    return [r for r in run.of_type(DYNAMIC) if r.inputs.get("policy_type") == "BACKUP_POLICY"]


@pytest.mark.parametrize("type_token", PROTECTED)
def test_vaults_locks_keys_backup_policies_and_the_delegated_admin_are_protected(
    prod_run: ProgramRun, air_gapped_run: ProgramRun, type_token: str
) -> None:
    """Every such resource of prod (and of prod with an air-gapped vault, which prod does not configure)."""
    resources = prod_run.of_type(type_token) + air_gapped_run.of_type(type_token)
    assert resources, f"the prod stack registers no {type_token}"
    assert [r.urn for r in resources if not r.protect] == []


def test_the_policy_type_resource_is_protected(prod_run: ProgramRun) -> None:
    resources = _policy_type_resources(prod_run)
    assert len(resources) == 1 and resources[0].protect


@pytest.mark.parametrize("type_token", RETAINED)
def test_vaults_locks_and_keys_are_retained_on_delete(
    prod_run: ProgramRun, air_gapped_run: ProgramRun, type_token: str
) -> None:
    resources = prod_run.of_type(type_token) + air_gapped_run.of_type(type_token)
    assert resources
    assert [r.urn for r in resources if not r.retain_on_delete] == []


def test_no_vault_can_be_force_destroyed(prod_run: ProgramRun, staging_run: ProgramRun) -> None:
    for run in (prod_run, staging_run):
        vaults = run.of_type(VAULT)
        assert vaults and all(v.inputs.get("forceDestroy") is False for v in vaults)


def test_the_air_gapped_vault_is_in_every_dr_region_with_a_retention_floor(air_gapped_run: ProgramRun) -> None:
    vaults = air_gapped_run.of_type(AIR_GAPPED_VAULT)
    assert [(v.account, v.region) for v in vaults] == [("333333333333", "us-west-2")]
    assert all(v.inputs["minRetentionDays"] >= 7 for v in vaults)
    sections = copy.deepcopy(BASE_SECTIONS["prod"])
    sections["vaults"]["central"]["air_gapped"] = {"min_retention_days": 6, "max_retention_days": 400}
    with pytest.raises(ConfigError):
        load_config(sections)


# ------------------------------------------------------------------------------------------ keys


def _statements(resource: RecordedResource) -> list[dict[str, Any]]:
    return list(json.loads(resource.inputs["policy"])["Statement"])


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)


def _arns(value: str | list[str]) -> list[str]:
    return sorted([value] if isinstance(value, str) else value)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_central_keys_deny_disable_delete_and_repolicy_to_all_but_break_glass_and_deployer(
    prod_run: ProgramRun, staging_run: ProgramRun, stack: str
) -> None:
    run = prod_run if stack == "prod" else staging_run
    account = CENTRAL_ACCOUNTS[stack]
    break_glass = ["BackupBreakGlass"] if stack == "prod" else []
    expected = sorted(f"arn:aws:iam::{account}:role/{name}" for name in ["OrganizationAccountAccessRole", *break_glass])
    keys = [k for k in run.of_type(KEY) if _owner(k, run) == "central"]
    assert keys
    for key in keys:
        denies = [
            s
            for s in _statements(key)
            if s["Effect"] == "Deny" and s["Principal"] == "*" and set(CENTRAL_KEY_GUARDED) <= set(_actions(s))
        ]
        assert len(denies) == 1, key.urn
        assert denies[0]["Resource"] == "*"
        assert denies[0]["Condition"] == {"ArnNotLike": {"aws:PrincipalArn": _arns(expected)}}
        assert key.inputs["bypassPolicyLockoutSafetyCheck"] is False


def test_no_key_bypasses_the_lockout_safety_check(prod_run: ProgramRun, staging_run: ProgramRun) -> None:
    for run in (prod_run, staging_run):
        keys = run.of_type(KEY)
        assert keys and all(k.inputs.get("bypassPolicyLockoutSafetyCheck") is False for k in keys)


def test_vault_keys_carry_the_backup_key_tag_for_the_scp(prod_run: ProgramRun, staging_run: ProgramRun) -> None:
    """The recommended SCP (docs/security.md) denies deletion of keys tagged ``org-backup:backup-key=true``."""
    assert BACKUP_KEY_TAG == "org-backup:backup-key"
    for run in (prod_run, staging_run):
        vault_keys = [k for k in run.of_type(KEY) if _owner(k, run) in ("member", "central")]
        assert len([k for k in vault_keys if _owner(k, run) == "member"]) >= 2
        assert all(k.inputs["tags"][BACKUP_KEY_TAG] == "true" for k in vault_keys)


def test_keys_rotate_and_wait_thirty_days_before_deletion(prod_run: ProgramRun) -> None:
    for key in prod_run.of_type(KEY):
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30


# -------------------------------------------------------------------------------- vault access policy


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_every_vault_policy_denies_deletion_to_all_but_break_glass_and_deployer(
    prod_run: ProgramRun, staging_run: ProgramRun, stack: str
) -> None:
    run = prod_run if stack == "prod" else staging_run
    policies = run.of_type(VAULT_POLICY)
    # one per vault, air-gapped vaults included (staging has them)
    assert len(policies) == len(run.of_type(VAULT)) + len(run.of_type(AIR_GAPPED_VAULT))
    break_glass = ["BackupBreakGlass"] if stack == "prod" else []
    for policy in policies:
        assert vault_policy_denies_deletion(policy.inputs["policy"]) == []
        deny = next(
            s for s in _statements(policy) if s["Effect"] == "Deny" and s["Sid"].startswith("DenyRecoveryPoint")
        )
        assert sorted(_actions(deny)) == protected_actions()
        expected = [f"arn:aws:iam::{policy.account}:role/{n}" for n in ["OrganizationAccountAccessRole", *break_glass]]
        assert _arns(deny["Condition"]["ArnNotLike"]["aws:PrincipalArn"]) == sorted(expected)


def test_the_central_vault_takes_copies_from_the_organization_only(prod_run: ProgramRun) -> None:
    central = [p for p in prod_run.of_type(VAULT_POLICY) if p.account == "333333333333"]
    allow = next(s for s in _statements(central[0]) if s["Effect"] == "Allow")
    assert _actions(allow) == ["backup:CopyIntoBackupVault"]
    # the organization's backup role (and AWS Backup's service-linked role), not any principal of it (issue 9 item 5),
    # in the targeted OUs only, the excluded ones denied (security review F4: unguarded accounts could name a role so)
    assert allow["Condition"] == {
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
        "ForAnyValue:StringLike": {
            "aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/*/ou-ab12-11111111/*", "o-a1b2c3d4e5/*/ou-ab12-22222222/*"]
        },
        "ArnLike": {
            "aws:PrincipalArn": [
                "arn:aws:iam::*:role/OrgBackupServiceRole",
                "arn:aws:iam::*:role/aws-service-role/backup.amazonaws.com/AWSServiceRoleForBackup",
            ]
        },
    }
    denies = {s["Sid"]: s["Condition"] for s in _statements(central[0]) if s["Sid"].startswith("DenyCopyInto")}
    assert denies == {
        "DenyCopyIntoVaultFromExcludedOUs": {
            "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": ["o-a1b2c3d4e5/*/ou-ab12-33333333/*"]}
        },
        "DenyCopyIntoVaultFromExcludedAccounts": {"StringEquals": {"aws:PrincipalAccount": ["444444444406"]}},
    }


# ---------------------------------------------------------------------------- backup policies and org


def _strip_operators(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_operators(v) for k, v in node.items() if k != "@@operators_allowed_for_child_policies"}
    return node


def test_every_copied_rule_copies_to_the_central_vault_of_a_dr_region(prod_run: ProgramRun) -> None:
    """Copies land in another account, under a compliance lock: the member account cannot reach them."""
    central = {v.inputs["name"]: v for v in prod_run.of_type(VAULT) if v.account == "333333333333"}
    assert list(central) == ["org-backup-central"]
    expected = "arn:aws:backup:us-west-2:333333333333:backup-vault:org-backup-central"
    copied = 0
    for policy in backup_policies(prod_run):
        for name, plan in _strip_operators(json.loads(policy.inputs["content"]))["plans"].items():
            for rule in plan["rules"].values():
                for arn, action in rule.get("copy_actions", {}).items():
                    assert arn == expected == action["target_backup_vault_arn"]["@@assign"], name
                    copied += 1
    assert copied == 3


def backup_policies(run: ProgramRun) -> list[RecordedResource]:
    """The Organizations policies of type BACKUP_POLICY (the guardrail SCPs are policies too)."""
    return [p for p in run.of_type(BACKUP_POLICY) if p.inputs["type"] == "BACKUP_POLICY"]


def _nodes(node: Any) -> list[dict[str, Any]]:
    pending, out = [node], []
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            out.append(item)
            pending.extend(v for k, v in item.items() if not k.startswith("@@"))
    return out


def test_backup_policies_let_no_child_policy_change_them(prod_run: ProgramRun) -> None:
    """A policy attached lower in the tree (by a rogue delegated admin or OU owner) cannot override a plan."""
    for policy in backup_policies(prod_run):
        for plan in json.loads(policy.inputs["content"])["plans"].values():
            for node in _nodes(plan):
                assert node.get("@@operators_allowed_for_child_policies") == ["@@none"], policy.name


def test_the_delegated_admin_may_manage_backup_policies_and_nothing_else(prod_run: ProgramRun) -> None:
    [delegation] = [r for r in prod_run.of_type(DYNAMIC) if r.name.endswith("-backup-delegation-statements")]
    statements = json.loads(delegation.inputs["content"])["Statement"]
    writes_allowed = {f"organizations:{verb}Policy" for verb in ("Create", "Update", "Delete", "Attach", "Detach")}
    tagging = {"organizations:TagResource", "organizations:UntagResource"}
    for action in {a for s in statements for a in _actions(s)}:
        read_only = action.startswith(("organizations:Describe", "organizations:List")) and "*" not in action
        assert read_only or action in writes_allowed | tagging, action
    tag_statement = next(s for s in statements if set(_actions(s)) & tagging)
    assert set(_actions(tag_statement)) == tagging
    assert tag_statement["Resource"] == "arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/backup_policy/*"
    assert {s["Principal"]["AWS"] for s in statements} == {"arn:aws:iam::222222222222:root"}
    writes = [s for s in statements if s["Sid"] == "OrgBackupAllowManageBackupPolicies"]
    assert writes[0]["Condition"] == {"StringLikeIfExists": {"organizations:PolicyType": "BACKUP_POLICY"}}
    for statement in statements:
        resources = [statement["Resource"]] if isinstance(statement["Resource"], str) else statement["Resource"]
        assert all(r == "*" or "o-a1b2c3d4e5" in r for r in resources)
