"""The program registers malware scanning with exactly the inputs the configuration implies (staging scans)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from components.documents.scanning import scan_alert_event_pattern, scanner_role_trust_policy
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program

ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
POLICY = "aws:organizations/policy:Policy"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
MEMBERS = ("700000000011", "700000000012")
ADMIN = "700000000002"
BUS = f"arn:aws:events:eu-west-1:{ADMIN}:event-bus/org-backup-alerts"
GUARDDUTY_POLICY = "arn:aws:iam::aws:policy/AWSBackupGuardDutyRolePolicyForScans"
SCANS_POLICY = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForScans"


def _content(run: ProgramRun) -> dict[str, Any]:
    (policy,) = [p for p in run.of_type(POLICY) if p.inputs["type"] == "BACKUP_POLICY"]
    return json.loads(policy.inputs["content"])


def test_the_backup_policy_carries_the_scan_settings_and_actions(staging_run: ProgramRun) -> None:
    plan = _content(staging_run)["plans"]["daily"]
    settings = plan["scan_settings"]["GUARDDUTY"]
    assert settings["resource_types"]["@@assign"] == ["EBS", "EC2", "S3"]
    assert settings["scanner_role_arn"]["@@assign"] == "arn:aws:iam::$account:role/OrgBackupMalwareScannerRole"
    modes = {
        name: rule["scan_actions"]["GUARDDUTY"]["scan_mode"]["@@assign"]
        for name, rule in plan["rules"].items()
        if not name.startswith("@@")
    }
    assert modes == {"daily": "INCREMENTAL_SCAN", "weekly": "FULL_SCAN"}


def test_every_member_gets_the_scanner_role_and_the_backup_role_scan_policy(staging_run: ProgramRun) -> None:
    scanners = [r for r in staging_run.of_type(ROLE) if r.inputs["name"] == "OrgBackupMalwareScannerRole"]
    assert sorted(str(r.account) for r in scanners) == list(MEMBERS)
    for role in scanners:
        assert json.loads(role.inputs["assumeRolePolicy"]) == scanner_role_trust_policy()
    by_account: dict[str, set[tuple[str, str]]] = {}
    urns = {r.urn: r for r in staging_run.resources}
    for attachment in staging_run.of_type(ATTACHMENT):
        owner = urns[attachment.parent_urn or ""]
        by_account.setdefault(str(attachment.account), set()).add(
            (owner.inputs["name"], attachment.inputs["policyArn"])
        )
    for account in MEMBERS:
        assert ("OrgBackupMalwareScannerRole", GUARDDUTY_POLICY) in by_account[account]
        assert ("OrgBackupServiceRole", SCANS_POLICY) in by_account[account]
        assert {p for n, p in by_account[account] if n == "OrgBackupMalwareScannerRole"} == {GUARDDUTY_POLICY}


def test_the_backup_policies_wait_for_the_scanner_roles(staging_run: ProgramRun) -> None:
    (policy,) = [p for p in staging_run.of_type(POLICY) if p.inputs["type"] == "BACKUP_POLICY"]
    scanners = {r.urn for r in staging_run.of_type(ROLE) if r.inputs["name"] == "OrgBackupMalwareScannerRole"}
    assert scanners <= set(policy.dependencies) | _ancestors_dependencies(staging_run, policy.parent_urn)


def _ancestors_dependencies(run: ProgramRun, urn: str | None) -> set[str]:
    urns = run.by_urn()
    out: set[str] = set()
    while urn is not None and urn in urns:
        out |= set(urns[urn].dependencies)
        urn = urns[urn].parent_urn
    return out


def test_scan_alerts_are_forwarded_from_each_member_region_to_the_topic(staging_run: ProgramRun) -> None:
    rules = [r for r in staging_run.of_type(EVENT_RULE) if r.inputs["name"] == "org-backup-malware-scans"]
    assert sorted((r.account, r.region, r.inputs.get("eventBusName")) for r in rules) == [
        (ADMIN, "eu-west-1", "org-backup-alerts"),
        (MEMBERS[0], "eu-west-1", None),
        (MEMBERS[1], "eu-west-1", None),
    ]
    for rule in rules:
        assert json.loads(rule.inputs["eventPattern"]) == scan_alert_event_pattern()
    targets = {t.parent_urn: t for t in staging_run.of_type(EVENT_TARGET)}
    for rule in rules:
        target = targets[rule.urn]
        if rule.account == ADMIN:
            assert target.inputs["arn"] == f"arn:aws:sns:eu-west-1:{ADMIN}:org-backup-alerts"
            assert target.inputs["eventBusName"] == "org-backup-alerts"
        else:
            assert target.inputs["arn"] == BUS
            assert target.inputs["roleArn"] == f"arn:aws:iam::{rule.account}:role/org-backup-event-forwarding"


@pytest.fixture(scope="module")
def audited_run() -> ProgramRun:
    config = copy.deepcopy(load_stack_config("staging"))
    config["org-backup:audit"] = {"enabled": True}
    return run_program(config, stack="staging")


def test_scan_job_report_is_made_when_plans_scan(audited_run: ProgramRun) -> None:
    templates = sorted(p.inputs["reportSetting"]["reportTemplate"] for p in audited_run.of_type(REPORT_PLAN))
    assert "SCAN_JOB_REPORT" in templates
    assert templates.count("SCAN_JOB_REPORT") == 1


def test_no_scanning_resources_without_a_scanning_plan() -> None:
    config = copy.deepcopy(load_stack_config("staging"))
    del config["org-backup:plans"]["daily"]["malware_scanning"]
    del config["org-backup:plans"]["daily"]["rules"]["weekly"]["malware_scanning"]
    run = run_program(config, stack="staging")
    assert not [r for r in run.of_type(ROLE) if r.inputs["name"] == "OrgBackupMalwareScannerRole"]
    assert not [r for r in run.of_type(EVENT_RULE) if r.inputs["name"] == "org-backup-malware-scans"]
    assert "scan_settings" not in json.dumps(_content(run))


def test_a_rule_with_an_ebs_search_index_gives_every_backup_role_the_indexing_policy() -> None:
    config = copy.deepcopy(load_stack_config("staging"))
    config["org-backup:plans"]["daily"]["rules"]["daily"]["search_index"] = ["EBS"]
    run = run_program(config, stack="staging")
    rule = _content(run)["plans"]["daily"]["rules"]["daily"]
    assert rule["index_actions"]["resource_types"]["@@assign"] == ["EBS"]
    urns = run.by_urn()
    indexing = [
        (a.account, urns[a.parent_urn or ""].inputs["name"])
        for a in run.of_type(ATTACHMENT)
        if a.inputs["policyArn"] == "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForIndexing"
    ]
    assert sorted(indexing) == [(account, "OrgBackupServiceRole") for account in MEMBERS]
