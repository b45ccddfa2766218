"""AWS Backup's organization-wide global settings: only the keys this program needs or the config sets.

The settings belong to the whole organization (DescribeGlobalSettings:
https://docs.aws.amazon.com/aws-backup/latest/devguide/API_DescribeGlobalSettings.html); other teams may rely
on a value this program has no opinion on (multi-party approval for their air-gapped vaults, say).
UpdateGlobalSettings takes a map of keys (https://docs.aws.amazon.com/aws-backup/latest/devguide/API_UpdateGlobalSettings.html);
AWS does not document what it does with keys left out of the map. pulumi-aws's ``GlobalSettings`` sends
exactly the map it is given and documents that keys it is not given show as a perpetual difference
(https://www.pulumi.com/registry/packages/aws/api-docs/backup/globalsettings/), i.e. they are left as they
are. Its delete does not call AWS (terraform-provider-aws ``internal/service/backup/global_settings.go``:
``DeleteWithoutTimeout: schema.NoopContext``). So the safe map is the smallest one:

- ``isCrossAccountBackupEnabled``: "true", always. Copies to the central vault account are cross-account
  copies, which AWS Backup refuses unless the management account enabled them
  (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html).
- ``isDelegatedAdministratorEnabled``: "true", always. The program registers a Backup delegated
  administrator, and this flag lets Backup synchronize delegated administrator permissions with
  Organizations (DescribeGlobalSettings, link above).
- ``isMpaEnabled``: only when the stack file sets ``organization.enable_mpa`` itself (true or false); the
  model's default ``false`` is not an opinion and must not switch off another team's multi-party approval.
"""

from __future__ import annotations

from stackconfig.model import Organization

__all__ = ["CROSS_ACCOUNT", "DELEGATED_ADMINISTRATOR", "MPA", "backup_global_settings"]

CROSS_ACCOUNT = "isCrossAccountBackupEnabled"
DELEGATED_ADMINISTRATOR = "isDelegatedAdministratorEnabled"
MPA = "isMpaEnabled"


def backup_global_settings(org: Organization) -> dict[str, str]:
    """The map for ``aws.backup.GlobalSettings``; ``enable_mpa`` counts only if the config wrote it."""
    settings = {CROSS_ACCOUNT: "true", DELEGATED_ADMINISTRATOR: "true"}
    if "enable_mpa" in org.model_fields_set:
        settings[MPA] = "true" if org.enable_mpa else "false"
    return settings
