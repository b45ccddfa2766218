"""Our statements inside the organization's one resource-based delegation policy, others' left as they are.

An organization has a single delegation policy, and PutResourcePolicy "creates or updates" it: the content
sent replaces the whole policy (https://docs.aws.amazon.com/organizations/latest/APIReference/API_PutResourcePolicy.html,
https://docs.aws.amazon.com/organizations/latest/userguide/orgs-policy-delegate.html: "You can add multiple
statements in the policy to denote a different set of permissions to member accounts"), and
DeleteResourcePolicy removes all of it
(https://docs.aws.amazon.com/organizations/latest/APIReference/API_DeleteResourcePolicy.html). Other teams'
delegations (a security account managing SCPs, ...) live in the same document
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_delegate_policies.html).

So this program owns statements, not the policy: the ones whose ``Sid`` starts with ``SID_PREFIX``. The pure
functions here compute the document to write: every statement that is not ours is kept as the same JSON value
(same keys, order and values, in the same place), and when nothing of ours changes nothing is written, so
the stored text stays byte-for-byte as it was. Sids must be unique in a policy
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html), which is what makes
a Sid a usable owner mark.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from components.by_value import pickle_by_value
from components.documents.iam import organizations_delegation_policy

__all__ = [
    "MAX_CONTENT_LENGTH",
    "SID_PREFIX",
    "DelegationPolicyError",
    "Merge",
    "backup_delegation_document",
    "legacy_statements",
    "merge",
    "owned",
    "parse",
    "remove",
    "render",
]

SID_PREFIX = "OrgBackup"
POLICY_VERSION = "2012-10-17"
# PutResourcePolicy Content: "Length Constraints: Minimum length of 1. Maximum length of 40000."
# https://docs.aws.amazon.com/organizations/latest/APIReference/API_PutResourcePolicy.html
MAX_CONTENT_LENGTH = 40_000

Statement = dict[str, Any]


class DelegationPolicyError(ValueError):
    """The merge cannot be done without touching a statement that is not ours; the message names it."""


@dataclass(frozen=True)
class Merge:
    """What to do with the organization's policy.

    ``content`` None with ``changed`` means: delete the policy (nothing is left in it).
    """

    content: str | None
    changed: bool
    kept: tuple[Statement, ...] = ()
    adopted: tuple[str, ...] = field(default=())


def backup_delegation_document(
    *,
    management_account_id: str,
    organization_id: str,
    root_id: str,
    delegate_account_id: str,
    partition: str = "aws",
) -> dict[str, Any]:
    """The statements that let the Backup delegated administrator manage backup policies, with our Sids."""
    document = organizations_delegation_policy(
        management_account_id=management_account_id,
        organization_id=organization_id,
        root_id=root_id,
        delegate_account_id=delegate_account_id,
        partition=partition,
    )
    return {**document, "Statement": [{**s, "Sid": SID_PREFIX + s["Sid"]} for s in document["Statement"]]}


def legacy_statements(ours: Sequence[Mapping[str, Any]]) -> dict[str, Statement]:
    """The statements an earlier version wrote with ``aws.organizations.ResourcePolicy``, by their old Sid
    (ours without the prefix): identical ones are ours to replace, different ones are someone else's."""
    return {s["Sid"][len(SID_PREFIX) :]: {**s, "Sid": s["Sid"][len(SID_PREFIX) :]} for s in ours}


def parse(content: str | None) -> tuple[dict[str, Any], list[Any]]:
    """(the document, its statements as a list); an empty document when there is no policy."""
    if content is None or not content.strip():
        return {"Version": POLICY_VERSION}, []
    try:
        document = json.loads(content)
    except ValueError as error:
        raise DelegationPolicyError(
            f"the organization's delegation policy is not JSON ({error}); it cannot be merged safely"
        ) from error
    if not isinstance(document, dict):
        raise DelegationPolicyError("the organization's delegation policy is not a JSON object")
    raw = document.get("Statement", [])
    return document, list(raw) if isinstance(raw, list) else [raw]


