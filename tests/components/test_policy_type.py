"""PolicyTypeProvider against moto's Organizations and STS, plus the resource under Pulumi's mock engine.

moto enables a policy type synchronously and has no IAM evaluation, so the PENDING_ENABLE polling and the
AccessDenied message are exercised with botocore's Stubber and a fake client instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pulumi
import pytest
from botocore.stub import Stubber
from pulumi.runtime.rpc import UNKNOWN

from components import policy_type
from components.policy_type import (
    OrganizationPolicyType,
    PolicyTypeError,
    PolicyTypeProvider,
)
from tests.components.fresh_process import REPO, run_provider

if TYPE_CHECKING:
    from tests.moto_server import MotoServer


DEFAULT_ACCOUNT_ID = "123456789012"
"""moto's account for the fake credentials, which becomes the management account."""
MANAGEMENT_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/OrgBackupManagement"


@pytest.fixture
def provider() -> PolicyTypeProvider:
    return PolicyTypeProvider(poll_interval_seconds=0.01, timeout_seconds=2.0)


@pytest.fixture
def org(aws_env: MotoServer) -> Any:
    client = aws_env.client("organizations")
    client.create_organization(FeatureSet="ALL")
    return client


@pytest.fixture
def props(aws_env: MotoServer) -> dict[str, Any]:
    return {"policy_type": "BACKUP_POLICY", "endpoint_url": aws_env.endpoint_url}


def _root(org: Any) -> dict[str, Any]:
    roots: list[dict[str, Any]] = org.list_roots()["Roots"]
    assert len(roots) == 1
    return roots[0]


def _create_member(org: Any, name: str = "workload") -> str:
    status = org.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]
    return str(status["AccountId"])


def _use_credentials(monkeypatch: pytest.MonkeyPatch, credentials: dict[str, str]) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])
    monkeypatch.delenv("AWS_SECURITY_TOKEN", raising=False)


