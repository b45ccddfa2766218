"""Key-state alerts of the central vault account: who disabled, scheduled the deletion of, or replaced the policy of
a key there is told to the central bus, like a failed job.

Why: the key of a compliance-locked central vault denies DisableKey and ScheduleKeyDeletion to everyone
(components/documents/kms.py), but whoever may still call PutKeyPolicy (the break-glass and deploy roles: KMS's
lockout check keeps them, https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html) can remove
that Deny first. That root-of-trust path cannot be closed by policy; it is detected here. A rule per DR Region (the
central keys are regional, and CloudTrail delivers an API call's event in the Region of the call) matches the
CloudTrail events of those calls and forwards them with a role to the central bus, whose own rule publishes them to
the alert topic (components/alerting.py). EventBridge sees "AWS API Call via CloudTrail" events only where a
CloudTrail trail records the account's management events
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html): an organization trail does;
org-backup creates none.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.documents.events import (
    central_event_bus_arn,
    event_forwarding_role_policy,
    event_forwarding_role_trust_policy,
    key_state_event_pattern,
)
from components.event_rules import event_rule_with_target
from components.vault import policy_json
from policies.backup_rules.names import RESERVED_ROLE_TAG
from stackconfig.model import StackConfig

KEY_CHANGES_RULE_NAME = "org-backup-key-changes"
"""The rule's name in the central vault account's Regions and on the central bus."""
KEY_FORWARDING_ROLE_NAME = "org-backup-key-event-forwarding"
"""Not the member accounts' forwarding role name: the central vault account may also be a member account."""


def central_key_alerts(
    name: str,
    *,
    config: StackConfig,
    regions: list[str],
    provider: aws.Provider,
    parent: pulumi.Resource,
) -> list[aws.cloudwatch.EventRule]:
    """The forwarding role and, per Region, the rule and its target on the central bus (none with alerting off)."""
    if not config.alerting.enabled or not regions:
        return []
    bus_arn = central_event_bus_arn(config)
    role = aws.iam.Role(
        f"{name}-key-event-forwarding-role",
        name=KEY_FORWARDING_ROLE_NAME,
        description="org-backup: EventBridge forwards key-state changes of the backup keys to the central bus",
        assume_role_policy=policy_json(event_forwarding_role_trust_policy()),
        # The guardrail denies changing or passing a role with this tag, whatever the spelling of the request.
        tags={RESERVED_ROLE_TAG: "true"},
        inline_policies=[
            aws.iam.RoleInlinePolicyArgs(
                name="put-events-central-bus", policy=policy_json(event_forwarding_role_policy(event_bus_arn=bus_arn))
            )
        ],
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    rules = []
    for region in regions:
        rule = event_rule_with_target(
            f"{name}-{region}-key-changes",
            target_suffix="to-central",
            region=region,
            rule_name=KEY_CHANGES_RULE_NAME,
            description="org-backup: DisableKey, ScheduleKeyDeletion and PutKeyPolicy in the central vault account",
            pattern=key_state_event_pattern(),
            target_arn=bus_arn,
            role_arn=role.arn,
            provider=provider,
            parent=parent,
        )
        rules.append(rule)
    return rules
