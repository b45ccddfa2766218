"""Security F3: key-state changes in the central vault account reach the alert topic, and the compliance-locked
central key denies its own destruction to everyone.

The attack the alert catches: a holder of kms:PutKeyPolicy (break-glass or deploy role, the root of trust) removes
the Deny, then disables the key or schedules its deletion (7 days later every central copy is unreadable:
https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html). CloudTrail's events reach EventBridge as
"AWS API Call via CloudTrail" (https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-kms.html).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from moto.events.models import EventPattern

from components.documents.events import key_state_event_pattern
from components.key_alerting import KEY_CHANGES_RULE_NAME, KEY_FORWARDING_ROLE_NAME
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program

RULE = "aws:cloudwatch/eventRule:EventRule"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
ROLE = "aws:iam/role:Role"
KEY = "aws:kms/key:Key"
CENTRAL_TAG = ("org-backup:role", "central-copy-destination")


def _cloudtrail_event(name: str, *, source: str = "aws.kms", event_source: str = "kms.amazonaws.com") -> dict:
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": "333333333333",
        "time": "2026-01-01T00:00:00Z",
        "region": "us-west-2",
        "resources": [],
        "detail": {
            "eventVersion": "1.08",
            "eventSource": event_source,
            "eventName": name,
            "requestParameters": {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "pendingWindowInDays": 7},
        },
    }


def _matches(event: Any) -> bool:
    return bool(EventPattern.load(json.dumps(key_state_event_pattern())).matches_event(event))


def test_the_pattern_matches_the_three_calls_and_nothing_else():
    for name in ("ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy"):
        assert _matches(_cloudtrail_event(name)), name
    for name in ("EnableKey", "CancelKeyDeletion", "Decrypt", "DescribeKey"):
        assert not _matches(_cloudtrail_event(name)), name
    assert not _matches(
        _cloudtrail_event("DeleteRecoveryPoint", source="aws.backup", event_source="backup.amazonaws.com")
    )


def _central_keys(run: ProgramRun) -> list[Any]:
    return [k for k in run.of_type(KEY) if CENTRAL_TAG in set((k.inputs.get("tags") or {}).items())]


def _rules(run: ProgramRun, account: str) -> dict[str, Any]:
    return {
        r.region or "": r
        for r in run.of_type(RULE)
        if r.inputs.get("name") == KEY_CHANGES_RULE_NAME and r.account == account
    }


def test_prod_forwards_key_changes_from_every_central_region_to_the_central_bus(prod_run: ProgramRun):
    central_regions = {k.region for k in _central_keys(prod_run)}
    assert central_regions
    rules = _rules(prod_run, "333333333333")
    assert set(rules) == central_regions
    [role] = [r for r in prod_run.of_type(ROLE) if r.inputs.get("name") == KEY_FORWARDING_ROLE_NAME]
    assert role.account == "333333333333"
    assert role.inputs["tags"] == {"org-backup:reserved": "true"}, "the guardrail's tag deny protects it"
    assert "events.amazonaws.com" in json.dumps(role.inputs["assumeRolePolicy"])
    bus = "arn:aws:events:us-east-1:222222222222:event-bus/org-backup-alerts"
    assert bus in json.dumps(role.inputs["inlinePolicies"])
    by_urn = prod_run.by_urn()
    for region, rule in rules.items():
        assert json.loads(rule.inputs["eventPattern"]) == key_state_event_pattern()
        [target] = [t for t in prod_run.of_type(TARGET) if by_urn.get(t.parent_urn or "") is rule]
        assert target.inputs["arn"] == bus and target.region == region
        assert target.inputs.get("roleArn"), "a cross-account bus target needs the role"


def test_the_central_bus_publishes_key_changes_to_the_alert_topic(prod_run: ProgramRun):
    [rule] = [
        r
        for r in prod_run.of_type(RULE)
        if r.inputs.get("name") == KEY_CHANGES_RULE_NAME and r.account == "222222222222"
    ]
    assert rule.inputs["eventBusName"] == "org-backup-alerts"
    assert json.loads(rule.inputs["eventPattern"]) == key_state_event_pattern()
    by_urn = prod_run.by_urn()
    [target] = [t for t in prod_run.of_type(TARGET) if by_urn.get(t.parent_urn or "") is rule]
    assert target.inputs["arn"] == "arn:aws:sns:us-east-1:222222222222:org-backup-alerts"


def test_the_compliance_locked_central_key_denies_disable_and_deletion_to_everyone(
    prod_run: ProgramRun, staging_run: ProgramRun
):
    """prod's central lock is compliance mode, staging's governance (break-glass may delete the points anyway)."""
    for key in _central_keys(prod_run):
        sids = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
        deny = sids["DenyKeyDisableAndDeletionToEveryone"]
        assert "Condition" not in deny and deny["Effect"] == "Deny"
    assert _central_keys(staging_run)
    for key in _central_keys(staging_run):
        assert "DenyKeyDisableAndDeletionToEveryone" not in key.inputs["policy"]


def test_no_key_alert_without_alerting():
    config = copy.deepcopy(load_stack_config("prod"))
    config["org-backup:alerting"] = {**(config.get("org-backup:alerting") or {}), "enabled": False}
    run = run_program(config, stack="prod")
    assert not [r for r in run.of_type(RULE) if r.inputs.get("name") == KEY_CHANGES_RULE_NAME]
