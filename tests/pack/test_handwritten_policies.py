"""Hand-written BACKUP_POLICY documents, one per class of mistake, each judged by every document rule.

The documents are written in the shapes of the shared corpus (aws-samples, superwerker, nationalarchives,
wearetechnative policies and the mistakes derived from them) but are not copies: names, accounts and values
are our own. Each case names the one rule that must fire and a fragment of its message; every other rule of
the two domains must stay silent, so a mistake is reported exactly once.
"""

from __future__ import annotations

import json

import pytest
from pulumi_policy import ResourceValidationPolicy

from rules import copies, org_policies
from tests.pack.harness import Spec, run_resource

RESOURCE_RULES = [p for p in org_policies.POLICIES + copies.POLICIES if isinstance(p, ResourceValidationPolicy)]

# A member-account daily plan copying to a central vault in the same Region (cross-account only), the
# aws-samples layout: the baseline that no rule reports.
GOOD = """{
  "plans": {
    "member-daily": {
      "regions": {"@@assign": ["eu-central-1"]},
      "rules": {
        "daily": {
          "schedule_expression": {"@@assign": "cron(30 2 ? * * *)"},
          "start_backup_window_minutes": {"@@assign": "60"},
          "complete_backup_window_minutes": {"@@assign": "600"},
          "target_backup_vault_name": {"@@assign": "member-vault"},
          "lifecycle": {"delete_after_days": {"@@assign": "30"}},
          "copy_actions": {
            "arn:aws:backup:eu-central-1:210987654321:backup-vault:org-central": {
              "target_backup_vault_arn": {"@@assign": "arn:aws:backup:eu-central-1:210987654321:backup-vault:org-central"},
              "lifecycle": {"delete_after_days": {"@@assign": "60"}}
            }
          }
        }
      },
      "selections": {
        "tags": {
          "daily-tagged": {
            "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
            "tag_key": {"@@assign": "backup-plan"},
            "tag_value": {"@@assign": ["daily"]}
          }
        }
      }
    }
  }
}"""

TRAILING_COMMA = """{
  "plans": {
    "member-daily": {
      "regions": {"@@assign": ["eu-central-1"]},
      "rules": {
        "daily": {
          "schedule_expression": {
            "@@assign": "cron(30 2 ? * * *)",
          },
          "target_backup_vault_name": {"@@assign": "member-vault"}
        }
      },
      "selections": {"tags": {"daily-tagged": {
        "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
        "tag_key": {"@@assign": "backup-plan"},
        "tag_value": {"@@assign": ["daily"]}}}}
    }
  }
}"""

COPY_ACTIONS_AS_LIST = """{"plans": {"member-daily": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"daily": {
    "schedule_expression": {"@@assign": "cron(30 2 ? * * *)"},
    "target_backup_vault_name": {"@@assign": "member-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": "30"}},
    "copy_actions": [
      {"target_backup_vault_arn": {"@@assign": "arn:aws:backup:eu-central-1:210987654321:backup-vault:org-central"},
       "lifecycle": {"delete_after_days": {"@@assign": "60"}}}
    ]
  }},
  "selections": {"tags": {"daily-tagged": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
    "tag_key": {"@@assign": "backup-plan"},
    "tag_value": {"@@assign": ["daily"]}}}}
}}}"""

PLACEHOLDER_COPY_KEY = """{"plans": {"member-daily": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"daily": {
    "schedule_expression": {"@@assign": "cron(30 2 ? * * *)"},
    "target_backup_vault_name": {"@@assign": "member-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": "30"}},
    "copy_actions": {
      "<Replace with value from pCentralVaultArn>": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:eu-central-1:210987654321:backup-vault:org-central"},
        "lifecycle": {"delete_after_days": {"@@assign": "60"}}
      }
    }
  }},
  "selections": {"tags": {"daily-tagged": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
    "tag_key": {"@@assign": "backup-plan"},
    "tag_value": {"@@assign": ["daily"]}}}}
}}}"""

MISSING_IAM_ROLE = """{"plans": {"workloads": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"nightly": {
    "schedule_expression": {"@@assign": "cron(0 1 ? * * *)"},
    "target_backup_vault_name": {"@@assign": "workload-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": 21}}
  }},
  "selections": {"tags": {"nightly": {
    "tag_key": {"@@assign": "workload:backup"},
    "tag_value": {"@@assign": ["nightly"]}}}}
}}}"""

START_WINDOW_30 = GOOD.replace(
    '"start_backup_window_minutes": {"@@assign": "60"}', '"start_backup_window_minutes": {"@@assign": "30"}'
)

FIVE_FIELD_CRON = """{"plans": {"workloads": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"nightly": {
    "schedule_expression": {"@@assign": "cron(0 1 * * *)"},
    "target_backup_vault_name": {"@@assign": "workload-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": 21}}
  }},
  "selections": {"tags": {"nightly": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/WorkloadBackupRole"},
    "tag_key": {"@@assign": "workload:backup"},
    "tag_value": {"@@assign": ["nightly"]}}}}
}}}"""

