"""Coverage rules on hand-written backup policies modelled on the corpus (aws-samples, nationalarchives)."""

from __future__ import annotations

import json
from typing import Any

from rules import coverage
from rules.resources import (
    AIR_GAPPED_VAULT,
    BACKUP_POLICIES_COMPONENT,
    IAM_ROLE,
    IAM_ROLE_POLICY_ATTACHMENT,
    ORG_POLICY,
    ORG_POLICY_ATTACHMENT,
    S3_BUCKET,
    SELECTION,
    VAULT,
)

from .harness import UNKNOWN_STRING, Spec, by_name, run_stack

CENTRAL = "111122223333"
MEMBER = "444455556666"
OTHER = "999988887777"
OU = "ou-ab12-34cd56ef"
REGIONS = ("us-east-1", "us-west-2")
ROLE = "AWSBackupSolutionRole"
VAULT_NAME = "AWSBackupSolutionVault"
TABLE = "aws:dynamodb/table:Table"
VAULT_IN_EVERY_TARGET = by_name(coverage.POLICIES, "backup-vault-in-every-target")
ROLE_IN_EVERY_TARGET = by_name(coverage.POLICIES, "backup-role-in-every-target")
SOURCES_COVERED = by_name(coverage.POLICIES, "backup-sources-covered")

# Modelled on aws-samples/backup-recovery-with-aws-backup's org daily policy: a tag selection whose role
# uses $account, regions appended, numbers quoted.
DAILY = """{
  "plans": {
    "OrgBackupPlanDaily": {
      "regions": {"@@append": ["us-east-1", "us-west-2"]},
      "rules": {
        "OrgDailyBackupRule": {
          "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
          "start_backup_window_minutes": {"@@assign": "60"},
          "lifecycle": {"delete_after_days": {"@@assign": "35"}},
          "target_backup_vault_name": {"@@assign": "AWSBackupSolutionVault"}
        }
      },
      "selections": {
        "tags": {
          "OrgDailyBackupSelection": {
            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/AWSBackupSolutionRole"},
            "tag_key": {"@@assign": "backup"},
            "tag_value": {"@@assign": ["daily"]}
          }
        }
      }
    }
  }
}"""

# Modelled on nationalarchives/terraform-aws-immutable-aws-backup: a resources selection with a tag condition,
# bare numbers, and a logically air-gapped target written with $region and $account.
IMPORTANT = json.dumps(
    {
        "plans": {
            "ca-prod-important": {
                "regions": {"@@assign": ["us-east-1"]},
                "rules": {
                    "daily": {
                        "schedule_expression": {"@@assign": "cron(0 3 ? * * *)"},
                        "start_backup_window_minutes": {"@@assign": 60},
                        "lifecycle": {"delete_after_days": {"@@assign": 7}},
                        "target_backup_vault_name": {"@@assign": VAULT_NAME},
                        "target_logically_air_gapped_backup_vault_arn": {
                            "@@assign": "arn:aws:backup:$region:$account:backup-vault:AirGapped"
                        },
                    }
                },
                "selections": {
                    "resources": {
                        "supported-resources-with-tag": {
                            "conditions": {
                                "string_equals": {
                                    "require_resource_tag": {
                                        "condition_key": {"@@assign": "aws:ResourceTag/BackupPolicy"},
                                        "condition_value": {"@@assign": "ca-prod-important"},
                                    }
                                }
                            },
                            "iam_role_arn": {"@@assign": f"arn:aws:iam::$account:role/{ROLE}"},
                            "resource_types": {
                                "@@assign": ["arn:aws:dynamodb:*:*:table/*", "arn:aws:rds:*:*:cluster:*"]
                            },
                        }
                    }
                },
            }
        }
    }
)
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
MANAGED = {
    "AWSBackupServiceRolePolicyForBackup": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "AWSBackupServiceRolePolicyForRestores": (
        "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"
    ),
    "AWSBackupServiceRolePolicyForS3Backup": "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore": "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForS3Restore",
}


def policy(content: Any = DAILY, name: str = "daily") -> Spec:
    return Spec(ORG_POLICY, {"name": name, "type": "BACKUP_POLICY", "content": content}, name=name, account=CENTRAL)


