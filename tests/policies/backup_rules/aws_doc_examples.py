"""The backup policies AWS documents, transcribed (whitespace compressed) as test fixtures.

Source: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html
("Backup policy examples" 1-8 and the advanced_backup_settings / scan_settings snippets), the example of
https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_create.html (a copy action
without target_backup_vault_arn), and the first example of the page's previous text
(https://github.com/awsdocs/aws-organizations-docs/blob/main/doc_source/orgs_manage_policies_backup_syntax.md),
whose copy_actions key differs from its target. AWS documentation code samples are MIT-0 licensed.

Only the policies one attaches are here; the "resulting effective policy" blocks are rendered output (no
inheritance operators) and are not backup policies. Fragments (examples 6 and 7, the settings snippets) are
placed in example 2's parent plan (``wrap_selections`` / ``wrap_plan_keys``); their ``{{...}}`` template names are
replaced by plain names, since AWS shows them as placeholders. Example 4 shows only the child-control operators
of a plan whose sections it elides with ``...``: ``example_4_parent`` puts those operators on example 2's plan.
"""

from __future__ import annotations

import json
from typing import Any

EXAMPLE_1_PARENT = """
{"plans": {"PII_Backup_Plan": {
  "regions": {"@@assign": ["ap-northeast-2", "us-east-1", "eu-north-1"]},
  "rules": {"Hourly": {
    "schedule_expression": {"@@assign": "cron(0 5/1 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "480"},
    "complete_backup_window_minutes": {"@@assign": "10080"},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "180"},
      "delete_after_days": {"@@assign": "270"},
      "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}},
    "target_backup_vault_name": {"@@assign": "FortKnox"},
    "target_logically_air_gapped_backup_vault_arn": {
      "@@assign": "arn:aws:backup:$region:$account:backup-vault:AirGappedVault"},
    "index_actions": {"resource_types": {"@@assign": ["EBS", "S3"]}},
    "copy_actions": {
      "arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "30"},
          "delete_after_days": {"@@assign": "120"},
          "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}}},
      "arn:aws:backup:us-west-1:111111111111:backup-vault:tertiary_vault": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-west-1:111111111111:backup-vault:tertiary_vault"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "30"},
          "delete_after_days": {"@@assign": "120"},
          "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}}}}}},
  "selections": {"tags": {"datatype": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyIamRole"},
    "tag_key": {"@@assign": "dataType"},
    "tag_value": {"@@assign": ["PII", "RED"]}}}},
  "advanced_backup_settings": {"ec2": {"windows_vss": {"@@assign": "enabled"}}}}}}
"""

EXAMPLE_2_PARENT = """
{"plans": {"PII_Backup_Plan": {
  "regions": {"@@append": ["us-east-1", "ap-northeast-3", "eu-north-1"]},
  "rules": {"Hourly": {
    "schedule_expression": {"@@assign": "cron(0 0/1 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "60"},
    "target_backup_vault_name": {"@@assign": "FortKnox"},
    "index_actions": {"resource_types": {"@@assign": ["EBS", "S3"]}},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "28"},
      "delete_after_days": {"@@assign": "180"},
      "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}},
    "copy_actions": {
      "arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "28"},
          "delete_after_days": {"@@assign": "180"},
          "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}}}}}},
  "selections": {"tags": {"datatype": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyIamRole"},
    "tag_key": {"@@assign": "dataType"},
    "tag_value": {"@@assign": ["PII", "RED"]}}}}}}}
"""

EXAMPLE_2_CHILD = """
{"plans": {"Monthly_Backup_Plan": {
  "regions": {"@@append": ["us-east-1", "eu-central-1"]},
  "rules": {"Monthly": {
    "schedule_expression": {"@@assign": "cron(0 5 1 * ? *)"},
    "start_backup_window_minutes": {"@@assign": "480"},
    "target_backup_vault_name": {"@@assign": "Default"},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "30"},
      "delete_after_days": {"@@assign": "365"},
      "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}},
    "copy_actions": {
      "arn:aws:backup:us-east-1:$account:backup-vault:Default": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:Default"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "30"},
          "delete_after_days": {"@@assign": "365"},
          "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}}}}}},
  "selections": {"tags": {"MonthlyDatatype": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyMonthlyBackupIamRole"},
    "tag_key": {"@@assign": "BackupType"},
    "tag_value": {"@@assign": ["MONTHLY", "RED"]}}}}}}}
"""

