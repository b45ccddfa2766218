"""The validator on scan settings of hand-written policies (AWS's example 8 and its mistakes), and the reader the
pack rules use (policies/backup_rules/scanning.py)."""

from __future__ import annotations

import json
from typing import Any

from policies.backup_rules.backup_policy import validate_backup_policy
from policies.backup_rules.scanning import plan_scanning
from tests.policies.backup_rules.aws_doc_examples import EXAMPLE_8_MALWARE_SCAN

PLAN = "plans.Malware_Scan_Backup_Plan"


def example(**settings: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE_8_MALWARE_SCAN)
    document["plans"]["Malware_Scan_Backup_Plan"]["scan_settings"]["GUARDDUTY"].update(settings)
    return document


def errors(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(f.path, f.rule) for f in validate_backup_policy(json.dumps(document)) if f.severity == "error"}


def test_aws_example_8_is_clean_and_reads_back() -> None:
    assert errors(example()) == set()
    (plan,) = plan_scanning(json.loads(EXAMPLE_8_MALWARE_SCAN)["plans"])
    assert plan.scanner_role_arn == "arn:aws:iam::$account:role/MyGuardDutyScannerRole"
    assert plan.resource_types == ("EBS",)
    assert plan.rules == (("Daily_With_Incremental_Scan", "INCREMENTAL_SCAN"), ("Monthly_With_Full_Scan", "FULL_SCAN"))


def test_a_resource_type_guardduty_does_not_scan_is_an_error() -> None:
    assert (f"{PLAN}.scan_settings.GUARDDUTY.resource_types", "enum-value") in errors(
        example(resource_types={"@@assign": ["EBS", "RDS"]})
    )


def test_a_scanner_role_that_is_not_a_role_arn_is_an_error() -> None:
    assert (f"{PLAN}.scan_settings.GUARDDUTY.scanner_role_arn", "iam-role-arn") in errors(
        example(scanner_role_arn={"@@assign": "arn:aws:iam::$account:user/Scanner"})
    )


def test_reader_takes_lower_cased_effective_identifiers() -> None:
    document = json.loads(EXAMPLE_8_MALWARE_SCAN.replace('"GUARDDUTY"', '"guardduty"'))
    (plan,) = plan_scanning(document["plans"])
    assert plan.scanner_role_arn is not None and len(plan.rules) == 2
