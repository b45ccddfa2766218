"""The Organizations backup policies and their attachments."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from deployment.layout import AttachedPolicy
from policies.backup_rules.names import BACKUP_POLICIES_TYPE


class BackupPolicies(pulumi.ComponentResource):
    """One ``BACKUP_POLICY`` per rendered document, attached where the layout says.

    Policies are protected: deleting one silently removes the plan from every account that inherits it.
    """

    def __init__(
        self,
        name: str,
        *,
        policies: list[AttachedPolicy],
        provider: aws.Provider,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(BACKUP_POLICIES_TYPE, name, None, opts)
        self.policies: dict[str, aws.organizations.Policy] = {}
        self.attachments: list[aws.organizations.PolicyAttachment] = []
        for attached in policies:
            document = attached.document
            policy = aws.organizations.Policy(
                document.name,
                name=document.name,
                type="BACKUP_POLICY",
                description=f"org-backup plans: {', '.join(document.plan_names)}",
                content=document.content,
                opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=depends_on, protect=True),
            )
            self.policies[document.name] = policy
            for target in attached.attach_to:
                self.attachments.append(
                    aws.organizations.PolicyAttachment(
                        f"{document.name}-{target}",
                        policy_id=policy.id,
                        target_id=target,
                        opts=pulumi.ResourceOptions(parent=policy, provider=provider),
                    )
                )
        # Which accounts each policy reaches (through OU inheritance): the policy pack's coverage rules read it.
        self.register_outputs(
            {
                "policy_ids": {n: p.id for n, p in self.policies.items()},
                "reach": {a.document.name: list(a.reaches) for a in policies},
            }
        )
