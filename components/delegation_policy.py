"""Our statements in the organization's resource-based delegation policy, as a dynamic resource.

Why not ``aws.organizations.ResourcePolicy``: it owns the whole policy. Creating or updating it replaces the
organization's single delegation policy (other teams' delegations are lost) and deleting it deletes the
policy (https://docs.aws.amazon.com/organizations/latest/APIReference/API_PutResourcePolicy.html,
https://docs.aws.amazon.com/organizations/latest/APIReference/API_DeleteResourcePolicy.html). This provider
reads the policy (DescribeResourcePolicy; ResourcePolicyNotFoundException means there is none:
https://docs.aws.amazon.com/organizations/latest/APIReference/API_DescribeResourcePolicy.html), changes only
the statements whose Sid it owns (``components.documents.delegation_policy``) and writes the result back;
delete removes only its own statements, and deletes the policy only when nothing else is left.

Organizations has no conditional write: a change another writer makes between our read and our write would
be lost. The provider re-reads after writing and fails, naming what is missing, if the policy is not what it
wrote.

Migrating a stack deployed with the previous ``aws.organizations.ResourcePolicy``: see ``LEGACY_URN_HINT``.

Credentials and account: ``components.dynamic_aws`` (ambient credentials or ``role_arn``, never the
``aws.Provider``'s assume-role; STS must answer ``management_account_id`` before any call). Pickled by value
(``components.by_value``): the provider host needs neither this repository nor this module path.
"""

from __future__ import annotations

import json
import os
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
from components.documents.delegation_policy import (
    SID_PREFIX,
    DelegationPolicyError,
    Merge,
    legacy_statements,
    merge,
    owned,
    parse,
    remove,
    render,
)
from components.dynamic_aws import error_code, error_message, guarded_client

__all__ = [
    "ADOPT_LEGACY_ENV",
    "LEGACY_URN_HINT",
    "DelegationPolicyProvider",
    "OrganizationDelegationStatements",
]

SESSION_NAME = "org-backup-delegation-policy"
DEFAULT_REGION = "us-east-1"
ADOPT_LEGACY_ENV = "ORG_BACKUP_ADOPT_LEGACY_DELEGATION"
LEGACY_URN_HINT = (
    "a stack deployed by an earlier version holds an aws.organizations.ResourcePolicy "
    "(...OrganizationSettings$aws:organizations/resourcePolicy:ResourcePolicy::organization-backup-policy-"
    "delegation): if Pulumi deletes it, DeleteResourcePolicy removes the whole delegation policy, every team's "
    "statements included. Remove it from the state only (AWS is not touched): `pulumi state delete --force "
    "'<its urn>'`, then run `pulumi up` once with "
    f"{ADOPT_LEGACY_ENV}=1 so that its three statements are replaced by this program's"
)
_NOT_FOUND = "ResourcePolicyNotFoundException"
_UPDATE_KEYS = ("content", "role_arn", "region", "endpoint_url", "management_account_id")


class DelegationPolicyProviderError(Exception):
    """A failure the user can act on; the message says what was (not) changed and what to do."""


class _Target:
    """The inputs, with defaults, read from new inputs or from the saved outputs."""

    def __init__(self, props: dict[str, Any]) -> None:
        from pulumi.runtime.rpc import unwrap_rpc_secret

        values = {key: unwrap_rpc_secret(value) for key, value in props.items()}
        self.content: str = values.get("content") or ""
        self.role_arn: str | None = values.get("role_arn") or None
        self.region: str = values.get("region") or DEFAULT_REGION
        self.endpoint_url: str | None = values.get("endpoint_url") or None
        self.management_account_id: str | None = values.get("management_account_id") or None
        self.sids: list[str] = list(values.get("sids") or [])

    def statements(self) -> list[dict[str, Any]]:
        _, statements = parse(self.content)
        return [dict(s) for s in statements]

    def outputs(self, policy: dict[str, Any] | None, kept: list[Any]) -> dict[str, Any]:
        summary = (policy or {}).get("ResourcePolicySummary", {})
        return {
            "content": self.content,
            "role_arn": self.role_arn,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "management_account_id": self.management_account_id,
            "sids": [s["Sid"] for s in self.statements()],
            "kept_sids": [str(s.get("Sid", "")) if isinstance(s, dict) else "" for s in kept],
            "policy_id": summary.get("Id"),
            "policy_arn": summary.get("Arn"),
        }


