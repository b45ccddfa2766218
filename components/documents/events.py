"""Failed-job alerting: the EventBridge pattern, the central bus, the forwarding role and the SNS topic.

Path: a rule in every member account and Region matches failed AWS Backup jobs and forwards them (with the
forwarding role) to the central event bus in the backup administrator account, whose rule publishes to an
encrypted SNS topic.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from components.documents.iam import (
    ANY_PRINCIPAL,
    Document,
    aws_principal,
    merge_conditions,
    organization_conditions,
    policy_document,
    service_principal,
    statement,
)
from components.documents.kms import key_administration_statement
from policies.backup_rules.arns import account_root_arn, require_account_id, require_partition, service_endpoint
from policies.backup_rules.events import (
    BACKUP_JOB_FAILURE_STATES,
    COPY_JOB_FAILURE_STATES,
    RESTORE_JOB_FAILURE_STATES,
)
from policies.backup_rules.names import EVENTS_SERVICE_PRINCIPAL

if TYPE_CHECKING:
    from stackconfig.model import StackConfig


# Detail type -> (detail field, terminal failure states) as AWS Backup emits them: backup and copy job events
# carry ``detail.state``, restore job events ``detail.status``, "consistent with the AWS Backup API"
# (https://docs.aws.amazon.com/aws-backup/latest/devguide/eventbridge.html); the states are the API enums'
# (policies/backup_rules/events.py). Each type gets only its own states, so no branch names a state its job
# type cannot reach.
FAILED_JOB_STATES_BY_DETAIL_TYPE: dict[str, tuple[str, tuple[str, ...]]] = {
    "Backup Job State Change": ("state", BACKUP_JOB_FAILURE_STATES),
    "Copy Job State Change": ("state", COPY_JOB_FAILURE_STATES),
    "Restore Job State Change": ("status", RESTORE_JOB_FAILURE_STATES),
}

_ARN_PREFIX = r"arn:aws(-[a-z]+)*:{service}:[a-z]{{2}}(-[a-z]+)+-\d{{1,2}}:\d{{12}}:"
_EVENT_BUS_ARN = re.compile(_ARN_PREFIX.format(service="events") + r"event-bus/[\w.\-/]{1,256}", re.ASCII)
_TOPIC_ARN = re.compile(_ARN_PREFIX.format(service="sns") + r"[\w-]{1,256}(\.fifo)?", re.ASCII)


def _require_arn(pattern: re.Pattern[str], value: str, what: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{what}: {value!r} is not a valid ARN")
    return value


def central_event_bus_arn(config: StackConfig) -> str:
    """The bus every member account forwards to, computed from configuration so it is known in a preview."""
    org = config.organization
    return (
        f"arn:{org.partition}:events:{org.primary_region}:{org.backup_admin_account_id}:"
        f"event-bus/{config.alerting.event_bus_name}"
    )


def failed_job_event_pattern() -> dict[str, Any]:
    """EventBridge pattern: AWS Backup backup, copy and restore jobs that ended in a failure state of their type.

    One ``$or`` branch per detail type ("$or matching", which may combine top-level fields:
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-content-based-filtering.html).
    """
    return {
        "source": ["aws.backup"],
        "$or": [
            {"detail-type": [detail_type], "detail": {field: list(states)}}
            for detail_type, (field, states) in FAILED_JOB_STATES_BY_DETAIL_TYPE.items()
        ],
    }


# Key actions that make a vault key, and every recovery point it encrypts, unusable or open to a new owner: the
# CloudTrail management events of these KMS calls ("AWS API Call via CloudTrail", source aws.kms, eventSource
# kms.amazonaws.com: https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-kms.html). EventBridge receives
# them only where a CloudTrail trail with logging enabled records the account's management events
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html); org-backup creates no trail.
KEY_STATE_EVENT_NAMES = ("DisableKey", "PutKeyPolicy", "ScheduleKeyDeletion")


def key_state_event_pattern() -> dict[str, Any]:
    """EventBridge pattern: DisableKey, ScheduleKeyDeletion and PutKeyPolicy calls as CloudTrail records them.

    Not narrowed to the vault keys: a CloudTrail event names the key only in ``requestParameters.keyId`` (the key id
    or ARN, as the caller spelled it) and in ``resources``, and the keys' ids are not known before they exist. The
    rule runs in the central vault account, which holds backups only, so every key of it counts (an extra alert,
    never a missed one)."""
    return {
        "source": ["aws.kms"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["kms.amazonaws.com"], "eventName": list(KEY_STATE_EVENT_NAMES)},
    }


def central_event_bus_policy(*, event_bus_arn: str, organization_id: str) -> Document:
    """Central bus resource policy: the organization's principals may put events on it, nothing else."""
    return policy_document(
        statement(
            sid="AllowPutEventsFromOrganization",
            effect="Allow",
            principal=ANY_PRINCIPAL,
            actions=["events:PutEvents"],
            resources=[_require_arn(_EVENT_BUS_ARN, event_bus_arn, "event_bus_arn")],
            conditions=organization_conditions(organization_id),
        )
    )