_NONE = '"@@operators_allowed_for_child_policies": ["@@none"]'
EXAMPLE_3_PARENT = (
    """
{"plans": {NONE,
  "PII_Backup_Plan": {NONE,
    "regions": {NONE, "@@append": ["us-east-1", "ap-northeast-3", "eu-north-1"]},
    "rules": {NONE,
      "Hourly": {NONE,
        "schedule_expression": {NONE, "@@assign": "cron(0 0/1 ? * * *)"},
        "start_backup_window_minutes": {NONE, "@@assign": "60"},
        "target_backup_vault_name": {NONE, "@@assign": "FortKnox"},
        "index_actions": {NONE, "resource_types": {"@@assign": ["EBS", "S3"]}},
        "lifecycle": {NONE,
          "move_to_cold_storage_after_days": {NONE, "@@assign": "28"},
          "delete_after_days": {NONE, "@@assign": "180"},
          "opt_in_to_archive_for_supported_resources": {NONE, "@@assign": "false"}},
        "copy_actions": {NONE,
          "arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault": {NONE,
            "target_backup_vault_arn": {
              "@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:secondary_vault", NONE},
            "lifecycle": {NONE,
              "delete_after_days": {NONE, "@@assign": "28"},
              "move_to_cold_storage_after_days": {NONE, "@@assign": "180"},
              "opt_in_to_archive_for_supported_resources": {NONE, "@@assign": "false"}}}}}},
    "selections": {NONE,
      "tags": {NONE,
        "datatype": {NONE,
          "iam_role_arn": {NONE, "@@assign": "arn:aws:iam::$account:role/MyIamRole"},
          "tag_key": {NONE, "@@assign": "dataType"},
          "tag_value": {NONE, "@@assign": ["PII", "RED"]}}}},
    "advanced_backup_settings": {NONE,
      "ec2": {NONE, "windows_vss": {"@@assign": "enabled", NONE}}}}}}
"""
).replace("NONE", _NONE)

EXAMPLE_5_PARENT = """
{"plans": {"PII_Backup_Plan": {
  "regions": {"@@append": ["us-east-1", "ap-northeast-3", "eu-north-1"]},
  "rules": {"Hourly": {
    "schedule_expression": {"@@assign": "cron(0 0/1 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "60"},
    "target_backup_vault_name": {"@@assign": "FortKnox"},
    "index_actions": {"resource_types": {"@@assign": ["EBS", "S3"]}},
    "lifecycle": {
      "delete_after_days": {"@@assign": "2"},
      "move_to_cold_storage_after_days": {"@@assign": "180"},
      "opt_in_to_archive_for_supported_resources": {"@@assign": false}},
    "copy_actions": {
      "arn:aws:backup:us-east-1:$account:backup-vault:t2": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:$account:backup-vault:t2"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "28"},
          "delete_after_days": {"@@assign": "180"},
          "opt_in_to_archive_for_supported_resources": {"@@assign": false}}}}}},
  "selections": {"tags": {"datatype": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyIamRole"},
    "tag_key": {"@@assign": "dataType"},
    "tag_value": {"@@assign": ["PII", "RED"]}}}}}}}
"""

EXAMPLE_5_CHILD = """
{"plans": {"PII_Backup_Plan": {
  "regions": {"@@assign": ["us-west-2", "eu-central-1"]},
  "rules": {"Hourly": {
    "schedule_expression": {"@@assign": "cron(0 0/2 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "80"},
    "target_backup_vault_name": {"@@assign": "Default"},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "30"},
      "delete_after_days": {"@@assign": "365"},
      "opt_in_to_archive_for_supported_resources": {"@@assign": false}}}}}}}
"""

