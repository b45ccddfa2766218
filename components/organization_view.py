"""The organization view as a component output, for the policy pack (see ``stackconfig.organization_view``)."""

from __future__ import annotations

import pulumi

from policies.backup_rules.names import ORGANIZATION_VIEW_TYPE
from policies.backup_rules.stack_outputs import ORGANIZATION_PATHS, OU_ACCOUNTS
from stackconfig.organization_view import OrganizationView as View


class OrganizationView(pulumi.ComponentResource):
    """No cloud resource: its outputs tell the pack which accounts each OU holds and each account's OU path,
    which rules need to judge SCPs attached to OUs and policies conditioned on aws:PrincipalOrgPaths."""

    def __init__(self, name: str, *, view: View, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ORGANIZATION_VIEW_TYPE, name, None, opts)
        self.register_outputs({OU_ACCOUNTS: view.ou_accounts, ORGANIZATION_PATHS: view.organization_paths})