def attachment(policy_spec: Spec, target: Any) -> Spec:
    return Spec(
        ORG_POLICY_ATTACHMENT,
        {"policyId": f"{policy_spec.name}-id", "targetId": target},
        name=f"{policy_spec.name}-{target}",
        account=CENTRAL,
        parent=policy_spec.urn,
        property_dependencies={"policyId": [policy_spec.urn]},
    )


def reach(**accounts: list[str]) -> Spec:
    return Spec(BACKUP_POLICIES_COMPONENT, {"reach": accounts}, name="backup-policies", account=None)


def vaults(account: str = MEMBER, regions: tuple[str, ...] = REGIONS, name: str = VAULT_NAME) -> list[Spec]:
    return [
        Spec(VAULT, {"name": name}, name=f"{account}-{region}-{name}", account=account, region=region)
        for region in regions
    ]


def role(
    account: str = MEMBER, trust: Any = TRUST, policies: tuple[str, ...] = tuple(MANAGED), **props: Any
) -> list[Spec]:
    role_spec = Spec(
        IAM_ROLE, {"name": ROLE, "assumeRolePolicy": trust, **props}, name=f"{account}-role", account=account
    )
    return [
        role_spec,
        *(
            Spec(
                IAM_ROLE_POLICY_ATTACHMENT,
                {"role": ROLE, "policyArn": MANAGED[name]},
                name=f"{account}-{name}",
                account=account,
                property_dependencies={"role": [role_spec.urn]},
            )
            for name in policies
        ),
    ]


def member(account: str = MEMBER) -> list[Spec]:
    return [*vaults(account), *role(account)]


def daily_stack(*extra: Spec, target: str = MEMBER) -> list[Spec]:
    daily = policy()
    return [daily, attachment(daily, target), *member(), *extra]


def messages(rule: Any, specs: list[Spec], config: dict[str, Any] | None = None) -> list[str]:
    return [message for _, message in run_stack(rule, specs, config)]


# --------------------------------------------------------------------------- backup-vault-in-every-target


def test_vault_in_every_reached_account_and_region() -> None:
    assert run_stack(VAULT_IN_EVERY_TARGET, daily_stack()) == []


def test_vault_missing_in_one_region() -> None:
    specs = [s for s in daily_stack() if s.name != f"{MEMBER}-us-west-2-{VAULT_NAME}"]
    [(urn, message)] = run_stack(VAULT_IN_EVERY_TARGET, specs)
    assert urn == policy().urn
    assert message == (
        f"policy daily plan(s) OrgBackupPlanDaily back up into vault {VAULT_NAME}, which this stack does not create "
        f"in 1 reached account/Region(s): {MEMBER}/us-west-2; jobs there will fail"
    )


def test_vault_of_another_name_or_account_does_not_count() -> None:
    specs = [s for s in daily_stack() if s.type != VAULT] + vaults(name="Other") + vaults(account=OTHER)
    [message] = messages(VAULT_IN_EVERY_TARGET, specs)
    assert f"in 2 reached account/Region(s): {MEMBER}/us-east-1, {MEMBER}/us-west-2" in message


def test_ou_target_needs_reach_or_ou_accounts() -> None:
    daily = policy()
    specs = [daily, attachment(daily, OU), *member()]
    [(urn, message)] = run_stack(VAULT_IN_EVERY_TARGET, specs)
    assert urn == daily.urn
    assert message == (
        f"policy daily is attached to {OU}, whose accounts this stack does not know, so its vaults could not be "
        f"verified there: list them in the ouAccounts config ({OU}: [account ids])"
    )
    assert run_stack(VAULT_IN_EVERY_TARGET, specs, {"ouAccounts": {OU: [MEMBER]}}) == []
    [message] = messages(VAULT_IN_EVERY_TARGET, specs, {"ouAccounts": {OU: [MEMBER, OTHER]}})
    assert f"{OTHER}/us-east-1, {OTHER}/us-west-2" in message


