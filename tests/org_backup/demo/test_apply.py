"""The applier's contract: references resolve only from applied dependencies, collisions and gaps fail loudly,
the README's list of stand-ins is the table's, and effective policies follow the inheritance operators."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from org_backup.demo.appliers import README_END, README_START, appliers, readme_table
from org_backup.demo.apply import Accounts, ApplyError, apply_run
from org_backup.demo.effective import merge_policies
from org_backup.demo.server import DemoServer
from org_backup.demo.standin import StandIn
from org_backup.preview.offline import ProgramRun, RecordedResource
from tests.moto_server import DEFAULT_ACCOUNT_ID, MotoServer

README = Path(__file__).resolve().parents[3] / "README.md"
KEY, VAULT = "aws:kms/key:Key", "aws:backup/vault:Vault"


def resource(type_: str, name: str, inputs: dict[str, Any], depends_on: list[str] = ()) -> RecordedResource:  # type: ignore[assignment]
    return RecordedResource(
        type=type_,
        name=name,
        urn=f"urn:pulumi:demo::org-backup::{type_}::{name}",
        parent_urn=None,
        provider_urn=None,
        custom=True,
        inputs={"region": "us-east-1", **inputs},
        protect=False,
        retain_on_delete=False,
        ignore_changes=[],
        dependencies=[f"urn:pulumi:demo::org-backup::{KEY}::{d}" for d in depends_on],
        property_dependencies={},
        account=DEFAULT_ACCOUNT_ID,
        region="us-east-1",
    )


def key_arn(name: str) -> str:
    from org_backup.preview.offline import mock_outputs

    return str(mock_outputs(KEY, name, {}, DEFAULT_ACCOUNT_ID, "us-east-1")["arn"])


def apply(aws_env: MotoServer, *resources: RecordedResource) -> Any:
    caller = DemoServer(aws_env.endpoint_url).caller_in(DEFAULT_ACCOUNT_ID)
    accounts = Accounts(aws_env.endpoint_url, DEFAULT_ACCOUNT_ID, caller, lambda _: None, StandIn(aws_env))
    return apply_run(ProgramRun("demo", list(resources), {}), accounts, appliers())


def test_a_reference_resolves_to_the_real_value_of_an_applied_dependency(aws_env: MotoServer) -> None:
    deployment = apply(
        aws_env,
        resource(KEY, "key", {"description": "k"}),
        resource(VAULT, "vault", {"name": "v", "kmsKeyArn": key_arn("key")}, ["key"]),
    )

    real = deployment.outputs["urn:pulumi:demo::org-backup::aws:kms/key:Key::key"]["arn"]
    vault = aws_env.client("backup").describe_backup_vault(BackupVaultName="v")
    assert vault["EncryptionKeyArn"] == real != key_arn("key")


def test_a_reference_without_a_dependency_fails_even_when_the_order_happens_to_work(aws_env: MotoServer) -> None:
    with pytest.raises(ApplyError, match="without depending on it"):
        apply(
            aws_env,
            resource(KEY, "key", {"description": "k"}),
            resource(VAULT, "vault", {"name": "v", "kmsKeyArn": key_arn("key")}),
        )


def test_a_reference_to_a_resource_not_yet_created_fails(aws_env: MotoServer) -> None:
    with pytest.raises(ApplyError, match="does not exist yet"):
        apply(
            aws_env,
            resource(VAULT, "vault", {"name": "v", "kmsKeyArn": key_arn("key")}),
            resource(KEY, "key", {"description": "k"}),
        )


def test_a_name_used_twice_fails_with_aws_error(aws_env: MotoServer) -> None:
    with pytest.raises(ApplyError, match=r"vault-2.*AlreadyExists"):
        apply(aws_env, resource(VAULT, "vault-1", {"name": "v"}), resource(VAULT, "vault-2", {"name": "v"}))


def test_an_invalid_parameter_is_refused_by_botocore_before_any_call(aws_env: MotoServer) -> None:
    with pytest.raises(ApplyError, match="Parameter validation failed"):
        apply(
            aws_env,
            resource("aws:backup/vaultLockConfiguration:VaultLockConfiguration", "lock", {"backupVaultName": 5}),
        )


def test_a_type_without_an_applier_fails_before_anything_is_applied(aws_env: MotoServer) -> None:
    with pytest.raises(ApplyError, match="no applier for aws:ram/resourceShare:ResourceShare"):
        apply(
            aws_env, resource(VAULT, "vault", {"name": "v"}), resource("aws:ram/resourceShare:ResourceShare", "s", {})
        )
    assert aws_env.client("backup").list_backup_vaults()["BackupVaultList"] == []


def test_the_readme_lists_exactly_the_table_of_stand_ins() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(README_START), text.index(README_END) + len(README_END)
    assert text[start:end] == readme_table()


def test_effective_policy_follows_assign_append_remove_and_child_controls() -> None:
    root = {
        "plans": {
            "p": {
                "regions": {"@@assign": ["us-east-1"], "@@operators_allowed_for_child_policies": ["@@append"]},
                "rules": {"r": {"schedule_expression": {"@@assign": "cron(0 5 ? * * *)"}}},
            },
            "locked": {"@@operators_allowed_for_child_policies": ["@@none"], "regions": {"@@assign": ["eu-west-1"]}},
        }
    }
    account = {
        "plans": {
            "p": {"regions": {"@@append": ["eu-west-1"]}, "rules": {"r": {"schedule_expression": {"@@assign": "x"}}}},
            "locked": {"regions": {"@@assign": ["us-west-2"]}},
            "own": {"regions": {"@@assign": ["us-west-2"]}},
        }
    }
    assert merge_policies([root, account]) == {
        "plans": {
            "p": {"regions": ["us-east-1", "eu-west-1"], "rules": {"r": {"schedule_expression": "x"}}},
            "locked": {"regions": ["eu-west-1"]},
            "own": {"regions": ["us-west-2"]},
        }
    }
    parent = {"plans": {"p": {"regions": {"@@assign": ["us-east-1", "eu-west-1"]}}}}
    child = {"plans": {"p": {"regions": {"@@remove": ["us-east-1"]}}}}
    assert merge_policies([parent, child]) == {"plans": {"p": {"regions": ["eu-west-1"]}}}
