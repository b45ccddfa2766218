"""Audit Manager framework controls as both deployment modes write them (Pulumi args or a template)."""

from __future__ import annotations

from collections.abc import Sequence

from stackconfig.model import Audit

MANUAL_DELETION_CONTROL = "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"


def control_parameters(audit: Audit, break_glass_role_arns: Sequence[str]) -> dict[str, dict[str, str]]:
    """Control name -> input parameters, sorted; the manual-deletion control exempts exactly the roles the
    vault access policy exempts, or it would report the vault's own break-glass roles as violations."""
    controls: dict[str, dict[str, str]] = {}
    for name in sorted(audit.controls):
        parameters = dict(audit.controls[name].parameters)
        if name == MANUAL_DELETION_CONTROL and break_glass_role_arns:
            parameters.setdefault("principalArnList", ",".join(break_glass_role_arns))
        controls[name] = dict(sorted(parameters.items()))
    return controls
