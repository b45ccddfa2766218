"""Hand-written backup policies modelled on the shapes in the shared corpus (not copies of it).

Every builder returns a fresh dict, so a test can break one thing and compare against a clean baseline.
"""

from __future__ import annotations

from typing import Any

ROLE = "arn:aws:iam::$account:role/OrgBackupRole"
CENTRAL_ACCOUNT = "111122223333"
CENTRAL_VAULT = f"arn:aws:backup:eu-west-1:{CENTRAL_ACCOUNT}:backup-vault:CentralVault"
OTHER_REGION_VAULT = f"arn:aws:backup:us-east-1:{CENTRAL_ACCOUNT}:backup-vault:CentralVault"
LAG_VAULT = "arn:aws:backup:$region:$account:backup-vault:AirGapped"
PLAN = "plans.OrgDaily"
RULE = f"{PLAN}.rules.Daily"
TAG_SELECTION = f"{PLAN}.selections.tags.Tagged"
RESOURCE_SELECTION = f"{PLAN}.selections.resources.AllButEbs"


def assign(value: Any) -> dict[str, Any]:
    return {"@@assign": value}


def copy_action(arn: str, delete_after_days: str = "90") -> dict[str, Any]:
    return {
        "target_backup_vault_arn": assign(arn),
        "lifecycle": {"delete_after_days": assign(delete_after_days)},
    }


def tag_selection() -> dict[str, Any]:
    return {"iam_role_arn": assign(ROLE), "tag_key": assign("backup"), "tag_value": assign(["daily"])}


def resource_selection(
    resource_types: list[str] | None = None,
    *,
    conditions: bool = True,
    not_resource_types: list[str] | None = None,
) -> dict[str, Any]:
    selection: dict[str, Any] = {
        "iam_role_arn": assign(ROLE),
        "resource_types": assign(resource_types or ["arn:aws:dynamodb:*:*:table/*", "arn:aws:s3:::*"]),
    }
    if not_resource_types is not None:
        selection["not_resource_types"] = assign(not_resource_types)
    if conditions:
        selection["conditions"] = {
            "string_equals": {
                "env": {"condition_key": assign("aws:ResourceTag/env"), "condition_value": assign("prod")}
            }
        }
    return selection


def daily_rule() -> dict[str, Any]:
    return {
        "schedule_expression": assign("cron(0 5 ? * * *)"),
        "start_backup_window_minutes": assign("60"),
        "complete_backup_window_minutes": assign("720"),
        "target_backup_vault_name": assign("OrgVault"),
        "lifecycle": {"delete_after_days": assign("35")},
        "copy_actions": {CENTRAL_VAULT: copy_action(CENTRAL_VAULT)},
        "recovery_point_tags": {"owner": {"tag_key": assign("Owner"), "tag_value": assign("platform")}},
    }


def tag_policy() -> dict[str, Any]:
    """One plan, a daily rule with an in-Region cross-account copy, a tag selection: no findings at all."""
    return {
        "plans": {
            "OrgDaily": {
                "regions": assign(["eu-west-1"]),
                "rules": {"Daily": daily_rule()},
                "selections": {"tags": {"Tagged": tag_selection()}},
                "backup_plan_tags": {"owner": {"tag_key": assign("Owner"), "tag_value": assign("platform")}},
            }
        }
    }


def resource_policy(**selection: Any) -> dict[str, Any]:
    """The same plan selecting by resource type (DynamoDB and S3 unless told otherwise)."""
    document = tag_policy()
    document["plans"]["OrgDaily"]["selections"] = {"resources": {"AllButEbs": resource_selection(**selection)}}
    return document


def plan(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = document["plans"]["OrgDaily"]
    return result


def rule(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = plan(document)["rules"]["Daily"]
    return result


AWS_DOC_EXAMPLE = """
{
  "plans": {
    "Daily_Prod": {
      "regions": {"@@assign": ["us-east-1", "eu-west-1"]},
      "rules": {
        "Daily": {
          "schedule_expression": {"@@assign": "cron(0 5 ? * * *)"},
          "start_backup_window_minutes": {"@@assign": "60"},
          "complete_backup_window_minutes": {"@@assign": "10080"},
          "target_backup_vault_name": {"@@assign": "OrgVault"},
          "lifecycle": {
            "move_to_cold_storage_after_days": {"@@assign": "30"},
            "delete_after_days": {"@@assign": "120"},
            "opt_in_to_archive_for_supported_resources": {"@@assign": "false"}
          },
          "copy_actions": {
            "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault": {
              "target_backup_vault_arn": {
                "@@assign": "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault"
              },
              "lifecycle": {"delete_after_days": {"@@assign": "365"}}
            }
          }
        }
      },
      "selections": {
        "resources": {
          "prod_all_but_ebs": {
            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/OrgBackupRole"},
            "resource_types": {"@@assign": ["*"]},
            "not_resource_types": {"@@assign": ["arn:aws:ec2:*:*:volume/*"]},
            "conditions": {"string_equals": {"env": {
              "condition_key": {"@@assign": "aws:ResourceTag/env"},
              "condition_value": {"@@assign": "prod"}}}}
          }
        }
      },
      "backup_plan_tags": {"owner": {"tag_key": {"@@assign": "Owner"}, "tag_value": {"@@assign": "Platform"}}}
    }
  }
}
"""
