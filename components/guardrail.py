"""The guardrail service control policies and their attachments (documents: documents/guardrail_scp.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws

from components.documents.guardrail_scp import GuardrailPolicy
from policies.backup_rules.guardrail import SERVICE_CONTROL_POLICY
from policies.backup_rules.names import GUARDRAIL_TYPE
from policies.backup_rules.stack_outputs import GUARDRAIL_REACH, GUARDRAIL_TARGET_ACCOUNTS


class Guardrail(pulumi.ComponentResource):
    """One ``SERVICE_CONTROL_POLICY`` per document, each attached to every target.

    Managed with the management account's provider: SCPs are created and attached there (or by a delegated
    administrator of Organizations policies, which the delegation policy of this program does not grant:
    https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html). The policy type
    must already be enabled on the root (preflight checks it): enabling or disabling it is an organization-wide
    change that other teams own, so the program never does it. Policies and attachments are protected:
    detaching one silently gives every member-account administrator back the power to destroy backups.
    """

    def __init__(
        self,
        name: str,
        *,
        policies: Sequence[GuardrailPolicy],
        targets: Sequence[str],
        provider: aws.Provider,
        target_accounts: Mapping[str, Sequence[str]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(GUARDRAIL_TYPE, name, None, opts)
        self.policies: dict[str, aws.organizations.Policy] = {}
        self.attachments: list[aws.organizations.PolicyAttachment] = []
        for entry in policies:
            policy = aws.organizations.Policy(
                entry.name,
                name=entry.name,
                type=SERVICE_CONTROL_POLICY,
                description="org-backup guardrail: keeps member-account administrators away from backups",
                content=entry.content,
                opts=pulumi.ResourceOptions(parent=self, provider=provider, protect=True),
            )
            self.policies[entry.name] = policy
            for target in targets:
                self.attachments.append(
                    aws.organizations.PolicyAttachment(
                        f"{entry.name}-{target}",
                        policy_id=policy.id,
                        target_id=target,
                        opts=pulumi.ResourceOptions(parent=policy, provider=provider, protect=True),
                    )
                )
        # Which accounts each target covers and each SCP reaches: the pack's access rule reads them to know which
        # accounts an SCP attached to an OU binds (the attachments name only the OU).
        covered = {t: sorted((target_accounts or {}).get(t, ())) for t in targets}
        reach = sorted({a for accounts in covered.values() for a in accounts})
        self.register_outputs(
            {
                "policy_ids": {n: p.id for n, p in self.policies.items()},
                "targets": list(targets),
                GUARDRAIL_TARGET_ACCOUNTS: covered,
                GUARDRAIL_REACH: {n: list(reach) for n in self.policies},
            }
        )