EXAMPLE_6_SELECTIONS = """
{"tags": {"selection_name": {
  "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/IAMRole"},
  "tag_key": {"@@assign": "env"},
  "tag_value": {"@@assign": ["prod", "gamma"]},
  "conditions": {"string_not_equals": {"condition_name1": {
    "condition_key": {"@@assign": "aws:ResourceTag/backup"},
    "condition_value": {"@@assign": "false"}}}}}}}
"""

_ROLE = '"iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/IAMRole"}'
EXAMPLE_7_RESOURCES = {
    "all resources": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["*"]}}}}""",
    "all but EBS": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["*"]},
      "not_resource_types": {"@@assign": ["arn:aws:ec2:*:*:volume/*"]}}}}""",
    "backup:true but EBS": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["*"]},
      "not_resource_types": {"@@assign": ["arn:aws:ec2:*:*:volume/*"]},
      "conditions": {"string_equals": {"condition_name1": {
        "condition_key": {"@@assign": "aws:ResourceTag/backup"},
        "condition_value": {"@@assign": "true"}}}}}}}""",
    "EBS and RDS with two tags": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["arn:aws:ec2:*:*:volume/*", "arn:aws:rds:*:*:db:*"]},
      "conditions": {"string_equals": {
        "condition_name1": {
          "condition_key": {"@@assign": "aws:ResourceTag/backup"}, "condition_value": {"@@assign": "true"}},
        "condition_name2": {
          "condition_key": {"@@assign": "aws:ResourceTag/stage"}, "condition_value": {"@@assign": "prod"}}}}}}}""",
    "EBS and RDS but not stage:test": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["arn:aws:ec2:*:*:volume/*", "arn:aws:rds:*:*:db:*"]},
      "conditions": {
        "string_equals": {"condition_name1": {
          "condition_key": {"@@assign": "aws:ResourceTag/backup"}, "condition_value": {"@@assign": "true"}}},
        "string_not_equals": {"condition_name2": {
          "condition_key": {"@@assign": "aws:ResourceTag/stage"}, "condition_value": {"@@assign": "test"}}}}}}}""",
    "wildcards": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["*"]},
      "conditions": {
        "string_like": {"condition_name1": {
          "condition_key": {"@@assign": "aws:ResourceTag/key1"}, "condition_value": {"@@assign": "include*"}}},
        "string_not_like": {"condition_name2": {
          "condition_key": {"@@assign": "aws:ResourceTag/key2"},
          "condition_value": {"@@assign": "*exclude*"}}}}}}}""",
    "backup:true but FSx and RDS": """{"resources": {"resource_selection_name": {ROLE,
      "resource_types": {"@@assign": ["*"]},
      "not_resource_types": {"@@assign": ["arn:aws:fsx:*:*:file-system/*", "arn:aws:rds:*:*:db:*"]},
      "conditions": {"string_equals": {"condition_name1": {
        "condition_key": {"@@assign": "aws:ResourceTag/backup"}, "condition_value": {"@@assign": "true"}}}}}}}""",
}
EXAMPLE_7_RESOURCES = {name: text.replace("ROLE", _ROLE) for name, text in EXAMPLE_7_RESOURCES.items()}

EXAMPLE_8_MALWARE_SCAN = """
{"plans": {"Malware_Scan_Backup_Plan": {
  "regions": {"@@assign": ["us-east-1", "us-west-2"]},
  "rules": {
    "Daily_With_Incremental_Scan": {
      "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
      "start_backup_window_minutes": {"@@assign": "60"},
      "target_backup_vault_name": {"@@assign": "Default"},
      "lifecycle": {"delete_after_days": {"@@assign": "35"}},
      "scan_actions": {"GUARDDUTY": {"scan_mode": {"@@assign": "INCREMENTAL_SCAN"}}}},
    "Monthly_With_Full_Scan": {
      "schedule_expression": {"@@assign": "cron(0 5 1 * ? *)"},
      "start_backup_window_minutes": {"@@assign": "60"},
      "target_backup_vault_name": {"@@assign": "Default"},
      "lifecycle": {"delete_after_days": {"@@assign": "365"}},
      "scan_actions": {"GUARDDUTY": {"scan_mode": {"@@assign": "FULL_SCAN"}}}}},
  "selections": {"tags": {"scan_selection": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyBackupRole"},
    "tag_key": {"@@assign": "backup"},
    "tag_value": {"@@assign": ["true"]}}}},
  "scan_settings": {"GUARDDUTY": {
    "resource_types": {"@@assign": ["EBS"]},
    "scanner_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyGuardDutyScannerRole"}}}}}}
"""

