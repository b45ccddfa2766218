"""Everything one member account needs before the organization's backup policies reach it."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from components.air_gapped import member_air_gapped
from components.audit_framework import audit_framework
from components.documents.events import (
    central_event_bus_arn,
    event_forwarding_role_policy,
    event_forwarding_role_trust_policy,
    failed_job_event_pattern,
)
from components.documents.iam import backup_role_managed_policy_arns, backup_role_trust_policy
from components.documents.member_vault import member_access_policy, member_key_policy
from components.event_rules import event_rule_with_target
from components.malware_scanning import member_scan_alerts, member_scanning_roles
from components.vault import LockedVault, policy_json
from policies.backup_rules.names import (
    FAILED_JOBS_RULE_NAME,
    FORWARDING_ROLE_NAME,
    MEMBER_ACCOUNT_TYPE,
    MEMBER_VAULT_ROLE,
    RESERVED_ROLE_TAG,
    ROLE_TAG,
)
from stackconfig.inventory import MemberAccount as MemberAccountInfo
from stackconfig.model import StackConfig, schedule_expression


class MemberAccount(pulumi.ComponentResource):
    """The backup role the policies name, and per Region a locked vault and failed-job forwarding.

    Vault and role names are the same in every account because the backup policy names them once
    (``$account`` in the role ARN); if either were missing, jobs would fail at run time.
    """

    def __init__(
        self,
        name: str,
        *,
        account: MemberAccountInfo,
        config: StackConfig,
        regions: list[str],
        provider: aws.Provider,
        mpa_prerequisites: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(MEMBER_ACCOUNT_TYPE, name, None, opts)
        org = config.organization
        member = config.vaults.member
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.role = aws.iam.Role(
            f"{name}-backup-role",
            name=config.vaults.backup_role_name,
            description="org-backup: the role AWS Backup assumes for plans from the organization's backup policies",
            assume_role_policy=policy_json(backup_role_trust_policy()),
            # The guardrail denies changes to roles with this tag, whatever the letter case of the request.
            tags={RESERVED_ROLE_TAG: "true"},
            opts=child,
        )
        self.role_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-backup-role-{arn.rsplit('/', 1)[-1]}",
                role=self.role.name,
                policy_arn=arn,
                opts=pulumi.ResourceOptions(parent=self.role, provider=provider),
            )
            for arn in backup_role_managed_policy_arns(org.partition)
        ]
        self.scanning_roles = member_scanning_roles(name, config, self.role, provider, self)
        bus_arn = central_event_bus_arn(config)
        self.forwarding_role: aws.iam.Role | None = None
        if config.alerting.enabled:
            self.forwarding_role = aws.iam.Role(
                f"{name}-event-forwarding-role",
                name=FORWARDING_ROLE_NAME,
                assume_role_policy=policy_json(event_forwarding_role_trust_policy()),
                tags={RESERVED_ROLE_TAG: "true"},
                inline_policies=[
                    aws.iam.RoleInlinePolicyArgs(
                        name="put-events-central-bus",
                        policy=policy_json(event_forwarding_role_policy(event_bus_arn=bus_arn)),
                    )
                ],
                opts=child,
            )
        self.vaults: dict[str, LockedVault] = {}
        self.frameworks: dict[str, aws.backup.Framework] = {}
        tags = {ROLE_TAG: MEMBER_VAULT_ROLE}
        admins = org.vault_admin_role_arns(account.id, member.break_glass_role_names)
        for region in regions:
            prefix = f"{name}-{region}"
            self.vaults[region] = LockedVault(
                prefix,
                vault_name=member.name,
                region=region,
                provider=provider,
                key_policy=member_key_policy(config, account_id=account.id, region=region, admin_role_arns=admins),
                vault_policy=member_access_policy(config, admin_role_arns=admins),
                lock=member.lock,
                key_settings=member.key,
                force_destroy=member.force_destroy,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.role]),
            )
            if self.forwarding_role is not None:
                event_rule_with_target(
                    f"{prefix}-failed-jobs",
                    target_suffix="to-central",
                    region=region,
                    rule_name=FAILED_JOBS_RULE_NAME,
                    description="org-backup: forward failed, aborted and expired AWS Backup jobs to the central bus",
                    pattern=failed_job_event_pattern(),
                    target_arn=bus_arn,
                    role_arn=self.forwarding_role.arn,
                    provider=provider,
                    parent=self,
                )
                member_scan_alerts(
                    prefix,
                    config=config,
                    region=region,
                    bus_arn=bus_arn,
                    forwarding_role=self.forwarding_role,
                    provider=provider,
                    parent=self,
                )
            if config.audit.enabled and config.audit.frameworks_in_member_accounts:
                self.frameworks[region] = audit_framework(
                    f"{prefix}-framework",
                    config=config,
                    region=region,
                    break_glass_role_arns=admins,
                    opts=child,
                )
            rt = config.restore_testing
            if rt.enabled and account.id in rt.accounts:
                self._restore_testing(prefix, config, region, provider)
        # What a plan needs to run (each vault implies its key and the role): the backup policies wait for
        # these, not for every resource of the account, because the SDK checks a dependency list for cycles
        # in time quadratic in its length, which at a thousand accounts costs more than the whole program.
        self.air_gapped = member_air_gapped(
            name,
            parent=self,
            config=config,
            account_id=account.id,
            regions=regions,
            provider=provider,
            admin_role_arns=admins,
            key_arns={r: v.key.arn for r, v in self.vaults.items()},
            mpa_prerequisites=mpa_prerequisites,
        )
        self.ready: list[pulumi.Resource] = [
            self.role,
            *self.role_policies,
            *self.scanning_roles,
            *(v.vault for v in self.vaults.values()),
            *(self.air_gapped.vaults.values() if self.air_gapped else ()),
        ]
        self.register_outputs({"vault_arns": {r: v.vault.arn for r, v in self.vaults.items()}})

    def _restore_testing(self, prefix: str, config: StackConfig, region: str, provider: aws.Provider) -> None:
        rt = config.restore_testing
        vault = self.vaults[region].vault
        plan = aws.backup.RestoreTestingPlan(
            f"{prefix}-restore-testing",
            region=region,
            name="org_backup_restore_testing",
            schedule_expression=schedule_expression(rt.schedule),
            start_window_hours=rt.start_window_hours,
            recovery_point_selection=aws.backup.RestoreTestingPlanRecoveryPointSelectionArgs(
                algorithm=rt.algorithm,
                include_vaults=[vault.arn],
                recovery_point_types=list(rt.recovery_point_types),
                selection_window_days=rt.selection_window_days,
            ),
            opts=pulumi.ResourceOptions(parent=self, provider=provider),
        )
        for sel_name, sel in sorted(rt.selections.items()):
            aws.backup.RestoreTestingSelection(
                f"{prefix}-restore-testing-{sel_name}",
                region=region,
                name=sel_name,
                restore_testing_plan_name=plan.name,
                protected_resource_type=sel.resource_type,
                protected_resource_arns=list(sel.resource_arns),
                protected_resource_conditions=(
                    aws.backup.RestoreTestingSelectionProtectedResourceConditionsArgs(
                        string_equals=[
                            aws.backup.RestoreTestingSelectionProtectedResourceConditionsStringEqualArgs(key=k, value=v)
                            for k, v in sorted(sel.conditions.items())
                        ]
                    )
                    if sel.conditions
                    else None
                ),
                iam_role_arn=self.role.arn,
                validation_window_hours=sel.validation_window_hours,
                opts=pulumi.ResourceOptions(parent=plan, provider=provider),
            )
