"""The member-account StackSet template: valid CloudFormation for every kind of config, and safe by construction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from components.documents import member_template as mt
from components.documents.kms import member_backup_key_policy
from components.documents.member_vault import member_key_policy
from deployment.load import config_from_stack_file
from org_backup.preview.offline import PROJECT_DIR
from stackconfig.model import StackConfig
from tests.cfn import lint_errors, lint_informational, rendered
from tests.components.documents.config_factory import ADMIN_ACCOUNT, CENTRAL_ACCOUNT, make_config
from tests.components.documents.helpers import by_sid, is_allowed

COMPLIANCE = {"mode": "compliance", "min_retention_days": 7, "max_retention_days": 3650, "changeable_for_days": 3}
VARIANTS: dict[str, dict[str, Any]] = {
    "compliance member lock": {"vaults": {"member": {"lock": COMPLIANCE}}},
    "no member lock": {"vaults": {"member": {"lock": None}}},
    "audit off": {"audit": {"enabled": False}},
    "member frameworks off, alerting off": {
        "audit": {"frameworks_in_member_accounts": False},
        "alerting": {"enabled": False},
    },
    "break-glass roles and key settings": {
        "vaults": {
            "member": {
                "break_glass_role_names": ["BackupBreakGlass", "Ops"],
                "key": {"deletion_window_days": 30, "rotation_period_days": 90},
            }
        }
    },
    "restore testing in 25 accounts": {
        "restore_testing": {
            "enabled": True,
            "accounts": [f"{400000000000 + i}" for i in range(25)],
            "selections": {"ebs": {"resource_type": "EBS", "conditions": {"aws:ResourceTag/restore": "yes"}}},
        }
    },
    "home Region without member vaults": {
        "organization": {"home_region": "us-east-1", "workload_regions": ["eu-west-1", "eu-central-1"]}
    },
}


def _stack(name: str) -> StackConfig:
    return config_from_stack_file(PROJECT_DIR / f"Pulumi.{name}.yaml").config


def _configs() -> dict[str, StackConfig]:
    return {"prod": _stack("prod"), "staging": _stack("staging")} | {
        name: make_config(**overrides) for name, overrides in VARIANTS.items()
    }


CONFIGS = _configs()


def test_every_template_passes_cfn_lint():
    failures = {name: lint_errors(mt.member_template_body(config)) for name, config in CONFIGS.items()}
    assert {name: errs for name, errs in failures.items() if errs} == {}


def test_cfn_lint_catches_a_broken_template():
    template = mt.member_template(CONFIGS["prod"])
    template["Resources"][mt.VAULT]["Properties"]["LockConfiguration"] = {"MaxRetentionDays": 3}
    assert any("MinRetentionDays" in e for e in lint_errors(json.dumps(template)))


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_no_placeholder_survives_and_the_body_fits_inline(name: str):
    body = mt.member_template_body(CONFIGS[name])
    assert mt.TEMPLATE_ACCOUNT not in body and mt.TEMPLATE_REGION not in body
    assert len(body.encode()) <= mt.MAX_TEMPLATE_BODY_BYTES
    assert body == mt.member_template_body(CONFIGS[name]), "the same config must give the same bytes"


def test_key_vault_and_backup_role_are_retained():
    resources = mt.member_template(CONFIGS["prod"])["Resources"]
    for logical_id in mt.RETAINED:
        assert resources[logical_id]["DeletionPolicy"] == "Retain"
        assert resources[logical_id]["UpdateReplacePolicy"] == "Retain"


def test_iam_roles_live_in_the_home_region_stack_only():
    template = mt.member_template(CONFIGS["prod"])
    assert template["Conditions"][mt.IS_HOME_REGION] == {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    roles = [r for r in template["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert len(roles) == 2 and all(r["Condition"] == mt.IS_HOME_REGION for r in roles)


def test_roles_go_to_the_first_workload_region_when_the_home_region_has_no_vaults():
    template = mt.member_template(CONFIGS["home Region without member vaults"])
    assert template["Conditions"][mt.IS_HOME_REGION]["Fn::Equals"][1] == "eu-west-1"


def test_the_lock_follows_the_config():
    vault = lambda name: mt.member_template(CONFIGS[name])["Resources"][mt.VAULT]["Properties"]  # noqa: E731
    assert vault("prod")["LockConfiguration"] == {"MinRetentionDays": 7, "MaxRetentionDays": 400}
    assert vault("compliance member lock")["LockConfiguration"] == {
        "MinRetentionDays": 7,
        "MaxRetentionDays": 3650,
        "ChangeableForDays": 3,
    }
    assert "LockConfiguration" not in vault("no member lock")


def test_optional_parts_follow_the_config():
    resources = lambda name: mt.member_template(CONFIGS[name])["Resources"]  # noqa: E731
    assert {mt.FRAMEWORK, mt.FAILED_JOBS_RULE, mt.FORWARDING_ROLE, mt.RESTORE_PLAN} <= set(resources("prod"))
    assert mt.FRAMEWORK not in resources("audit off")
    assert not {mt.FRAMEWORK, mt.FAILED_JOBS_RULE, mt.FORWARDING_ROLE} & set(
        resources("member frameworks off, alerting off")
    )
    assert mt.RESTORE_PLAN not in resources("staging")


def test_the_key_policy_is_the_direct_mode_policy_for_any_account_and_region():
    config = CONFIGS["prod"]
    policy = mt.member_template(config)["Resources"][mt.KEY]["Properties"]["KeyPolicy"]
    for account, region in (("444444444401", "us-east-1"), ("555555555502", "eu-west-1")):
        assert rendered(policy, account, region) == member_backup_key_policy(
            account_id=account,
            region=region,
            organization_id=config.organization.id,
            backup_role_name=config.vaults.backup_role_name,
            central_account_id=config.organization.central_vault_account_id,
            protected_by_role_arns=[
                arn.replace(mt.TEMPLATE_ACCOUNT, account) for arn in mt.stackset_admin_role_arns(config)
            ],
            # the execution role may put the key policy (KMS's lockout check), never disable or delete the key (F1)
            policy_writer_role_arns=[
                arn.replace(mt.TEMPLATE_ACCOUNT, account) for arn in mt.stackset_execution_role_arns(config)
            ],
        )


def test_no_role_named_stacksets_exec_may_delete_recovery_points_or_replace_the_vault_policy():
    """Issue 9 item 1: a member admin's own ``stacksets-exec-x`` role is exempt from nothing that destroys backups."""
    config = CONFIGS["break-glass roles and key settings"]
    template = mt.member_template(config)
    statements = by_sid(
        rendered(template["Resources"][mt.VAULT]["Properties"]["AccessPolicy"], "444455556666", "eu-west-1")
    )
    deny = statements["DenyRecoveryPointAndVaultChangesExceptBreakGlass"]
    assert deny["Condition"] == {
        "ArnNotLike": {
            "aws:PrincipalArn": [
                "arn:aws:iam::444455556666:role/BackupBreakGlass",
                "arn:aws:iam::444455556666:role/Ops",
                "arn:aws:iam::444455556666:role/OrganizationAccountAccessRole",
            ]
        }
    }
    assert "backup:PutBackupVaultAccessPolicy" in deny["Action"]
    assert "backup:DeleteRecoveryPoint" in deny["Action"]
    assert "backup:PutBackupVaultLockConfiguration" not in deny["Action"]
    lock = statements["DenyVaultLockChangesExceptBreakGlassAndDeployer"]
    assert lock["Action"] == "backup:PutBackupVaultLockConfiguration"
    assert "arn:aws:iam::444455556666:role/stacksets-exec-*" in lock["Condition"]["ArnNotLike"]["aws:PrincipalArn"]
    framework = template["Resources"].get(mt.FRAMEWORK)
    if framework is not None:
        assert "stacksets-exec" not in json.dumps(framework)