def _count_enable_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every EnablePolicyType the provider sends, by hooking the clients it opens."""
    calls: list[str] = []
    real_connect = policy_type._connect

    def connect(target: Any) -> Any:
        connection = real_connect(target)
        connection.organizations.meta.events.register(
            "provide-client-params.organizations.EnablePolicyType",
            lambda **kwargs: calls.append(kwargs["params"]["RootId"]),
        )
        return connection

    monkeypatch.setattr(policy_type, "_connect", connect)
    return calls


def test_create_enables_backup_policy_on_the_discovered_root(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    root_id = _root(org)["Id"]

    result = provider.create(props)

    assert result.id == f"{root_id}/BACKUP_POLICY"
    assert result.outs is not None
    assert result.outs["root_id"] == root_id
    assert result.outs["policy_type"] == "BACKUP_POLICY"
    assert result.outs["status"] == "ENABLED"
    assert _root(org)["PolicyTypes"] == [{"Type": "BACKUP_POLICY", "Status": "ENABLED"}]


def test_create_is_idempotent_and_skips_the_call_when_already_enabled(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_enable_calls(monkeypatch)

    first = provider.create(props)
    second = provider.create({**props, "root_id": _root(org)["Id"]})

    assert first.id == second.id
    assert second.outs is not None
    assert second.outs["status"] == "ENABLED"
    assert len(calls) == 1
    assert _root(org)["PolicyTypes"] == [{"Type": "BACKUP_POLICY", "Status": "ENABLED"}]


def test_create_does_not_call_enable_when_already_enabled_out_of_band(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    org.enable_policy_type(RootId=_root(org)["Id"], PolicyType="BACKUP_POLICY")
    calls = _count_enable_calls(monkeypatch)

    result = provider.create(props)

    assert calls == []
    assert result.outs is not None
    assert result.outs["status"] == "ENABLED"


def test_read_reports_the_current_status(org: Any, provider: PolicyTypeProvider, props: dict[str, Any]) -> None:
    created = provider.create(props)
    assert created.outs is not None

    read = provider.read(created.id, created.outs)

    assert read.id == created.id
    assert read.outs is not None
    assert read.outs["status"] == "ENABLED"
    assert read.outs["root_id"] == created.outs["root_id"]


def test_read_without_state_uses_the_id_and_drops_a_type_disabled_out_of_band(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    created = provider.create(props)
    assert created.outs is not None
    assert provider.read(created.id, {"endpoint_url": props["endpoint_url"]}).id == created.id

    org.disable_policy_type(RootId=created.outs["root_id"], PolicyType="BACKUP_POLICY")
    read = provider.read(created.id, created.outs)

    assert read.id == ""
    assert read.outs is not None
    assert read.outs["status"] == "NOT_ENABLED"


def test_create_from_a_member_account_through_a_management_role(
    aws_env: MotoServer,
    org: Any,
    provider: PolicyTypeProvider,
    props: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The usual CI setup: credentials of another account assume a role in the management account."""
    member = _create_member(org)
    aws_env.client("iam").create_role(
        RoleName="OrgBackupManagement",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{member}:root"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )
    _use_credentials(monkeypatch, aws_env.member_credentials(member))
    assert boto3.Session().client("sts").get_caller_identity()["Account"] == member
    with pytest.raises(PolicyTypeError, match=f"not the management account {DEFAULT_ACCOUNT_ID}"):
        provider.create(props)

    result = provider.create({**props, "role_arn": MANAGEMENT_ROLE})

    assert result.outs is not None
    assert result.outs["role_arn"] == MANAGEMENT_ROLE
    assert result.outs["status"] == "ENABLED"
    assert _root(org)["PolicyTypes"] == [{"Type": "BACKUP_POLICY", "Status": "ENABLED"}]


def test_member_account_credentials_get_a_clear_error(
    aws_env: MotoServer,
    org: Any,
    provider: PolicyTypeProvider,
    props: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only the management account (or a delegated admin) may enable policy types."""
    member = _create_member(org)
    member_role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"

    with pytest.raises(PolicyTypeError) as raised:
        provider.create({**props, "role_arn": member_role})

    message = str(raised.value)
    assert f"account {member}" in message
    assert member_role in message
    assert f"not the management account {DEFAULT_ACCOUNT_ID}" in message
    assert "pass role_arn" in message
    assert _root(org)["PolicyTypes"] == []


def test_delete_leaves_the_policy_type_enabled_by_default(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    created = provider.create(props)
    assert created.outs is not None

    provider.delete(created.id, created.outs)

    assert _root(org)["PolicyTypes"] == [{"Type": "BACKUP_POLICY", "Status": "ENABLED"}]


def test_delete_disables_only_with_disable_on_delete(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    created = provider.create({**props, "disable_on_delete": True})
    assert created.outs is not None
    assert created.outs["disable_on_delete"] is True

    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)

    assert _root(org)["PolicyTypes"] == []


def test_diff_replaces_on_root_or_policy_type_and_updates_otherwise(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    created = provider.create(props)
    olds = created.outs
    assert olds is not None

    same = provider.diff(created.id, olds, props)
    other_root = provider.diff(created.id, olds, {**props, "root_id": "r-zzzz9999"})
    other_type = provider.diff(created.id, olds, {**props, "policy_type": "TAG_POLICY"})
    other_role = provider.diff(created.id, olds, {**props, "role_arn": MANAGEMENT_ROLE})

    assert (same.changes, same.replaces) == (False, [])
    assert (other_root.changes, other_root.replaces) == (True, ["root_id"])
    assert (other_type.changes, other_type.replaces) == (True, ["policy_type"])
    assert (other_role.changes, other_role.replaces) == (True, [])
    unknown_root = provider.diff(created.id, olds, {**props, "root_id": UNKNOWN})
    assert (unknown_root.changes, unknown_root.replaces) == (True, [])


def test_update_keeps_the_type_enabled_with_new_settings(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    created = provider.create(props)
    assert created.outs is not None

    updated = provider.update(created.id, created.outs, {**props, "disable_on_delete": True})

    assert updated.outs is not None
    assert updated.outs["disable_on_delete"] is True
    assert updated.outs["status"] == "ENABLED"


def test_consolidated_billing_organization_is_a_clear_error(
    aws_env: MotoServer, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    org = aws_env.client("organizations")
    org.create_organization(FeatureSet="CONSOLIDATED_BILLING")

    with pytest.raises(PolicyTypeError, match="feature set CONSOLIDATED_BILLING") as raised:
        provider.create(props)

    assert "Enable all features" in str(raised.value)
    assert f"management account {DEFAULT_ACCOUNT_ID}" in str(raised.value)
    assert _root(org)["PolicyTypes"] == []


def test_account_outside_any_organization_is_a_clear_error(
    aws_env: MotoServer, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    with pytest.raises(PolicyTypeError, match="not a member of an AWS Organization") as raised:
        provider.create(props)

    assert f"account {DEFAULT_ACCOUNT_ID}" in str(raised.value)
    assert "management account" in str(raised.value)


def _stubbed_connection(monkeypatch: pytest.MonkeyPatch, client: Any, account: str) -> None:
    identity = {"Account": account, "Arn": f"arn:aws:sts::{account}:assumed-role/Deployer/ci"}
    monkeypatch.setattr(
        policy_type,
        "_connect",
        lambda target: policy_type._Connection(organizations=client, identify=lambda: identity),
    )


def _organization(feature_set: str = "ALL") -> dict[str, Any]:
    return {
        "Organization": {
            "Id": "o-exampleorg1",
            "Arn": f"arn:aws:organizations::{DEFAULT_ACCOUNT_ID}:organization/o-exampleorg1",
            "FeatureSet": feature_set,
            "MasterAccountId": DEFAULT_ACCOUNT_ID,
            "MasterAccountArn": f"arn:aws:organizations::{DEFAULT_ACCOUNT_ID}:account/o-exampleorg1/1",
            "MasterAccountEmail": "management@example.com",
        }
    }


def _roots(*policy_types: dict[str, str]) -> dict[str, Any]:
    return {
        "Roots": [
            {
                "Id": "r-ab12",
                "Arn": f"arn:aws:organizations::{DEFAULT_ACCOUNT_ID}:root/o-exampleorg1/r-ab12",
                "Name": "Root",
                "PolicyTypes": list(policy_types),
            }
        ]
    }


def test_create_waits_while_organizations_reports_pending_enable(
    aws_env: MotoServer, provider: PolicyTypeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.Session().client("organizations", region_name="us-east-1")
    pending = {"Type": "BACKUP_POLICY", "Status": "PENDING_ENABLE"}
    with Stubber(client) as stub:
        stub.add_response("describe_organization", _organization())
        stub.add_response("list_roots", _roots())
        stub.add_response("list_roots", _roots())
        stub.add_response(
            "enable_policy_type",
            {"Root": _roots(pending)["Roots"][0]},
            {"RootId": "r-ab12", "PolicyType": "BACKUP_POLICY"},
        )
        stub.add_response("list_roots", _roots(pending))
        stub.add_response("list_roots", _roots(pending))
        stub.add_response("list_roots", _roots({"Type": "BACKUP_POLICY", "Status": "ENABLED"}))
        _stubbed_connection(monkeypatch, client, DEFAULT_ACCOUNT_ID)

        result = provider.create({})

        stub.assert_no_pending_responses()
    assert result.id == "r-ab12/BACKUP_POLICY"


class _ForeverPending:
    """An Organizations client whose root never leaves PENDING_ENABLE."""

    def describe_organization(self) -> dict[str, Any]:
        return _organization()

    def list_roots(self, **_: str) -> dict[str, Any]:
        return _roots({"Type": "BACKUP_POLICY", "Status": "PENDING_ENABLE"})


def test_waiting_is_bounded(aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _stubbed_connection(monkeypatch, _ForeverPending(), DEFAULT_ACCOUNT_ID)
    provider = PolicyTypeProvider(poll_interval_seconds=0.01, timeout_seconds=0.05)

    with pytest.raises(PolicyTypeError, match="still PENDING_ENABLE") as raised:
        provider.create({})

    assert "run again later" in str(raised.value)


def test_access_denied_says_to_use_the_management_account(
    aws_env: MotoServer, provider: PolicyTypeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = boto3.Session().client("organizations", region_name="us-east-1")
    with Stubber(client) as stub:
        stub.add_response("describe_organization", _organization())
        stub.add_response("list_roots", _roots())
        stub.add_response("list_roots", _roots())
        stub.add_client_error("enable_policy_type", "AccessDeniedException", "not authorized")
        _stubbed_connection(monkeypatch, client, "210987654321")

        with pytest.raises(PolicyTypeError) as raised:
            provider.create({})

    message = str(raised.value)
    assert "EnablePolicyType was denied for account 210987654321" in message
    assert f"not the management account {DEFAULT_ACCOUNT_ID}" in message
    assert "Run from the management account or pass role_arn" in message


def test_check_rejects_malformed_inputs_before_any_call(provider: PolicyTypeProvider) -> None:
    result = provider.check({}, {"root_id": "root-1", "policy_type": "backup"})

    assert sorted(failure.property for failure in result.failures) == ["policy_type", "root_id"]
    assert provider.check({}, {"root_id": "r-ab12", "policy_type": "BACKUP_POLICY"}).failures == []


def test_provider_runs_from_its_serialized_form_in_a_process_without_the_repository(
    org: Any, props: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 9 item 14: the provider host may run elsewhere (Automation API) or after the module moved; a
    provider pickled by reference to ``components.policy_type`` then cannot be loaded at all."""
    body = """
    outcome = provider.create(PROPS)
    read = provider.read(outcome.id, outcome.outs)
    print(json.dumps({"id": outcome.id, "status": read.outs["status"], "poll": provider.poll_interval_seconds}))
    """.replace("PROPS", repr({**props, "management_account_id": DEFAULT_ACCOUNT_ID}))

    result = run_provider(PolicyTypeProvider(poll_interval_seconds=0.05), body, tmp_path / "elsewhere")

    root_id = _root(org)["Id"]
    assert result == {"id": f"{root_id}/BACKUP_POLICY", "status": "ENABLED", "poll": 0.05}
    assert _root(org)["PolicyTypes"] == [{"Type": "BACKUP_POLICY", "Status": "ENABLED"}]


def test_serialized_provider_does_not_depend_on_the_checkout_path_or_hash_seed(tmp_path: Path) -> None:
    """The ``__provider`` input is compared between runs: it must not change with where the code lives."""
    copy = tmp_path / "checkout"
    shutil.copytree(REPO / "components", copy / "components")
    script = (
        "from pulumi.dynamic.dynamic import serialize_provider\n"
        "from components.policy_type import PolicyTypeProvider\n"
        "print(serialize_provider(PolicyTypeProvider()))"
    )
    outputs = set()
    for root, seed in ((REPO, "1"), (copy, "2")):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        outputs.add(done.stdout)
    assert len(outputs) == 1


def test_credentials_of_another_account_are_refused_before_any_change(
    org: Any, provider: PolicyTypeProvider, props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider does not use the aws.Provider's role: ambient credentials of the wrong account must fail."""
    calls = _count_enable_calls(monkeypatch)

    with pytest.raises(PolicyTypeError) as raised:
        provider.create({**props, "management_account_id": "111111111111"})

    message = str(raised.value)
    assert f"account {DEFAULT_ACCOUNT_ID}" in message
    assert "organization.management_account_id is 111111111111" in message
    assert "does not use the aws.Provider's assume_role" in message
    assert calls == []
    assert _root(org)["PolicyTypes"] == []


def test_the_guard_checks_the_account_of_the_assumed_role(
    aws_env: MotoServer, org: Any, provider: PolicyTypeProvider, props: dict[str, Any]
) -> None:
    member = _create_member(org)
    member_role = f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"

    with pytest.raises(PolicyTypeError, match=f"account {member}.*after assuming {member_role}"):
        provider.delete(
            "r-ab12/BACKUP_POLICY",
            {**props, "role_arn": member_role, "disable_on_delete": True, "management_account_id": DEFAULT_ACCOUNT_ID},
        )

    created = provider.create({**props, "management_account_id": DEFAULT_ACCOUNT_ID})
    assert created.outs is not None
    assert created.outs["management_account_id"] == DEFAULT_ACCOUNT_ID


def test_state_without_the_account_guard_is_updated_once() -> None:
    """Stacks deployed before the guard existed get it (and the by-value provider) on their next update."""
    provider = PolicyTypeProvider()
    olds = {"policy_type": "BACKUP_POLICY", "root_id": "r-ab12", "region": "us-east-1"}

    diff = provider.diff("r-ab12/BACKUP_POLICY", olds, {**olds, "management_account_id": DEFAULT_ACCOUNT_ID})

    assert (diff.changes, diff.replaces) == (True, [])


class _RecordingMocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        return "r-ab12/BACKUP_POLICY", {**args.inputs, "root_id": "r-ab12", "status": "ENABLED"}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_organization_policy_type_registers_a_dynamic_resource() -> None:
    pulumi.runtime.settings.ROOT.set(None)
    mocks = _RecordingMocks()
    pulumi.runtime.set_mocks(mocks, project="org-backup", stack="test", preview=False)
    seen: list[Any] = []

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        resource = OrganizationPolicyType(
            "backup-policy-type", role_arn=MANAGEMENT_ROLE, management_account_id=DEFAULT_ACCOUNT_ID
        )
        return pulumi.Output.all(resource.policy_type, resource.root_id, resource.status).apply(seen.extend)

    program()

    (args,) = mocks.registered
    assert args.typ == "pulumi-python:dynamic:Resource"
    assert args.name == "backup-policy-type"
    assert args.inputs["policy_type"] == "BACKUP_POLICY"
    assert args.inputs["role_arn"] == MANAGEMENT_ROLE
    assert args.inputs["region"] == "us-east-1"
    assert args.inputs["disable_on_delete"] is False
    assert args.inputs["management_account_id"] == DEFAULT_ACCOUNT_ID
    assert "__provider" in args.inputs
    assert seen == ["BACKUP_POLICY", "r-ab12", "ENABLED"]
