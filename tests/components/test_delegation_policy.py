"""The delegation-policy provider keeps other teams' statements (issue 9 item 6).

STS (the account guard) runs against moto's server; Organizations' resource policy, which moto does not
implement, answers from ``FakeDelegationPolicy`` through botocore with the real shapes, plus one strict
Stubber run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pulumi
import pytest
from botocore.stub import Stubber

from components.delegation_policy import (
    ADOPT_LEGACY_ENV,
    DelegationPolicyProvider,
    OrganizationDelegationStatements,
)
from components.documents.delegation_policy import (
    MAX_CONTENT_LENGTH,
    SID_PREFIX,
    DelegationPolicyError,
    backup_delegation_document,
    legacy_statements,
    merge,
    remove,
    render,
)
from components.documents.iam import organizations_delegation_policy
from tests.components.fresh_process import run_provider
from tests.components.organizations_policy_fake import POLICY_ID, FakeDelegationPolicy, route_organizations_to

if TYPE_CHECKING:
    from tests.moto_server import MotoServer

MANAGEMENT = "123456789012"
"""moto's account for the fake credentials."""
DELEGATE = "222222222222"
IDS = {
    "management_account_id": MANAGEMENT,
    "organization_id": "o-exampleorg1",
    "root_id": "r-ab12",
    "delegate_account_id": DELEGATE,
}
OURS = backup_delegation_document(**IDS)
SECURITY_TEAM = {
    "Sid": "SecurityAccountManagesSCPs",
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
    "Action": ["organizations:CreatePolicy", "organizations:UpdatePolicy", "organizations:AttachPolicy"],
    "Resource": "*",
    "Condition": {"StringEquals": {"organizations:PolicyType": "SERVICE_CONTROL_POLICY"}},
}
NO_SID = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::888888888888:root"}, "Action": "organizations:List*"}


def _pretty(*statements: dict[str, Any]) -> str:
    """How a console-written policy looks: indented, its own key order."""
    return json.dumps({"Version": "2012-10-17", "Id": "team-delegations", "Statement": list(statements)}, indent=4)


def _statements(content: str | None) -> list[dict[str, Any]]:
    assert content is not None
    statements: list[dict[str, Any]] = json.loads(content)["Statement"]
    return statements


def _ours() -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = OURS["Statement"]
    return statements


@pytest.fixture
def props(aws_env: MotoServer) -> dict[str, Any]:
    return {"content": render(OURS), "management_account_id": MANAGEMENT, "endpoint_url": aws_env.endpoint_url}


def _fake(monkeypatch: pytest.MonkeyPatch, content: str | None) -> FakeDelegationPolicy:
    fake = FakeDelegationPolicy(content)
    route_organizations_to(fake, monkeypatch)
    return fake


# ----------------------------------------------------------------------------------------- the provider


def test_create_keeps_another_teams_statements(props: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch, _pretty(SECURITY_TEAM, NO_SID))

    created = DelegationPolicyProvider().create(props)

    document = json.loads(fake.content or "")
    assert document["Id"] == "team-delegations"
    assert document["Statement"] == [SECURITY_TEAM, NO_SID, *_ours()]
    assert list(document["Statement"][0]) == list(SECURITY_TEAM), "key order of others' statements is kept"
    assert fake.writes == ["PutResourcePolicy"]
    assert created.id == POLICY_ID
    assert created.outs is not None
    assert created.outs["sids"] == [s["Sid"] for s in _ours()]
    assert created.outs["kept_sids"] == ["SecurityAccountManagesSCPs", ""]


def test_create_without_a_policy_writes_only_ours(props: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch, None)

    DelegationPolicyProvider().create(props)

    assert _statements(fake.content) == _ours()
    assert all(s["Sid"].startswith(SID_PREFIX) for s in _statements(fake.content))


