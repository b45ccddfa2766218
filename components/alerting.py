"""The central alerting path: every member forwards failed jobs to one bus; one topic tells people."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.documents.events import (
    alert_topic_key_policy,
    alert_topic_policy,
    central_event_bus_arn,
    central_event_bus_policy,
    failed_job_event_pattern,
    key_state_event_pattern,
)
from components.event_rules import event_rule_with_target
from components.key_alerting import KEY_CHANGES_RULE_NAME
from components.malware_scanning import central_scan_alerts
from components.vault import policy_json
from policies.backup_rules.names import CENTRAL_ALERTING_TYPE, FAILED_JOBS_RULE_NAME
from stackconfig.model import StackConfig


class CentralAlerting(pulumi.ComponentResource):
    """Event bus open to the organization only, a failed-job rule, and an encrypted SNS topic."""

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(CENTRAL_ALERTING_TYPE, name, None, opts)
        org = config.organization
        alerting = config.alerting
        region = org.primary_region
        account = org.backup_admin_account_id
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        # Computed from configuration, not from outputs, so the policies are known during a preview.
        bus_arn = central_event_bus_arn(config)
        topic_arn = f"arn:{org.partition}:sns:{region}:{account}:{alerting.topic_name}"
        self.bus = aws.cloudwatch.EventBus(f"{name}-bus", region=region, name=alerting.event_bus_name, opts=child)
        aws.cloudwatch.EventBusPolicy(
            f"{name}-bus-policy",
            region=region,
            event_bus_name=self.bus.name,
            policy=policy_json(central_event_bus_policy(event_bus_arn=bus_arn, organization_id=org.id)),
            opts=pulumi.ResourceOptions(parent=self.bus, provider=provider),
        )
        self.key = aws.kms.Key(
            f"{name}-topic-key",
            region=region,
            description="org-backup: encrypts the backup alert topic",
            policy=policy_json(alert_topic_key_policy(account_id=account, region=region, partition=org.partition)),
            enable_key_rotation=True,
            deletion_window_in_days=30,
            bypass_policy_lockout_safety_check=False,
            # Like every key of the stack: deleting it would silence every alert (SNS cannot encrypt).
            opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=True, retain_on_delete=True),
        )
        self.topic = aws.sns.Topic(
            f"{name}-topic",
            region=region,
            name=alerting.topic_name,
            kms_master_key_id=self.key.arn,
            opts=child,
        )
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            region=region,
            arn=self.topic.arn,
            policy=policy_json(alert_topic_policy(topic_arn=topic_arn, account_id=account)),
            opts=pulumi.ResourceOptions(parent=self.topic, provider=provider),
        )
        event_rule_with_target(
            f"{name}-failed-jobs",
            target_suffix="to-topic",
            region=region,
            rule_name=FAILED_JOBS_RULE_NAME,  # the members' rule name, also on the central bus
            event_bus_name=self.bus.name,
            description="org-backup: failed, aborted, expired and partial backup, copy and restore jobs of every account",
            pattern=failed_job_event_pattern(),
            target_arn=self.topic.arn,
            provider=provider,
            parent=self,
        )
        # Key-state changes forwarded by the central vault account (components/key_alerting.py).
        event_rule_with_target(
            f"{name}-key-changes",
            target_suffix="to-topic",
            region=region,
            rule_name=KEY_CHANGES_RULE_NAME,
            event_bus_name=self.bus.name,
            description="org-backup: DisableKey, ScheduleKeyDeletion and PutKeyPolicy on the central vault keys",
            pattern=key_state_event_pattern(),
            target_arn=self.topic.arn,
            provider=provider,
            parent=self,
        )
        central_scan_alerts(name, config=config, bus=self.bus, topic=self.topic, provider=provider, parent=self)
        for i, sub in enumerate(alerting.subscriptions):
            aws.sns.TopicSubscription(
                f"{name}-subscription-{i}",
                region=region,
                topic=self.topic.arn,
                protocol=sub.protocol,
                endpoint=sub.endpoint,
                opts=pulumi.ResourceOptions(parent=self.topic, provider=provider),
            )
        self.register_outputs({"topic_arn": self.topic.arn, "bus_arn": self.bus.arn})
