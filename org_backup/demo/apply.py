"""Apply the offline preview's recorded resources to moto as the provider would, in dependency order.

Order: a topological sort of the recorded dependencies only (a dependency on a component means on every cloud
resource under it), ties in registration order; the engine knows nothing else. References: an input that holds
another resource's *opaque* output (an id, a KMS key id or ARN, an Organizations policy id or ARN, a framework
ARN: values AWS makes up at creation, which the mocks stand in for) is resolved to the real value, and only from
resources already applied *and* among the resource's dependencies: anything else is ``ApplyError``, since in
``pulumi up`` it would race (a missing dependency in the program). ARNs and names the program builds from its
configuration need no resource and are sent as they are, as the real provider would send them.

Credentials are the resource's account's, as its provider has them: the management account's own, or
``sts:AssumeRole`` into the account's deploy role. Every call is made by a real boto3 client (so botocore
validates every parameter) of one session on which the stand-in is installed.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from org_backup.demo.server import Identity
from org_backup.demo.standin import StandIn
from org_backup.preview.offline import PROVIDER_TYPE, ProgramRun, RecordedResource, mock_id, mock_outputs

__all__ = ["Accounts", "ApplyError", "Context", "Deployment", "apply_run", "kind_of", "order"]

DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
OPAQUE_OUTPUTS = ("keyId", "arn")
"""Mock outputs that stand for values AWS makes up (see ``_opaque``); other mock ARNs are built from names."""
OPAQUE_TYPES = frozenset({"aws:kms/key:Key", "aws:organizations/policy:Policy", "aws:backup/framework:Framework"})


class ApplyError(Exception):
    """The program registered something the provider could not apply in this order (or at all)."""


def kind_of(resource: RecordedResource) -> str:
    """The table key: the type token, or for the program's dynamic resources what they manage."""
    if resource.type != DYNAMIC_TYPE:
        return resource.type
    if "policy_type" in resource.inputs:
        return f"{DYNAMIC_TYPE}#policy-type"
    if "content" in resource.inputs and "management_account_id" in resource.inputs:
        return f"{DYNAMIC_TYPE}#delegation-statements"
    if "backup_vault_name" in resource.inputs and "mpa_approval_team_arn" in resource.inputs:
        return f"{DYNAMIC_TYPE}#mpa-association"
    raise ApplyError(f"{resource.name}: a dynamic resource the demo does not know ({sorted(resource.inputs)})")


