"""AWS rules for AWS Backup documents, in one place.

Pure Python with no import outside this package (relative imports only), because Pulumi runs the policy pack
with only ``policies/`` on its import path: the pack imports this package as ``backup_rules`` and the Pulumi
program imports it as ``policies.backup_rules``.
"""
