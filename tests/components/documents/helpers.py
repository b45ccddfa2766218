"""Shared checks for the policy-document builders: invariants every document must keep, and a small evaluator.

The evaluator covers exactly the policy language the builders emit (explicit Deny wins, then any Allow; the
condition operators used here), so tests can state *behaviour* ("a role outside the organization cannot
use the central key") instead of only comparing JSON.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

import botocore.session
from moto.iam.policy_validation import IAMPolicyDocumentValidator, IAMTrustPolicyDocumentValidator

from components.documents import events, iam, kms, reports, vault_policy
from policies.backup_rules.iam import (
    check_policy_document,
    vault_policy_copy_into_scoped,
    vault_policy_denies_deletion,
)

SID = re.compile(r"[A-Za-z0-9]+")
VIA_SERVICE = re.compile(r"[a-z0-9-]+\.[a-z]{2}(-[a-z]+)+-\d{1,2}\.amazonaws\.com(\.cn)?")
ORG_KEYS = {"aws:principalorgid", "aws:principalorgpaths"}
# IAM action prefix -> botocore service name (where they differ they would be listed here).
BOTOCORE_SERVICE = {p: p for p in ("backup", "events", "kms", "organizations", "s3", "sns", "sts")}
# IAM actions whose name differs from the API operation they authorise.
IAM_ACTION_OPERATION = {"kms:ReEncryptFrom": "ReEncrypt", "kms:ReEncryptTo": "ReEncrypt"}
# Permission-only actions (no API of that name): the copy job checks it on the destination vault.
PERMISSION_ONLY_ACTIONS = {"backup:CopyIntoBackupVault"}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def by_sid(doc: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


def canonical(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), sort_keys=True)


def is_any_principal(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in as_list(principal.get("AWS", []))


def condition_values(doc: Mapping[str, Any], key: str) -> list[str]:
    """Every value of condition ``key`` (case-insensitive) in any statement and operator."""
    out: list[str] = []
    for st in doc["Statement"]:
        for block in st.get("Condition", {}).values():
            for k, v in block.items():
                if k.lower() == key.lower():
                    out += as_list(v)
    return out


@cache
def api_operations(prefix: str) -> frozenset[str]:
    model = botocore.session.get_session().get_service_model(BOTOCORE_SERVICE[prefix])
    return frozenset(model.operation_names)


def assert_policy_invariants(doc: Mapping[str, Any], *, trust: bool = False) -> None:
    """The project's rules for generated policies (PRODUCT.md §5 and the issue), statement by statement."""
    assert doc["Version"] == "2012-10-17"
    assert set(doc) == {"Version", "Statement"}
    statements = doc["Statement"]
    assert isinstance(statements, list) and statements
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids)), f"duplicate Sids {sids}"
    for st in statements:
        sid = st["Sid"]
        assert SID.fullmatch(sid), sid
        assert st["Effect"] in ("Allow", "Deny")
        assert not {"NotPrincipal", "NotAction", "NotResource"} & set(st), sid
        actions = as_list(st["Action"])
        assert actions and all(isinstance(a, str) for a in actions)
        for action in actions:
            prefix, _, operation = action.partition(":")
            if st["Effect"] == "Allow":
                assert "*" not in action and "?" not in action, f"{sid}: wildcard action {action}"
            if "*" not in operation and action not in PERMISSION_ONLY_ACTIONS:
                operation = IAM_ACTION_OPERATION.get(action, operation)
                assert operation in api_operations(prefix), f"{sid}: {action} is not an AWS API action"
        if st["Effect"] == "Allow" and is_any_principal(st.get("Principal")):
            keys = {k.lower() for block in st.get("Condition", {}).values() for k in block}
            assert keys & ORG_KEYS, f"{sid}: Principal '*' without an organization condition"
        if trust:
            assert "Resource" not in st
        else:
            assert as_list(st["Resource"])
    for value in condition_values(doc, "kms:ViaService"):
        assert VIA_SERVICE.fullmatch(value), f"kms:ViaService {value!r} is not regional"
    text = canonical(doc)
    assert json.loads(text) == doc
    # the IAM grammar as moto implements it, and the policy pack's own least-privilege reader
    validator = IAMTrustPolicyDocumentValidator if trust else IAMPolicyDocumentValidator
    validator(text).validate()
    assert check_policy_document(text) == []


def assert_vault_policy_passes_the_pack(doc: Mapping[str, Any]) -> None:
    """The pack's vault rules: deletion denied to all but <= 5 exempt roles; copies only from the org."""
    assert vault_policy_denies_deletion(canonical(doc)) == []
    assert vault_policy_copy_into_scoped(canonical(doc)) == []


