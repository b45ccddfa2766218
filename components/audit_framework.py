"""The Audit Manager framework both the admin account and every member account carry."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from stackconfig.model import Audit


def framework_controls(audit: Audit, break_glass_role_arns: list[str]) -> list[aws.backup.FrameworkControlArgs]:
    """Controls from config; the manual-deletion control exempts exactly the vault's break-glass roles."""
    controls = []
    for name in sorted(audit.controls):
        parameters = dict(audit.controls[name].parameters)
        if name == "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED" and break_glass_role_arns:
            parameters.setdefault("principalArnList", ",".join(break_glass_role_arns))
        controls.append(
            aws.backup.FrameworkControlArgs(
                name=name,
                input_parameters=[
                    aws.backup.FrameworkControlInputParameterArgs(name=k, value=v)
                    for k, v in sorted(parameters.items())
                ]
                or None,
            )
        )
    return controls


def audit_framework(
    name: str, *, audit: Audit, region: str, break_glass_role_arns: list[str], opts: pulumi.ResourceOptions
) -> aws.backup.Framework:
    return aws.backup.Framework(
        name,
        name=audit.framework_name,
        region=region,
        description="org-backup: controls for backups managed by the organization's backup policies",
        controls=framework_controls(audit, break_glass_role_arns),
        opts=opts,
    )