def test_create_against_botocore_stubber_with_no_policy(aws_env: MotoServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same path with Stubber's strict order and parameter checks."""
    client = boto3.Session().client("organizations", region_name="us-east-1")
    expected = render({**OURS, "Statement": _ours()})
    answer = {"ResourcePolicy": {"ResourcePolicySummary": {"Id": POLICY_ID, "Arn": "arn"}, "Content": expected}}
    real = boto3.session.Session.client
    monkeypatch.setattr(
        boto3.session.Session,
        "client",
        lambda self, name, *a, **k: client if name == "organizations" else real(self, name, *a, **k),
    )
    with Stubber(client) as stub:
        stub.add_client_error("describe_resource_policy", "ResourcePolicyNotFoundException", "none", 400)
        stub.add_response("put_resource_policy", answer, {"Content": expected})
        stub.add_response("describe_resource_policy", answer)

        created = DelegationPolicyProvider().create(
            {"content": render(OURS), "management_account_id": MANAGEMENT, "endpoint_url": aws_env.endpoint_url}
        )

        stub.assert_no_pending_responses()
    assert created.id == POLICY_ID


def test_update_replaces_only_our_statements(props: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch, _pretty(SECURITY_TEAM))
    provider = DelegationPolicyProvider()
    created = provider.create(props)
    assert created.outs is not None
    new_delegate = backup_delegation_document(**{**IDS, "delegate_account_id": "333333333333"})
    dropped = [s for s in new_delegate["Statement"] if s["Sid"] != f"{SID_PREFIX}AllowTagBackupPolicies"]
    news = {**props, "content": render({**new_delegate, "Statement": dropped})}

    updated = provider.update(created.id, created.outs, news)

    assert _statements(fake.content) == [SECURITY_TEAM, *dropped]
    assert updated.outs is not None
    assert updated.outs["sids"] == [s["Sid"] for s in dropped]


def test_update_heals_drift_in_our_own_statements(props: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch, _pretty(SECURITY_TEAM))
    provider = DelegationPolicyProvider()
    created = provider.create(props)
    assert created.outs is not None
    tampered = [{**s, "Resource": "*"} if s["Sid"].startswith(SID_PREFIX) else s for s in _statements(fake.content)]
    fake.content = render({"Version": "2012-10-17", "Statement": tampered})

    read = provider.read(created.id, created.outs)
    assert read.outs is not None
    assert read.outs["content"] != created.outs["content"], "a refresh shows the drift"

    provider.update(created.id, created.outs, props)

    assert _statements(fake.content) == [SECURITY_TEAM, *_ours()]


def test_delete_removes_only_ours_and_keeps_the_policy(props: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch, _pretty(SECURITY_TEAM, NO_SID))
    provider = DelegationPolicyProvider()
    created = provider.create(props)
    assert created.outs is not None

    provider.delete(created.id, created.outs)

    document = json.loads(fake.content or "")
    assert document["Statement"] == [SECURITY_TEAM, NO_SID]
    assert document["Id"] == "team-delegations"
    assert "DeleteResourcePolicy" not in fake.writes


def test_delete_removes_the_policy_when_nothing_else_is_left(
    props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(monkeypatch, None)
    provider = DelegationPolicyProvider()
    created = provider.create(props)
    assert created.outs is not None

    provider.delete(created.id, created.outs)
    provider.delete(created.id, created.outs)

    assert fake.content is None
    assert fake.writes == ["PutResourcePolicy", "DeleteResourcePolicy"]


def test_a_statement_of_someone_else_with_our_sid_is_refused(
    props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    squatter = {**SECURITY_TEAM, "Sid": f"{SID_PREFIX}AllowManageBackupPolicies"}
    original = _pretty(SECURITY_TEAM, squatter)
    fake = _fake(monkeypatch, original)

    with pytest.raises(Exception, match="already has a statement with a Sid this program owns") as raised:
        DelegationPolicyProvider().create(props)

    assert "arn:aws:iam::999999999999:root" in str(raised.value)
    assert fake.content == original
    assert fake.writes == []


def test_identical_statements_left_by_a_lost_state_are_adopted(
    props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    current = render({"Version": "2012-10-17", "Statement": [SECURITY_TEAM, *_ours()]})
    fake = _fake(monkeypatch, current)

    created = DelegationPolicyProvider().create(props)

    assert fake.content == current, "nothing to change: the stored text stays byte for byte"
    assert fake.writes == []
    assert created.id == POLICY_ID


def test_statements_of_the_old_resource_policy_stop_the_run_until_adopted(
    props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The earlier aws.organizations.ResourcePolicy wrote unprefixed Sids; Pulumi would delete that resource
    (and so the whole policy) after this create: refuse until the operator removed it from the state."""
    old = organizations_delegation_policy(**IDS)
    current = render({"Version": "2012-10-17", "Statement": [SECURITY_TEAM, *old["Statement"]]})
    fake = _fake(monkeypatch, current)
    provider = DelegationPolicyProvider()

    with pytest.raises(Exception, match="pulumi state delete") as raised:
        provider.create(props)
    assert "AllowManageBackupPolicies" in str(raised.value)
    assert fake.writes == []

    monkeypatch.setenv(ADOPT_LEGACY_ENV, "1")
    provider.create(props)

    assert _statements(fake.content) == [SECURITY_TEAM, *_ours()]


def test_a_write_lost_to_a_concurrent_writer_is_reported(
    props: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake(monkeypatch, _pretty(SECURITY_TEAM))
    fake.after_put = lambda policy: setattr(policy, "content", _pretty(SECURITY_TEAM))

    with pytest.raises(Exception, match="changed while it was being written"):
        DelegationPolicyProvider().create(props)


def test_credentials_of_another_account_change_nothing(props: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake(monkeypatch, _pretty(SECURITY_TEAM))

    with pytest.raises(Exception, match=f"account {MANAGEMENT}.*management_account_id is 111111111111"):
        DelegationPolicyProvider().create({**props, "management_account_id": "111111111111"})
    with pytest.raises(Exception, match="management_account_id is 111111111111"):
        DelegationPolicyProvider().delete(POLICY_ID, {**props, "management_account_id": "111111111111"})

    assert fake.calls == []


def test_check_refuses_statements_without_our_prefix() -> None:
    foreign = render({"Version": "2012-10-17", "Statement": [SECURITY_TEAM]})

    result = DelegationPolicyProvider().check({}, {"content": foreign})

    assert [f.property for f in result.failures] == ["content"]
    assert DelegationPolicyProvider().check({}, {"content": render(OURS)}).failures == []


def test_diff_reports_changed_statements_and_never_replaces(props: dict[str, Any]) -> None:
    provider = DelegationPolicyProvider()
    other = render(backup_delegation_document(**{**IDS, "delegate_account_id": "333333333333"}))

    assert provider.diff(POLICY_ID, props, props).changes is False
    changed = provider.diff(POLICY_ID, props, {**props, "content": other})
    assert (changed.changes, changed.replaces) == (True, [])


def test_provider_runs_from_its_serialized_form_in_a_process_without_the_repository(
    props: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 9 item 14 for this provider; Organizations answers from a before-call hook in that process."""
    body = """
    import boto3
    from botocore.awsrequest import AWSResponse
    state = {"content": CURRENT}
    def answer(model, params, **_):
        ok = AWSResponse("https://organizations", 200, {}, None)
        if model.name == "DescribeResourcePolicy":
            if state["content"] is None:
                return AWSResponse("https://organizations", 400, {}, None), {
                    "Error": {"Code": "ResourcePolicyNotFoundException", "Message": "none"}}
            return ok, {"ResourcePolicy": {"ResourcePolicySummary": {"Id": "rp-1", "Arn": "a"},
                                           "Content": state["content"]}}
        if model.name == "PutResourcePolicy":
            state["content"] = json.loads(params["body"])["Content"]
            return ok, {"ResourcePolicy": {"ResourcePolicySummary": {"Id": "rp-1", "Arn": "a"},
                                           "Content": state["content"]}}
        state["content"] = None
        return ok, {}
    real = boto3.session.Session.client
    def client(self, name, *args, **kwargs):
        made = real(self, name, *args, **kwargs)
        if name == "organizations":
            made.meta.events.register_first("before-call.organizations.*", answer)
        return made
    boto3.session.Session.client = client
    created = provider.create(PROPS)
    after_create = json.loads(state["content"])["Statement"]
    provider.delete(created.id, created.outs)
    print(json.dumps({"after_create": after_create, "after_delete": json.loads(state["content"])["Statement"]}))
    """.replace("CURRENT", repr(_pretty(SECURITY_TEAM))).replace("PROPS", repr(props))

    result = run_provider(DelegationPolicyProvider(), body, tmp_path / "elsewhere")

    assert result == {"after_create": [SECURITY_TEAM, *_ours()], "after_delete": [SECURITY_TEAM]}


# ----------------------------------------------------------------------------------------- pure merge


def test_merge_keeps_a_single_statement_object_and_top_level_keys() -> None:
    current = json.dumps({"Version": "2012-10-17", "Id": "x", "Statement": SECURITY_TEAM})

    result = merge(current, _ours())

    document = json.loads(result.content or "")
    assert list(document) == ["Version", "Id", "Statement"]
    assert document["Statement"] == [SECURITY_TEAM, *_ours()]


def test_merge_refuses_a_policy_it_cannot_parse() -> None:
    with pytest.raises(DelegationPolicyError, match="not JSON"):
        merge("{not json", _ours())


def test_merge_refuses_a_policy_over_the_api_limit() -> None:
    big = [{**SECURITY_TEAM, "Sid": f"Team{i}", "Action": ["organizations:List" + "x" * 200]} for i in range(200)]

    with pytest.raises(DelegationPolicyError, match=f"at most {MAX_CONTENT_LENGTH}"):
        merge(render({"Version": "2012-10-17", "Statement": big}), _ours())


def test_remove_leaves_foreign_statements_untouched_and_reports_no_change_without_ours() -> None:
    current = _pretty(SECURITY_TEAM)

    result = remove(current, [s["Sid"] for s in _ours()])

    assert (result.changed, result.content) == (False, current)


def test_legacy_statements_are_the_old_builders_output() -> None:
    assert list(legacy_statements(_ours()).values()) == organizations_delegation_policy(**IDS)["Statement"]


# ----------------------------------------------------------------------------------------- the resource


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[pulumi.runtime.MockResourceArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        return POLICY_ID, dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def test_the_resource_registers_our_statements_and_the_guard() -> None:
    pulumi.runtime.settings.ROOT.set(None)
    mocks = _Mocks()
    pulumi.runtime.set_mocks(mocks, project="org-backup", stack="test", preview=False)

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        resource = OrganizationDelegationStatements("delegation", document=OURS, management_account_id=MANAGEMENT)
        return resource.content

    program()

    (args,) = mocks.registered
    assert args.typ == "pulumi-python:dynamic:Resource"
    assert json.loads(args.inputs["content"]) == OURS
    assert args.inputs["management_account_id"] == MANAGEMENT
    assert "__provider" in args.inputs