def render(document: Mapping[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def owned(content: str | None, sids: Collection[str]) -> list[Statement]:
    """The statements of ``content`` whose Sid is one of ``sids``, in policy order (drift detection)."""
    _, statements = parse(content)
    return [s for s in statements if isinstance(s, dict) and s.get("Sid") in sids]


def merge(
    current: str | None,
    ours: Sequence[Mapping[str, Any]],
    *,
    written: Collection[str] = (),
    adopt_legacy: bool = False,
) -> Merge:
    """``current`` with our statements set to ``ours``.

    ``written``: the Sids this resource wrote before (its state); only those may be overwritten when they
    differ from ``ours``. A statement with one of our Sids that we did not write and that differs from ours
    is someone else's: refuse rather than overwrite it. ``adopt_legacy``: replace the statements an earlier
    version wrote under unprefixed Sids (see ``legacy_statements``) when they are identical to what it wrote.
    """
    wanted = [dict(s) for s in ours]
    by_sid = {s["Sid"]: s for s in wanted}
    if any(not str(sid).startswith(SID_PREFIX) for sid in by_sid) or len(by_sid) != len(wanted):
        raise DelegationPolicyError(f"our statements need unique Sids starting with {SID_PREFIX}: {sorted(by_sid)}")
    legacy = legacy_statements(wanted) if adopt_legacy else {}
    document, statements = parse(current)
    kept: list[Any] = []
    adopted: list[str] = []
    conflicts: list[str] = []
    for statement in statements:
        sid = statement.get("Sid") if isinstance(statement, dict) else None
        if sid in written:
            continue
        if sid in by_sid:
            if statement == by_sid[sid]:
                continue
            conflicts.append(_describe(statement))
        elif sid in legacy and statement == legacy[sid]:
            adopted.append(sid)
            continue
        kept.append(statement)
    if conflicts:
        raise DelegationPolicyError(
            "the organization's delegation policy already has a statement with a Sid this program owns, "
            f"written by someone else or changed since: {'; '.join(conflicts)}. It was left untouched. If it "
            f"is not this program's, give it a Sid that does not start with {SID_PREFIX}; if it is, delete it "
            "(or run `pulumi refresh` so that the program takes it over), then run again."
        )
    new_document = {**document, "Version": document.get("Version", POLICY_VERSION), "Statement": kept + wanted}
    return _result(document, statements, new_document, kept, adopted)


def remove(current: str | None, sids: Collection[str]) -> Merge:
    """``current`` without the statements whose Sid is in ``sids``; ``content`` None when none is left."""
    document, statements = parse(current)
    kept = [s for s in statements if not (isinstance(s, dict) and s.get("Sid") in sids)]
    if len(kept) == len(statements):
        return Merge(current, changed=False, kept=tuple(kept))
    if not kept:
        return Merge(None, changed=True)
    return _result(document, statements, {**document, "Statement": kept}, kept, [])


def _result(
    document: Mapping[str, Any],
    statements: Sequence[Any],
    new_document: Mapping[str, Any],
    kept: Sequence[Any],
    adopted: Sequence[str],
) -> Merge:
    """Unchanged when the policy already says exactly this: then nothing is written."""
    changed = dict(new_document) != {**document, "Statement": list(statements)} or "Statement" not in document
    content = render(new_document)
    if changed and len(content) > MAX_CONTENT_LENGTH:
        raise DelegationPolicyError(
            f"the merged delegation policy would be {len(content)} characters; PutResourcePolicy accepts at most "
            f"{MAX_CONTENT_LENGTH}. Nothing was changed."
        )
    return Merge(content, changed=changed, kept=tuple(kept), adopted=tuple(adopted))


def _describe(statement: Mapping[str, Any]) -> str:
    principal = json.dumps(statement.get("Principal"), sort_keys=True)
    return f"Sid {statement.get('Sid')!r} (Effect {statement.get('Effect')}, Principal {principal})"


# The delegation-policy provider runs these functions in Pulumi's provider host: store them by value with it.
pickle_by_value(globals())