def _accounts_of(condition: dict) -> list[str]:
    if "Fn::Equals" in condition:
        return [condition["Fn::Equals"][1]]
    assert 2 <= len(condition["Fn::Or"]) <= mt.MAX_OR_CONDITIONS
    return [a for term in condition["Fn::Or"] for a in _accounts_of(term)]


def test_restore_testing_accounts_nest_within_the_or_limit():
    config = CONFIGS["restore testing in 25 accounts"]
    condition = mt.member_template(config)["Conditions"][mt.IS_RESTORE_TESTING_ACCOUNT]
    assert _accounts_of(condition) == sorted(config.restore_testing.accounts)


def test_one_restore_testing_account_is_a_plain_equals():
    assert mt._account_is_one_of(["444444444403"]) == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, "444444444403"]}


def test_substitute_escapes_literal_variables():
    text = f"arn:aws:iam::{mt.TEMPLATE_ACCOUNT}:role/${{aws:username}}"
    assert mt.substitute([text, "plain"], partition="aws") == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${!aws:username}"},
        "plain",
    ]


def test_substitute_replaces_the_partition_of_every_arn_and_nothing_else():
    """Issue 9 item 15a: no ARN in the template hardcodes the partition, with or without an account in it."""
    values = [
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
        "arn:aws:iam::111122223333:root,arn:aws:iam::111122223333:role/B",
        "arn:aws-us-gov:iam::111122223333:role/B",
        "backup.eu-west-1.amazonaws.com",
        "notarn:aws:x",
    ]
    assert mt.substitute(values, partition="aws") == [
        {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"},
        {"Fn::Sub": "arn:${AWS::Partition}:iam::111122223333:root,arn:${AWS::Partition}:iam::111122223333:role/B"},
        "arn:aws-us-gov:iam::111122223333:role/B",
        "backup.eu-west-1.amazonaws.com",
        "notarn:aws:x",
    ]
    assert mt.substitute(values[2], partition="aws-us-gov") == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::111122223333:role/B"
    }


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_no_arn_hardcodes_the_partition(name: str):
    """cfn-lint I3042 (hardcoded partition in an ARN) finds nothing, and no literal ``arn:aws:`` is left."""
    body = mt.member_template_body(CONFIGS[name])
    assert lint_informational(body, "I3042") == []
    assert "arn:aws:" not in body


