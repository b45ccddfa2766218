"""The org-backup policy pack. Only constructs the PolicyPack: every rule lives in ``rules/``."""

from pulumi_policy import EnforcementLevel, PolicyPack

from rules import ALL_POLICIES

PolicyPack(
    name="org-backup",
    display_name="org-backup: AWS Backup across an AWS Organization",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=ALL_POLICIES,
)
