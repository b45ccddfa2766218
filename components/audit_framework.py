"""The Audit Manager framework both the admin account and every member account carry."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.documents.frameworks import control_parameters
from stackconfig.model import StackConfig


def framework_controls(config: StackConfig, break_glass_role_arns: list[str]) -> list[aws.backup.FrameworkControlArgs]:
    """Controls from config, as ``control_parameters`` spells them for both deployment modes."""
    return [
        aws.backup.FrameworkControlArgs(
            name=name,
            input_parameters=[
                aws.backup.FrameworkControlInputParameterArgs(name=k, value=v) for k, v in parameters.items()
            ]
            or None,
        )
        for name, parameters in control_parameters(config, break_glass_role_arns).items()
    ]


def audit_framework(
    name: str, *, config: StackConfig, region: str, break_glass_role_arns: list[str], opts: pulumi.ResourceOptions
) -> aws.backup.Framework:
    return aws.backup.Framework(
        name,
        name=config.audit.framework_name,
        region=region,
        description="org-backup: controls for backups managed by the organization's backup policies",
        controls=framework_controls(config, break_glass_role_arns),
        opts=opts,
    )
