"""The whole prod stack under mocks: what lands where, and that every backup policy can run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from deployment.load import config_from_stack_file
from org_backup.preview.offline import PROJECT_DIR, ProgramRun
from stackconfig.inventory import OrgTree, load_inventory

VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
KEY = "aws:kms/key:Key"
POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
ROLE = "aws:iam/role:Role"

MEMBERS = [
    "444444444401",
    "444444444402",
    "444444444403",
    "444444444405",
    "555555555501",
    "555555555502",
    "555555555503",
    "555555555504",
]


def test_members_are_the_active_targeted_accounts(prod_run: ProgramRun):
    assert prod_run.exports["member_accounts"] == MEMBERS


def test_no_duplicate_urns(prod_run: ProgramRun):
    duplicates = [u for u, n in Counter(r.urn for r in prod_run.resources).items() if n > 1]
    assert duplicates == []


def test_one_provider_per_account_with_its_role(prod_run: ProgramRun):
    providers = prod_run.of_type("pulumi:providers:aws")
    accounts = sorted(json.loads(p.inputs["allowedAccountIds"])[0] for p in providers)
    assert accounts == sorted(["111111111111", "222222222222", "333333333333", *MEMBERS])
    for provider in providers:
        account = json.loads(provider.inputs["allowedAccountIds"])[0]
        if account == "111111111111":
            assert "assumeRoles" not in provider.inputs or provider.inputs["assumeRoles"] in (None, "null")
            continue
        roles = json.loads(provider.inputs["assumeRoles"])
        assert roles[0]["roleArn"] == f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"


def test_counts_per_member_account_and_region(prod_run: ProgramRun):
    per_location = Counter((r.account, r.region, r.type) for r in prod_run.resources if r.custom)
    for account in MEMBERS:
        for region in ("us-east-1", "eu-west-1"):
            for type_token in (
                VAULT,
                LOCK,
                KEY,
                "aws:backup/vaultPolicy:VaultPolicy",
                "aws:kms/alias:Alias",
                "aws:cloudwatch/eventRule:EventRule",
                "aws:cloudwatch/eventTarget:EventTarget",
                "aws:backup/framework:Framework",
            ):
                assert per_location[(account, region, type_token)] == 1, (account, region, type_token)
        assert per_location[(account, "us-east-1", ROLE)] == 2
        assert per_location[(account, "us-east-1", "aws:iam/rolePolicyAttachment:RolePolicyAttachment")] == 4
    # nothing for the excluded, suspended or sandbox accounts
    for account in ("444444444404", "444444444406", "666666666601"):
        assert not [r for r in prod_run.resources if r.account == account]


def test_central_vaults_only_in_dr_regions_and_compliance_locked(prod_run: ProgramRun):
    central = [r for r in prod_run.of_type(VAULT) if r.account == "333333333333"]
    assert [(r.region, r.inputs["name"]) for r in central] == [("us-west-2", "org-backup-central")]
    locks = {(r.account, r.region): r.inputs for r in prod_run.of_type(LOCK)}
    assert locks[("333333333333", "us-west-2")] == {
        "backupVaultName": "org-backup-central",
        "region": "us-west-2",
        "changeableForDays": 3.0,
        "minRetentionDays": 30.0,
        "maxRetentionDays": 400.0,
    }
    member_lock = locks[("444444444401", "eu-west-1")]
    assert "changeableForDays" not in member_lock  # governance mode
    assert (member_lock["minRetentionDays"], member_lock["maxRetentionDays"]) == (7.0, 400.0)


def test_what_holds_backups_is_protected_and_retained(prod_run: ProgramRun):
    for type_token in (VAULT, LOCK, KEY):
        for r in prod_run.of_type(type_token):
            if type_token == KEY and "topic-key" in r.name:
                continue
            assert r.protect and r.retain_on_delete, r.urn
    for type_token in (
        POLICY,
        "aws:organizations/delegatedAdministrator:DelegatedAdministrator",
        "aws:s3/bucket:Bucket",
    ):
        assert all(r.protect for r in prod_run.of_type(type_token))
    assert all(r.inputs.get("forceDestroy") is False for r in prod_run.of_type(VAULT))


def test_vault_keys_rotate_and_wait_30_days(prod_run: ProgramRun):
    for key in prod_run.of_type(KEY):
        assert key.inputs["enableKeyRotation"] is True
        assert key.inputs["deletionWindowInDays"] == 30.0
        assert key.inputs.get("bypassPolicyLockoutSafetyCheck") in (None, False)


def test_each_vault_uses_the_key_of_its_own_account_and_region(prod_run: ProgramRun):
    for vault in prod_run.of_type(VAULT):
        arn = vault.inputs["kmsKeyArn"]
        assert arn.startswith(f"arn:aws:kms:{vault.region}:{vault.account}:key/"), (vault.urn, arn)


def test_management_account_settings(prod_run: ProgramRun):
    access = prod_run.of_type("aws:organizations/awsServiceAccess:AwsServiceAccess")
    assert [(a.account, a.inputs["servicePrincipal"]) for a in access] == [("111111111111", "backup.amazonaws.com")]
    admin = prod_run.of_type("aws:organizations/delegatedAdministrator:DelegatedAdministrator")
    assert [(a.account, a.inputs["accountId"], a.inputs["servicePrincipal"]) for a in admin] == [
        ("111111111111", "222222222222", "backup.amazonaws.com")
    ]
    settings = prod_run.of_type("aws:backup/globalSettings:GlobalSettings")
    # prod does not set organization.enable_mpa: isMpaEnabled is left to whoever owns it
    assert settings[0].inputs["globalSettings"] == {
        "isCrossAccountBackupEnabled": "true",
        "isDelegatedAdministratorEnabled": "true",
    }
    policy_type = prod_run.of_type("pulumi-python:dynamic:Resource")
    assert policy_type[0].inputs["policy_type"] == "BACKUP_POLICY" and policy_type[0].protect
    [statements] = [r for r in prod_run.of_type("pulumi-python:dynamic:Resource") if "content" in r.inputs]
    assert statements.protect and statements.inputs["management_account_id"] == "111111111111"
    delegation = json.loads(statements.inputs["content"])
    assert "BACKUP_POLICY" in json.dumps(delegation)
    assert all("arn:aws:iam::222222222222:root" in json.dumps(s["Principal"]) for s in delegation["Statement"])


def test_backup_policies_live_in_the_admin_account_after_what_they_name(prod_run: ProgramRun):
    policies = [p for p in prod_run.of_type(POLICY) if p.inputs["type"] == "BACKUP_POLICY"]
    assert {p.account for p in policies} == {"222222222222"}
    scps = [p for p in prod_run.of_type(POLICY) if p not in policies]
    assert {(p.inputs["type"], p.account) for p in scps} == {("SERVICE_CONTROL_POLICY", "111111111111")}
    vault_urns = {v.urn for v in prod_run.of_type(VAULT)}
    role_urns = {r.urn for r in prod_run.of_type(ROLE)}
    for policy in policies:
        assert len(policy.inputs["content"]) <= 10_000
        assert vault_urns <= set(policy.dependencies), "policies must wait for every vault"
        assert {u for u in role_urns if "backup-role" in u} <= set(policy.dependencies)


def test_attachments_avoid_excluded_and_suspended_accounts(prod_run: ProgramRun):
    by_urn = prod_run.by_urn()
    targets = Counter(
        a.inputs["targetId"]
        for a in prod_run.of_type(ATTACHMENT)
        if by_urn[a.parent_urn or ""].inputs["type"] == "BACKUP_POLICY"
    )
    assert "ou-ab12-11111111" not in targets  # prod holds the excluded prod-legacy: attach to its children
    assert "444444444406" not in targets and "444444444404" not in targets
    assert targets["ou-ab12-22222222"] == 1  # non-prod: daily only
    # one policy per plan: daily, weekly, monthly and critical-databases each on prod's children
    assert targets["444444444401"] == 4 and targets["ou-ab12-55555555"] == 4


def _nodes(node: dict) -> list[dict]:
    """Child nodes of a policy node, without the inheritance-control entries."""
    return [v for k, v in node.items() if not k.startswith("@@")]


def _reached_accounts(tree: OrgTree, target: str) -> list[str]:
    return [a.id for a in tree.accounts.values() if a.status == "ACTIVE" and tree.is_under(a.id, target)]


def test_every_name_in_every_policy_resolves_in_every_target(prod_run: ProgramRun):
    """The vault, the role and every copy destination a policy names exist where the policy applies."""
    config = config_from_stack_file(Path(PROJECT_DIR, "Pulumi.prod.yaml")).config
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory/prod.yaml"))
    vaults = {(v.account, v.region, v.inputs["name"]) for v in prod_run.of_type(VAULT)}
    roles = {(r.account, r.inputs["name"]) for r in prod_run.of_type(ROLE)}
    by_urn = prod_run.by_urn()
    checked = 0
    for attachment in prod_run.of_type(ATTACHMENT):
        policy = by_urn[attachment.parent_urn]  # type: ignore[index]
        if policy.inputs["type"] != "BACKUP_POLICY":
            continue
        plans = json.loads(policy.inputs["content"])["plans"]
        for account in _reached_accounts(tree, attachment.inputs["targetId"]):
            for plan in _nodes(plans):
                for region in plan["regions"]["@@assign"]:
                    for rule in _nodes(plan["rules"]):
                        assert (account, region, rule["target_backup_vault_name"]["@@assign"]) in vaults
                        for arn in [k for k in rule.get("copy_actions", {}) if not k.startswith("@@")]:
                            _, _, _, dest_region, dest_account, _, name = arn.split(":")
                            dest_account = account if dest_account == "$account" else dest_account
                            assert (dest_account, dest_region, name) in vaults, arn
                        checked += 1
                    for kind in _nodes(plan["selections"]):
                        for selection in _nodes(kind):
                            role_arn = selection["iam_role_arn"]["@@assign"].replace("$account", account)
                            assert (account, role_arn.rsplit("/", 1)[-1]) in roles
                            assert role_arn.startswith(f"arn:aws:iam::{account}:role/")
    assert checked > 20
    assert config.vaults.member.name == "org-backup"


def test_exports(prod_run: ProgramRun):
    exports = prod_run.exports
    assert set(exports["central_vault_arns"]) == {"us-west-2"}
    assert exports["central_vault_arns"]["us-west-2"] == (
        "arn:aws:backup:us-west-2:333333333333:backup-vault:org-backup-central"
    )
    assert set(exports["member_vault_arns"]) == set(MEMBERS)
    assert exports["report_bucket"] == "org-backup-reports-222222222222-us-east-1"
    assert exports["alert_topic_arn"].startswith("arn:aws:sns:us-east-1:222222222222:")
    assert sorted(exports["backup_policy_ids"]) == [
        "org-backup-critical-databases",
        "org-backup-daily",
        "org-backup-monthly",
        "org-backup-weekly",
    ]


def test_audit_reports_bucket_policy_waits_for_report_plans(prod_run: ProgramRun):
    plans = prod_run.of_type("aws:backup/reportPlan:ReportPlan")
    assert sorted(p.inputs["reportSetting"]["reportTemplate"] for p in plans) == sorted(
        [
            "BACKUP_JOB_REPORT",
            "COPY_JOB_REPORT",
            "RESTORE_JOB_REPORT",
            "CONTROL_COMPLIANCE_REPORT",
            "RESOURCE_COMPLIANCE_REPORT",
        ]
    )
    bucket_policy = prod_run.of_type("aws:s3/bucketPolicy:BucketPolicy")[0]
    assert {p.urn for p in plans} <= set(bucket_policy.dependencies)
    policy = json.loads(bucket_policy.inputs["policy"])
    assert "AWSServiceRoleForBackupReports" in json.dumps(policy)


def test_member_events_forward_to_the_central_bus(prod_run: ProgramRun):
    targets = prod_run.of_type("aws:cloudwatch/eventTarget:EventTarget")
    # 333333333333 (central vault account, not a member) forwards key-state changes: tests/program/test_key_alerting.py
    to_central = [t for t in targets if t.account not in ("222222222222", "333333333333")]
    assert len(to_central) == len(MEMBERS) * 2
    assert {t.inputs["arn"] for t in to_central} == {
        "arn:aws:events:us-east-1:222222222222:event-bus/org-backup-alerts"
    }


@pytest.mark.parametrize("account", ["444444444403"])
def test_restore_testing_only_where_configured(prod_run: ProgramRun, account: str):
    plans = prod_run.of_type("aws:backup/restoreTestingPlan:RestoreTestingPlan")
    assert {p.account for p in plans} == {account}
    selection = prod_run.of_type("aws:backup/restoreTestingSelection:RestoreTestingSelection")[0]
    assert selection.inputs["protectedResourceType"] == "EBS"


def test_staging_runs_with_listed_accounts_and_governance_locks(staging_run: ProgramRun):
    assert staging_run.exports["member_accounts"] == ["700000000011", "700000000012"]
    assert all("changeableForDays" not in r.inputs for r in staging_run.of_type(LOCK))
    assert not staging_run.of_type("aws:backup/reportPlan:ReportPlan")
