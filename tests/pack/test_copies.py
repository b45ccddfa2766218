"""Rules of the copy-destinations domain: where each copy lands, in which account and Region, kept how long.

Stacks are written by hand: a member-account BACKUP_POLICY (corpus shape) or an aws:backup/plan:Plan, and the
vaults, Vault Locks and vault policies of the accounts the copies go to, as the engine shows them.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from rules import copies
from tests.pack.harness import UNKNOWN_NUMBER, UNKNOWN_STRING, Spec, attachments, by_name, run_resource, run_stack

ADMIN = "222222222222"
CENTRAL = "333333333333"
MEMBER = "444455556666"
OTHER_MEMBER = "555566667777"
OU = "ou-ab12-34cd56ef"
CENTRAL_VAULT_ARN = f"arn:aws:backup:us-west-2:{CENTRAL}:backup-vault:central-copies"
ROLE = "arn:aws:iam::$account:role/OrgBackupServiceRole"

ORG_POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
AIR_GAPPED = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"

COPY_FROM_ORG = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCopyIntoVaultFromOrganization",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "backup:CopyIntoBackupVault",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
            }
        ],
    }
)
DENY_ONLY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyDeletes",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "backup:DeleteRecoveryPoint",
                "Resource": "*",
            }
        ],
    }
)


def policy(name: str) -> Any:
    return by_name(copies.POLICIES, name)


def rule_document(**changes: Any) -> dict[str, Any]:
    """A daily plan for the member OU, copying to the central vault in us-west-2 (changes replace rule keys)."""
    rule: dict[str, Any] = {
        "schedule_expression": {"@@assign": "cron(0 3 ? * * *)"},
        "start_backup_window_minutes": {"@@assign": "60"},
        "target_backup_vault_name": {"@@assign": "member-vault"},
        "lifecycle": {"delete_after_days": {"@@assign": "35"}},
        "copy_actions": {
            CENTRAL_VAULT_ARN: {
                "target_backup_vault_arn": {"@@assign": CENTRAL_VAULT_ARN},
                "lifecycle": {"delete_after_days": {"@@assign": "90"}},
            }
        },
    }
    for key, value in changes.items():
        if value is None:
            rule.pop(key, None)
        else:
            rule[key] = value
    return {
        "plans": {
            "daily": {
                "regions": {"@@assign": ["eu-west-1"]},
                "rules": {"daily": rule},
                "selections": {
                    "resources": {
                        "dynamodb-and-efs": {
                            "iam_role_arn": {"@@assign": ROLE},
                            "resource_types": {
                                "@@assign": [
                                    "arn:aws:dynamodb:*:*:table/*",
                                    "arn:aws:elasticfilesystem:*:*:file-system/*",
                                ]
                            },
                        }
                    }
                },
            }
        }
    }


def copy_to(arn: str, days: Any = "90") -> dict[str, Any]:
    action: dict[str, Any] = {"target_backup_vault_arn": {"@@assign": arn}}
    if days is not None:
        action["lifecycle"] = {"delete_after_days": {"@@assign": days}}
    return {arn: action}


def backup_policy(doc: Any, *targets: Any, name: str = "org-backup-daily") -> list[Spec]:
    """The policy and its attachments (to account ids or OUs), linked as the program links them."""
    content = doc if isinstance(doc, str) else json.dumps(doc)
    spec = Spec(ORG_POLICY, {"name": name, "type": "BACKUP_POLICY", "content": content}, name=name, account=ADMIN)
    return [spec, *attachments(spec, *targets, account=ADMIN)]


def vault(
    account: str,
    region: str,
    name: str,
    *,
    lock: str | None = "compliance",
    min_days: Any = 7.0,
    max_days: Any = 400.0,
    access_policy: str | None = COPY_FROM_ORG,
) -> list[Spec]:
    """A vault with its lock (compliance, governance or none) and access policy, as the LockedVault component."""
    prefix = f"{account}-{region}-{name}"
    vault_spec = Spec(VAULT, {"name": name, "region": region}, name=f"{prefix}-vault", account=account, region=region)
    out = [vault_spec]
    if lock is not None:
        lock_props: dict[str, Any] = {
            "backupVaultName": name,
            "region": region,
            "minRetentionDays": min_days,
            "maxRetentionDays": max_days,
        }
        if lock == "compliance":
            lock_props["changeableForDays"] = 3.0
        elif lock == "unknown":
            lock_props["changeableForDays"] = UNKNOWN_NUMBER
        out.append(
            Spec(
                LOCK,
                lock_props,
                name=f"{prefix}-lock",
                account=account,
                region=region,
                property_dependencies={"backupVaultName": [vault_spec.urn]},
            )
        )
    if access_policy is not None:
        out.append(
            Spec(
                VAULT_POLICY,
                {"backupVaultName": name, "region": region, "policy": access_policy},
                name=f"{prefix}-policy",
                account=account,
                region=region,
            )
        )
    return out


def central(**kwargs: Any) -> list[Spec]:
    return vault(CENTRAL, "us-west-2", "central-copies", **kwargs)


def member(account: str = MEMBER, **kwargs: Any) -> list[Spec]:
    kwargs.setdefault("lock", "governance")
    return vault(account, "eu-west-1", "member-vault", **kwargs)


def plan(*copy_actions: dict[str, Any], delete_after: Any = 35.0, name: str = "member-plan") -> Spec:
    rule = {
        "ruleName": "daily",
        "targetVaultName": "member-vault",
        "schedule": "cron(0 3 ? * * *)",
        "lifecycle": {"deleteAfter": delete_after},
        "copyActions": list(copy_actions),
    }
    return Spec(PLAN, {"name": name, "rules": [rule]}, name=name, account=MEMBER, region="eu-west-1")


# What org_backup.preview.command passes from the organization tree: the OU path of every account of these stacks.
ORGANIZATION = {
    "organizationPaths": dict.fromkeys((ADMIN, CENTRAL, MEMBER, OTHER_MEMBER), f"o-a1b2c3d4e5/r-ab12/{OU}/")
}


def stack_messages(rule: str, specs: list[Spec], config: dict[str, Any] | None = None) -> list[str]:
    return [message for _, message in run_stack(policy(rule), specs, {**ORGANIZATION, **(config or {})})]


def healthy_stack() -> list[Spec]:
    return [*backup_policy(rule_document(), MEMBER), *member(), *central()]


def test_a_healthy_stack_passes_every_rule() -> None:
    specs = healthy_stack()
    for rule in (p.name for p in copies.POLICIES):
        if rule in {"backup-plan-has-copy", "backup-copy-retention"}:
            assert run_resource(policy(rule), specs[0]) == [], rule
        else:
            assert stack_messages(rule, specs) == [], rule


# --------------------------------------------------------------------------- backup-plan-has-copy


def test_has_copy() -> None:
    long_kept = backup_policy(rule_document(copy_actions=None, lifecycle={"delete_after_days": {"@@assign": "120"}}))[0]
    [found] = run_resource(policy("backup-plan-has-copy"), long_kept)
    assert "plans.daily.rules.daily (daily) keeps recovery points 120 days" in found and "no copy action" in found
    assert run_resource(policy("backup-plan-has-copy"), long_kept, {"copyRequiredForRetentionDays": 180}) == []
    short_kept = backup_policy(rule_document(copy_actions=None))[0]
    assert run_resource(policy("backup-plan-has-copy"), short_kept) == []


def test_has_copy_counts_keep_forever_and_reads_plans() -> None:
    forever = backup_policy(rule_document(copy_actions=None, lifecycle=None))[0]
    assert "keeps recovery points forever" in run_resource(policy("backup-plan-has-copy"), forever)[0]
    assert (
        "rules[0] (daily) keeps recovery points 365 days"
        in run_resource(policy("backup-plan-has-copy"), plan(delete_after=365.0))[0]
    )


# --------------------------------------------------------------------------- backup-copy-retention


def test_copy_retention() -> None:
    shorter = backup_policy(rule_document(copy_actions=copy_to(CENTRAL_VAULT_ARN, "14")))[0]
    [found] = run_resource(policy("backup-copy-retention"), shorter)
    assert "the copy is kept 14 days, less than the 35 days of its source rule" in found
    inherits = backup_policy(rule_document(copy_actions=copy_to(CENTRAL_VAULT_ARN, None)))[0]
    assert run_resource(policy("backup-copy-retention"), inherits) == []


def test_copy_retention_when_the_source_keeps_forever() -> None:
    spec = plan({"destinationVaultArn": CENTRAL_VAULT_ARN, "lifecycle": {"deleteAfter": 180.0}}, delete_after=None)
    [found] = run_resource(policy("backup-copy-retention"), spec)
    assert "rules[0].copyActions[0]: the copy is kept 180 days" in found and "minCopyRetentionDays 365" in found
    assert run_resource(policy("backup-copy-retention"), spec, {"minCopyRetentionDays": 180}) == []


# --------------------------------------------------------------------------- backup-copy-destination-locked


def test_destination_locked_in_compliance_mode() -> None:
    assert stack_messages("backup-copy-destination-locked", healthy_stack()) == []
    governance = [*backup_policy(rule_document(), MEMBER), *member(), *central(lock="governance")]
    [found] = stack_messages("backup-copy-destination-locked", governance)
    assert f"copy_actions.{CENTRAL_VAULT_ARN}: the destination vault is locked in governance mode" in found
    assert f"(from {MEMBER}/eu-west-1)" in found
    assert stack_messages("backup-copy-destination-locked", governance, {"requireComplianceMode": False}) == []


def test_destination_unlocked_or_outside_the_stack() -> None:
    unlocked = [*backup_policy(rule_document(), MEMBER), *central(lock=None)]
    assert "has no Vault Lock" in stack_messages("backup-copy-destination-locked", unlocked)[0]
    outside = backup_policy(rule_document(), MEMBER)
    [found] = stack_messages("backup-copy-destination-locked", outside)
    assert "is not a vault of this stack" in found
    trusted = {"trustedExternalVaultArns": [CENTRAL_VAULT_ARN]}
    assert stack_messages("backup-copy-destination-locked", outside, trusted) == []


def test_destination_air_gapped_vault_is_accepted() -> None:
    lag_arn = f"arn:aws:backup:us-west-2:{CENTRAL}:backup-vault:air-gapped"
    lag = Spec(
        AIR_GAPPED,
        {"name": "air-gapped", "region": "us-west-2", "minRetentionDays": 7.0, "maxRetentionDays": 400.0},
        name="lag",
        account=CENTRAL,
        region="us-west-2",
    )
    specs = [*backup_policy(rule_document(copy_actions=copy_to(lag_arn)), MEMBER), lag]
    assert stack_messages("backup-copy-destination-locked", specs) == []


def test_destination_with_account_placeholder_resolves_per_reached_account() -> None:
    own = "arn:aws:backup:us-west-2:$account:backup-vault:member-dr"
    doc = rule_document(copy_actions=copy_to(own))
    specs = [
        *backup_policy(doc, OU),
        *vault(MEMBER, "us-west-2", "member-dr"),
        *vault(OTHER_MEMBER, "us-west-2", "member-dr", lock="governance"),
    ]
    [found] = stack_messages("backup-copy-destination-locked", specs, {"ouAccounts": {OU: [MEMBER, OTHER_MEMBER]}})
    assert (
        f"the destination arn:aws:backup:us-west-2:{OTHER_MEMBER}:backup-vault:member-dr is locked in governance"
        in found
    )
    assert stack_messages("backup-copy-destination-locked", specs) == [], "an unresolved OU reaches no account here"


def test_destination_locked_fails_closed_on_unknowns() -> None:
    unknown_arn = [plan({"destinationVaultArn": UNKNOWN_STRING}), *central()]
    [found] = stack_messages("backup-copy-destination-locked", unknown_arn)
    assert "rules[0].copyActions[0]: destinationVaultArn could not be verified during preview" in found
    unknown_mode = [*backup_policy(rule_document(), MEMBER), *central(lock="unknown")]
    [found] = stack_messages("backup-copy-destination-locked", unknown_mode)
    assert "its lock's changeableForDays could not be verified during preview" in found


def test_destination_of_a_plan_must_be_a_vault_arn() -> None:
    [found] = stack_messages("backup-copy-destination-locked", [plan({"destinationVaultArn": "central-copies"})])
    assert "destinationVaultArn 'central-copies' is not a backup vault ARN" in found


# --------------------------------------------------------------------------- backup-copy-destination-accepts-org


def test_destination_accepts_copies_from_other_accounts() -> None:
    assert stack_messages("backup-copy-destination-accepts-org", healthy_stack()) == []
    no_policy = [*backup_policy(rule_document(), MEMBER), *central(access_policy=None)]
    [found] = stack_messages("backup-copy-destination-accepts-org", no_policy)
    assert f"copies from {MEMBER}/eu-west-1 into central-copies in {CENTRAL}/us-west-2" in found
    assert "need backup:CopyIntoBackupVault, but the destination vault has no access policy" in found
    deny_only = [*backup_policy(rule_document(), MEMBER), *central(access_policy=DENY_ONLY)]
    assert (
        f"no statement of the destination vault's VaultPolicy allows it to account {MEMBER} with OU path "
        f"o-a1b2c3d4e5/r-ab12/{OU}/" in stack_messages("backup-copy-destination-accepts-org", deny_only)[0]
    )


def test_destination_accepts_same_account_copies_without_a_policy() -> None:
    own = "arn:aws:backup:us-west-2:$account:backup-vault:member-dr"
    specs = [
        *backup_policy(rule_document(copy_actions=copy_to(own)), MEMBER),
        *vault(MEMBER, "us-west-2", "member-dr", access_policy=None),
    ]
    assert stack_messages("backup-copy-destination-accepts-org", specs) == []


def test_destination_accepts_reads_ou_accounts_config() -> None:
    specs = [*backup_policy(rule_document(), OU), *central(access_policy=None)]
    assert stack_messages("backup-copy-destination-accepts-org", specs) == []
    [found] = stack_messages("backup-copy-destination-accepts-org", specs, {"ouAccounts": {OU: [MEMBER]}})
    assert f"copies from {MEMBER}/eu-west-1 into central-copies" in found


def test_destination_accepts_fails_closed_on_an_unknown_policy() -> None:
    specs = [*backup_policy(rule_document(), MEMBER), *central(access_policy=UNKNOWN_STRING)]
    [found] = stack_messages("backup-copy-destination-accepts-org", specs)
    assert "its VaultPolicy policy could not be verified during preview" in found


# --------------------------------------------------------------------------- backup-copy-is-cross-boundary


def test_cross_boundary() -> None:
    local = "arn:aws:backup:$region:$account:backup-vault:member-copy"
    specs = backup_policy(rule_document(copy_actions=copy_to(local)), MEMBER)
    [found] = stack_messages("backup-copy-is-cross-boundary", specs)
    assert "stays in the same account and Region as its source" in found and f"{MEMBER}/eu-west-1" in found
    other_region = "arn:aws:backup:us-west-2:$account:backup-vault:member-dr"
    assert (
        stack_messages(
            "backup-copy-is-cross-boundary", backup_policy(rule_document(copy_actions=copy_to(other_region)), MEMBER)
        )
        == []
    )


def test_cross_boundary_required_boundary_config() -> None:
    other_region = "arn:aws:backup:us-west-2:$account:backup-vault:member-dr"
    specs = backup_policy(rule_document(copy_actions=copy_to(other_region)), MEMBER)
    [found] = stack_messages("backup-copy-is-cross-boundary", specs, {"requiredBoundary": "account"})
    assert "stays in the same account as its source" in found
    same_region_plan = plan({"destinationVaultArn": f"arn:aws:backup:eu-west-1:{CENTRAL}:backup-vault:central"})
    assert stack_messages("backup-copy-is-cross-boundary", [same_region_plan], {"requiredBoundary": "account"}) == []
    assert stack_messages("backup-copy-is-cross-boundary", [same_region_plan], {"requiredBoundary": "region"})


# --------------------------------------------------------------------------- backup-plan-retention-within-lock


def test_retention_within_the_member_lock() -> None:
    assert stack_messages("backup-plan-retention-within-lock", healthy_stack()) == []
    specs = [*backup_policy(rule_document(), MEMBER), *member(min_days=60.0), *central()]
    [found] = stack_messages("backup-plan-retention-within-lock", specs)
    assert (
        "plans.daily.rules.daily.lifecycle.delete_after_days: delete_after_days 35 is below min_retention_days 60"
        in found
    )
    assert f"(vault arn:aws:backup:eu-west-1:{MEMBER}:backup-vault:member-vault) (from {MEMBER}/eu-west-1)" in found


def test_retention_of_copies_within_the_destination_lock() -> None:
    specs = [*backup_policy(rule_document(copy_actions=copy_to(CENTRAL_VAULT_ARN, "500")), MEMBER), *central()]
    [found] = stack_messages("backup-plan-retention-within-lock", specs)
    assert "delete_after_days 500 is above max_retention_days 400 of the locked vault central-copies" in found
    inherited = [
        *backup_policy(rule_document(copy_actions=copy_to(CENTRAL_VAULT_ARN, None)), MEMBER),
        *central(min_days=60.0),
    ]
    [found] = stack_messages("backup-plan-retention-within-lock", inherited)
    assert f"copy_actions.{CENTRAL_VAULT_ARN}.lifecycle.delete_after_days: delete_after_days 35 is below" in found


def test_retention_within_lock_reads_ou_accounts_config() -> None:
    specs = [*backup_policy(rule_document(), OU), *member(OTHER_MEMBER, max_days=30.0)]
    assert stack_messages("backup-plan-retention-within-lock", specs) == []
    [found] = stack_messages("backup-plan-retention-within-lock", specs, {"ouAccounts": {OU: [OTHER_MEMBER]}})
    assert "delete_after_days 35 is above max_retention_days 30" in found


def test_retention_within_lock_fails_closed_on_unknowns() -> None:
    [found] = stack_messages("backup-plan-retention-within-lock", [plan(delete_after=UNKNOWN_NUMBER), *member()])
    assert "rules[0].lifecycle.deleteAfter could not be verified during preview" in found
    specs = [*backup_policy(rule_document(), MEMBER), *member(min_days=UNKNOWN_NUMBER)]
    [found] = stack_messages("backup-plan-retention-within-lock", specs)
    assert "minRetentionDays could not be verified during preview" in found


@pytest.mark.parametrize("rule", [p.name for p in copies.POLICIES])
def test_every_rule_is_declared_fully(rule: str) -> None:
    declared = policy(rule).rule
    assert declared.domain == "copy-destinations"
    assert declared.description and declared.remediation and declared.config
    assert all("default" in schema for schema in declared.config.values())
