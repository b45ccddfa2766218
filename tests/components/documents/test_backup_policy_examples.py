"""The BACKUP_POLICY builder rebuilds AWS's own example and a real-world plan; its documents pass the validator and are stable."""

from __future__ import annotations

from typing import Any

import pytest

from components.documents.backup_policy import (
    ASSIGN,
    render_backup_policies,
    render_plan,
)
from policies.backup_rules.limits import (
    MAX_BACKUP_POLICY_CHARS,
)
from tests.components.documents.backup_policy_helpers import _aws_example_config, _big_config, _only
from tests.components.documents.config_factory import (
    CENTRAL_ACCOUNT,
    OU_ID,
    ROOT_ID,
    make_config,
)

# ------------------------------------------------------------------------------ AWS documentation example

AWS_EXAMPLE: dict[str, Any] = {
    "plans": {
        "Daily_Prod": {
            "regions": {ASSIGN: ["us-east-1", "eu-west-1"]},
            "rules": {
                "Daily": {
                    "schedule_expression": {ASSIGN: "cron(0 5 ? * * *)"},
                    "start_backup_window_minutes": {ASSIGN: "60"},
                    "complete_backup_window_minutes": {ASSIGN: "10080"},
                    "target_backup_vault_name": {ASSIGN: "OrgVault"},
                    "lifecycle": {
                        "move_to_cold_storage_after_days": {ASSIGN: "30"},
                        "delete_after_days": {ASSIGN: "120"},
                        "opt_in_to_archive_for_supported_resources": {ASSIGN: "false"},
                    },
                    "copy_actions": {
                        "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault": {
                            "target_backup_vault_arn": {
                                ASSIGN: "arn:aws:backup:us-west-2:111111111111:backup-vault:CentralVault"
                            },
                            "lifecycle": {"delete_after_days": {ASSIGN: "365"}},
                        }
                    },
                }
            },
            "selections": {
                "resources": {
                    "prod_all_but_ebs": {
                        "iam_role_arn": {ASSIGN: "arn:aws:iam::$account:role/OrgBackupRole"},
                        "resource_types": {ASSIGN: ["*"]},
                        "not_resource_types": {ASSIGN: ["arn:aws:ec2:*:*:volume/*"]},
                        "conditions": {
                            "string_equals": {
                                "env": {
                                    "condition_key": {ASSIGN: "aws:ResourceTag/env"},
                                    "condition_value": {ASSIGN: "prod"},
                                }
                            }
                        },
                    }
                }
            },
            "backup_plan_tags": {"owner": {"tag_key": {ASSIGN: "Owner"}, "tag_value": {ASSIGN: "Platform"}}},
        }
    }
}


def test_rebuilds_the_aws_documentation_example() -> None:
    config = _aws_example_config()
    documents = render_backup_policies(config, {"Daily_Prod": [ROOT_ID]})
    parsed = _only(documents)
    plan = parsed["plans"]["Daily_Prod"]
    # Identifiers the builder derives rather than copies from the config:
    assert list(plan["selections"]["resources"]["prod_all_but_ebs"]["conditions"]["string_equals"]) == ["env"]
    assert list(plan["backup_plan_tags"]) == ["owner"]
    assert parsed == AWS_EXAMPLE
    assert render_plan(config, "Daily_Prod") == AWS_EXAMPLE["plans"]["Daily_Prod"]
    assert documents[0].plan_names == ("Daily_Prod",)
    assert documents[0].target_ids == (ROOT_ID,)
    assert documents[0].size == len(documents[0].content) < MAX_BACKUP_POLICY_CHARS


def test_rebuilds_a_daily_tag_plan_with_a_cross_account_copy() -> None:
    """Modelled on the aws-samples organization daily plan (corpus 14), rendered with @@assign throughout."""
    central_vault = f"arn:aws:backup:us-east-1:{CENTRAL_ACCOUNT}:backup-vault:BackupSolutionCentralVault"
    config = make_config(
        organization={"workload_regions": ["us-east-1", "us-west-2"], "dr_regions": ["us-east-1"]},
        vaults={
            "member": {"name": "BackupSolutionVault"},
            "central": {"name": "BackupSolutionCentralVault"},
            "backup_role_name": "BackupSolutionRole",
        },
        backup_policies={"lock_against_child_policies": False},
        plans={
            "OrgDailyPlan": {
                "rules": {
                    "OrgDailyRule": {
                        "schedule": "daily",
                        "start_window_minutes": 60,
                        "completion_window_minutes": 1200,
                        "retention_days": 35,
                        "copies": [{"region": "us-east-1", "retention_days": 35}],
                        "recovery_point_tags": {"project": "org-backup"},
                    }
                },
                "selections": {"tags": {"OrgDailySelection": {"key": "backup", "values": ["daily"]}}},
                "tags": {"project": "org-backup"},
            }
        },
    )
    parsed = _only(render_backup_policies(config, {"OrgDailyPlan": [OU_ID]}))
    tag = {"project": {"tag_key": {ASSIGN: "project"}, "tag_value": {ASSIGN: "org-backup"}}}
    assert parsed == {
        "plans": {
            "OrgDailyPlan": {
                "regions": {ASSIGN: ["us-east-1", "us-west-2"]},
                "rules": {
                    "OrgDailyRule": {
                        "schedule_expression": {ASSIGN: "cron(0 5 ? * * *)"},
                        "start_backup_window_minutes": {ASSIGN: "60"},
                        "complete_backup_window_minutes": {ASSIGN: "1200"},
                        "lifecycle": {"delete_after_days": {ASSIGN: "35"}},
                        "target_backup_vault_name": {ASSIGN: "BackupSolutionVault"},
                        "recovery_point_tags": tag,
                        "copy_actions": {
                            central_vault: {
                                "target_backup_vault_arn": {ASSIGN: central_vault},
                                "lifecycle": {"delete_after_days": {ASSIGN: "35"}},
                            }
                        },
                    }
                },
                "backup_plan_tags": tag,
                "selections": {
                    "tags": {
                        "OrgDailySelection": {
                            "iam_role_arn": {ASSIGN: "arn:aws:iam::$account:role/BackupSolutionRole"},
                            "tag_key": {ASSIGN: "backup"},
                            "tag_value": {ASSIGN: ["daily"]},
                        }
                    }
                },
            }
        }
    }


def test_rendered_examples_pass_the_document_validator() -> None:
    validator = pytest.importorskip("policies.backup_rules.backup_policy")
    configs = [
        (_aws_example_config(), {"Daily_Prod": [ROOT_ID]}),
        (_aws_example_config(backup_policies={"lock_against_child_policies": True}), {"Daily_Prod": [ROOT_ID]}),
        (make_config(), {"daily": [OU_ID]}),
        (_big_config(5, 2, 2), {f"plan-{i:02d}": [ROOT_ID] for i in range(5)}),
    ]
    for config, targets in configs:
        for document in render_backup_policies(config, targets):
            errors = [f for f in validator.validate_backup_policy(document.content) if f.severity == "error"]
            assert errors == [], document.name
