"""Organizations' resource-based delegation policy in memory, answered through botocore with real shapes.

moto 5.2.5 implements no Put/Describe/DeleteResourcePolicy for Organizations (no route in
``moto/organizations/responses.py``). This fake hooks ``before-call`` exactly as botocore's Stubber does, so
requests are validated and serialized by botocore against the real service model, responses are validated
against the operation's output shape, and errors come back as the same ``ClientError`` subclasses
(``ResourcePolicyNotFoundException``...). Unlike Stubber it keeps state, so create/update/delete sequences run
as they would against AWS.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.validate import validate_parameters

POLICY_ID = "rp-abcd1234"
POLICY_ARN = f"arn:aws:organizations::123456789012:resourcepolicy/o-exampleorg1/{POLICY_ID}"


class FakeDelegationPolicy:
    """The organization's one delegation policy: ``content`` is what DescribeResourcePolicy returns."""

    def __init__(self, content: str | None = None) -> None:
        self.content = content
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.after_put: Callable[[FakeDelegationPolicy], None] | None = None

    def attach(self, client: Any) -> Any:
        client.meta.events.register_first("before-call.organizations.*", self._answer)
        return client

    def _answer(self, model: Any, params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = json.loads(params.get("body") or b"{}")
        self.calls.append((model.name, body))
        if model.name == "DescribeResourcePolicy":
            if self.content is None:
                return _error("ResourcePolicyNotFoundException", "We can't find a resource policy request")
            return _ok(model, {"ResourcePolicy": self._policy()})
        if model.name == "PutResourcePolicy":
            self.content = body["Content"]
            answer = _ok(model, {"ResourcePolicy": self._policy()})
            if self.after_put is not None:
                self.after_put(self)
            return answer
        if model.name == "DeleteResourcePolicy":
            if self.content is None:
                return _error("ResourcePolicyNotFoundException", "We can't find a resource policy request")
            self.content = None
            return _ok(model, {})
        raise AssertionError(f"unexpected Organizations call {model.name}")

    def _policy(self) -> dict[str, Any]:
        return {"ResourcePolicySummary": {"Id": POLICY_ID, "Arn": POLICY_ARN}, "Content": self.content}

    @property
    def writes(self) -> list[str]:
        return [name for name, _ in self.calls if name != "DescribeResourcePolicy"]


def _ok(model: Any, parsed: dict[str, Any]) -> tuple[AWSResponse, dict[str, Any]]:
    if model.output_shape is not None:
        validate_parameters(parsed, model.output_shape)
    return AWSResponse("https://organizations.us-east-1.amazonaws.com/", 200, {}, None), {
        **parsed,
        "ResponseMetadata": {"HTTPStatusCode": 200},
    }


def _error(code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    return AWSResponse("https://organizations.us-east-1.amazonaws.com/", 400, {}, None), {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }


def route_organizations_to(fake: FakeDelegationPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Organizations client any boto3 session opens answers from ``fake``; STS still goes to moto."""
    real = boto3.session.Session.client

    def client(self: Any, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made = real(self, service_name, *args, **kwargs)
        return fake.attach(made) if service_name == "organizations" else made

    monkeypatch.setattr(boto3.session.Session, "client", client)
