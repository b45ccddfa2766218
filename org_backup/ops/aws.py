"""AWS access shared by the operations commands (inventory, preflight, verify, audit_report).

One caller session (the standard credential chain, or ``--profile``) reaches every account of the
organization through the role the program itself uses. Clients retry adaptively, every list call is
paginated, and work over accounts and Regions fans out on a bounded thread pool where one account that
cannot be reached becomes a finding instead of ending the run. The commands must never change anything in
AWS, so every client refuses an operation that is not a read before it is sent.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, ProfileNotFound

__all__ = [
    "CAPTURED_ERRORS",
    "AccessError",
    "AccountAccess",
    "Aws",
    "CannotRunError",
    "Outcome",
    "Progress",
    "ReadOnlyError",
    "error_code",
    "fan_out",
    "paginate",
]

READ_PREFIXES = ("Describe", "Get", "List")
READ_OPERATIONS = frozenset({"AssumeRole", "SelectAggregateResourceConfig"})
"""AssumeRole changes nothing: it only issues temporary credentials for the role the program uses; AWS
Config's SelectAggregateResourceConfig only queries the aggregator."""

RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=50)


class CannotRunError(Exception):
    """The command cannot do its job at all (exit 2): bad config, no credentials, not an organization."""


class AccessError(Exception):
    """One account cannot be reached; the run reports it and goes on with the others."""


class ReadOnlyError(RuntimeError):
    """A command tried to change something in AWS: a bug, never a finding."""


CAPTURED_ERRORS: tuple[type[Exception], ...] = (AccessError, ClientError, BotoCoreError)
"""What one unit of fanned-out work may fail with without stopping the run; anything else is a bug."""


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError`` (``AccessDenied``...), else the exception's class name."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", "ClientError"))
    return type(exc).__name__


def _refuse_writes(model: Any, **_: Any) -> None:
    name = str(model.name)
    if not (name.startswith(READ_PREFIXES) or name in READ_OPERATIONS):
        raise ReadOnlyError(f"refusing {model.service_model.service_id} {name}: the operations commands only read")


@dataclass(frozen=True)
class _Credentials:
    access_key: str
    secret_key: str
    token: str


@dataclass
class Aws:
    """The caller's session, the roles assumed from it, and a cache of clients (they are thread-safe)."""

    session: boto3.Session
    endpoint_url: str | None
    session_name: str
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _access: dict[str, AccountAccess] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def connect(cls, *, profile: str | None, endpoint_url: str | None, command: str) -> Aws:
        """A session on the standard credential chain; credentials are only resolved at the first call."""
        try:
            session = boto3.Session(profile_name=profile)
        except ProfileNotFound as exc:
            raise CannotRunError(str(exc)) from None
        session.events.register("before-parameter-build", _refuse_writes)
        return cls(session=session, endpoint_url=endpoint_url, session_name=f"org-backup-{command}")

    def client(self, service: str, region: str, credentials: _Credentials | None = None) -> Any:
        """A client for ``service`` in ``region``; ``credentials`` None means the caller's own."""
        key = (credentials.access_key if credentials else "", service, region)
        with self._lock:
            if key not in self._clients:
                explicit = (
                    {
                        "aws_access_key_id": credentials.access_key,
                        "aws_secret_access_key": credentials.secret_key,
                        "aws_session_token": credentials.token,
                    }
                    if credentials
                    else {}
                )
                # boto3 sessions are not thread-safe; creating clients under the lock keeps one shared
                # session (and its loaded service models) for every account.
                self._clients[key] = self.session.client(
                    service, region_name=region, endpoint_url=self.endpoint_url, config=RETRIES, **explicit
                )
            return self._clients[key]

    def caller_identity(self, region: str) -> dict[str, Any]:
        """Who the credentials belong to; no usable credentials means the command cannot run."""
        try:
            return dict(self.client("sts", region).get_caller_identity())
        except (NoCredentialsError, ClientError, BotoCoreError) as exc:
            raise CannotRunError(f"no usable AWS credentials ({error_code(exc)}: {exc})") from None

    def account(self, account_id: str, role_arn: str | None, region: str) -> AccountAccess:
        """Access to ``account_id`` through ``role_arn`` (None: the caller's credentials), assumed once."""
        with self._lock:
            cached = self._access.get(account_id)
        if cached is not None:
            return cached
        credentials = None
        if role_arn is not None:
            try:
                issued = self.client("sts", region).assume_role(RoleArn=role_arn, RoleSessionName=self.session_name)
            except (ClientError, BotoCoreError) as exc:
                raise AccessError(f"cannot assume {role_arn}: {error_code(exc)}") from None
            raw = issued["Credentials"]
            credentials = _Credentials(raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"])
        access = AccountAccess(self, account_id, credentials)
        with self._lock:
            return self._access.setdefault(account_id, access)


@dataclass(frozen=True)
class AccountAccess:
    """One account as the commands see it: clients carry the role assumed into it."""

    aws: Aws
    account_id: str
    credentials: _Credentials | None

    def client(self, service: str, region: str) -> Any:
        return self.aws.client(service, region, self.credentials)


def paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[Any]:
    """Every item of ``key`` across all pages: botocore's paginator, or NextToken where it has none."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
        return
    call = getattr(client, operation)
    token: str | None = None
    while True:
        page = call(**params, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


class Progress:
    """A one-line bar on stderr, drawn only when stderr is a terminal so logs and CI output stay clean."""

    WIDTH = 30

    def __init__(self, total: int, label: str, stream: IO[str] | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = total > 0 and self.stream.isatty()
        self.done = 0
        self._lock = threading.Lock()

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(self, *_: object) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")
            self.stream.flush()

    def advance(self) -> None:
        with self._lock:
            self.done += 1
            self._draw()

    def _draw(self) -> None:
        if not self.enabled:
            return
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + "." * (self.WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total}")
        self.stream.flush()


T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """What one unit of work gave: its value, or the AWS error it failed with."""

    item: T
    value: R | None
    error: Exception | None

    def unwrap(self) -> R:
        """The value of a unit that succeeded (check ``error`` first)."""
        if self.error is not None:
            raise self.error
        return cast("R", self.value)


def fan_out(items: Sequence[T], work: Callable[[T], R], *, workers: int, label: str) -> list[Outcome[T, R]]:
    """Run ``work`` on every item with at most ``workers`` threads; results come back in item order.

    AWS errors (``CAPTURED_ERRORS``) are kept with their item so one unreachable account or Region does
    not stop the others; any other exception is a bug and is raised.
    """
    results: dict[int, Outcome[T, R]] = {}
    with Progress(len(items), label) as progress, ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(work, item): index for index, item in enumerate(items)}
        for future in as_completed(futures):
            index = futures[future]
            error = future.exception()
            if error is None:
                results[index] = Outcome(items[index], future.result(), None)
            elif isinstance(error, CAPTURED_ERRORS):
                results[index] = Outcome(items[index], None, error)
            else:
                raise error
            progress.advance()
    return [results[index] for index in range(len(items))]