ADVANCED_SETTINGS_SNIPPET = """
{"ec2": {"windows_vss": {"@@assign": "enabled"}},
 "s3": {"backup_acls": {"@@assign": "disabled"}, "backup_object_tags": {"@@assign": "disabled"}}}
"""

CREATE_PAGE_EXAMPLE = """
{"plans": {"PII_Backup_Plan": {
  "regions": {"@@assign": ["ap-northeast-2", "us-east-1", "eu-north-1"]},
  "rules": {"Hourly": {
    "schedule_expression": {"@@assign": "cron(0 5/1 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "480"},
    "complete_backup_window_minutes": {"@@assign": "10080"},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "180"},
      "delete_after_days": {"@@assign": "270"}},
    "target_backup_vault_name": {"@@assign": "FortKnox"},
    "copy_actions": {
      "arn:aws:backup:us-east-1:$account:backup-vault:secondary-vault": {
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "10"},
          "delete_after_days": {"@@assign": "100"}}}}}},
  "selections": {"tags": {"datatype": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyIamRole"},
    "tag_key": {"@@assign": "dataType"},
    "tag_value": {"@@assign": ["PII"]}}}}}}}
"""

ARCHIVED_SYNTAX_EXAMPLE = """
{"plans": {"PII_Backup_Plan": {
  "rules": {"My_Hourly_Rule": {
    "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "60"},
    "complete_backup_window_minutes": {"@@assign": "604800"},
    "target_backup_vault_name": {"@@assign": "My_Backup_Vault"},
    "recovery_point_tags": {"Owner": {"tag_key": {"@@assign": "Owner"}, "tag_value": {"@@assign": "Backup"}}},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "180"},
      "delete_after_days": {"@@assign": "270"}},
    "copy_actions": {
      "arn:aws:backup:us-west-2:$account:backup-vault:My_Secondary_Vault": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-west-2:$account:backup-vault:My_Secondary_Vault"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "180"},
          "delete_after_days": {"@@assign": "270"}}},
      "arn:aws:backup:us-east-1:$account:backup-vault:My_Tertiary_Vault": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:111111111111:backup-vault:My_Tertiary_Vault"},
        "lifecycle": {
          "move_to_cold_storage_after_days": {"@@assign": "180"},
          "delete_after_days": {"@@assign": "270"}}}}}},
  "regions": {"@@append": ["us-east-1", "eu-north-1"]},
  "selections": {"tags": {"My_Backup_Assignment": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MyIamRole"},
    "tag_key": {"@@assign": "dataType"},
    "tag_value": {"@@assign": ["PII", "RED"]}}}},
  "advanced_backup_settings": {"ec2": {"WindowsVSS": {"@@assign": "enabled"}}},
  "backup_plan_tags": {"stage": {"tag_key": {"@@assign": "Stage"}, "tag_value": {"@@assign": "Beta"}}}}}}
"""


def _plan_shell() -> dict[str, Any]:
    """Example 2's parent plan (complete, one same-account copy): the plan the fragments are placed in."""
    return dict(json.loads(EXAMPLE_2_PARENT)["plans"]["PII_Backup_Plan"])


def wrap_selections(selections_json: str) -> dict[str, Any]:
    plan = _plan_shell()
    plan["selections"] = json.loads(selections_json)
    return {"plans": {"PII_Backup_Plan": plan}}


def wrap_plan_keys(**keys_json: str) -> dict[str, Any]:
    plan = _plan_shell()
    plan.update({key: json.loads(text) for key, text in keys_json.items()})
    return {"plans": {"PII_Backup_Plan": plan}}


def example_4_parent() -> dict[str, Any]:
    plan = _plan_shell()
    plan["@@operators_allowed_for_child_policies"] = ["@@none"]
    return {"plans": {"@@operators_allowed_for_child_policies": ["@@append"], "PII_Backup_Plan": plan}}