CONTINUOUS_60_DAYS = """{"plans": {"pitr": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"point-in-time": {
    "schedule_expression": {"@@assign": "cron(15 4 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "60"},
    "target_backup_vault_name": {"@@assign": "member-vault"},
    "enable_continuous_backup": {"@@assign": true},
    "lifecycle": {"delete_after_days": {"@@assign": "60"}}
  }},
  "selections": {"resources": {"s3-and-rds": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
    "resource_types": {"@@assign": ["arn:aws:s3:::*", "arn:aws:rds:*:*:db:*"]}}}}
}}}"""

COLD_PLUS_90_BROKEN = """{"plans": {"monthly": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"monthly": {
    "schedule_expression": {"@@assign": "cron(0 4 1 * ? *)"},
    "start_backup_window_minutes": {"@@assign": "120"},
    "target_backup_vault_name": {"@@assign": "member-vault"},
    "lifecycle": {
      "move_to_cold_storage_after_days": {"@@assign": "30"},
      "delete_after_days": {"@@assign": "100"}
    },
    "copy_actions": {
      "arn:aws:backup:eu-central-1:210987654321:backup-vault:org-central": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:eu-central-1:210987654321:backup-vault:org-central"},
        "lifecycle": {"delete_after_days": {"@@assign": "365"}}
      }
    }
  }},
  "selections": {"tags": {"monthly": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
    "tag_key": {"@@assign": "backup-plan"},
    "tag_value": {"@@assign": ["monthly"]}}}}
}}}"""

# nationalarchives writes numbers and booleans bare; Organizations stores them as-is (superwerker reads
# "@@assign": 30 back from DescribePolicy), so they must not be reported.
BARE_NUMBERS = """{"plans":{"immutable-std":{"regions":{"@@assign":["eu-west-2"]},"rules":{"daily":{
"schedule_expression":{"@@assign":"cron(0 3 ? * * *)"},"start_backup_window_minutes":{"@@assign":60},
"complete_backup_window_minutes":{"@@assign":360},"enable_continuous_backup":{"@@assign":false},
"target_backup_vault_name":{"@@assign":"member-cmk"},"lifecycle":{"delete_after_days":{"@@assign":14}},
"copy_actions":{"arn:aws:backup:eu-west-2:210987654321:backup-vault:intermediate":{
"target_backup_vault_arn":{"@@assign":"arn:aws:backup:eu-west-2:210987654321:backup-vault:intermediate"},
"lifecycle":{"delete_after_days":{"@@assign":30}}}},
"recovery_point_tags":{"LocalDays":{"tag_key":{"@@assign":"LocalDays"},"tag_value":{"@@assign":2}}}}},
"selections":{"resources":{"tagged":{"iam_role_arn":{"@@assign":"arn:aws:iam::$account:role/member-backup"},
"resource_types":{"@@assign":["arn:aws:dynamodb:*:*:table/*","arn:aws:s3:::*"]},
"conditions":{"string_equals":{"tagged":{"condition_key":{"@@assign":"aws:ResourceTag/BackupPolicy"},
"condition_value":{"@@assign":"std"}}}}}}}}}}"""

UNKNOWN_KEY = GOOD.replace(
    '"target_backup_vault_name": {"@@assign": "member-vault"}', '"target_vault_name": {"@@assign": "member-vault"}'
)

BOTH_SELECTION_KINDS = """{"plans": {"workloads": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"nightly": {
    "schedule_expression": {"@@assign": "cron(0 1 ? * * *)"},
    "target_backup_vault_name": {"@@assign": "workload-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": "21"}}
  }},
  "selections": {
    "tags": {"nightly": {
      "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/WorkloadBackupRole"},
      "tag_key": {"@@assign": "workload:backup"},
      "tag_value": {"@@assign": ["nightly"]}}},
    "resources": {"tables": {
      "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/WorkloadBackupRole"},
      "resource_types": {"@@assign": ["arn:aws:dynamodb:*:*:table/*"]}}}
  }
}}}"""

# "tag" for "tags": the selection block is ignored, so the plan selects nothing.
NEITHER_SELECTION_KIND = """{"plans": {"workloads": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"nightly": {
    "schedule_expression": {"@@assign": "cron(0 1 ? * * *)"},
    "target_backup_vault_name": {"@@assign": "workload-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": "21"}}
  }},
  "selections": {"tag": {"nightly": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/WorkloadBackupRole"},
    "tag_key": {"@@assign": "workload:backup"},
    "tag_value": {"@@assign": ["nightly"]}}}}
}}}"""

# Databases from eu-central-1 straight to a vault in another account and Region, as aws-backup-automation
# copies nine Regions into one us-east-1 vault: AWS Backup cannot do that in one step for RDS/Aurora.
RDS_CROSS_ACCOUNT_AND_REGION = """{"plans": {"databases": {
  "regions": {"@@assign": ["eu-central-1"]},
  "rules": {"daily": {
    "schedule_expression": {"@@assign": "cron(0 2 ? * * *)"},
    "start_backup_window_minutes": {"@@assign": "60"},
    "target_backup_vault_name": {"@@assign": "member-vault"},
    "lifecycle": {"delete_after_days": {"@@assign": "30"}},
    "copy_actions": {
      "arn:aws:backup:us-east-1:210987654321:backup-vault:org-central": {
        "target_backup_vault_arn": {"@@assign": "arn:aws:backup:us-east-1:210987654321:backup-vault:org-central"},
        "lifecycle": {"delete_after_days": {"@@assign": "30"}}
      }
    }
  }},
  "selections": {"resources": {"databases": {
    "iam_role_arn": {"@@assign": "arn:aws:iam::$account:role/MemberBackupRole"},
    "resource_types": {"@@assign": ["arn:aws:rds:*:*:db:*", "arn:aws:rds:*:*:cluster:*"]}}}}
}}}"""