def event_forwarding_role_trust_policy() -> Document:
    """Trust policy of the member-account role EventBridge assumes to forward events to the central bus."""
    return policy_document(
        statement(
            sid="AllowEventBridgeAssumeRole",
            effect="Allow",
            principal=service_principal(EVENTS_SERVICE_PRINCIPAL),
            actions=["sts:AssumeRole"],
        )
    )


def event_forwarding_role_policy(*, event_bus_arn: str) -> Document:
    """Identity policy of the forwarding role: PutEvents on the central bus and nowhere else."""
    return policy_document(
        statement(
            sid="AllowPutEventsOnCentralBus",
            effect="Allow",
            actions=["events:PutEvents"],
            resources=[_require_arn(_EVENT_BUS_ARN, event_bus_arn, "event_bus_arn")],
        )
    )


def alert_topic_policy(*, topic_arn: str, account_id: str) -> Document:
    """Topic policy of the alert topic: EventBridge may publish, for rules of ``account_id`` only.

    The account's own principals need no statement here: same-account access follows their IAM policies.
    """
    return policy_document(
        statement(
            sid="AllowEventBridgePublish",
            effect="Allow",
            principal=service_principal(EVENTS_SERVICE_PRINCIPAL),
            actions=["sns:Publish"],
            resources=[_require_arn(_TOPIC_ARN, topic_arn, "topic_arn")],
            conditions={"StringEquals": {"aws:SourceAccount": require_account_id(account_id)}},
        )
    )


def alert_topic_key_policy(*, account_id: str, region: str, partition: str = "aws") -> Document:
    """Key policy of the KMS key that encrypts the alert topic.

    - administration for the account root, explicit actions (no ``kms:*``);
    - EventBridge (the publisher) may generate and decrypt data keys, for ``account_id`` only
      (``aws:SourceAccount``);
    - principals of the account may do the same through SNS in this Region only (``kms:ViaService``), which is
      what publishing a test alert or reading the topic's messages requires; their IAM policies decide who.
    """
    p = require_partition(partition)
    account = require_account_id(account_id)
    root = aws_principal([account_root_arn(account, p)])
    data_key_actions = ["kms:Decrypt", "kms:GenerateDataKey"]
    return policy_document(
        key_administration_statement(account_id=account, partition=p),
        statement(
            sid="AllowEventBridgeToUseKey",
            effect="Allow",
            principal=service_principal(EVENTS_SERVICE_PRINCIPAL),
            actions=data_key_actions,
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceAccount": account}},
        ),
        statement(
            sid="AllowAccountUseViaSns",
            effect="Allow",
            principal=root,
            actions=data_key_actions,
            resources=["*"],
            conditions=merge_conditions(
                {"StringEquals": {"kms:ViaService": service_endpoint("sns", region, p)}},
                {"StringEquals": {"kms:CallerAccount": account}},
            ),
        ),
    )
