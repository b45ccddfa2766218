"""Enable one Organizations policy type (``BACKUP_POLICY`` by default) on the organization root.

Why a dynamic resource: pulumi-aws has no resource that enables a single policy type on the root.
``aws.organizations.Organization`` does it through ``enabled_policy_types``, but it manages the whole
organization (feature set, trusted services, every enabled policy type), so adopting it means importing the
organization and risking changes to settings that other teams own. ``PolicyTypeProvider`` instead calls
Organizations through boto3, touching only the one policy type, idempotently.

Credentials and account: see ``components.dynamic_aws`` (the ambient credentials, or ``role_arn`` assumed
from them, never the ``aws.Provider``'s assume-role; with ``management_account_id`` set, STS must answer that
account before anything is read or changed).

Serialization: Pulumi stores the provider in the state with dill and loads it in a separate provider host
before every operation. ``components.by_value`` makes dill store this module's code by value, so the host
needs neither this repository on ``sys.path`` nor this module at this path; boto3 is imported inside the
functions, so importing this module needs neither AWS clients nor network access.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

from components.by_value import pickle_by_value, undo_pickler_patch
from components.dynamic_aws import (
    assume,
    caller_identity,
    client_config,
    describe_identity,
    error_code,
    error_message,
    require_account,
)

__all__ = [
    "DEFAULT_POLICY_TYPE",
    "DEFAULT_REGION",
    "SESSION_NAME",
    "OrganizationPolicyType",
    "PolicyTypeError",
    "PolicyTypeProvider",
]

DEFAULT_POLICY_TYPE = "BACKUP_POLICY"
DEFAULT_REGION = "us-east-1"
SESSION_NAME = "org-backup-policy-type"

ENABLED = "ENABLED"
NOT_ENABLED = "NOT_ENABLED"

_ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
_POLICY_TYPE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_REPLACE_KEYS = ("root_id", "policy_type")
_UPDATE_KEYS = ("role_arn", "region", "endpoint_url", "disable_on_delete", "management_account_id")
_PROVIDER_KEY = "__provider"
# Tuples, not sets: this module is pickled by value, and a set's order (so its pickle) changes between runs.
_TRANSIENT = ("ConcurrentModificationException", "PolicyChangesInProgressException")
_ACCESS_DENIED = ("AccessDenied", "AccessDeniedException")
_PERMISSIONS = "organizations:DescribeOrganization, ListRoots, EnablePolicyType and DisablePolicyType"


class PolicyTypeError(Exception):
    """A failure the user can act on; the message says where it happened and what to do."""


@dataclass(frozen=True)
class _Target:
    """The provider's inputs with defaults applied, read from inputs or from the saved state."""

    policy_type: str
    root_id: str | None
    role_arn: str | None
    region: str
    endpoint_url: str | None
    disable_on_delete: bool
    management_account_id: str | None = None

    @classmethod
    def from_props(cls, raw: Mapping[str, Any]) -> _Target:
        from pulumi.runtime.rpc import unwrap_rpc_secret

        props = {key: unwrap_rpc_secret(value) for key, value in raw.items()}
        return cls(
            policy_type=props.get("policy_type") or DEFAULT_POLICY_TYPE,
            root_id=props.get("root_id") or None,
            role_arn=props.get("role_arn") or None,
            region=props.get("region") or DEFAULT_REGION,
            endpoint_url=props.get("endpoint_url") or None,
            disable_on_delete=bool(props.get("disable_on_delete")),
            management_account_id=props.get("management_account_id") or None,
        )

    def outputs(self, root_id: str, status: str) -> dict[str, Any]:
        """Everything delete and read need later: Pulumi gives them only the saved outputs."""
        return {
            "policy_type": self.policy_type,
            "root_id": root_id,
            "role_arn": self.role_arn,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "disable_on_delete": self.disable_on_delete,
            "management_account_id": self.management_account_id,
            "status": status,
        }


