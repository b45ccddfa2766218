"""Pytest plugin: one moto server per test session (per xdist worker), fresh AWS state per test.

Load it with ``pytest_plugins = ["tests.moto_server"]``. A real HTTP server rather than ``mock_aws`` so that
code under test talks to AWS exactly as in production (boto3 clients with ``endpoint_url``), and so that
subprocesses can reach it too. The server binds port 0, so parallel workers never collide.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "FAKE_CREDENTIALS",
    "MotoServer",
    "aws_env",
    "moto_server",
]

DEFAULT_ACCOUNT_ID = "123456789012"
"""The account moto assigns to the fake credentials: the management account once it creates an org."""

FAKE_CREDENTIALS: Mapping[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SECURITY_TOKEN": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}

_UNSET_ENV = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_REGION",
)


@dataclass(frozen=True)
class MotoServer:
    """A running moto server and helpers to talk to it as any account."""

    endpoint_url: str

    def reset(self) -> None:
        """Forget every emulated resource in every account and Region."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def client(
        self,
        service_name: str,
        *,
        region_name: str = "us-east-1",
        credentials: Mapping[str, str] | None = None,
    ) -> Any:
        """A boto3 client bound to this server; ``credentials`` as returned by ``assume_role``.

        A fresh session each time: ``boto3.client`` caches the first credentials it resolves, which would
        outlive the environment of the test that created them.
        """
        import boto3

        keys: dict[str, str] = {}
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials["AccessKeyId"],
                "aws_secret_access_key": credentials["SecretAccessKey"],
                "aws_session_token": credentials["SessionToken"],
            }
        session = boto3.Session(**keys)
        return session.client(service_name, region_name=region_name, endpoint_url=self.endpoint_url)

    def assume_role(
        self,
        role_arn: str,
        *,
        session_name: str = "tests",
        credentials: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        """Temporary credentials for ``role_arn``; moto scopes every later call to the role's account."""
        sts = self.client("sts", credentials=credentials)
        issued = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
        return {key: str(issued[key]) for key in ("AccessKeyId", "SecretAccessKey", "SessionToken")}

    def member_credentials(self, account_id: str, role_name: str = "OrganizationAccountAccessRole") -> dict[str, str]:
        """Credentials of a member account through the role Organizations creates in new accounts."""
        return self.assume_role(f"arn:aws:iam::{account_id}:role/{role_name}")


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """One in-process moto server for the whole session; use ``aws_env`` for per-test isolation."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(endpoint_url=f"http://{host}:{port}")
    finally:
        server.stop()


@pytest.fixture
def aws_env(moto_server: MotoServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> MotoServer:
    """Fake credentials, no user AWS config, every boto3 client routed to moto, and empty moto state.

    ``AWS_ENDPOINT_URL`` is a safety net: code that forgets ``endpoint_url`` still cannot reach real AWS.
    """
    for name in _UNSET_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server.endpoint_url)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    moto_server.reset()
    return moto_server