@dataclass
class Accounts:
    """Clients as each account: the management account's own key, member accounts through their deploy role."""

    endpoint_url: str
    management_account_id: str
    caller: Identity
    role_arn: Callable[[str], str | None]
    standin: StandIn
    session: boto3.Session = field(default_factory=boto3.Session)
    calls: list[str] = field(default_factory=list)
    _credentials: dict[str, dict[str, str]] = field(default_factory=dict)
    _clients: dict[tuple[str, str, str], Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.standin.install(self.session)
        self.session.events.register("before-call", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(f"{model.service_model.service_id}:{model.name}")

    def _keys(self, account_id: str) -> dict[str, str]:
        if account_id not in self._credentials:
            own = {"aws_access_key_id": self.caller.access_key, "aws_secret_access_key": self.caller.secret_key}
            role = self.role_arn(account_id)
            if role is None:
                self._credentials[account_id] = own
            else:
                sts = self._raw("sts", "us-east-1", own)
                issued = sts.assume_role(RoleArn=role, RoleSessionName="org-backup")["Credentials"]
                self._credentials[account_id] = {
                    "aws_access_key_id": issued["AccessKeyId"],
                    "aws_secret_access_key": issued["SecretAccessKey"],
                    "aws_session_token": issued["SessionToken"],
                }
        return self._credentials[account_id]

    def _raw(self, service: str, region: str, keys: Mapping[str, str]) -> Any:
        return self.session.client(service, region_name=region, endpoint_url=self.endpoint_url, **keys)

    def client(self, account_id: str, service: str, region: str) -> Any:
        with self._lock:
            key = (account_id, service, region)
            if key not in self._clients:
                self._clients[key] = self._raw(service, region, self._keys(account_id))
            return self._clients[key]


@dataclass
class Context:
    """One resource being applied: its resolved inputs, tags (the provider's default tags first) and clients."""

    resource: RecordedResource
    inputs: dict[str, Any]
    tags: dict[str, str]
    accounts: Accounts
    region: str

    @property
    def account(self) -> str:
        if self.resource.account is None:
            raise ApplyError(f"{self.resource.name}: no provider account")
        return self.resource.account

    def client(self, service: str, region: str | None = None) -> Any:
        return self.accounts.client(self.account, service, region or self.region)

    def management(self, service: str) -> Any:
        return self.accounts.client(self.accounts.management_account_id, service, "us-east-1")

    def name(self) -> str:
        """``name`` as given, or the provider's auto-name (logical name and a suffix; stable here)."""
        given = self.inputs.get("name")
        if given:
            return str(given)
        return f"{self.resource.name}-{hashlib.sha256(self.resource.urn.encode()).hexdigest()[:7]}"


Applier = Callable[[Context], dict[str, Any]]


@dataclass
class Deployment:
    run: ProgramRun
    outputs: dict[str, dict[str, Any]]
    accounts: Accounts


def _custom(run: ProgramRun) -> list[RecordedResource]:
    return [r for r in run.resources if r.custom and r.type != PROVIDER_TYPE]


def _expanded_dependencies(run: ProgramRun) -> dict[str, set[str]]:
    """Each cloud resource's dependencies, components replaced by the cloud resources under them."""
    children: dict[str, list[str]] = {}
    for resource in run.resources:
        if resource.parent_urn:
            children.setdefault(resource.parent_urn, []).append(resource.urn)
    by_urn = run.by_urn()

    def leaves(urn: str) -> Iterator[str]:
        resource = by_urn.get(urn)
        if resource is None or resource.type == PROVIDER_TYPE:
            return
        if resource.custom:
            yield urn
            return
        for child in children.get(urn, []):
            yield from leaves(child)

    out: dict[str, set[str]] = {}
    for resource in _custom(run):
        urns = set(resource.dependencies) | {u for us in resource.property_dependencies.values() for u in us}
        out[resource.urn] = {leaf for urn in urns for leaf in leaves(urn)} - {resource.urn}
    return out


def order(run: ProgramRun) -> list[RecordedResource]:
    """Topological order of the recorded dependencies, registration order among the ready ones."""
    dependencies = _expanded_dependencies(run)
    pending = _custom(run)
    done: set[str] = set()
    ordered: list[RecordedResource] = []
    while pending:
        ready = [r for r in pending if dependencies[r.urn] <= done]
        if not ready:
            raise ApplyError(f"a dependency cycle among {sorted(r.name for r in pending)}")
        for resource in ready:
            ordered.append(resource)
            done.add(resource.urn)
        pending = [r for r in pending if r.urn not in done]
    return ordered


def _opaque(resource: RecordedResource) -> dict[str, str]:
    """The mock values of ``resource`` that stand for values only its creation gives, by output name."""
    out = {"id": mock_id(resource.name)}
    if resource.type in OPAQUE_TYPES:
        mocked = mock_outputs(
            resource.type, resource.name, resource.inputs, resource.account or "000000000000", resource.region or ""
        )
        out |= {k: str(v) for k, v in mocked.items() if k in OPAQUE_OUTPUTS}
    return out


def _walk(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [_walk(v, replace) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, replace) for k, v in value.items()}
    return value


def _resolver(
    resource: RecordedResource,
    owners: Mapping[str, tuple[RecordedResource, str]],
    outputs: Mapping[str, dict[str, Any]],
    allowed: set[str],
) -> Callable[[str], str]:
    """Replaces opaque mock values (whole strings, or inside ARNs and JSON documents) with the real ones."""

    def real(mock: str) -> str:
        owner, output = owners[mock]
        if owner.urn not in outputs:
            raise ApplyError(
                f"{resource.name} ({resource.type}) refers to {owner.name}'s {output}, which does not exist yet: "
                "the program does not make it depend on that resource"
            )
        if owner.urn not in allowed:
            raise ApplyError(
                f"{resource.name} ({resource.type}) refers to {owner.name}'s {output} without depending on it: "
                "pulumi up may create them in either order (a missing dependency in the program)"
            )
        return str(outputs[owner.urn][output])

    def replace(text: str) -> str:
        if text in owners:
            return real(text)
        for mock in owners:
            if ":" in mock and mock in text:
                text = text.replace(mock, real(mock))
        return text

    return replace


def _closure(urn: str, dependencies: Mapping[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    stack = [urn]
    while stack:
        for dep in dependencies.get(stack.pop(), set()):
            if dep not in seen:
                seen.add(dep)
                stack.append(dep)
    return seen


def _default_tags(run: ProgramRun, resource: RecordedResource) -> dict[str, str]:
    provider = run.by_urn().get(resource.provider_urn or "")
    raw = provider.inputs.get("defaultTags") if provider else None
    parsed = json.loads(raw) if isinstance(raw, str) else raw or {}
    return {str(k): str(v) for k, v in (parsed.get("tags") or {}).items()}


def apply_run(run: ProgramRun, accounts: Accounts, table: Mapping[str, Applier]) -> Deployment:
    """Every cloud resource of ``run``, in order; raises ``ApplyError`` (or the AWS error) at the first failure."""
    ordered = order(run)
    missing = sorted({kind_of(r) for r in ordered} - set(table))
    if missing:
        raise ApplyError(f"no applier for {', '.join(missing)}: add one to org_backup.demo.appliers.TABLE")
    dependencies = _expanded_dependencies(run)
    owners = {mock: (r, output) for r in ordered for output, mock in _opaque(r).items()}
    outputs: dict[str, dict[str, Any]] = {}
    for resource in ordered:
        replace = _resolver(resource, owners, outputs, _closure(resource.urn, dependencies))
        inputs = _walk(resource.inputs, replace)
        tags = _default_tags(run, resource) | {str(k): str(v) for k, v in (inputs.get("tags") or {}).items()}
        region = str(inputs.get("region") or resource.region or "us-east-1")
        context = Context(resource, inputs, tags, accounts, region)
        try:
            outputs[resource.urn] = table[kind_of(resource)](context)
        except ApplyError:
            raise
        except Exception as exc:
            raise ApplyError(f"{resource.name} ({resource.type}) in {resource.account}/{region}: {exc}") from exc
    return Deployment(run, outputs, accounts)