@dataclass
class _Connection:
    """An Organizations client plus what error messages need to say who called and where."""

    organizations: Any
    identify: Callable[[], dict[str, str]]
    role_arn: str | None = None
    organization: dict[str, Any] = field(default_factory=dict)
    _identity: dict[str, str] | None = None

    def identity(self) -> dict[str, str]:
        if self._identity is None:
            self._identity = self.identify()
        return self._identity

    def who(self) -> str:
        via = f" via role {self.role_arn}" if self.role_arn else ""
        text = f"{describe_identity(self.identity())}{via}"
        if self.organization:
            text += (
                f" in organization {self.organization.get('Id')}"
                f" (management account {self.organization.get('MasterAccountId')})"
            )
        return text

    def not_management_hint(self) -> str:
        """Names the management account when the caller is visibly another account."""
        management = self.organization.get("MasterAccountId")
        account = self.identity().get("Account")
        if management and account and account != management:
            return f" These credentials are not the management account {management}."
        return ""


def _connect(target: _Target) -> _Connection:
    """Open an Organizations client (assuming ``role_arn`` when given) in the checked account."""
    session = assume(
        role_arn=target.role_arn,
        region=target.region,
        endpoint_url=target.endpoint_url,
        session_name=SESSION_NAME,
        error=PolicyTypeError,
    )
    config = client_config()
    organizations = session.client("organizations", endpoint_url=target.endpoint_url, config=config)
    sts = session.client("sts", endpoint_url=target.endpoint_url, config=config)
    connection = _Connection(
        organizations=organizations, identify=lambda: caller_identity(sts), role_arn=target.role_arn
    )
    if target.management_account_id:
        connection._identity = require_account(
            sts,
            target.management_account_id,
            role_arn=target.role_arn,
            what=f"{target.policy_type} on the organization root",
            error=PolicyTypeError,
        )
    return connection


def _explain(
    error: Exception, action: str, connection: _Connection, target: _Target, root_id: str | None = None
) -> PolicyTypeError:
    """Turn an AWS error into a message that says which account/role failed and what to do next."""
    from botocore.exceptions import ClientError, NoCredentialsError

    if isinstance(error, NoCredentialsError):
        return PolicyTypeError(
            f"No AWS credentials found for {action}: run with credentials of the organization's management "
            "account, or pass role_arn of a role in it."
        )
    if not isinstance(error, ClientError):
        return PolicyTypeError(f"{action} failed for {connection.who()}: {error}")
    code = error_code(error)
    where = connection.who()
    if code in _ACCESS_DENIED:
        return PolicyTypeError(
            f"{action} was denied for {where}.{connection.not_management_hint()} "
            f"Run from the management account or pass role_arn of a role there that allows {_PERMISSIONS}."
        )
    if code == "AWSOrganizationsNotInUseException":
        return PolicyTypeError(
            f"{action} failed: {where} is not a member of an AWS Organization. Create the organization "
            "with all features in the management account first, or pass role_arn of a role in that account."
        )
    if code == "PolicyTypeNotAvailableForOrganizationException":
        return _feature_set_error(connection, target, connection.organization.get("FeatureSet", "unknown"))
    if code == "RootNotFoundException":
        hint = connection.not_management_hint()
        advice = (
            "Run from the management account or pass role_arn of a role in it."
            if hint
            else "Omit root_id to discover the root."
        )
        return PolicyTypeError(
            f"{action} failed: root {root_id or target.root_id} was not found by {where}.{hint} {advice}"
        )
    return PolicyTypeError(f"{action} failed for {where}: {code}: {error_message(error)}")


def _feature_set_error(connection: _Connection, target: _Target, feature_set: str) -> PolicyTypeError:
    return PolicyTypeError(
        f"{connection.who()}: the organization uses feature set {feature_set}, but the {target.policy_type} "
        "policy type needs all features. Enable all features (Organizations console, Settings, 'Enable all "
        "features'; every member account must approve the request), then run again."
    )


