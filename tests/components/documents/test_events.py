"""Failed-job alerting documents: event pattern, central bus, forwarding role, alert topic and its key."""

from __future__ import annotations

import json

import botocore.session
import pytest
from moto.events.models import EventPattern

from components.documents import events, kms
from org_backup.ops.checks import jobs
from policies.backup_rules.events import BACKUP_JOB_FAILURE_STATES, COPY_JOB_FAILURE_STATES
from tests.components.documents.helpers import as_list, by_sid, is_allowed

ORG = "o-a1b2c3d4e5"
ADMIN = "222222222222"
MEMBER = "444455556666"
BUS = f"arn:aws:events:us-east-1:{ADMIN}:event-bus/org-backup-alerts"
TOPIC = f"arn:aws:sns:us-east-1:{ADMIN}:org-backup-alerts"


def _event(detail_type, *, source="aws.backup", **detail):
    return {
        "version": "0",
        "id": "00000000-0000-0000-0000-000000000000",
        "detail-type": detail_type,
        "source": source,
        "account": MEMBER,
        "time": "2026-01-01T00:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": {"backupVaultName": "org-backup", **detail},
    }


def _matches(event):
    # moto's parser rejects what EventBridge rejects (non-array leaves, empty arrays); its matcher knows $or
    return EventPattern.load(json.dumps(events.failed_job_event_pattern())).matches_event(event)


def test_failed_job_event_pattern_shape():
    assert events.failed_job_event_pattern() == {
        "source": ["aws.backup"],
        "$or": [
            {
                "detail-type": ["Backup Job State Change"],
                "detail": {"state": ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"]},
            },
            {"detail-type": ["Copy Job State Change"], "detail": {"state": ["FAILED", "PARTIAL"]}},
            {"detail-type": ["Restore Job State Change"], "detail": {"status": ["FAILED", "ABORTED"]}},
        ],
    }


def _api_enum(shape: str) -> set[str]:
    return set(botocore.session.get_session().get_service_model("backup").shape_for(shape).enum)


@pytest.mark.parametrize(
    ("detail_type", "field", "shape", "terminal_success"),
    [
        ("Backup Job State Change", "state", "BackupJobState", {"COMPLETED"}),
        ("Copy Job State Change", "state", "CopyJobState", {"COMPLETED"}),
        ("Restore Job State Change", "status", "RestoreJobStatus", {"COMPLETED"}),
    ],
)
def test_every_terminal_failure_of_the_api_enum_alerts_and_nothing_else(detail_type, field, shape, terminal_success):
    """The pattern against botocore's enums: each failure state of that job type matches, and it names no state
    the job type does not have (a copy job is never ABORTED, a restore job never PARTIAL)."""
    states = _api_enum(shape)
    [branch] = [b for b in events.failed_job_event_pattern()["$or"] if b["detail-type"] == [detail_type]]
    assert set(branch["detail"][field]) <= states
    in_progress = {"CREATED", "PENDING", "RUNNING", "ABORTING"}
    for state in states:
        expected = state not in in_progress | terminal_success
        assert _matches(_event(detail_type, **{field: state})) is expected, (detail_type, state)


def test_verify_counts_the_same_failure_states_as_the_alert_rule():
    assert jobs.FAILURE_STATES == {"backup": BACKUP_JOB_FAILURE_STATES, "copy": COPY_JOB_FAILURE_STATES}
    assert BACKUP_JOB_FAILURE_STATES == ("FAILED", "ABORTED", "EXPIRED", "PARTIAL")
    assert COPY_JOB_FAILURE_STATES == ("FAILED", "PARTIAL")


@pytest.mark.parametrize(
    "event",
    [
        _event("Backup Job State Change", state="FAILED", backupJobId="1"),
        _event("Backup Job State Change", state="ABORTED", backupJobId="2"),
        _event("Backup Job State Change", state="EXPIRED", backupJobId="3"),
        _event("Backup Job State Change", state="PARTIAL", backupJobId="7"),
        _event("Copy Job State Change", state="FAILED", copyJobId="4"),
        _event("Copy Job State Change", state="PARTIAL", copyJobId="8"),
        # restore job events report "status", not "state"
        _event("Restore Job State Change", status="FAILED", restoreJobId="5"),
        _event("Restore Job State Change", status="ABORTED", restoreJobId="6"),
    ],
)
def test_failed_jobs_match(event):
    assert _matches(event)


@pytest.mark.parametrize(
    "event",
    [
        _event("Backup Job State Change", state="COMPLETED"),
        _event("Backup Job State Change", state="RUNNING"),
        _event("Copy Job State Change", state="COMPLETED"),
        _event("Restore Job State Change", status="COMPLETED"),
        _event("Restore Job State Change", status="PENDING"),
        # restore events report "status": a "state" field is not a restore failure
        _event("Restore Job State Change", state="FAILED"),
        # each type only its own states: these values are not in the copy/restore enums
        _event("Copy Job State Change", state="ABORTED"),
        _event("Restore Job State Change", status="PARTIAL"),
        _event("Backup Vault State Change", state="DELETED"),
        _event("Backup Job State Change", source="custom.backup", state="FAILED"),
    ],
)
def test_other_events_do_not_match(event):
    assert not _matches(event)


def test_failed_job_event_pattern_is_a_fresh_object():
    pattern = events.failed_job_event_pattern()
    pattern["source"].append("x")
    pattern["$or"][0]["detail"]["state"].append("y")
    assert events.failed_job_event_pattern()["source"] == ["aws.backup"]
    assert events.failed_job_event_pattern()["$or"][0]["detail"]["state"] == ["FAILED", "ABORTED", "EXPIRED", "PARTIAL"]


def test_central_event_bus_policy():
    doc = events.central_event_bus_policy(event_bus_arn=BUS, organization_id=ORG)
    (st,) = doc["Statement"]
    assert st["Principal"] == "*"
    assert st["Action"] == "events:PutEvents"
    assert st["Resource"] == BUS
    assert st["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": ORG}}
    role = f"arn:aws:iam::{MEMBER}:role/org-backup-event-forwarding"
    assert is_allowed(
        doc, action="events:PutEvents", principal_arn=role, resource=BUS, context={"aws:PrincipalOrgID": ORG}
    )
    assert not is_allowed(
        doc,
        action="events:PutEvents",
        principal_arn=role,
        resource=BUS,
        context={"aws:PrincipalOrgID": "o-zzzzzzzzzz"},
    )
    with pytest.raises(ValueError, match="event_bus_arn"):
        events.central_event_bus_policy(event_bus_arn="org-backup-alerts", organization_id=ORG)
    with pytest.raises(ValueError, match="organization_id"):
        events.central_event_bus_policy(event_bus_arn=BUS, organization_id="o-bad")


