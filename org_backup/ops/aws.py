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
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar, cast

import boto3
from botocore.config import Config
from botocore.credentials import ReadOnlyCredentials
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

RETRIES = Config(retries={"mode": "adaptive", "max_attempts": 10}, max_pool_connections=100)

RATE_LIMITS: dict[str, tuple[float, float]] = {
    "organizations": (10.0, 20.0),
    "sts": (50.0, 100.0),
}
"""Requests per second and burst this command allows itself per account, Region and service (every other
service: ``DEFAULT_RATE``), so a thousand-account run stays under AWS's throttles instead of leaning on retries.
AWS publishes per-API rates for AWS Backup (https://docs.aws.amazon.com/general/latest/gr/bk.html, "Service
quotas") and none per operation for Organizations (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
gives entity quotas; awsdocs/aws-organizations-docs#39 asks for the rates) or STS: these numbers are
deliberately low guesses, not AWS's figures. Organizations calls all go to the management account, so its
limit is what bounds a large organization (one DescribeEffectivePolicy per member account)."""
DEFAULT_RATE = (10.0, 20.0)


class RateLimiter:
    """A token bucket: ``wait`` blocks until a request may go out."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, **_: Any) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                pause = (1 - self._tokens) / self.rate
            time.sleep(pause)


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


class _ThreadCredentials:
    """What the shared clients sign with: the credentials this thread's current request is sent as.

    botocore's signer asks its credentials object for ``get_frozen_credentials()`` when it signs each request
    (botocore.signers.RequestSigner); ``_AccountClient`` sets them on the calling thread just before.
    """

    def __init__(self, session: boto3.Session) -> None:
        self._session = session
        self._local = threading.local()
        self._caller: Any = None
        self._lock = threading.Lock()

    def use(self, credentials: ReadOnlyCredentials | None) -> None:
        self._local.current = credentials

    def get_frozen_credentials(self) -> ReadOnlyCredentials:
        current = getattr(self._local, "current", None)
        if current is not None:
            return current
        with self._lock:
            if self._caller is None:
                self._caller = self._session.get_credentials()
        if self._caller is None:
            raise NoCredentialsError()
        return self._caller.get_frozen_credentials()


class _AccountClient:
    """One account's view of a shared client: each operation, and each page of a paginator, is sent with the
    account's credentials after its rate limiter lets it through."""

    def __init__(
        self, client: Any, signing: _ThreadCredentials, credentials: ReadOnlyCredentials | None, limiter: RateLimiter
    ) -> None:
        self._client = client
        self._signing = signing
        self._credentials = credentials
        self._limiter = limiter

    def _bind(self) -> None:
        self._limiter.wait()
        self._signing.use(self._credentials)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name == "get_paginator":
            return lambda operation: _AccountPaginator(attribute(operation), self._bind)
        if name in self._client.meta.method_to_api_mapping:

            def call(*args: Any, **kwargs: Any) -> Any:
                self._bind()
                return attribute(*args, **kwargs)

            return call
        return attribute


class _AccountPaginator:
    def __init__(self, paginator: Any, bind: Callable[[], None]) -> None:
        self._paginator = paginator
        self._bind = bind

    def paginate(self, **params: Any) -> Iterator[Any]:
        pages = iter(self._paginator.paginate(**params))
        while True:
            self._bind()
            try:
                page = next(pages)
            except StopIteration:
                return
            yield page


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
    _shared: dict[tuple[str, str], Any] = field(default_factory=dict)
    _access: dict[str, AccountAccess] = field(default_factory=dict)
    _limiters: dict[tuple[str, str, str], RateLimiter] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _signing: _ThreadCredentials = field(init=False)

    def __post_init__(self) -> None:
        self._signing = _ThreadCredentials(self.session)

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
        """A client for ``service`` in ``region``; ``credentials`` None means the caller's own.

        Every account shares one botocore client per service and Region: a client costs about 300 KB and 20 ms
        to build, which a thousand accounts times a dozen clients would turn into gigabytes and minutes. What
        is per account is a thin ``_AccountClient`` that, before each request it sends, tells the shared
        client's signer (on this thread) whose credentials to sign with, and waits for that account's rate
        limit (``RATE_LIMITS``).
        """
        key = (credentials.access_key if credentials else "", service, region)
        with self._lock:
            if key not in self._clients:
                shared = self._shared.get((service, region))
                if shared is None:
                    # boto3 sessions are not thread-safe; creating clients under the lock keeps one shared
                    # session (and its loaded service models) for every account.
                    shared = self.session.client(
                        service,
                        region_name=region,
                        endpoint_url=self.endpoint_url,
                        config=RETRIES,
                        aws_access_key_id="unused",
                        aws_secret_access_key="unused",
                    )
                    shared._request_signer._credentials = self._signing
                    self._shared[(service, region)] = shared
                # Organizations is global: every Region's client shares the account's one budget.
                bucket = (key[0], service, "global" if service == "organizations" else region)
                # Paced at AWS's rate without using its burst: requests that reach AWS a little late or out of
                # order (thread scheduling) then still fit the bucket AWS keeps.
                rate, _ = RATE_LIMITS.get(service, DEFAULT_RATE)
                limiter = self._limiters.setdefault(bucket, RateLimiter(rate, 1.0))
                frozen = (
                    ReadOnlyCredentials(credentials.access_key, credentials.secret_key, credentials.token)
                    if credentials
                    else None
                )
                self._clients[key] = _AccountClient(shared, self._signing, frozen, limiter)
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