def test_reach_output_of_the_backup_policies_component() -> None:
    daily = policy()
    specs = [daily, attachment(daily, OU), reach(daily=[MEMBER, OTHER]), *member()]
    [message] = messages(VAULT_IN_EVERY_TARGET, specs)
    assert f"does not create in 2 reached account/Region(s): {OTHER}/us-east-1, {OTHER}/us-west-2" in message
    assert run_stack(VAULT_IN_EVERY_TARGET, [*specs, *vaults(OTHER)]) == []


def test_accounts_managed_elsewhere_are_not_checked() -> None:
    specs = [s for s in daily_stack() if s.type != VAULT]
    assert run_stack(VAULT_IN_EVERY_TARGET, specs, {"accountsManagedElsewhere": [MEMBER]}) == []


def test_logically_air_gapped_target_needs_an_air_gapped_vault() -> None:
    important = policy(IMPORTANT, "important")
    specs = [important, attachment(important, MEMBER), *vaults(regions=("us-east-1",))]
    specs += vaults(regions=("us-east-1",), name="AirGapped")
    [message] = messages(VAULT_IN_EVERY_TARGET, specs)
    assert message.startswith(
        "policy important plan(s) ca-prod-important back up into logically air-gapped vault AirGapped"
    )
    air_gapped = Spec(
        AIR_GAPPED_VAULT, {"name": "AirGapped", "minRetentionDays": 7, "maxRetentionDays": 12}, name="lag"
    )
    specs = [s for s in specs if s.props.get("name") != "AirGapped"]
    assert run_stack(VAULT_IN_EVERY_TARGET, [*specs, air_gapped]) == []


def test_unattached_policy_reaches_nothing() -> None:
    assert run_stack(VAULT_IN_EVERY_TARGET, [policy()]) == []


def test_policy_content_unknown_during_preview_fails_closed() -> None:
    unknown = policy(UNKNOWN_STRING)
    [(urn, message)] = run_stack(VAULT_IN_EVERY_TARGET, [unknown, attachment(unknown, MEMBER)])
    assert urn == unknown.urn
    assert message.startswith("policy daily: content is not known during preview")
    assert "treated as a violation" in message


def test_target_id_unknown_during_preview_is_unresolved() -> None:
    daily = policy()
    [message] = messages(VAULT_IN_EVERY_TARGET, [daily, attachment(daily, UNKNOWN_STRING), *member()])
    assert "is attached to daily-" in message
    assert "(target id unknown)" in message


# --------------------------------------------------------------------------- backup-role-in-every-target


def test_role_in_every_reached_account() -> None:
    assert run_stack(ROLE_IN_EVERY_TARGET, daily_stack()) == []


def test_role_missing() -> None:
    specs = [s for s in daily_stack() if s.type not in (IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT)]
    [(urn, message)] = run_stack(ROLE_IN_EVERY_TARGET, specs)
    assert urn == policy().urn
    assert message == (
        f"policy daily: role {ROLE} of selection(s) OrgBackupPlanDaily/OrgDailyBackupSelection does not exist in "
        f"1 reached account(s): {MEMBER}; AWS Backup cannot run the plan there"
    )


def test_role_that_does_not_trust_aws_backup() -> None:
    ec2 = TRUST.replace("backup.amazonaws.com", "ec2.amazonaws.com")
    specs = [*[s for s in daily_stack() if s.type != IAM_ROLE], role(trust=ec2)[0]]
    [message] = messages(ROLE_IN_EVERY_TARGET, specs)
    assert f"role {ROLE} of selection(s) OrgBackupPlanDaily/OrgDailyBackupSelection does not trust " in message
    assert "backup.amazonaws.com" in message


def test_tag_selection_may_include_s3_so_the_s3_policies_are_needed() -> None:
    specs = [*[s for s in daily_stack() if s.type not in (IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT)]]
    specs += role(policies=("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"))
    [message] = messages(ROLE_IN_EVERY_TARGET, specs)
    assert (
        "lacks the managed policies AWSBackupServiceRolePolicyForS3Backup, AWSBackupServiceRolePolicyForS3Restore"
        in message
    )
    assert run_stack(ROLE_IN_EVERY_TARGET, specs, {"s3ManagedPolicies": []}) == []