def all_documents(
    *,
    account_id: str,
    central_account_id: str,
    organization_id: str,
    region: str,
    partition: str,
    root_id: str = "r-ab12",
    backup_role_name: str = "OrgBackupServiceRole",
    organization_paths: tuple[str, ...] = (),
    break_glass_names: tuple[str, ...] = ("BackupBreakGlass",),
    admin_role_names: tuple[str, ...] = (),
    bucket_name: str = "org-backup-reports",
) -> dict[str, tuple[dict[str, Any], bool]]:
    """Every policy document of the package for one set of inputs: name -> (document, is_trust_policy)."""
    member_glass = [f"arn:{partition}:iam::{account_id}:role/{n}" for n in break_glass_names]
    central_glass = [f"arn:{partition}:iam::{central_account_id}:role/{n}" for n in break_glass_names]
    admins = [f"arn:{partition}:iam::{account_id}:role/{n}" for n in admin_role_names]
    bus = f"arn:{partition}:events:{region}:{central_account_id}:event-bus/org-backup-alerts"
    topic = f"arn:{partition}:sns:{region}:{central_account_id}:org-backup-alerts"
    delegate = central_account_id if central_account_id != account_id else f"{(int(account_id) + 1) % 10**12:012d}"
    docs: dict[str, Callable[[], dict[str, Any]]] = {
        "backup_role_trust_policy": iam.backup_role_trust_policy,
        "organizations_delegation_policy": lambda: iam.organizations_delegation_policy(
            management_account_id=account_id,
            organization_id=organization_id,
            root_id=root_id,
            delegate_account_id=delegate,
            partition=partition,
        ),
        "member_backup_key_policy": lambda: kms.member_backup_key_policy(
            account_id=account_id,
            region=region,
            organization_id=organization_id,
            backup_role_name=backup_role_name,
            central_account_id=central_account_id,
            protected_by_role_arns=member_glass,
            admin_role_arns=admins,
            partition=partition,
        ),
        "central_backup_key_policy": lambda: kms.central_backup_key_policy(
            account_id=central_account_id,
            region=region,
            organization_id=organization_id,
            organization_paths=organization_paths,
            break_glass_role_arns=central_glass,
            partition=partition,
        ),
        "member_vault_policy": lambda: vault_policy.member_vault_policy(
            break_glass_role_arns=member_glass, copy_source_account_ids=[central_account_id]
        ),
        "central_vault_policy": lambda: vault_policy.central_vault_policy(
            organization_id=organization_id,
            organization_paths=organization_paths,
            break_glass_role_arns=central_glass,
            backup_role_name=backup_role_name,
        ),
        "report_bucket_policy": lambda: reports.report_bucket_policy(
            bucket_name=bucket_name, account_id=central_account_id, partition=partition
        ),
        "central_event_bus_policy": lambda: events.central_event_bus_policy(
            event_bus_arn=bus, organization_id=organization_id
        ),
        "event_forwarding_role_trust_policy": events.event_forwarding_role_trust_policy,
        "event_forwarding_role_policy": lambda: events.event_forwarding_role_policy(event_bus_arn=bus),
        "alert_topic_policy": lambda: events.alert_topic_policy(topic_arn=topic, account_id=central_account_id),
        "alert_topic_key_policy": lambda: events.alert_topic_key_policy(
            account_id=central_account_id, region=region, partition=partition
        ),
    }
    out = {}
    for name, build in docs.items():
        first, second = build(), build()
        assert canonical(first) == canonical(second), f"{name} is not deterministic"
        out[name] = (first, name.endswith("trust_policy"))
    return out


# --- a small evaluator for the subset of the policy language the builders emit ---------------------------


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


def _principal_matches(principal: Any, caller: Mapping[str, Any]) -> bool:
    if is_any_principal(principal):
        return True
    if "service" in caller:
        return caller["service"] in as_list(principal.get("Service", []))
    for arn in as_list(principal.get("AWS", [])):
        if arn.endswith(":root") and _account_of(arn) == caller["account"]:
            return True  # account principal: delegated to the caller account's IAM (assumed to allow)
        if arn == caller["arn"]:
            return True
    return False


def _values_match(operator: str, wanted: list[str], actual: list[str] | None) -> bool:
    base = operator.removeprefix("ForAnyValue:")
    if_exists = base.endswith("IfExists")
    base = base.removesuffix("IfExists")
    if actual is None:  # IAM: a missing key fails a condition, unless IfExists or a negated operator
        return if_exists or base in ("ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals")
    if base in ("StringEquals", "ArnEquals", "Bool"):
        hit = any(a == w for a in actual for w in wanted)
    elif base in ("StringLike", "ArnLike"):
        hit = any(fnmatch.fnmatchcase(a, w) for a in actual for w in wanted)
    elif base == "ArnNotLike":
        return not any(fnmatch.fnmatchcase(a, w) for a in actual for w in wanted)
    else:
        raise AssertionError(f"operator {operator} not supported by the test evaluator")
    return hit


def _conditions_match(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    lowered = {k.lower(): as_list(v) for k, v in context.items()}
    return all(
        _values_match(op, [str(v) for v in as_list(wanted)], lowered.get(key.lower()))
        for op, block in conditions.items()
        for key, wanted in block.items()
    )


def is_allowed(
    doc: Mapping[str, Any],
    *,
    action: str,
    principal_arn: str | None = None,
    service: str | None = None,
    resource: str = "*",
    context: Mapping[str, Any] | None = None,
) -> bool:
    """Whether ``doc`` alone lets the caller do ``action`` (explicit Deny wins over any Allow).

    A caller is an IAM principal (``principal_arn``; the account root principal is assumed to delegate to an
    IAM policy that allows) or a service principal (``service``). ``aws:PrincipalArn`` and
    ``aws:PrincipalAccount`` are filled in from ``principal_arn``.
    """
    caller: dict[str, Any] = {"service": service} if service else {"arn": principal_arn}
    ctx = dict(context or {})
    if principal_arn:
        caller["account"] = _account_of(principal_arn)
        ctx.setdefault("aws:PrincipalArn", principal_arn)
        ctx.setdefault("aws:PrincipalAccount", caller["account"])
    decision = False
    for st in doc["Statement"]:
        applies = (
            any(fnmatch.fnmatchcase(action, a) for a in as_list(st["Action"]))
            and any(fnmatch.fnmatchcase(resource, r) or r == "*" for r in as_list(st.get("Resource", "*")))
            and _principal_matches(st["Principal"], caller)
            and _conditions_match(st.get("Condition", {}), ctx)
        )
        if applies and st["Effect"] == "Deny":
            return False
        decision = decision or applies
    return decision
