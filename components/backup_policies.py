"""The Organizations backup policies and their attachments."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from deployment.layout import AttachedPolicy
from policies.backup_rules.names import BACKUP_POLICIES_TYPE


class BackupPolicies(pulumi.ComponentResource):
    """One ``BACKUP_POLICY`` per rendered document, attached where the layout says.

    Policies are protected: deleting one silently removes the plan from every account that inherits it. A
    document that inherits a previous scheme's policy (components/documents/backup_policy_migration.py)
    declares the old name as an alias on the policy and on each attachment, so Pulumi renames them in place;
    it is registered after the new policies that take over its other plans, and depends on them and their
    attachments, so those plans are in force before it drops them.
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
        attached_by_name: dict[str, list[aws.organizations.PolicyAttachment]] = {}
        # New policies first: an heir waits for the ones that take over the rest of its previous plans.
        for attached in sorted(policies, key=lambda a: a.document.previous_name is not None):
            document = attached.document
            previous = document.previous_name
            successors = [
                other.document.name
                for other in policies
                if other.document.previous_name is None
                and set(other.document.plan_names) & set(document.previous_plans)
                and other.document.name != document.name
            ]
            before = [r for n in successors for r in (self.policies[n], *attached_by_name[n])]
            policy = aws.organizations.Policy(
                document.name,
                name=document.name,
                type="BACKUP_POLICY",
                description=f"org-backup plans: {', '.join(document.plan_names)}",
                content=document.content,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=provider,
                    depends_on=[*depends_on, *before],
                    protect=True,
                    aliases=[pulumi.Alias(name=previous)] if previous else None,
                ),
            )
            self.policies[document.name] = policy
            attached_by_name[document.name] = []
            for target in attached.attach_to:
                attachment = aws.organizations.PolicyAttachment(
                    f"{document.name}-{target}",
                    policy_id=policy.id,
                    target_id=target,
                    opts=pulumi.ResourceOptions(
                        parent=policy,
                        provider=provider,
                        aliases=[pulumi.Alias(name=f"{previous}-{target}")] if previous else None,
                    ),
                )
                attached_by_name[document.name].append(attachment)
                self.attachments.append(attachment)
        # Which accounts each policy reaches (through OU inheritance): the policy pack's coverage rules read it.
        self.register_outputs(
            {
                "policy_ids": {n: p.id for n, p in self.policies.items()},
                "reach": {a.document.name: list(a.reaches) for a in policies},
            }
        )
