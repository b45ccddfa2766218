"""org-backup: AWS Backup for every account and Region of an AWS Organization."""

import pulumi

from components.program import build, load

for key, value in build(load()).items():
    pulumi.export(key, value)