def test_selection_without_s3_needs_only_the_backup_and_restore_policies() -> None:
    important = policy(IMPORTANT, "important")
    specs = [important, attachment(important, MEMBER)]
    specs += role(policies=("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"))
    assert run_stack(ROLE_IN_EVERY_TARGET, specs) == []
    config = {"requiredManagedPolicies": ["AWSBackupServiceRolePolicyForBackup", "AWSBackupAuditAccess"]}
    [message] = messages(ROLE_IN_EVERY_TARGET, specs, config)
    assert "lacks the managed policies AWSBackupAuditAccess" in message


def test_managed_policy_arns_on_the_role_count() -> None:
    specs = [s for s in daily_stack() if s.type not in (IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT)]
    specs += role(policies=(), managedPolicyArns=list(MANAGED.values()))
    assert run_stack(ROLE_IN_EVERY_TARGET, specs) == []


def test_role_named_in_another_account() -> None:
    content = DAILY.replace("$account", CENTRAL)
    daily = policy(content)
    [message] = messages(ROLE_IN_EVERY_TARGET, [daily, attachment(daily, MEMBER), *member()])
    assert f"is named in account {CENTRAL} (write $account: the role must be local)" in message
    assert f"1 reached account(s): {MEMBER}" in message


def test_role_trust_unknown_during_preview_fails_closed() -> None:
    specs = [*[s for s in daily_stack() if s.type != IAM_ROLE], role(trust=UNKNOWN_STRING)[0]]
    [message] = messages(ROLE_IN_EVERY_TARGET, specs)
    assert "has a trust policy not known during preview (treated as a violation)" in message


def test_role_check_covers_accounts_from_ou_accounts_config() -> None:
    daily = policy()
    specs = [daily, attachment(daily, OU), *member()]
    assert run_stack(ROLE_IN_EVERY_TARGET, specs) == []
    [message] = messages(ROLE_IN_EVERY_TARGET, specs, {"ouAccounts": {OU: [MEMBER, OTHER]}})
    assert f"does not exist in 1 reached account(s): {OTHER}" in message


# --------------------------------------------------------------------------- backup-sources-covered


def table(name: str = "orders", account: str = MEMBER, region: str = "us-east-1", **tags: Any) -> Spec:
    return Spec(TABLE, {"name": name, "tags": tags}, name=name, account=account, region=region)


def test_store_selected_by_a_backup_policy_tag() -> None:
    assert run_stack(SOURCES_COVERED, daily_stack(table(backup="daily"))) == []


def test_store_nothing_selects() -> None:
    orders = table(backup="weekly")
    [(urn, message)] = run_stack(SOURCES_COVERED, daily_stack(orders))
    assert urn == orders.urn
    assert message == (
        f"Table orders in account {MEMBER} Region us-east-1 is selected by no backup plan or backup policy: "
        "it is never backed up"
    )


def test_policy_does_not_reach_the_store_account_or_region() -> None:
    specs = daily_stack(table("a", account=OTHER, backup="daily"), table("b", region="eu-west-1", backup="daily"))
    assert len(run_stack(SOURCES_COVERED, specs)) == 2


def test_opt_out_tag_and_config_override() -> None:
    assert run_stack(SOURCES_COVERED, daily_stack(table(backup="none"))) == []
    scratch = table(tier="scratch")
    assert len(run_stack(SOURCES_COVERED, daily_stack(scratch))) == 1
    assert run_stack(SOURCES_COVERED, daily_stack(scratch), {"optOutTag": {"tier": "scratch"}}) == []


def test_resource_selection_with_a_tag_condition() -> None:
    important = policy(IMPORTANT, "important")
    base = [important, attachment(important, MEMBER)]
    assert run_stack(SOURCES_COVERED, [*base, table(BackupPolicy="ca-prod-important")]) == []
    assert len(run_stack(SOURCES_COVERED, [*base, table(BackupPolicy="other")])) == 1
    bucket = Spec(S3_BUCKET, {"bucket": "reports", "tags": {"BackupPolicy": "ca-prod-important"}}, name="reports")
    assert len(run_stack(SOURCES_COVERED, [*base, bucket])) == 1


def test_reach_from_ou_accounts_config() -> None:
    daily = policy()
    specs = [daily, attachment(daily, OU), table(backup="daily")]
    assert len(run_stack(SOURCES_COVERED, specs)) == 1
    assert run_stack(SOURCES_COVERED, specs, {"ouAccounts": {OU: [MEMBER]}}) == []


