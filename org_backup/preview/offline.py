"""Run the Pulumi program under Pulumi's mock engine and record every resource it registers.

This is how the offline preview and the tests see what ``pulumi up`` would create, with no Pulumi CLI and
no cloud credentials: the program is the real ``__main__.py`` run with the stack's configuration; the
mocks answer Organizations data sources from the inventory file and give each resource plausible ids and
ARNs (derived from its provider's account and its Region) so that policies that embed them can be judged.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as resource_runtime
from pulumi.runtime.proto import source_pb2

from components.program import PROJECT_DIR
from stackconfig.inventory import load_yaml
from stackconfig.regions import partition_of

PROJECT = "org-backup"
PROVIDER_TYPE = "pulumi:providers:aws"
DYNAMIC_TYPE = "pulumi-python:dynamic:Resource"
GUARDED_ACCOUNT_INPUT = "management_account_id"
GUARDED_ACCOUNT_INPUTS = (GUARDED_ACCOUNT_INPUT, "account_id")
"""The account a dynamic resource of the program acts in: its provider refuses any other (components.dynamic_aws;
``account_id``: components.mpa_association)."""


@dataclass
class RecordedResource:
    """One registration as the engine would see it (inputs use engine camelCase names)."""

    type: str
    name: str
    urn: str
    parent_urn: str | None
    provider_urn: str | None
    custom: bool
    inputs: dict[str, Any]
    protect: bool
    retain_on_delete: bool
    ignore_changes: list[str]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    account: str | None = None
    region: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    """URNs this resource had before (``aliases``), resolved as the engine resolves them: Pulumi treats a
    resource of its last deployment under one of them as this one, renamed, not as deleted."""


@dataclass
class ProgramRun:
    stack: str
    resources: list[RecordedResource]
    exports: dict[str, Any]
    invokes: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}


def _provider_account_region(inputs: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Provider inputs arrive JSON-encoded for complex values (``allowedAccountIds`` is a JSON list)."""
    account = None
    raw = inputs.get("allowedAccountIds")
    if isinstance(raw, str):
        try:
            ids = json.loads(raw)
            account = ids[0] if ids else None
        except (json.JSONDecodeError, IndexError, TypeError):
            account = None
    elif isinstance(raw, list) and raw:
        account = raw[0]
    region = inputs.get("region")
    return account, region if isinstance(region, str) else None


class _OrganizationAnswers:
    """Answers the Organizations data sources the program may call, from an inventory file's contents."""

    def __init__(self, inventory: Mapping[str, Any] | None) -> None:
        self.inventory = inventory or {}

    def call(self, token: str, args: Mapping[str, Any]) -> dict[str, Any]:
        ous = self.inventory.get("organizational_units", []) or []
        accounts = self.inventory.get("accounts", []) or []
        parent = args.get("parentId")
        if token == "aws:organizations/getOrganizationalUnits:getOrganizationalUnits":
            children = [
                {"id": ou["id"], "name": ou["name"], "arn": f"arn:aws:organizations::ou/{ou['id']}"}
                for ou in ous
                if ou.get("parent_id") == parent
            ]
            return {"id": parent, "parentId": parent, "children": children}
        if token == "aws:organizations/getOrganizationalUnitChildAccounts:getOrganizationalUnitChildAccounts":
            rows = [
                {
                    "id": a["id"],
                    "name": a["name"],
                    "state": a.get("status", "ACTIVE"),
                    "status": a.get("status", "ACTIVE"),
                    "arn": "",
                    "email": "",
                }
                for a in accounts
                if a.get("parent_id") == parent
            ]
            return {"id": parent, "parentId": parent, "accounts": rows}
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": "000000000000",
                "arn": "arn:aws:iam::000000000000:user/offline",
                "userId": "offline",
            }
        return {}


