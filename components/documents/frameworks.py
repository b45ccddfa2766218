"""Audit Manager framework controls as both deployment modes write them (Pulumi args or a template)."""

from __future__ import annotations

from collections.abc import Sequence

from policies.backup_rules.backup_policy.parse import parse_backup_policy
from policies.backup_rules.control_parameters import RuleCadence, satisfiable_parameters
from stackconfig.model import StackConfig, schedule_expression

MANUAL_DELETION_CONTROL = "BACKUP_RECOVERY_POINT_MANUAL_DELETION_DISABLED"


def plan_cadences(config: StackConfig) -> list[list[RuleCadence]]:
    """Schedule and retentions of every rule of every plan the stack deploys, custom policies included.

    One framework definition serves every member account, so every plan counts, wherever it is attached.
    A copy without its own retention keeps the rule's (the rendered copy action inherits the lifecycle).
    """
    plans = [
        [
            RuleCadence(
                schedule=schedule_expression(rule.schedule),
                retention_days=rule.retention_days,
                copy_retention_days=tuple(
                    copy.retention_days if copy.retention_days is not None else rule.retention_days
                    for copy in rule.copies
                ),
            )
            for _, rule in sorted(plan.rules.items())
        ]
        for _, plan in sorted(config.plans.items())
    ]
    for _, custom in sorted(config.backup_policies.custom.items()):
        parsed = parse_backup_policy(custom.content)
        for parsed_plan in parsed.plans if parsed else ():
            plans.append(
                [
                    RuleCadence(
                        schedule=rule.schedule,
                        retention_days=rule.delete_after_days,
                        copy_retention_days=tuple(
                            copy.delete_after_days if copy.delete_after_days is not None else rule.delete_after_days
                            for copy in rule.copy_actions
                        ),
                    )
                    for rule in parsed_plan.rules
                ]
            )
    return plans


def control_parameters(config: StackConfig, break_glass_role_arns: Sequence[str]) -> dict[str, dict[str, str]]:
    """Control name -> input parameters, sorted.

    - The manual-deletion control exempts exactly the roles the vault access policy exempts, or it would
      report the vault's own break-glass roles as violations.
    - Retention, frequency and recovery-point age are loosened to what every plan meets
      (``satisfiable_parameters``): a configured value stricter than the plans, AWS's default included,
      would keep the control non-compliant forever. Looser configured values are kept.
    """
    audit = config.audit
    cadences = plan_cadences(config)
    controls: dict[str, dict[str, str]] = {}
    for name in sorted(audit.controls):
        parameters = satisfiable_parameters(name, dict(audit.controls[name].parameters), cadences)
        if name == MANUAL_DELETION_CONTROL and break_glass_role_arns:
            parameters.setdefault("principalArnList", ",".join(break_glass_role_arns))
        controls[name] = dict(sorted(parameters.items()))
    return controls
