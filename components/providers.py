"""One explicit AWS provider per account (pulumi-aws v7 takes the Region per resource)."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from stackconfig.model import Organization


class AccountProviders:
    """Creates each account's provider once; every resource of that account uses it with its own Region."""

    def __init__(self, org: Organization) -> None:
        self._org = org
        self._providers: dict[str, aws.Provider] = {}

    def get(self, account_id: str) -> aws.Provider:
        if account_id not in self._providers:
            role_arn = self._org.deploy_role_arn(account_id)
            self._providers[account_id] = aws.Provider(
                f"account-{account_id}",
                region=self._org.primary_region,
                allowed_account_ids=[account_id],
                assume_roles=(
                    [aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name="org-backup")] if role_arn else None
                ),
                default_tags=aws.ProviderDefaultTagsArgs(tags={"managed-by": "org-backup"}),
            )
        return self._providers[account_id]

    def opts(
        self, account_id: str, *, parent: pulumi.Resource | None = None, **kwargs: object
    ) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(provider=self.get(account_id), parent=parent, **kwargs)  # type: ignore[arg-type]

    @property
    def count(self) -> int:
        return len(self._providers)
