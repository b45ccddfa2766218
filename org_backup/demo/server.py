"""moto's server on 127.0.0.1, the management account's credentials in it, and the organization's own ids.

Three things moto does not do by itself, done here in the demo's own process (the server runs on a thread of it):

- the caller is the stack's management account: moto maps an access key to the account whose IAM user owns it
  (else to its default account), so one user with an access key is created in the management account, once,
  through moto's documented ``x-moto-account-id`` request header; every later call signs with that key, and
  member accounts are reached with ``sts:AssumeRole`` as the program's providers do;
- the organization, root, OU and account ids are the inventory's: moto draws them at random in
  ``moto.organizations.utils``; ``PlannedIds`` makes those generators hand out the next planned id instead
  (calls are made one at a time while it is active);
- AWS managed policies exist only when moto is told to load them: only the ones the program attaches are;
- moto's list of services that may have a delegated administrator lacks AWS Backup, which has one
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_integrate_services_list.html): it is added;
- moto lists BACKUP_POLICY as a policy type but ``CreatePolicy`` of one raises NotImplementedError (it lacks
  the ARN format, ``arn:aws:organizations::<management>:policy/<org>/backup_policy/<id>``,
  https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsorganizations.html): it is given one.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3

from components.documents.iam import BACKUP_POLICY_TYPE
from policies.backup_rules.names import BACKUP_SERVICE_PRINCIPAL

__all__ = ["DemoServer", "Identity", "PlannedIds", "fill_moto_gaps", "running_server"]

ACCOUNT_HEADER = "x-moto-account-id"
DEMO_USER = "org-backup-demo"
HOME = "us-east-1"


@dataclass(frozen=True)
class Identity:
    """Static credentials of an IAM user: what ``boto3.Session`` takes."""

    access_key: str
    secret_key: str

    def session(self) -> boto3.Session:
        return boto3.Session(aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key)

    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}


@dataclass(frozen=True)
class DemoServer:
    endpoint_url: str

    def caller_in(self, account_id: str) -> Identity:
        """An access key moto attributes to ``account_id`` (a user created there through the account header)."""
        session = boto3.Session(aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
        iam = session.client("iam", region_name=HOME, endpoint_url=self.endpoint_url)

        def as_account(request: Any, **_: Any) -> None:
            request.headers[ACCOUNT_HEADER] = account_id

        iam.meta.events.register("before-sign.iam", as_account)
        iam.create_user(UserName=DEMO_USER)
        key = iam.create_access_key(UserName=DEMO_USER)["AccessKey"]
        return Identity(str(key["AccessKeyId"]), str(key["SecretAccessKey"]))


def _load_managed_policies(arns: Iterable[str]) -> None:
    """Only the named AWS managed policies (loading all 1,500 costs about a second per account)."""
    import moto.iam.models

    names = {arn.rsplit("/", 1)[-1] for arn in arns}
    every = json.loads(moto.iam.models.aws_managed_policies_data)
    moto.iam.models.aws_managed_policies_data = json.dumps({k: v for k, v in every.items() if k in names})
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    # The demo launches no instances: without this each account's first EC2 call loads every public AMI.
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"


DELEGATED_SERVICES = (BACKUP_SERVICE_PRINCIPAL,)
BACKUP_POLICY_ARN_FORMAT = "arn:{0}:organizations::{1}:policy/{2}/backup_policy/{3}"


def fill_moto_gaps() -> None:
    """What moto refuses and AWS allows (see the module docstring); idempotent."""
    from moto.organizations.models import FakeDelegatedAdministrator, FakePolicy

    for principal in DELEGATED_SERVICES:
        if principal not in FakeDelegatedAdministrator.SUPPORTED_SERVICES:
            FakeDelegatedAdministrator.SUPPORTED_SERVICES.append(principal)
    if getattr(FakePolicy.__init__, "org_backup_demo", False):
        return
    original = FakePolicy.__init__

    def create(self: Any, organization: Any, **kwargs: Any) -> None:
        if kwargs.get("Type") != BACKUP_POLICY_TYPE:
            original(self, organization, **kwargs)
            return
        original(self, organization, **{**kwargs, "Type": "TAG_POLICY"})
        self.type = BACKUP_POLICY_TYPE
        self._arn_format = BACKUP_POLICY_ARN_FORMAT

    create.org_backup_demo = True  # type: ignore[attr-defined]
    FakePolicy.__init__ = create  # type: ignore[method-assign]


@contextmanager
def running_server(managed_policy_arns: Iterable[str]) -> Iterator[DemoServer]:
    """moto's threaded server on a free port of 127.0.0.1, stopped on the way out."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:  # moto[server] is in requirements-dev.txt
        raise SystemExit(f"org-backup demo needs moto[server] ({exc}): run `make venv` first") from None
    _load_managed_policies(managed_policy_arns)
    fill_moto_gaps()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield DemoServer(f"http://{host}:{port}")
    finally:
        server.stop()


@dataclass
class PlannedIds:
    """Hands moto's Organizations id generators the inventory's ids: ``plan(kind, id)`` before each create call.

    ``CreateOrganization`` draws an OU id for the root and an account id for the management account before it
    overwrites them with the root's and the caller's: plan those too. An id moto asks for and nobody planned
    is an error, never a random id.
    """

    org_id: str
    root_id: str
    _next: dict[str, list[str]] = field(default_factory=lambda: {"OU": [], "account": []})

    def plan(self, kind: str, identifier: str) -> None:
        self._next[kind].append(identifier)

    def _take(self, kind: str) -> Callable[..., str]:
        def generate(*_: Any) -> str:
            if not self._next[kind]:
                raise RuntimeError(f"moto asked for a {kind} id the demo did not plan")
            return self._next[kind].pop(0)

        return generate

    @contextmanager
    def active(self) -> Iterator[PlannedIds]:
        from moto.organizations import utils

        names = ("make_random_org_id", "make_random_root_id", "make_random_ou_id", "make_random_account_id")
        saved = {name: getattr(utils, name) for name in names}
        utils.make_random_org_id = lambda: self.org_id
        utils.make_random_root_id = lambda: self.root_id
        utils.make_random_ou_id = self._take("OU")
        utils.make_random_account_id = self._take("account")
        try:
            yield self
        finally:
            for name, function in saved.items():
                setattr(utils, name, function)