def _stable_digits(digits: int, *parts: str) -> str:
    """Mock ids that are the same in every run (``hash()`` of a str changes per process), so reports diff cleanly."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
    return f"{int(digest, 16) % 10**digits:0{digits}d}"


def mock_id(name: str) -> str:
    """The id the mocks give a custom resource named ``name`` (the demo maps it to the real one)."""
    return f"{name}-id"


def mock_outputs(type_token: str, name: str, inputs: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    """Computed outputs a real provider would return, shaped like AWS's (ids, ARNs, names).

    ARNs carry the partition of the resource's Region, as AWS's do. Only what the inputs do not already say: outside a dry run the SDK resolves every other output from
    the resource's own inputs, exactly as it would with a real engine.
    """
    out: dict[str, Any] = {}
    resource_name = inputs.get("name") or name
    # The partition of the resource's Region, as AWS writes it in every ARN (aws-us-gov, aws-cn ...).
    p = partition_of(region) or "aws"
    if type_token == "aws:kms/key:Key":
        key_id = f"mock-key-{_stable_digits(12, account, region, name)}"
        out.update(keyId=key_id, arn=f"arn:{p}:kms:{region}:{account}:key/{key_id}")
    elif type_token in {"aws:backup/vault:Vault", "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"}:
        out["arn"] = f"arn:{p}:backup:{region}:{account}:backup-vault:{resource_name}"
    elif type_token == "aws:iam/role:Role":
        out["arn"] = f"arn:{p}:iam::{account}:role/{resource_name}"
    elif type_token == "aws:cloudwatch/eventBus:EventBus":
        out["arn"] = f"arn:{p}:events:{region}:{account}:event-bus/{resource_name}"
    elif type_token == "aws:sns/topic:Topic":
        out["arn"] = f"arn:{p}:sns:{region}:{account}:{resource_name}"
    elif type_token == "aws:s3/bucket:Bucket":
        bucket = inputs.get("bucket") or name
        out.update(bucket=bucket, arn=f"arn:{p}:s3:::{bucket}")
    elif type_token == "aws:backup/framework:Framework":
        out["arn"] = f"arn:{p}:backup:{region}:{account}:framework:{resource_name}-mock"
    elif type_token == "aws:organizations/policy:Policy":
        out["arn"] = f"arn:{p}:organizations::{account}:policy/backup_policy/p-{_stable_digits(8, name)}"
    elif "arn" not in inputs:
        out["arn"] = f"arn:{p}:mock:{region}:{account}:{type_token.rsplit(':', maxsplit=1)[-1].lower()}/{resource_name}"
    return out


class _Mocks(pulumi.runtime.Mocks):
    """Answers registrations and invokes; the recorder notes each registration as the engine would see it."""

    def __init__(self, answers: _OrganizationAnswers, *, preview: bool) -> None:
        self.recorder = _Recorder(self)
        self.answers = answers
        self.preview = preview

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        recorded = self.recorder.record(args.inputs)
        # During a dry run the SDK leaves outputs the engine does not return unknown, so echo the inputs.
        echoed = dict(args.inputs) if self.preview else {}
        if args.typ == PROVIDER_TYPE:
            return f"{args.name}-id", echoed
        if not args.custom:
            return f"{args.name}-component", {}
        computed = mock_outputs(
            args.typ, args.name, args.inputs, recorded.account or "000000000000", recorded.region or "us-east-1"
        )
        return mock_id(args.name), {**echoed, **computed}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        self.recorder.invokes.append((args.token, dict(args.args)))
        return self.answers.call(args.token, args.args), []


class _Recorder(pulumi_mocks.MockMonitor):
    """A mock monitor that keeps what the engine would know: parent, provider, options, dependencies.

    ``RegisterResource`` hands its request to ``record`` (through a thread-local: registrations run on
    executor threads) so the inputs are deserialised once, by the mock monitor itself.
    """

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.lock = threading.Lock()
        self.recorded: list[RecordedResource] = []
        self.providers: dict[str, tuple[str | None, str | None]] = {}
        self.invokes: list[tuple[str, dict[str, Any]]] = []
        self.component_outputs: dict[str, Any] = {}
        self._request = threading.local()

    def provider_location(self, provider_ref: str | None) -> tuple[str | None, str | None]:
        if not provider_ref:
            return None, None
        with self.lock:
            if provider_ref in self.providers:
                return self.providers[provider_ref]
            return self.providers.get(provider_ref.rsplit("::", 1)[0], (None, None))

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        """Component outputs (``register_outputs``) are part of what stack policies see."""
        outputs = _plain(pulumi.runtime.rpc.deserialize_properties(request.outputs))
        with self.lock:
            self.component_outputs[request.urn] = outputs
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        self._request.current = request
        return super().RegisterResource(request)

    def alias_urns(self, request: Any) -> list[str]:
        """The request's aliases as URNs, sorted and distinct.

        This SDK sends ``aliases`` (``Alias`` messages, a URN or a spec) when the monitor supports the
        ``aliasSpecs`` feature, which the mock monitor does, and ``aliasURNs`` (computed by the SDK) otherwise. A
        spec's empty name, type, stack or project and its parent, unless ``noParent`` or ``parentUrn`` says
        otherwise, are the resource's own, as the engine fills them. The engine also derives aliases for the
        children of an aliased parent; those are not computed here, so the preview may report a rename that
        Pulumi would follow (the safe side).
        """
        urns = set(request.aliasURNs)
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                urns.add(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else spec.parentUrn or request.parent
            type_ = spec.type or request.type
            if parent:
                type_ = parent.split("::")[2].split("$")[-1] + "$" + type_
            stack = spec.stack or pulumi.get_stack()
            project = spec.project or pulumi.get_project()
            urns.add(f"urn:pulumi:{stack}::{project}::{type_}::{spec.name or request.name}")
        return sorted(urns)

    def record(self, inputs: Mapping[str, Any]) -> RecordedResource:
        """Note the registration being answered, with its account and Region (a provider's own for providers)."""
        request = self._request.current
        urn = self.make_urn(request.parent, request.type, request.name)
        provider_urn = request.provider.rsplit("::", 1)[0] if request.provider else None
        if request.type == PROVIDER_TYPE:
            account, provider_region = _provider_account_region(inputs)
            with self.lock:
                self.providers[urn] = (account, provider_region)
        else:
            account, provider_region = self.provider_location(provider_urn)
        if account is None and request.type == DYNAMIC_TYPE:
            account = next((inputs[k] for k in GUARDED_ACCOUNT_INPUTS if isinstance(inputs.get(k), str)), None)
        region = inputs.get("region") if isinstance(inputs.get("region"), str) else provider_region
        recorded = RecordedResource(
            type=request.type,
            name=request.name,
            urn=urn,
            parent_urn=request.parent or None,
            provider_urn=provider_urn,
            custom=bool(request.custom),
            inputs=_plain({k: v for k, v in inputs.items() if k != "__provider"}),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            ignore_changes=list(request.ignoreChanges),
            dependencies=list(request.dependencies),
            property_dependencies={k: list(v.urns) for k, v in request.propertyDependencies.items()},
            account=account,
            region=region,
            aliases=self.alias_urns(request),
        )
        with self.lock:
            self.recorded.append(recorded)
        return recorded


def _plain(value: Any) -> Any:
    """Inputs as plain JSON-like values (unknowns during a preview become None)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return None


def stack_file(stack: str, project_dir: Path = PROJECT_DIR) -> Path:
    return project_dir / f"Pulumi.{stack}.yaml"


def config_values(stack_config: Mapping[str, Any]) -> dict[str, str]:
    """Stack-file config as the CLI hands it to a program: structured values as JSON strings."""
    return {k: v if isinstance(v, str) else json.dumps(v) for k, v in stack_config.items()}


def _inventory_for(stack_config: Mapping[str, Any], stack: str, project_dir: Path) -> Mapping[str, Any] | None:
    accounts = stack_config.get(f"{PROJECT}:accounts") or {}
    pattern = accounts.get("inventory_file", "inventory/{stack}.yaml") if isinstance(accounts, Mapping) else None
    if not isinstance(pattern, str):
        return None
    try:
        loaded = load_yaml((project_dir / pattern.format(stack=stack)).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, IndexError, AttributeError, RecursionError, yaml.YAMLError):
        return None
    return loaded if isinstance(loaded, Mapping) else None


def run_program(
    stack_config: Mapping[str, Any],
    *,
    stack: str,
    project_dir: Path = PROJECT_DIR,
    preview: bool = False,
) -> ProgramRun:
    """Run ``__main__.py`` of ``project_dir`` once under mocks with the given ``config:`` mapping.

    Raises ``pulumi.RunError`` (with the configuration report as its message) when the program rejects
    its configuration; any other exception is a bug in the program.
    """
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    return run_callable(
        lambda: runpy.run_path(str(project_dir), run_name="__main__"),
        stack=stack,
        stack_config=stack_config,
        inventory=_inventory_for(stack_config, stack, project_dir),
        preview=preview,
    )


def run_callable(
    program: Callable[[], object],
    *,
    stack: str,
    stack_config: Mapping[str, Any] | None = None,
    inventory: Mapping[str, Any] | None = None,
    preview: bool = False,
) -> ProgramRun:
    """Run ``program`` under the same mocks and recorder as a Pulumi program (the benchmark's floor uses it).

    The SDK's per-resource stack-trace capture is skipped while it runs: it only feeds source positions to
    the engine's error messages, which the mock monitor drops, and it costs a fifth of every registration.
    """
    mocks = _Mocks(_OrganizationAnswers(inventory), preview=preview)
    recorder = mocks.recorder
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_all_config(config_values(stack_config or {}))
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=recorder)
    exports: dict[str, Any] = {}

    @pulumi.runtime.test
    def _run() -> Any:
        program()
        root = pulumi.runtime.settings.get_root_resource()
        outputs = getattr(root, "outputs", None) or {}
        return pulumi.Output.from_input(outputs).apply(exports.update)

    capture = resource_runtime._get_stack_trace
    resource_runtime._get_stack_trace = source_pb2.StackTrace
    try:
        _run()
    finally:
        resource_runtime._get_stack_trace = capture
    for resource in recorder.recorded:
        resource.outputs = recorder.component_outputs.get(resource.urn, {})
    return ProgramRun(stack=stack, resources=list(recorder.recorded), exports=exports, invokes=recorder.invokes)


def load_stack_config(stack: str, config_file: Path | None = None, project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    from stackconfig.load import read_stack_file

    return read_stack_file(config_file or stack_file(stack, project_dir))
