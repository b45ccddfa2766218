"""Component outputs the program publishes for the policy pack, and the names both sides read them by.

The pack sees resources only; some rules need the organization's shape, which AWS resources do not hold
(which accounts an OU contains, each account's ``aws:PrincipalOrgPaths``). The program computes it from the
same tree it builds the stack from and publishes it as component outputs; Pulumi hands stack policies every
resource of the stack, components and their registered outputs included (pulumi-offline.md §2.5).
"""

from __future__ import annotations

from typing import Final

OU_ACCOUNTS: Final = "ou_accounts"
"""Root or OU id -> every account under it (nested OUs included)."""
ORGANIZATION_PATHS: Final = "organization_paths"
"""Account id -> its ``aws:PrincipalOrgPaths`` value, ``o-…/r-…/ou-…/``."""

GUARDRAIL_TARGET_ACCOUNTS: Final = "target_accounts"
"""Attachment target (root, OU or account id) of the guardrail SCPs -> the accounts it covers."""
GUARDRAIL_REACH: Final = "reach"
"""Guardrail SCP name -> every account it reaches."""
