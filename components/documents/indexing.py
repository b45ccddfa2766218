"""Backup indexes for search (issue 14 item 5): a rule's ``index_actions`` in the backup policy.

The Organizations backup-policy syntax documents ``index_actions`` in a rule, with ``resource_types`` among
``EBS`` and ``S3``, and warns that indexing EBS snapshots needs more permissions on the role
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html; "Backup
search", https://docs.aws.amazon.com/aws-backup/latest/devguide/backup-search.html#backup-search-access). AWS's
managed policy for that is ``AWSBackupServiceRolePolicyForIndexing``
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSBackupServiceRolePolicyForIndexing.html), which
the backup role gets whenever a rule indexes (S3 indexes need nothing more than the S3 backup policies it has).
Policy JSON only: no pulumi-aws resource is involved.
"""

from __future__ import annotations

from typing import Any

from policies.backup_rules.backup_policy.operators import ASSIGN
from stackconfig.model import Plan, StackConfig

INDEXING_MANAGED_POLICY = "AWSBackupServiceRolePolicyForIndexing"


def add_search_index(plan: Plan, node: dict[str, Any]) -> None:
    """``index_actions.resource_types`` on every rule of a rendered plan node that asks for a search index."""
    for name, rule in plan.rules.items():
        if rule.search_index:
            node["rules"][name]["index_actions"] = {"resource_types": {ASSIGN: list(dict.fromkeys(rule.search_index))}}


def indexing_used(config: StackConfig) -> bool:
    return any("EBS" in rule.search_index for plan in config.plans.values() for rule in plan.rules.values())
