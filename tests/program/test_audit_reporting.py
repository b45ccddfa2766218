"""What the prod stack registers for audit evidence and failed-job alerts (issue 9 items 9, 10, 11, 15b)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from org_backup.preview.offline import ProgramRun, RecordedResource, load_stack_config, run_program

REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
FRAMEWORK = "aws:backup/framework:Framework"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
SERVICE_ACCESS = "aws:organizations/awsServiceAccess:AwsServiceAccess"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
ADMIN = "222222222222"

# The prod plans: daily (35 d), weekly (180 d), monthly (400 d) and critical-databases (hourly kept 7 d,
# daily continuous kept 35 d). Every point lives at least 7 days; every plan has a rule kept 35 days at
# least as often as every 31 days (monthly: the longest gap between two runs of cron(0 5 1 * ? *)).
DERIVED_CONTROLS = {
    "BACKUP_PLAN_MIN_FREQUENCY_AND_MIN_RETENTION_CHECK": {
        "requiredFrequencyUnit": "days",
        "requiredFrequencyValue": "31",
        "requiredRetentionDays": "35",
    },
    "BACKUP_RECOVERY_POINT_MINIMUM_RETENTION_CHECK": {"requiredRetentionDays": "7"},
    "BACKUP_LAST_RECOVERY_POINT_CREATED": {"recoveryPointAgeUnit": "days", "recoveryPointAgeValue": "31"},
}
FAILED_JOB_PATTERN = {
    "source": ["aws.backup"],
    "$or": [
        {"detail-type": ["Backup Job State Change"], "detail": {"state": ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"]}},
        {"detail-type": ["Copy Job State Change"], "detail": {"state": ["FAILED", "PARTIAL"]}},
        {"detail-type": ["Restore Job State Change"], "detail": {"status": ["FAILED", "ABORTED"]}},
    ],
}


def _plans(run: ProgramRun) -> dict[str, RecordedResource]:
    return {p.inputs["reportSetting"]["reportTemplate"]: p for p in run.of_type(REPORT_PLAN)}


def _pulumi_controls(framework: RecordedResource) -> dict[str, dict[str, str]]:
    return {
        c["name"]: {p["name"]: p["value"] for p in c.get("inputParameters", [])} for c in framework.inputs["controls"]
    }


def _template_controls(framework: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        c["ControlName"]: {p["ParameterName"]: p["ParameterValue"] for p in c.get("ControlInputParameters", [])}
        for c in framework["Properties"]["FrameworkControls"]
    }


@pytest.fixture(scope="module")
def stackset_run() -> ProgramRun:
    config = copy.deepcopy(load_stack_config("prod"))
    config["org-backup:member_deployment"] = {"mode": "stackset"}
    return run_program(config, stack="prod")


def test_report_plans_wait_for_trusted_access_and_the_delegated_administrator(prod_run: ProgramRun):
    """Cross-account report plans need the delegated administrator registration, which needs trusted access."""
    (service_access,) = prod_run.of_type(SERVICE_ACCESS)
    (delegated_admin,) = prod_run.of_type(DELEGATED_ADMIN)
    plans = _plans(prod_run)
    assert len(plans) == 5
    for plan in plans.values():
        assert plan.account == ADMIN
        assert {service_access.urn, delegated_admin.urn} <= set(plan.dependencies), plan.name


def test_compliance_reports_cover_the_targeted_ous_in_the_workload_regions(prod_run: ProgramRun):
    plans = _plans(prod_run)
    for template in ("CONTROL_COMPLIANCE_REPORT", "RESOURCE_COMPLIANCE_REPORT"):
        setting = plans[template].inputs["reportSetting"]
        assert setting == {
            "reportTemplate": template,
            "organizationUnits": ["ou-ab12-11111111", "ou-ab12-22222222"],
            "regions": ["eu-west-1", "us-east-1"],
        }, template


def test_job_reports_cover_every_account_in_the_workload_and_dr_regions(prod_run: ProgramRun):
    plans = _plans(prod_run)
    for template in ("BACKUP_JOB_REPORT", "COPY_JOB_REPORT", "RESTORE_JOB_REPORT"):
        assert plans[template].inputs["reportSetting"] == {
            "reportTemplate": template,
            "accounts": ["ROOT"],
            "regions": ["eu-west-1", "us-east-1", "us-west-2"],
        }, template


def test_compliance_reports_name_targeted_accounts_too():
    config = copy.deepcopy(load_stack_config("prod"))
    config["org-backup:targets"]["accounts"] = ["444444444401"]
    run = run_program(config, stack="prod")
    setting = _plans(run)["CONTROL_COMPLIANCE_REPORT"].inputs["reportSetting"]
    assert setting["accounts"] == ["444444444401"]
    assert setting["organizationUnits"] == ["ou-ab12-11111111", "ou-ab12-22222222"]


def test_every_framework_asks_only_what_the_plans_deliver(prod_run: ProgramRun):
    frameworks = prod_run.of_type(FRAMEWORK)
    assert {f.account for f in frameworks} >= {ADMIN, "444444444401"}
    for framework in frameworks:
        controls = _pulumi_controls(framework)
        for name, parameters in DERIVED_CONTROLS.items():
            assert controls[name] == parameters, (framework.name, name)


def test_the_stackset_framework_asks_the_same(stackset_run: ProgramRun):
    (stack_set,) = stackset_run.of_type(STACK_SET)
    template = json.loads(stack_set.inputs["templateBody"])
    [framework] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Backup::Framework"]
    controls = _template_controls(framework)
    for name, parameters in DERIVED_CONTROLS.items():
        assert controls[name] == parameters, name


def test_every_failed_job_rule_matches_partial_jobs(prod_run: ProgramRun, stackset_run: ProgramRun):
    rules = [r for r in prod_run.of_type(EVENT_RULE) if "failed" in r.name]
    assert len(rules) > 2  # the central rule and one per member account and Region
    for rule in rules:
        assert json.loads(rule.inputs["eventPattern"]) == FAILED_JOB_PATTERN, rule.name
    (stack_set,) = stackset_run.of_type(STACK_SET)
    template = json.loads(stack_set.inputs["templateBody"])
    [member_rule] = [r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Rule"]
    assert member_rule["Properties"]["EventPattern"] == FAILED_JOB_PATTERN