def backup_selection(region: str = "us-east-1", **props: Any) -> Spec:
    return Spec(
        SELECTION,
        {"name": "selection", "planId": "plan-id", "iamRoleArn": f"arn:aws:iam::{MEMBER}:role/{ROLE}", **props},
        name=f"selection-{region}",
        region=region,
    )


def test_backup_selection_by_tag_condition_and_arn_pattern() -> None:
    by_tag = backup_selection(selectionTags=[{"type": "STRINGEQUALS", "key": "backup", "value": "daily"}])
    assert run_stack(SOURCES_COVERED, [by_tag, table(backup="daily")]) == []
    by_condition = backup_selection(
        resources=["*"], conditions=[{"stringLikes": [{"key": "aws:ResourceTag/tier", "value": "gold*"}]}]
    )
    assert run_stack(SOURCES_COVERED, [by_condition, table(tier="gold-eu")]) == []
    assert len(run_stack(SOURCES_COVERED, [by_condition, table(tier="silver")])) == 1
    tables = backup_selection(resources=["arn:aws:dynamodb:*:*:table/*"], notResources=["*:table/scratch"])
    assert run_stack(SOURCES_COVERED, [tables, table()]) == []
    assert len(run_stack(SOURCES_COVERED, [tables, table("scratch")])) == 1


def test_backup_selection_only_covers_its_own_region() -> None:
    elsewhere = backup_selection("eu-west-1", resources=["*"])
    assert len(run_stack(SOURCES_COVERED, [elsewhere, table()])) == 1


def test_backup_selection_naming_the_store_by_dependency() -> None:
    orders = table()
    selection = backup_selection(resources=[UNKNOWN_STRING])
    selection.property_dependencies = {"resources": [orders.urn]}
    assert run_stack(SOURCES_COVERED, [selection, orders]) == []


def test_store_tags_unknown_during_preview_are_skipped() -> None:
    unknown = Spec(TABLE, {"name": "orders", "tags": UNKNOWN_STRING}, name="orders")
    assert run_stack(SOURCES_COVERED, [unknown]) == []


def test_tags_all_includes_provider_default_tags() -> None:
    orders = Spec(TABLE, {"name": "orders", "tags": {}, "tagsAll": {"backup": "daily"}}, name="orders")
    assert run_stack(SOURCES_COVERED, daily_stack(orders)) == []


# --------------------------------------------------------------------------- vaults and roles from StackSets

STACK_SET = "aws:cloudformation/stackSet:StackSet"
STACK_SET_INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
SECOND_OU = "ou-ab12-99999999"


def member_template(managed: tuple[str, ...] = tuple(MANAGED)) -> str:
    """A member-account template in the shape CloudFormation takes (Fn::Sub policy ARNs, a home-Region role)."""
    return json.dumps(
        {
            "AWSTemplateFormatVersion": "2010-09-09",
            "Conditions": {"IsHomeRegion": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}},
            "Resources": {
                "BackupVault": {
                    "Type": "AWS::Backup::BackupVault",
                    "DeletionPolicy": "Retain",
                    "Properties": {"BackupVaultName": VAULT_NAME, "EncryptionKeyArn": {"Fn::GetAtt": ["Key", "Arn"]}},
                },
                "BackupRole": {
                    "Type": "AWS::IAM::Role",
                    "Condition": "IsHomeRegion",
                    "Properties": {
                        "RoleName": ROLE,
                        "AssumeRolePolicyDocument": json.loads(TRUST),
                        "ManagedPolicyArns": [
                            {"Fn::Sub": MANAGED[name].replace("arn:aws:", "arn:${AWS::Partition}:")} for name in managed
                        ],
                    },
                },
            },
        }
    )


def stack_set(template: str | None = None) -> Spec:
    body = member_template() if template is None else template
    return Spec(STACK_SET, {"name": "org-backup-member", "templateBody": body}, name="stackset", account=CENTRAL)


