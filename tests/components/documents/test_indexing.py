"""Backup indexes for search: index_actions in the policy, and the backup role's indexing policy."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from components.documents.backup_policy import render_backup_policies, render_plan
from components.documents.member_template import member_template
from components.documents.scanning import backup_role_extra_policy_arns
from policies.backup_rules.backup_policy import validate_backup_policy
from stackconfig.model import StackConfig
from tests.components.documents.config_factory import OU_ID, make_config

INDEXING = "arn:aws:iam::aws:policy/AWSBackupServiceRolePolicyForIndexing"


def indexed(*types: str) -> StackConfig:
    return make_config(
        backup_policies={"lock_against_child_policies": False},
        plans={
            "daily": {
                "rules": {
                    "daily": {"schedule": "daily", "retention_days": 35, "search_index": list(types)},
                    "weekly": {"schedule": "weekly", "retention_days": 90},
                },
                "selections": {"tags": {"b": {"key": "backup", "values": ["daily"]}}},
            }
        },
    )


def test_index_actions_as_the_syntax_page_writes_them() -> None:
    node = render_plan(indexed("EBS", "S3"), "daily")
    assert node["rules"]["daily"]["index_actions"] == {"resource_types": {"@@assign": ["EBS", "S3"]}}
    assert "index_actions" not in node["rules"]["weekly"]
    (document,) = render_backup_policies(indexed("EBS", "S3"), {"daily": [OU_ID]})
    assert [f for f in validate_backup_policy(document.content) if f.severity == "error"] == []


def test_only_ebs_and_s3_can_be_indexed() -> None:
    with pytest.raises(ValidationError):
        indexed("RDS")


def test_ebs_indexes_give_the_backup_role_aws_s_indexing_policy() -> None:
    assert backup_role_extra_policy_arns(indexed("EBS")) == [INDEXING]
    assert backup_role_extra_policy_arns(indexed("S3")) == []
    role = member_template(indexed("EBS"))["Resources"]["BackupRole"]["Properties"]
    assert role["ManagedPolicyArns"][-1] == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AWSBackupServiceRolePolicyForIndexing"
    }
    assert "MalwareScannerRole" not in member_template(indexed("EBS"))["Resources"]
    assert "index_actions" not in json.dumps(render_plan(make_config(), "daily"))
