"""An EventBridge rule and its one target: how every alert path of the program is wired.

Member and central-account rules forward to the central bus with a forwarding role; the central bus's rules
publish to the alert topic. Names are the callers' (``<name>`` and ``<name>-<target_suffix>``), so the URNs stay
what they were.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

__all__ = ["event_rule_with_target"]


def event_rule_with_target(
    name: str,
    *,
    target_suffix: str,
    region: str,
    rule_name: str,
    description: str,
    pattern: Mapping[str, Any],
    target_arn: pulumi.Input[str],
    provider: aws.Provider,
    parent: pulumi.Resource,
    event_bus_name: pulumi.Input[str] | None = None,
    role_arn: pulumi.Input[str] | None = None,
) -> aws.cloudwatch.EventRule:
    """The rule ``name`` matching ``pattern`` (on ``event_bus_name``, else the default bus) and its target."""
    rule = aws.cloudwatch.EventRule(
        name,
        region=region,
        name=rule_name,
        event_bus_name=event_bus_name,
        description=description,
        event_pattern=json.dumps(pattern, sort_keys=True),
        opts=pulumi.ResourceOptions(parent=parent, provider=provider),
    )
    aws.cloudwatch.EventTarget(
        f"{name}-{target_suffix}",
        region=region,
        rule=rule.name,
        event_bus_name=event_bus_name,
        arn=target_arn,
        role_arn=role_arn,
        opts=pulumi.ResourceOptions(parent=rule, provider=provider),
    )
    return rule