class PolicyTypeProvider(ResourceProvider):
    """CRUD for "policy type P is enabled on root R"; the resource id is ``<root_id>/<policy_type>``.

    Organizations enables a policy type asynchronously (``PENDING_ENABLE``), so create and update poll
    ``list_roots`` every ``poll_interval_seconds`` for at most ``timeout_seconds``.
    """

    def __init__(self, poll_interval_seconds: float = 5.0, timeout_seconds: float = 300.0) -> None:
        super().__init__()
        self.poll_interval_seconds = poll_interval_seconds
        self.timeout_seconds = timeout_seconds

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Reject malformed ids before any AWS call; unknown (preview) values pass through."""
        from pulumi.runtime.rpc import UNKNOWN

        failures: list[CheckFailure] = []
        root_id = news.get("root_id")
        if isinstance(root_id, str) and root_id != UNKNOWN and root_id and not _ROOT_ID.match(root_id):
            failures.append(CheckFailure("root_id", f"{root_id!r} is not a root id (r- then 4-32 of [0-9a-z])"))
        policy_type = news.get("policy_type")
        if isinstance(policy_type, str) and policy_type != UNKNOWN and not _POLICY_TYPE.match(policy_type):
            failures.append(CheckFailure("policy_type", f"{policy_type!r} is not a policy type such as BACKUP_POLICY"))
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        target = _Target.from_props(props)
        root_id = self._ensure_enabled(target)
        return CreateResult(f"{root_id}/{target.policy_type}", target.outputs(root_id, ENABLED))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Report the current status; an empty id tells Pulumi the policy type was disabled out of band."""
        target = self._target_for_id(id_, props)
        connection = _connect(target)
        root_id = self._root_id(connection, target)
        status = self._status(connection, target, root_id) or NOT_ENABLED
        outs = target.outputs(root_id, status)
        return ReadResult(id_ if status != NOT_ENABLED else "", outs)

    def diff(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> DiffResult:
        """Replace on another root or policy type; anything else (credentials, region, flags) updates.

        A value still unknown at preview is reported as a change, not as a replacement.
        """
        from pulumi.runtime.rpc import UNKNOWN

        olds = _Target.from_props(_olds)
        news = _Target.from_props(_news)
        replaces = [
            key
            for key in _REPLACE_KEYS
            if getattr(news, key) is not None
            and getattr(news, key) != UNKNOWN
            and getattr(news, key) != getattr(olds, key)
        ]
        changed = [key for key in (*_REPLACE_KEYS, *_UPDATE_KEYS) if getattr(olds, key) != getattr(news, key)]
        if news.root_id is None:
            changed = [key for key in changed if key != "root_id"]
        if _olds.get(_PROVIDER_KEY) != _news.get(_PROVIDER_KEY):
            changed.append(_PROVIDER_KEY)
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], _news: dict[str, Any]) -> UpdateResult:
        target = _Target.from_props(_news)
        root_id = self._ensure_enabled(target)
        return UpdateResult(target.outputs(root_id, ENABLED))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Leave the policy type enabled unless ``disable_on_delete``.

        Disabling a policy type detaches every policy of that type in the whole organization, far beyond
        what this stack created, so removing the resource from the stack must not do it by default.
        """
        target = self._target_for_id(_id, _props)
        if not target.disable_on_delete:
            return
        self._ensure_disabled(target)

    def _target_for_id(self, id_: str, props: Mapping[str, Any]) -> _Target:
        """Fill root and policy type from the id, for ``pulumi import`` and reads without state."""
        merged = dict(props)
        root_id, _, policy_type = (id_ or "").partition("/")
        if root_id and not merged.get("root_id"):
            merged["root_id"] = root_id
        if policy_type and not merged.get("policy_type"):
            merged["policy_type"] = policy_type
        return _Target.from_props(merged)

    def _describe_organization(self, connection: _Connection, target: _Target) -> dict[str, Any]:
        try:
            organization: dict[str, Any] = connection.organizations.describe_organization()["Organization"]
        except Exception as error:
            raise _explain(error, "DescribeOrganization", connection, target) from error
        connection.organization = organization
        return organization

    def _root_id(self, connection: _Connection, target: _Target) -> str:
        if not connection.organization:
            self._describe_organization(connection, target)
        if target.root_id:
            return target.root_id
        roots = self._roots(connection, target)
        if len(roots) != 1:
            raise PolicyTypeError(
                f"Expected exactly one organization root for {connection.who()}, found {len(roots)}: "
                "pass root_id explicitly."
            )
        return str(roots[0]["Id"])

    def _roots(self, connection: _Connection, target: _Target) -> list[dict[str, Any]]:
        roots: list[dict[str, Any]] = []
        kwargs: dict[str, str] = {}
        try:
            while True:
                page = connection.organizations.list_roots(**kwargs)
                roots.extend(page.get("Roots", []))
                if not page.get("NextToken"):
                    return roots
                kwargs = {"NextToken": page["NextToken"]}
        except Exception as error:
            raise _explain(error, "ListRoots", connection, target) from error

    def _status(self, connection: _Connection, target: _Target, root_id: str) -> str | None:
        """The policy type's status on the root (ENABLED, PENDING_ENABLE, PENDING_DISABLE) or None."""
        root = next((r for r in self._roots(connection, target) if r.get("Id") == root_id), None)
        if root is None:
            raise PolicyTypeError(
                f"Root {root_id} is not a root of the organization seen by {connection.who()}."
                f"{connection.not_management_hint()} Omit root_id to discover it, or run from the "
                "management account or pass role_arn of a role in it."
            )
        for entry in root.get("PolicyTypes", []):
            if entry.get("Type") == target.policy_type:
                return str(entry.get("Status"))
        return None

    def _ensure_enabled(self, target: _Target) -> str:
        """Enable the policy type unless it is already enabled, then wait until the root says ENABLED."""
        return self._converge(target, enable=True)

    def _ensure_disabled(self, target: _Target) -> None:
        self._converge(target, enable=False)

    def _converge(self, target: _Target, *, enable: bool) -> str:
        """Drive the root to the wanted status, calling the API only from the opposite settled status.

        Pending statuses are waited out: calling again while Organizations is still applying a change
        fails with ConcurrentModificationException.
        """
        connection = _connect(target)
        organization = self._describe_organization(connection, target)
        feature_set = organization.get("FeatureSet", "ALL")
        if enable and feature_set != "ALL":
            raise _feature_set_error(connection, target, feature_set)
        root_id = self._root_id(connection, target)
        wanted, act_on = (ENABLED, None) if enable else (None, ENABLED)
        deadline = time.monotonic() + self.timeout_seconds
        status = self._status(connection, target, root_id)
        while status != wanted:
            if status == act_on:
                self._request(connection, target, root_id, enable=enable)
                status = self._status(connection, target, root_id)
                if status == wanted:
                    break
            if time.monotonic() + self.poll_interval_seconds > deadline:
                raise PolicyTypeError(
                    f"{target.policy_type} on root {root_id} is still {status or NOT_ENABLED} after "
                    f"{self.timeout_seconds:.0f} s (wanted {wanted or NOT_ENABLED}) for {connection.who()}. "
                    "Organizations applies policy type changes asynchronously; run again later, the "
                    "operation is idempotent."
                )
            time.sleep(self.poll_interval_seconds)
            status = self._status(connection, target, root_id)
        return root_id

    def _request(self, connection: _Connection, target: _Target, root_id: str, *, enable: bool) -> None:
        """One enable/disable call; "already in that state" and transient conflicts are not failures."""
        from botocore.exceptions import ClientError

        action, settled = (
            ("EnablePolicyType", "PolicyTypeAlreadyEnabledException")
            if enable
            else ("DisablePolicyType", "PolicyTypeNotEnabledException")
        )
        call = connection.organizations.enable_policy_type if enable else connection.organizations.disable_policy_type
        try:
            call(RootId=root_id, PolicyType=target.policy_type)
        except ClientError as error:
            if error_code(error) not in {*_TRANSIENT, settled}:
                raise _explain(error, action, connection, target, root_id) from error
        except Exception as error:
            raise _explain(error, action, connection, target, root_id) from error


class OrganizationPolicyType(Resource):
    """The ``policy_type`` policy type enabled on the organization root (see the module docstring)."""

    root_id: pulumi.Output[str]
    policy_type: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        policy_type: pulumi.Input[str] = DEFAULT_POLICY_TYPE,
        root_id: pulumi.Input[str] | None = None,
        role_arn: pulumi.Input[str] | None = None,
        region: pulumi.Input[str] | None = None,
        endpoint_url: pulumi.Input[str] | None = None,
        disable_on_delete: pulumi.Input[bool] = False,
        management_account_id: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "policy_type": policy_type,
            "root_id": root_id,
            "role_arn": role_arn,
            "region": region or DEFAULT_REGION,
            "endpoint_url": endpoint_url,
            "disable_on_delete": disable_on_delete,
            "management_account_id": management_account_id,
            "status": None,
        }
        undo_pickler_patch()
        super().__init__(PolicyTypeProvider(), name, props, opts)


pickle_by_value(globals())