COPY_TO_DEFAULT_VAULT = GOOD.replace("backup-vault:org-central", "backup-vault:Default")


def oversize() -> str:
    """The good document written with generous indentation, as IaC sends it: over the 10,000 characters."""
    text = json.dumps(json.loads(GOOD), indent=64)
    assert len(text) > 10_000
    return text


CASES = [
    pytest.param(TRAILING_COMMA, "org-backup-policy-valid", "trailing comma at line 8", id="malformed-json"),
    pytest.param(oversize(), "org-backup-policy-valid", "characters; Organizations allows 10000", id="oversize"),
    pytest.param(
        COPY_ACTIONS_AS_LIST, "org-backup-policy-valid", "keyed by the destination vault ARN", id="copy-actions-list"
    ),
    pytest.param(
        PLACEHOLDER_COPY_KEY,
        "org-backup-policy-valid",
        "'<Replace with value from pCentralVaultArn>' is not a backup vault ARN",
        id="placeholder-copy-key",
    ),
    pytest.param(
        MISSING_IAM_ROLE,
        "org-backup-policy-advisories",
        "selections.tags.nightly.iam_role_arn: a tag selection needs iam_role_arn",
        id="missing-iam-role",
    ),
    pytest.param(
        START_WINDOW_30,
        "backup-plan-windows",
        "start_backup_window_minutes 30 must be >= 60",
        id="start-window-below-60",
    ),
    pytest.param(FIVE_FIELD_CRON, "org-backup-policy-valid", "has 5 fields: that is a Unix cron", id="five-field-cron"),
    pytest.param(
        CONTINUOUS_60_DAYS,
        "backup-continuous-retention",
        "delete_after_days 60 exceeds the 35-day maximum",
        id="continuous-over-35",
    ),
    pytest.param(
        COLD_PLUS_90_BROKEN,
        "backup-lifecycle-cold-plus-90",
        "delete_after_days 100 must be >= move_to_cold_storage_after_days 30 + 90",
        id="cold-plus-90",
    ),
    pytest.param(
        UNKNOWN_KEY,
        "org-backup-policy-valid",
        "unknown key 'target_vault_name' in rule; did you mean 'target_backup_vault_name'?",
        id="unknown-key",
    ),
    pytest.param(
        BOTH_SELECTION_KINDS,
        "org-backup-policy-valid",
        "selections has both tags and resources",
        id="both-selection-kinds",
    ),
    pytest.param(
        NEITHER_SELECTION_KIND,
        "org-backup-policy-advisories",
        "selections has neither tags and resources",
        id="neither-selection-kind",
    ),
    pytest.param(
        RDS_CROSS_ACCOUNT_AND_REGION,
        "org-backup-policy-valid",
        "the plan selects RDS/Aurora, and this copy is both cross-account and cross-Region",
        id="rds-cross-account-and-region",
    ),
    pytest.param(
        COPY_TO_DEFAULT_VAULT,
        "org-backup-policy-valid",
        "copies cannot go to the Default vault",
        id="default-destination-vault",
    ),
]


def fired(content: str) -> dict[str, list[str]]:
    """Messages by rule name, for every resource rule of the two domains that reports the document."""
    spec = Spec(
        "aws:organizations/policy:Policy",
        {"name": "member-backup", "type": "BACKUP_POLICY", "content": content},
        name="member-backup",
        account="123456789012",
    )
    out: dict[str, list[str]] = {}
    for policy in RESOURCE_RULES:
        found = run_resource(policy, spec)
        if found:
            out[policy.name] = found
    return out


ALSO_FIRES = {
    # A misspelt required key is an unknown key (error) and a missing one; a parent policy could supply the
    # missing key, so that half is only an advisory (see backup_rules.backup_policy.shape._missing_key).
    UNKNOWN_KEY: {"org-backup-policy-advisories"},
    NEITHER_SELECTION_KIND: {"org-backup-policy-valid"},
}


@pytest.mark.parametrize(("content", "rule", "fragment"), CASES)
def test_each_mistake_fires_exactly_its_rule(content: str, rule: str, fragment: str) -> None:
    found = fired(content)
    assert set(found) == {rule} | ALSO_FIRES.get(content, set()), found
    assert any(fragment in message for message in found[rule]), found[rule]


@pytest.mark.parametrize("content", [GOOD, BARE_NUMBERS], ids=["good", "bare-numbers-and-booleans"])
def test_well_formed_documents_fire_nothing(content: str) -> None:
    assert fired(content) == {}
