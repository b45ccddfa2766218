"""Alerting rules (failed jobs routed to a topic, vault notifications), on hand-written resources shaped like the ones org-backup registers."""

from __future__ import annotations

import json
from typing import Any

from rules.resources import (
    EVENT_RULE,
    EVENT_TARGET,
    SNS_TOPIC,
    VAULT,
    VAULT_NOTIFICATIONS,
)

from .audit_support import (
    ACCOUNT,
    ADMIN,
    FAILED_JOB_ALERTING,
    VAULT_NOTIFICATIONS_VALID,
)
from .harness import UNKNOWN_STRING, Spec, run_resource, run_stack

# --------------------------------------------------------------------------- backup-failed-job-alerting

FAILED_JOBS_PATTERN = json.dumps(
    {
        "detail": {"$or": [{"state": ["ABORTED", "EXPIRED", "FAILED"]}, {"status": ["ABORTED", "EXPIRED", "FAILED"]}]},
        "detail-type": ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"],
        "source": ["aws.backup"],
    }
)
TOPIC_ARN = f"arn:aws:sns:us-east-1:{ACCOUNT}:backup-alerts"


def vault(name: str = "org-backup", region: str = "us-east-1", **tags: str) -> Spec:
    return Spec(VAULT, {"name": name, "tags": tags}, name=f"vault-{name}-{region}", region=region)


def event_rule(pattern: Any = FAILED_JOBS_PATTERN, name: str = "failed-jobs", **props: Any) -> Spec:
    return Spec(EVENT_RULE, {"name": "org-backup-failed-jobs", "eventPattern": pattern, **props}, name=name)


def event_target(rule: Spec, arn: str = TOPIC_ARN, by_dependency: bool = True, **props: Any) -> Spec:
    return Spec(
        EVENT_TARGET,
        {"rule": rule.props["name"], "arn": arn, **props},
        name=f"{rule.name}-target",
        property_dependencies={"rule": [rule.urn]} if by_dependency else {},
    )


def topic(**props: Any) -> Spec:
    return Spec(SNS_TOPIC, {"name": "backup-alerts", **props}, name="alerts")


def alerting(rule: Spec | None = None, *, encrypted: bool = True, **target: Any) -> list[Spec]:
    rule = rule or event_rule()
    key = {"kmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd"} if encrypted else {}
    return [vault(), rule, event_target(rule, **target), topic(**key)]


def test_failed_jobs_routed_to_an_encrypted_topic_passes() -> None:
    assert run_stack(FAILED_JOB_ALERTING, alerting()) == []


def test_target_matched_by_rule_name_without_dependency() -> None:
    assert run_stack(FAILED_JOB_ALERTING, alerting(by_dependency=False)) == []


def test_vault_without_alerting() -> None:
    [(urn, message)] = run_stack(FAILED_JOB_ALERTING, [vault(), vault("other")])
    assert urn == vault().urn
    assert message == (
        f"no enabled EventRule on the default bus of account {ACCOUNT} Region us-east-1 selects failed AWS Backup "
        "jobs and has a target: a failed backup into vault org-backup would go unnoticed"
    )


def test_rule_in_another_region_does_not_count() -> None:
    specs = [*alerting(), vault(region="eu-west-1")]
    [(urn, message)] = run_stack(FAILED_JOB_ALERTING, specs)
    assert urn == vault(region="eu-west-1").urn
    assert "Region eu-west-1" in message


def test_rules_that_do_not_alert() -> None:
    completed = json.dumps({"source": ["aws.backup"], "detail": {"state": ["COMPLETED"]}})
    cases = [
        alerting(event_rule(completed)),
        alerting(event_rule(state="DISABLED")),
        alerting(event_rule(eventBusName="org-backup-alerts")),
        [vault(), event_rule()],
    ]
    for specs in cases:
        assert [m for _, m in run_stack(FAILED_JOB_ALERTING, specs)] == [
            f"no enabled EventRule on the default bus of account {ACCOUNT} Region us-east-1 selects failed AWS "
            "Backup jobs and has a target: a failed backup into vault org-backup would go unnoticed"
        ], specs


def test_default_bus_by_name_or_arn_and_unknown_pattern() -> None:
    assert run_stack(FAILED_JOB_ALERTING, alerting(event_rule(eventBusName="default"))) == []
    bus = f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    assert run_stack(FAILED_JOB_ALERTING, alerting(event_rule(eventBusName=bus))) == []
    assert run_stack(FAILED_JOB_ALERTING, alerting(event_rule(UNKNOWN_STRING))) == []