def instance(target: str, region: str, *, ou: str = OU) -> Spec:
    deployment: dict[str, Any] = {"organizationalUnitIds": [target]}
    if target.isdigit():
        deployment = {"organizationalUnitIds": [ou], "accounts": [target], "accountFilterType": "INTERSECTION"}
    return Spec(
        STACK_SET_INSTANCE,
        {"stackSetName": "org-backup-member", "stackSetInstanceRegion": region, "deploymentTargets": deployment},
        name=f"instance-{target}-{region}",
        account=CENTRAL,
        property_dependencies={"stackSetName": [stack_set().urn]},
    )


def stack_set_stack(*targets: str, template: str | None = None, regions: tuple[str, ...] = REGIONS) -> list[Spec]:
    daily = policy()
    attached = [attachment(daily, t) for t in targets]
    instances = [instance(t, region) for t in targets for region in regions]
    return [daily, *attached, reach(daily=[MEMBER, OTHER]), stack_set(template), *instances]


def test_vault_and_role_deployed_by_a_stack_set_to_the_attached_ou() -> None:
    specs = stack_set_stack(OU)
    assert run_stack(VAULT_IN_EVERY_TARGET, specs) == []
    assert run_stack(ROLE_IN_EVERY_TARGET, specs) == []


def test_stack_set_instances_for_explicit_accounts() -> None:
    daily = policy()
    specs = [
        daily,
        attachment(daily, MEMBER),
        stack_set(),
        instance(MEMBER, "us-east-1"),
        instance(MEMBER, "us-west-2"),
    ]
    assert run_stack(VAULT_IN_EVERY_TARGET, specs) == []
    assert run_stack(ROLE_IN_EVERY_TARGET, specs) == []


def test_stack_set_missing_a_region() -> None:
    [message] = messages(VAULT_IN_EVERY_TARGET, stack_set_stack(OU, regions=("us-east-1",)))
    assert f"in 2 reached account/Region(s): {MEMBER}/us-west-2, {OTHER}/us-west-2" in message


def test_stack_set_missing_one_of_the_attached_ous() -> None:
    specs = [s for s in stack_set_stack(OU, SECOND_OU) if not s.name.startswith(f"instance-{SECOND_OU}")]
    [vault_message] = messages(VAULT_IN_EVERY_TARGET, specs)
    assert vault_message == (
        f"policy daily plan(s) OrgBackupPlanDaily back up into vault {VAULT_NAME}, which no StackSet instance "
        f"deploys to the attached OU/Region(s) {SECOND_OU}/us-east-1, {SECOND_OU}/us-west-2; jobs there will fail"
    )
    [role_message] = messages(ROLE_IN_EVERY_TARGET, specs)
    assert f"role {ROLE} of selection(s) OrgBackupPlanDaily/OrgDailyBackupSelection is deployed by no StackSet" in (
        role_message
    )
    assert f"in 1 attached OU(s): {SECOND_OU}" in role_message


def test_stack_set_role_without_the_s3_policies() -> None:
    template = member_template(("AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"))
    [message] = messages(ROLE_IN_EVERY_TARGET, stack_set_stack(OU, template=template))
    assert "lacks the managed policies AWSBackupServiceRolePolicyForS3Backup" in message
    assert f"in 2 reached account(s): {MEMBER}, {OTHER}" in message


def test_unreadable_stack_set_template_deploys_nothing_the_rules_can_see() -> None:
    specs = stack_set_stack(OU, template="Resources:\n  BackupVault:\n    Type: AWS::Backup::BackupVault\n")
    assert len(messages(VAULT_IN_EVERY_TARGET, specs)) == 1
    assert len(messages(ROLE_IN_EVERY_TARGET, specs)) == 1


def test_stack_set_instance_that_leaves_accounts_out_covers_no_ou() -> None:
    specs = stack_set_stack(OU)
    for spec in specs:
        if spec.type == STACK_SET_INSTANCE:
            spec.props = {
                **spec.props,
                "deploymentTargets": {
                    "organizationalUnitIds": [OU],
                    "accounts": [OTHER],
                    "accountFilterType": "DIFFERENCE",
                },
            }
    [message] = messages(VAULT_IN_EVERY_TARGET, specs)
    assert f"in 4 reached account/Region(s): {MEMBER}/us-east-1" in message