class DelegationPolicyProvider(ResourceProvider):
    """CRUD for "these statements are in the organization's delegation policy"; the id is the policy id."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        from pulumi.runtime.rpc import UNKNOWN

        content = news.get("content")
        failures: list[CheckFailure] = []
        if isinstance(content, str) and content != UNKNOWN:
            try:
                _, statements = parse(content)
            except DelegationPolicyError as error:
                failures.append(CheckFailure("content", str(error)))
            else:
                bad = [s.get("Sid") for s in statements if not str(s.get("Sid", "")).startswith(SID_PREFIX)]
                if bad or not statements:
                    failures.append(CheckFailure("content", f"every statement needs a Sid starting {SID_PREFIX}"))
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        target = _Target(props)
        policy, kept = self._apply(target, written=())
        return CreateResult(self._id(policy), target.outputs(policy, kept))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        target = _Target(news)
        policy, kept = self._apply(target, written=_Target(olds).sids)
        return UpdateResult(target.outputs(policy, kept))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Remove only the statements this resource wrote; delete the policy only if nothing else is left."""
        target = _Target(props)
        organizations = self._connect(target, "removing our statements from the delegation policy")
        current = self._describe(organizations)
        content = current.get("Content") if current else None
        result = remove(content, set(target.sids) | {s["Sid"] for s in target.statements()})
        if not result.changed:
            return
        if result.content is None:
            self._call(organizations, "DeleteResourcePolicy", organizations.delete_resource_policy)
        else:
            self._call(organizations, "PutResourcePolicy", organizations.put_resource_policy, Content=result.content)
        self._verify(organizations, result)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """Our statements as they are in AWS: a refresh shows any drift; none left means the resource is gone."""
        target = _Target(props)
        organizations = self._connect(target, "reading the delegation policy")
        current = self._describe(organizations)
        content = current.get("Content") if current else None
        sids = set(target.sids) | {s["Sid"] for s in target.statements()}
        ours = owned(content, sids)
        if not ours:
            return ReadResult("", {})
        document, _ = parse(content)
        live = _Target({**props, "content": render({"Version": document.get("Version"), "Statement": ours})})
        _, statements = parse(content)
        kept = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") in sids)]
        return ReadResult(id_ or self._id(current), live.outputs(current, kept))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """Inputs that changed; the policy id never forces a replacement (the statements are what we own)."""
        from pulumi.runtime.rpc import UNKNOWN

        changed = [key for key in _UPDATE_KEYS if olds.get(key) != news.get(key)]
        if news.get("content") == UNKNOWN:
            changed.append("content")
        return DiffResult(changes=bool(changed), replaces=[], delete_before_replace=False)

    # ------------------------------------------------------------------------------------------ AWS calls

    def _connect(self, target: _Target, what: str) -> Any:
        return guarded_client(
            "organizations",
            account_id=target.management_account_id,
            role_arn=target.role_arn,
            region=target.region,
            endpoint_url=target.endpoint_url,
            session_name=SESSION_NAME,
            what=what,
            error=DelegationPolicyProviderError,
        )

    def _apply(self, target: _Target, *, written: list[str] | tuple[str, ...]) -> tuple[dict[str, Any], list[Any]]:
        """Merge our statements into the current policy and write it, unless it already says exactly that."""
        organizations = self._connect(target, "writing our statements into the delegation policy")
        current = self._describe(organizations)
        content = current.get("Content") if current else None
        try:
            result = merge(
                content, target.statements(), written=written, adopt_legacy=os.environ.get(ADOPT_LEGACY_ENV) == "1"
            )
        except DelegationPolicyError as error:
            raise DelegationPolicyProviderError(str(error)) from error
        self._refuse_legacy(target, result)
        if not result.changed:
            return current or {}, list(result.kept)
        answer = self._call(
            organizations, "PutResourcePolicy", organizations.put_resource_policy, Content=result.content
        )
        self._verify(organizations, result)
        return dict(answer.get("ResourcePolicy", {})), list(result.kept)

    def _refuse_legacy(self, target: _Target, result: Merge) -> None:
        """Statements of the previous ``aws.organizations.ResourcePolicy`` are still there and not adopted."""
        if os.environ.get(ADOPT_LEGACY_ENV) == "1":
            return
        legacy = legacy_statements(target.statements())
        left = [s.get("Sid") for s in result.kept if isinstance(s, dict) and legacy.get(str(s.get("Sid"))) == s]
        if left:
            raise DelegationPolicyProviderError(
                f"the delegation policy still holds statements {left} written by an earlier version of this "
                f"program; nothing was changed. {LEGACY_URN_HINT}."
            )

    def _describe(self, organizations: Any) -> dict[str, Any] | None:
        """The current policy, or None when the organization has none."""
        from botocore.exceptions import ClientError

        try:
            return dict(organizations.describe_resource_policy()["ResourcePolicy"])
        except ClientError as error:
            if error_code(error) == _NOT_FOUND:
                return None
            raise DelegationPolicyProviderError(
                f"DescribeResourcePolicy failed: {error_code(error)}: {error_message(error)}. Nothing was changed."
            ) from error

    def _call(self, organizations: Any, action: str, call: Any, **params: Any) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        try:
            return dict(call(**params))
        except ClientError as error:
            if action == "DeleteResourcePolicy" and error_code(error) == _NOT_FOUND:
                return {}
            raise DelegationPolicyProviderError(
                f"{action} failed: {error_code(error)}: {error_message(error)}"
            ) from error

    def _verify(self, organizations: Any, result: Merge) -> None:
        """Fail loudly if another writer changed the policy between our read and our write."""
        current = self._describe(organizations)
        content = current.get("Content") if current else None
        if result.content is None:
            if content is not None:
                raise DelegationPolicyProviderError(
                    "DeleteResourcePolicy succeeded but a delegation policy exists again: another writer "
                    "changed it meanwhile. Check its statements."
                )
            return
        _, written = parse(result.content)
        _, now = parse(content)
        missing = [json.dumps(s, sort_keys=True)[:200] for s in written if s not in now]
        if missing:
            raise DelegationPolicyProviderError(
                "the delegation policy changed while it was being written (Organizations has no conditional "
                f"write); these statements are not in it now: {missing}. Check the policy and run again."
            )

    @staticmethod
    def _id(policy: dict[str, Any] | None) -> str:
        summary = (policy or {}).get("ResourcePolicySummary", {})
        return str(summary.get("Id") or "organization-delegation-policy")


class OrganizationDelegationStatements(Resource):
    """The statements of ``document`` (each Sid starting with ``SID_PREFIX``) in the organization's
    delegation policy, alongside whatever other teams put there."""

    content: pulumi.Output[str]
    sids: pulumi.Output[list[str]]
    kept_sids: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        *,
        document: dict[str, Any],
        management_account_id: str,
        role_arn: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "content": render(document),
            "role_arn": role_arn,
            "region": region or DEFAULT_REGION,
            "endpoint_url": endpoint_url,
            "management_account_id": management_account_id,
            "sids": None,
            "kept_sids": None,
            "policy_id": None,
            "policy_arn": None,
        }
        undo_pickler_patch()
        super().__init__(DelegationPolicyProvider(), name, props, opts)


pickle_by_value(globals())