def test_a_gov_cloud_template_renders_the_direct_mode_documents():
    config = make_config(organization={"partition": "aws-us-gov", "workload_regions": ["us-gov-west-1"]})
    template = mt.member_template(config)
    assert "arn:aws-us-gov:" not in json.dumps(template)
    assert lint_informational(json.dumps(template), "I3042") == []
    policy = rendered(
        template["Resources"][mt.KEY]["Properties"]["KeyPolicy"], "444444444401", "us-gov-west-1", "aws-us-gov"
    )
    assert policy == member_key_policy(
        config,
        account_id="444444444401",
        region="us-gov-west-1",
        admin_role_arns=[
            arn.replace(mt.TEMPLATE_ACCOUNT, "444444444401") for arn in mt.stackset_admin_role_arns(config)
        ],
        policy_writer_role_arns=[
            arn.replace(mt.TEMPLATE_ACCOUNT, "444444444401") for arn in mt.stackset_execution_role_arns(config)
        ],
    )


def test_the_placeholder_account_cannot_be_configured():
    config = make_config(organization={"central_vault_account_id": mt.TEMPLATE_ACCOUNT})
    with pytest.raises(ValueError, match="placeholder"):
        mt.member_template(config)


def test_failed_jobs_go_to_the_central_bus_and_copies_come_from_the_central_account():
    resources = rendered(mt.member_template(make_config())["Resources"], "444444444401", "eu-west-1")
    (target,) = resources[mt.FAILED_JOBS_RULE]["Properties"]["Targets"]
    assert target["Arn"] == f"arn:aws:events:eu-west-1:{ADMIN_ACCOUNT}:event-bus/org-backup-alerts"
    allow = resources[mt.VAULT]["Properties"]["AccessPolicy"]["Statement"][0]
    assert allow["Principal"] == {"AWS": f"arn:aws:iam::{CENTRAL_ACCOUNT}:root"}


def test_builder_is_pure():
    assert "import pulumi" not in Path(mt.__file__).read_text(encoding="utf-8")


def test_a_teams_extra_vault_statements_reach_stackset_vaults_too():
    extra = {
        "Sid": "AllowRestoreRoleCopyIn",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{CENTRAL_ACCOUNT}:role/Restore"},
        "Action": "backup:CopyIntoBackupVault",
        "Resource": "*",
    }
    config = make_config(vaults={"member": {"extra_access_policy_statements": [extra]}})
    policy = mt.member_template(config)["Resources"][mt.VAULT]["Properties"]["AccessPolicy"]
    assert rendered(policy, "444444444401", "eu-west-1")["Statement"][-1] == extra


def test_f1_the_execution_role_may_put_the_key_policy_but_never_disable_or_delete_the_key():
    """Security review F1: whoever can update any service-managed stack set acts as ``stacksets-exec-*``."""
    config = CONFIGS["prod"]
    policy = rendered(
        mt.member_template(config)["Resources"][mt.KEY]["Properties"]["KeyPolicy"], "444444444401", "us-east-1"
    )
    executor = "arn:aws:iam::444444444401:role/stacksets-exec-0123456789abcdef"
    for action in ("kms:DisableKey", "kms:ScheduleKeyDeletion"):
        assert not is_allowed(policy, action=action, principal_arn=executor)
    assert is_allowed(policy, action="kms:PutKeyPolicy", principal_arn=executor)


def test_f6_the_documented_vault_policy_update_procedure_holds():
    """Security review F6, kept as a documented limitation (docs/security.md): the execution role may write the lock
    but not the access policy, so a template change of the policy fails until the deploy role opens it for the
    update; the deploy role can, a member administrator cannot."""
    config = CONFIGS["prod"]
    policy = rendered(
        mt.member_template(config)["Resources"][mt.VAULT]["Properties"]["AccessPolicy"], "444444444401", "us-east-1"
    )
    # the callers' own IAM policies allow everything (AdministratorAccess): only the vault's Deny decides
    everything = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    policy = {**policy, "Statement": [*policy["Statement"], everything]}
    executor = "arn:aws:iam::444444444401:role/stacksets-exec-0123456789abcdef"
    assert not is_allowed(policy, action="backup:PutBackupVaultAccessPolicy", principal_arn=executor)
    assert is_allowed(policy, action="backup:PutBackupVaultLockConfiguration", principal_arn=executor)
    deploy = "arn:aws:iam::444444444401:role/OrganizationAccountAccessRole"
    assert is_allowed(policy, action="backup:PutBackupVaultAccessPolicy", principal_arn=deploy)
    assert not is_allowed(
        policy, action="backup:PutBackupVaultAccessPolicy", principal_arn="arn:aws:iam::444444444401:role/Admin"
    )
