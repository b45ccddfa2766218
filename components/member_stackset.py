"""Member accounts through one service-managed CloudFormation StackSet (``member_deployment.mode: stackset``)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.documents.member_template import member_template_body
from deployment.layout import StackSetTarget
from policies.backup_rules.names import MEMBER_STACKSET_TYPE, STACKSETS_MEMBER_SERVICE_PRINCIPAL
from stackconfig.model import StackConfig


class MemberStackSet(pulumi.ComponentResource):
    """The member template as a StackSet, with an instance per deployment target and workload Region.

    AWS deploys the stacks, and with auto-deployment also to every account that later joins a targeted OU,
    so the program registers the same resources whatever the number of accounts. Instances mirror the
    backup-policy attachments (one per attached OU, or per attached account), so adding a target adds
    instances and never replaces one. The StackSet and its instances are protected, instances retain their
    stacks when removed, and the template retains key, vault and role: no path deletes recovery points.
    """

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        targets: list[StackSetTarget],
        regions: list[str],
        provider: aws.Provider,
        management_provider: aws.Provider,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(MEMBER_STACKSET_TYPE, name, None, opts)
        org = config.organization
        settings = config.member_deployment.stackset
        delegated = settings.managed_from == "delegated_admin"
        call_as = "DELEGATED_ADMIN" if delegated else "SELF"
        self.delegated_admin: aws.organizations.DelegatedAdministrator | None = None
        if delegated:
            self.delegated_admin = aws.organizations.DelegatedAdministrator(
                f"{name}-delegated-admin",
                account_id=org.backup_admin_account_id,
                service_principal=STACKSETS_MEMBER_SERVICE_PRINCIPAL,
                opts=pulumi.ResourceOptions(parent=self, provider=management_provider, protect=True),
            )
        self.stack_set = aws.cloudformation.StackSet(
            name,
            name=settings.name,
            region=org.primary_region,
            description="org-backup: backup role, locked vault and failed-job forwarding in every member account",
            permission_model="SERVICE_MANAGED",
            call_as=call_as,
            auto_deployment=aws.cloudformation.StackSetAutoDeploymentArgs(
                enabled=True, retain_stacks_on_account_removal=True
            ),
            capabilities=["CAPABILITY_NAMED_IAM"],
            managed_execution=aws.cloudformation.StackSetManagedExecutionArgs(active=True),
            operation_preferences=aws.cloudformation.StackSetOperationPreferencesArgs(
                max_concurrent_percentage=settings.max_concurrent_percentage,
                failure_tolerance_percentage=settings.failure_tolerance_percentage,
                region_concurrency_type=settings.region_concurrency,
            ),
            template_body=member_template_body(config),
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=provider,
                protect=True,
                depends_on=[self.delegated_admin] if self.delegated_admin is not None else None,
            ),
        )
        self.instances: list[aws.cloudformation.StackSetInstance] = []
        for region in regions:
            for target in targets:
                self.instances.append(
                    aws.cloudformation.StackSetInstance(
                        f"{name}-{region}-{target.account or target.organizational_unit_id}",
                        stack_set_name=self.stack_set.name,
                        call_as=call_as,
                        stack_set_instance_region=region,
                        deployment_targets=aws.cloudformation.StackSetInstanceDeploymentTargetsArgs(
                            organizational_unit_ids=[target.organizational_unit_id],
                            accounts=[target.account] if target.account else None,
                            account_filter_type="INTERSECTION" if target.account else None,
                        ),
                        operation_preferences=aws.cloudformation.StackSetInstanceOperationPreferencesArgs(
                            max_concurrent_percentage=settings.max_concurrent_percentage,
                            failure_tolerance_percentage=settings.failure_tolerance_percentage,
                        ),
                        retain_stack=True,
                        opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=True),
                    )
                )
        self.register_outputs({"stack_set_name": self.stack_set.name})