def test_event_forwarding_role():
    trust = events.event_forwarding_role_trust_policy()
    (st,) = trust["Statement"]
    assert st["Principal"] == {"Service": "events.amazonaws.com"}
    assert st["Action"] == "sts:AssumeRole"
    assert "Resource" not in st
    policy = events.event_forwarding_role_policy(event_bus_arn=BUS)
    (st,) = policy["Statement"]
    assert "Principal" not in st
    assert st["Action"] == "events:PutEvents"
    assert st["Resource"] == BUS
    with pytest.raises(ValueError, match="event_bus_arn"):
        events.event_forwarding_role_policy(event_bus_arn=f"arn:aws:events:us-east-1:{ADMIN}:rule/x")


def test_alert_topic_policy():
    doc = events.alert_topic_policy(topic_arn=TOPIC, account_id=ADMIN)
    (st,) = doc["Statement"]
    assert st["Principal"] == {"Service": "events.amazonaws.com"}
    assert st["Action"] == "sns:Publish"
    assert st["Resource"] == TOPIC
    assert st["Condition"] == {"StringEquals": {"aws:SourceAccount": ADMIN}}
    assert is_allowed(
        doc,
        action="sns:Publish",
        service="events.amazonaws.com",
        resource=TOPIC,
        context={"aws:SourceAccount": ADMIN},
    )
    assert not is_allowed(
        doc,
        action="sns:Publish",
        service="events.amazonaws.com",
        resource=TOPIC,
        context={"aws:SourceAccount": MEMBER},
    )
    with pytest.raises(ValueError, match="topic_arn"):
        events.alert_topic_policy(topic_arn="org-backup-alerts", account_id=ADMIN)


def test_alert_topic_key_policy():
    doc = events.alert_topic_key_policy(account_id=ADMIN, region="us-east-1")
    sids = by_sid(doc)
    admin = sids["AllowKeyAdministration"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ADMIN}:root"}
    assert as_list(admin["Action"]) == sorted(kms.KEY_ADMIN_ACTIONS)
    publisher = sids["AllowEventBridgeToUseKey"]
    assert publisher["Principal"] == {"Service": "events.amazonaws.com"}
    assert set(as_list(publisher["Action"])) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert publisher["Condition"] == {"StringEquals": {"aws:SourceAccount": ADMIN}}
    account_use = sids["AllowAccountUseViaSns"]
    assert account_use["Condition"] == {
        "StringEquals": {"kms:ViaService": "sns.us-east-1.amazonaws.com", "kms:CallerAccount": ADMIN}
    }
    assert is_allowed(
        doc,
        action="kms:GenerateDataKey",
        service="events.amazonaws.com",
        context={"aws:SourceAccount": ADMIN},
    )
    assert not is_allowed(
        doc,
        action="kms:GenerateDataKey",
        service="events.amazonaws.com",
        context={"aws:SourceAccount": MEMBER},
    )
    assert not is_allowed(
        doc, action="kms:Encrypt", service="events.amazonaws.com", context={"aws:SourceAccount": ADMIN}
    )
    operator = f"arn:aws:iam::{ADMIN}:role/Operator"
    via_sns = {"kms:ViaService": "sns.us-east-1.amazonaws.com", "kms:CallerAccount": ADMIN}
    assert is_allowed(doc, action="kms:GenerateDataKey", principal_arn=operator, context=via_sns)
    assert not is_allowed(
        doc,
        action="kms:Decrypt",
        principal_arn=operator,
        context={**via_sns, "kms:ViaService": "s3.us-east-1.amazonaws.com"},
    )
    gov = events.alert_topic_key_policy(account_id=ADMIN, region="us-gov-west-1", partition="aws-us-gov")
    assert by_sid(gov)["AllowKeyAdministration"]["Principal"] == {"AWS": f"arn:aws-us-gov:iam::{ADMIN}:root"}
    with pytest.raises(ValueError, match="region"):
        events.alert_topic_key_policy(account_id=ADMIN, region="global")
