"""Malware-scanning pack rules: the scanner role and the backup role's scan policy in every reached account."""

from __future__ import annotations

import json
from typing import Any

from rules import scanning
from rules.resources import IAM_ROLE, IAM_ROLE_POLICY_ATTACHMENT

from .harness import UNKNOWN_STRING, Spec, by_name, run_stack
from .test_coverage import CENTRAL, MEMBER, OTHER, OU, ROLE, attachment, member, policy

SCANNER_ROLE = by_name(scanning.POLICIES, "backup-scanner-role-in-every-target")
BACKUP_ROLE_SCANS = by_name(scanning.POLICIES, "backup-role-can-start-scans")
SCANNER = "MyGuardDutyScannerRole"
SCANS = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForScans"
GUARDDUTY_POLICY = "arn:aws:iam::aws:policy/AWSBackupGuardDutyRolePolicyForScans"
SCANNER_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "malware-protection.guardduty.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def scan_policy(scanner_arn: str = f"arn:aws:iam::$account:role/{SCANNER}", actions: bool = True) -> str:
    """AWS's example 8 of the backup-policy syntax page, role names adapted to the coverage fixtures."""
    rule: dict[str, Any] = {
        "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
        "target_backup_vault_name": {"@@assign": "AWSBackupSolutionVault"},
        "lifecycle": {"delete_after_days": {"@@assign": "35"}},
    }
    if actions:
        rule["scan_actions"] = {"GUARDDUTY": {"scan_mode": {"@@assign": "INCREMENTAL_SCAN"}}}
    return json.dumps(
        {
            "plans": {
                "Malware_Scan_Backup_Plan": {
                    "regions": {"@@assign": ["us-east-1", "us-west-2"]},
                    "rules": {"Daily_With_Incremental_Scan": rule},
                    "selections": {
                        "tags": {
                            "scan_selection": {
                                "iam_role_arn": {"@@assign": f"arn:aws:iam::$account:role/{ROLE}"},
                                "tag_key": {"@@assign": "backup"},
                                "tag_value": {"@@assign": ["true"]},
                            }
                        }
                    },
                    "scan_settings": {
                        "GUARDDUTY": {
                            "resource_types": {"@@assign": ["EBS"]},
                            "scanner_role_arn": {"@@assign": scanner_arn},
                        }
                    },
                }
            }
        }
    )


def scanner(
    account: str = MEMBER, trust: Any = SCANNER_TRUST, policies: tuple[str, ...] = (GUARDDUTY_POLICY,)
) -> list[Spec]:
    role_spec = Spec(IAM_ROLE, {"name": SCANNER, "assumeRolePolicy": trust}, name=f"{account}-scanner", account=account)
    return [
        role_spec,
        *(
            Spec(
                IAM_ROLE_POLICY_ATTACHMENT,
                {"role": SCANNER, "policyArn": arn},
                name=f"{account}-scanner-{arn.rsplit('/', 1)[-1]}",
                account=account,
                property_dependencies={"role": [role_spec.urn]},
            )
            for arn in policies
        ),
    ]


def scans_attachment(account: str = MEMBER) -> Spec:
    return Spec(
        IAM_ROLE_POLICY_ATTACHMENT,
        {"role": ROLE, "policyArn": SCANS},
        name=f"{account}-backup-scans",
        account=account,
        property_dependencies={"role": [f"urn:pulumi:test::test::aws:iam/role:Role::{account}-role"]},
    )


def stack(content: str | None = None, *extra: Spec, target: str = MEMBER) -> list[Spec]:
    scan = policy(content or scan_policy(), "scan")
    return [scan, attachment(scan, target), *member(), *extra]


def messages(rule: Any, specs: list[Spec], config: dict[str, Any] | None = None) -> list[str]:
    return [message for _, message in run_stack(rule, specs, config)]


def test_scanner_role_present_passes() -> None:
    assert run_stack(SCANNER_ROLE, stack(None, *scanner())) == []


def test_scanner_role_missing_is_reported_per_policy() -> None:
    [(urn, message)] = run_stack(SCANNER_ROLE, stack())
    assert urn == policy(scan_policy(), "scan").urn
    assert message == (
        f"policy scan: scanner role {SCANNER} of plan(s) Malware_Scan_Backup_Plan does not exist in 1 reached "
        f"account(s): {MEMBER}; their recovery points are not scanned"
    )


def test_scanner_role_that_trusts_another_service_or_lacks_the_policy() -> None:
    ec2 = SCANNER_TRUST.replace("malware-protection.guardduty.amazonaws.com", "ec2.amazonaws.com")
    found = messages(SCANNER_ROLE, stack(None, *scanner(trust=ec2, policies=())))
    assert sorted(m.split(" in 1 reached")[0].split(" Malware_Scan_Backup_Plan ")[1] for m in found) == [
        "does not trust malware-protection.guardduty.amazonaws.com",
        "lacks the managed policy AWSBackupGuardDutyRolePolicyForScans",
    ]


def test_attacker_role_of_the_same_name_trusting_their_account_fails() -> None:
    """An administrator who recreates the role to trust their own principal does not pass as a scanner role."""
    attacker = SCANNER_TRUST.replace(
        '{"Service": "malware-protection.guardduty.amazonaws.com"}', f'{{"AWS": "arn:aws:iam::{OTHER}:root"}}'
    )
    [message] = messages(SCANNER_ROLE, stack(None, *scanner(trust=attacker)))
    assert "does not trust malware-protection.guardduty.amazonaws.com" in message


def test_scanner_role_in_another_account_is_refused() -> None:
    [message] = messages(SCANNER_ROLE, stack(scan_policy(f"arn:aws:iam::{CENTRAL}:role/{SCANNER}"), *scanner()))
    assert f"is named in account {CENTRAL} (write $account: GuardDuty uses the local role)" in message


def test_scanner_role_trust_unknown_fails_closed() -> None:
    [message] = messages(SCANNER_ROLE, stack(None, *scanner(trust=UNKNOWN_STRING)))
    assert "has a trust policy not known during preview (treated as a violation)" in message


def test_every_account_of_the_ou_needs_the_scanner_role() -> None:
    specs = stack(None, *scanner(), target=OU)
    assert run_stack(SCANNER_ROLE, specs, {"ouAccounts": {OU: [MEMBER]}}) == []
    [message] = messages(SCANNER_ROLE, specs, {"ouAccounts": {OU: [MEMBER, OTHER]}})
    assert f"does not exist in 1 reached account(s): {OTHER}" in message


def test_policy_without_scan_actions_needs_no_scanner_role() -> None:
    assert run_stack(SCANNER_ROLE, stack(scan_policy(actions=False))) == []


def test_backup_role_needs_the_scans_policy_where_the_stack_creates_it() -> None:
    [(urn, message)] = run_stack(BACKUP_ROLE_SCANS, stack(None, *scanner()))
    assert urn == policy(scan_policy(), "scan").urn
    assert message == (
        f"policy scan: backup role {ROLE} of scanning plans lacks the managed policy AWSBackupServiceRolePolicyForScans "
        f"in 1 reached account(s): {MEMBER}; AWS Backup cannot start their scans"
    )
    assert run_stack(BACKUP_ROLE_SCANS, stack(None, *scanner(), scans_attachment())) == []


def test_backup_role_of_a_plan_that_does_not_scan_needs_nothing() -> None:
    assert run_stack(BACKUP_ROLE_SCANS, stack(scan_policy(actions=False))) == []