def test_copy_destination_vaults_are_exempt_by_default() -> None:
    destination = vault("central", DestinationBackupVault="true")
    assert run_stack(FAILED_JOB_ALERTING, [destination]) == []
    [(urn, _)] = run_stack(FAILED_JOB_ALERTING, [destination], {"exemptVaultTags": {}})
    assert urn == destination.urn


def test_unencrypted_alert_topic() -> None:
    [(urn, message)] = run_stack(FAILED_JOB_ALERTING, alerting(encrypted=False))
    assert urn == topic().urn
    assert message == "SNS topic backup-alerts receives backup alerts unencrypted"
    assert run_stack(FAILED_JOB_ALERTING, alerting(encrypted=False), {"requireEncryptedTopics": False}) == []


def test_topic_found_by_dependency_and_vault_notification_topics_checked() -> None:
    rule = event_rule()
    target = event_target(rule, arn=UNKNOWN_STRING)
    target.property_dependencies = {**target.property_dependencies, "arn": [topic().urn]}
    [(urn, _)] = run_stack(FAILED_JOB_ALERTING, [vault(), rule, target, topic()])
    assert urn == topic().urn
    notifications = Spec(VAULT_NOTIFICATIONS, {"backupVaultName": "org-backup", "snsTopicArn": TOPIC_ARN})
    specs = [*alerting(), notifications, Spec(SNS_TOPIC, {"name": "backup-alerts"}, name="t", region="eu-west-1")]
    assert run_stack(FAILED_JOB_ALERTING, specs) == []


# --------------------------------------------------------------------------- backup-vault-notifications-valid


def notifications(events: Any = None, topic_arn: Any = TOPIC_ARN) -> Spec:
    return Spec(
        VAULT_NOTIFICATIONS,
        {
            "backupVaultName": "org-backup",
            "backupVaultEvents": events if events is not None else ["BACKUP_JOB_COMPLETED", "COPY_JOB_FAILED"],
            "snsTopicArn": topic_arn,
        },
    )


def test_vault_notifications_valid() -> None:
    assert run_resource(VAULT_NOTIFICATIONS_VALID, notifications()) == []


def test_event_outside_the_api_enum() -> None:
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_FAILURE"]))
    assert message == (
        "backupVaultEvents[0]: 'BACKUP_JOB_FAILURE' is not a vault notification event "
        "(PutBackupVaultNotifications rejects it) [vault-event]"
    )


def test_event_that_may_never_notify() -> None:
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_COMPLETED", "BACKUP_JOB_FAILED"]))
    assert message.startswith("backupVaultEvents[1]: BACKUP_JOB_FAILED is accepted by the API")
    assert "may never notify (UNCONFIRMED)" in message
    assert message.endswith("[vault-event-unsupported] (warning)")
    config = {"allowUnsupportedEvents": True}
    assert run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_FAILED"]), config) == []
    assert len(run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["NOPE"]), config)) == 1


def test_topic_in_another_account_or_fifo() -> None:
    other = f"arn:aws:sns:us-east-1:{ADMIN}:backup-alerts"
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn=other))
    assert message == (
        f"snsTopicArn {other} is in account {ADMIN}, but the vault is in account {ACCOUNT}: "
        "AWS Backup only notifies topics in the vault's own account"
    )
    fifo = f"{TOPIC_ARN}.fifo"
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn=fifo))
    assert message == f"snsTopicArn {fifo} is a FIFO topic: AWS Backup notifies Standard topics only"
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn="backup-alerts"))
    assert message == "snsTopicArn 'backup-alerts' is not an SNS topic ARN"


def test_vault_notifications_fail_closed_on_unknowns() -> None:
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(topic_arn=UNKNOWN_STRING))
    assert message.startswith("snsTopicArn is not known during preview")
    assert "treated as a violation" in message
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(["BACKUP_JOB_COMPLETED", UNKNOWN_STRING]))
    assert message.startswith("backupVaultEvents is not known during preview")
    [message] = run_resource(VAULT_NOTIFICATIONS_VALID, notifications(UNKNOWN_STRING))
    assert message.startswith("backupVaultEvents is not known during preview")
