"""Preflight and verify against moto: squatted exemptions, the SCP policy type, the 5-SCP limit, and the
guardrail's attachments and content. An account that refuses access is reported and the run goes on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from org_backup.ops import preflight, verify
from org_backup.ops.common import EXIT_FINDINGS
from tests.org_backup.ops.fakes import BREAK_GLASS, FakeOrg, StubbedApis, _error, write_stack
from tests.org_backup.ops.guardrail_fakes import deploy_stack_guardrail, trust

ATTACKER = "999999999999"
"""An account outside the organization that a member-account administrator controls."""

SCP_TYPE = "SERVICE_CONTROL_POLICY"


def run(command: Any, stack_file: Path, connect, json_file: Path) -> tuple[int, list[dict[str, Any]]]:
    code = command.main(["--config", str(stack_file), "--json", str(json_file)], aws=connect(command.COMMAND))
    return code, json.loads(json_file.read_text())["findings"]


def about(findings: list[dict[str, Any]], *checks: str) -> list[tuple[str, str | None, str]]:
    return sorted((f["check"], f["account"], f["severity"]) for f in findings if f["check"] in checks)


def squat(org: FakeOrg) -> dict[str, str]:
    """What a member-account administrator can do before any guardrail is attached, one attack per account."""
    prod_01, prod_02 = org.in_ou("prod")
    nonprod = org.accounts["nonprod-01"]
    central = org.central
    # prod-01: replace the break-glass role by one the attacker's own account may assume.
    iam = org.client("iam", prod_01)
    iam.delete_role(RoleName=BREAK_GLASS)
    iam.create_role(RoleName=BREAK_GLASS, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ATTACKER}:root"))
    # prod-02: widen the deploy role's trust, and make a StackSets execution role trusting the account itself.
    iam = org.client("iam", prod_02)
    iam.update_assume_role_policy(
        RoleName="OrganizationAccountAccessRole",
        PolicyDocument=trust(f"arn:aws:iam::{org.management}:root", f"arn:aws:iam::{prod_02}:role/Admin"),
    )
    iam.create_role(RoleName="stacksets-exec-0123456789abcdef", AssumeRolePolicyDocument=trust(prod_02))
    # non-prod: the break-glass name under a path (not exempt, and it blocks the real role), trusting everyone.
    iam = org.client("iam", nonprod)
    iam.delete_role(RoleName=BREAK_GLASS)
    iam.create_role(RoleName=BREAK_GLASS, Path="/attacker/", AssumeRolePolicyDocument=trust("*"))
    # central: a role named like the backup role in another case, trusting EC2.
    org.client("iam", central).create_role(
        RoleName="orgbackupservicerole", AssumeRolePolicyDocument=trust(service="ec2.amazonaws.com")
    )
    return {"prod_01": prod_01, "prod_02": prod_02, "nonprod": nonprod, "central": central}


def test_preflight_names_every_squatted_exemption(org: FakeOrg, stack_file: Path, connect, stubs, tmp_path) -> None:
    who = squat(org)

    code, findings = run(preflight, stack_file, connect, tmp_path / "out.json")

    assert code == EXIT_FINDINGS
    squats = [f for f in findings if f["check"] == "reserved-role"]
    assert sorted((f["account"], f["severity"]) for f in squats) == sorted(
        [
            (who["prod_01"], "error"),  # break-glass trusts the attacker
            (who["prod_02"], "error"),  # deploy role trusts a role of the account
            (who["prod_02"], "error"),  # stacksets-exec-* trusts the account
            (who["nonprod"], "error"),  # break-glass name under a path
            (who["nonprod"], "error"),  # ... trusting everyone
            (who["nonprod"], "warning"),  # so the real break-glass role is missing
            (who["central"], "error"),  # the backup role's name in another case
            (who["central"], "error"),  # ... trusting EC2
        ]
    )
    text = json.dumps(squats)
    assert f"AWS:arn:aws:iam::{ATTACKER}:root" in text
    assert f"AWS:arn:aws:iam::{who['prod_02']}:role/Admin" in text and f"AWS:{who['prod_02']}" in text
    assert "AWS:*" in text and "Service:ec2.amazonaws.com" in text
    assert "another case or path" in text
    assert stubs.mutating_calls() == []


def test_an_account_that_refuses_access_is_reported_and_the_others_are_checked(
    org: FakeOrg, stack_file: Path, connect, stubs: StubbedApis, tmp_path
) -> None:
    who = squat(org)
    stubs.denied_roles.add(who["prod_02"])  # sts:AssumeRole is refused
    refusing = refusing_list_roles(connect, stubs, who["nonprod"])  # assumed, but iam:ListRoles is refused

    code, findings = run(preflight, stack_file, refusing, tmp_path / "out.json")

    assert code == EXIT_FINDINGS
    assert ("assume-role", who["prod_02"], "error") in about(findings, "assume-role")
    refused = [f for f in findings if f["check"] == "reserved-role" and f["account"] == who["nonprod"]]
    assert len(refused) == 1 and "could not check: AccessDenied" in refused[0]["message"]
    assert {f["account"] for f in findings if f["check"] == "reserved-role"} == {
        who["prod_01"],
        who["nonprod"],
        who["central"],
    }


def refusing_list_roles(connect, stubs: StubbedApis, account: str):
    """``connect`` whose IAM answers AccessDenied to ListRoles in ``account`` (the error shape botocore parses)."""

    def make(command: str) -> Any:
        aws = connect(command)

        def refuse(model: Any, context: dict[str, Any], request_signer: Any, **_: Any) -> Any:
            if stubs._account(request_signer) == account:
                return _error("AccessDenied", "User is not authorized to perform: iam:ListRoles", 403)
            return None

        aws.session.events.register_first("before-call.iam.ListRoles", refuse)
        return aws

    return make


def test_preflight_requires_service_control_policies_and_counts_what_is_attached(
    org: FakeOrg, stack_file: Path, connect, stubs, tmp_path
) -> None:
    organizations = org.client("organizations")
    organizations.disable_policy_type(RootId=org.root_id, PolicyType=SCP_TYPE)

    _, findings = run(preflight, stack_file, connect, tmp_path / "off.json")
    assert about(findings, "scp-policy-type", "scps-per-target") == [("scp-policy-type", org.management, "error")]

    organizations.enable_policy_type(RootId=org.root_id, PolicyType=SCP_TYPE)
    for n in range(4):
        policy = organizations.create_policy(
            Name=f"security-{n}", Description="x", Type=SCP_TYPE, Content=trust("*").replace("Allow", "Deny")
        )["Policy"]["PolicySummary"]["Id"]
        organizations.attach_policy(PolicyId=policy, TargetId=org.ous["non-prod"])
        if n < 2:
            organizations.attach_policy(PolicyId=policy, TargetId=org.ous["prod"])

    _, findings = run(preflight, stack_file, connect, tmp_path / "on.json")

    per_target = {f["resource"]: f for f in findings if f["check"] == "scps-per-target"}
    assert {k: v["severity"] for k, v in per_target.items()} == {
        org.ous["non-prod"]: "error",  # FullAWSAccess + 4 + the guardrail's 1 > 5
        org.ous["prod"]: "warning",  # FullAWSAccess + 2 + 1 fits, but the config assumes 1 (FullAWSAccess)
    }
    assert "5 SCPs attached (FullAWSAccess, security-0" in per_target[org.ous["non-prod"]]["message"]

    declared = write_stack(
        tmp_path, org, stack="declared", guardrail={"policies_attached_elsewhere": {org.ous["prod"]: 3}}
    )
    _, findings = run(preflight, declared, connect, tmp_path / "declared.json")
    assert [f["resource"] for f in findings if f["check"] == "scps-per-target"] == [org.ous["non-prod"]]


def test_verify_finds_the_guardrail_attached_and_unchanged_then_every_drift(
    org: FakeOrg, stack_file: Path, connect, stubs: StubbedApis, tmp_path
) -> None:
    deploy_stack_guardrail(org, stack_file)  # what pulumi up creates for the guardrail (vaults are not needed)

    _, findings = run(verify, stack_file, connect, tmp_path / "clean.json")
    assert about(findings, "guardrail", "reserved-role", "scp-policy-type") == []

    organizations = org.client("organizations")
    (policy,) = [
        p for p in organizations.list_policies(Filter=SCP_TYPE)["Policies"] if p["Name"] == "org-backup-guardrail-1"
    ]
    organizations.detach_policy(PolicyId=policy["Id"], TargetId=org.ous["non-prod"])
    organizations.attach_policy(PolicyId=policy["Id"], TargetId=org.ous["sandbox"])
    content = json.loads(organizations.describe_policy(PolicyId=policy["Id"])["Policy"]["Content"])
    content["Statement"] = content["Statement"][1:]  # someone dropped the vault statement
    organizations.update_policy(PolicyId=policy["Id"], Content=json.dumps(content))
    who = squat(org)

    code, findings = run(verify, stack_file, connect, tmp_path / "drift.json")

    assert code == EXIT_FINDINGS
    guardrail = {(f["resource"], f["severity"]) for f in findings if f["check"] == "guardrail"}
    assert guardrail == {
        (policy["Id"], "error"),  # content changed
        (org.ous["non-prod"], "error"),  # detached where the config says
        (org.ous["sandbox"], "warning"),  # attached where it does not
    }
    squats = {f["account"] for f in findings if f["check"] == "reserved-role"}
    assert squats == {who["prod_01"], who["prod_02"], who["nonprod"], who["central"]}
    assert stubs.mutating_calls() == []


def test_verify_reports_a_missing_guardrail(org: FakeOrg, stack_file: Path, connect, stubs: StubbedApis, tmp_path):
    deploy_stack_guardrail(org, stack_file)
    organizations = org.client("organizations")
    for summary in organizations.list_policies(Filter=SCP_TYPE)["Policies"]:
        if summary["Name"].startswith("org-backup-guardrail"):
            for target in organizations.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]:
                organizations.detach_policy(PolicyId=summary["Id"], TargetId=target["TargetId"])
            organizations.delete_policy(PolicyId=summary["Id"])

    _, findings = run(verify, stack_file, connect, tmp_path / "gone.json")

    missing = [f for f in findings if f["check"] == "guardrail"]
    assert [(f["resource"], f["severity"]) for f in missing] == [("org-backup-guardrail-1", "error")]
    assert "does not exist" in missing[0]["message"]
