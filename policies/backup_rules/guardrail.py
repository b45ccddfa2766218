"""AWS rules for the guardrail service control policy (SCP) and for the trust of the roles it exempts.

One home for the SCP limits and syntax rules, read by the program's builder (``policies.backup_rules``),
the loader's checks and the policy pack (``backup_rules``); and one reader of trust policies, used by the
preflight and verify commands to find roles that squat a reserved name.

Sources:

- SCP size and count per target: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html
  and the policy-type table of https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies.html
  ("SCP | 5 | 5120"). Some pages say characters, others bytes; the safe reading is bytes of UTF-8, which
  equals characters for the ASCII documents generated here.
- SCPs never affect the management account nor service-linked roles, and ``FullAWSAccess`` is attached to
  every root, OU and account when SCPs are enabled:
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
- SCP syntax (``Principal``/``NotPrincipal`` unsupported, ``Condition``/``Resource`` only in Deny statements,
  white space counts against the size): https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from .findings import Finding, join

SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
MAX_SCP_BYTES = 5_120
MAX_SCPS_PER_TARGET = 5
FULL_AWS_ACCESS_POLICY_ID = "p-FullAWSAccess"
DEFAULT_SCPS_ATTACHED_ELSEWHERE = 1
"""``FullAWSAccess``: AWS attaches it to every root, OU and account, and a deny-list SCP needs it to stay."""

SCP_LIMITS_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"
SCP_SYNTAX_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html"
SCP_EFFECTS_URL = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html"

_UNSUPPORTED_SCP_ELEMENTS = ("Principal", "NotPrincipal")
_ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")


def scp_size(content: str) -> int:
    """The size AWS counts: every character of the text, white space included (as UTF-8 bytes)."""
    return len(content.encode("utf-8"))


def minified(document: Mapping[str, Any]) -> str:
    """The smallest stable text of a document (the limit counts white space, SCP_SYNTAX_URL)."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True, ensure_ascii=True)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def check_scp_document(content: str | Mapping[str, Any], *, path: str = "content") -> list[Finding]:
    """What AWS would refuse in an SCP: unreadable JSON, over ``MAX_SCP_BYTES``, an unsupported element, a
    Condition or Resource in an Allow statement, a statement without Action/NotAction. Never raises."""
    text = content if isinstance(content, str) else minified(content)
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return [Finding(path, text[:80], "scp-json", "the SCP is not valid JSON")]
    out: list[Finding] = []
    size = scp_size(text)
    if size > MAX_SCP_BYTES:
        out.append(
            Finding(
                path,
                size,
                "scp-size",
                f"the SCP is {size} bytes; AWS allows {MAX_SCP_BYTES} ({SCP_LIMITS_URL})",
            )
        )
    if not isinstance(document, Mapping) or document.get("Version") != "2012-10-17":
        out.append(Finding(join(path, "Version"), None, "scp-version", 'every SCP needs "Version": "2012-10-17"'))
        if not isinstance(document, Mapping):
            return out
    for index, statement in enumerate(_as_list(document.get("Statement"))):
        where = join(path, "Statement", index)
        if not isinstance(statement, Mapping):
            out.append(Finding(where, statement, "scp-statement", "a statement must be an object"))
            continue
        for element in _UNSUPPORTED_SCP_ELEMENTS:
            if element in statement:
                out.append(
                    Finding(join(where, element), statement[element], "scp-syntax", f"SCPs do not support {element}")
                )
        if statement.get("Effect") == "Allow":
            for element in ("Condition", "NotAction", "NotResource"):
                if element in statement:
                    out.append(
                        Finding(join(where, element), None, "scp-syntax", f"{element} is supported in Deny only")
                    )
        if "Action" not in statement and "NotAction" not in statement:
            out.append(Finding(where, None, "scp-syntax", "a statement needs Action or NotAction"))
    return out


def attachment_count_findings(
    path: str, ours: int, elsewhere: Mapping[str, int], targets: Iterable[str]
) -> list[Finding]:
    """Targets that would hold more than ``MAX_SCPS_PER_TARGET`` directly attached SCPs: ours plus those
    attached elsewhere (``DEFAULT_SCPS_ATTACHED_ELSEWHERE`` for a target not listed: ``FullAWSAccess``)."""
    out = []
    for target in sorted(set(targets)):
        count = ours + elsewhere.get(target, DEFAULT_SCPS_ATTACHED_ELSEWHERE)
        if count > MAX_SCPS_PER_TARGET:
            out.append(
                Finding(
                    path,
                    target,
                    "scps-per-target",
                    f"{count} SCPs would be attached to {target} ({ours} guardrail, "
                    f"{count - ours} already there, FullAWSAccess counts); AWS allows {MAX_SCPS_PER_TARGET} "
                    f"({SCP_LIMITS_URL}): shorten the exempt and reserved name lists or detach another SCP",
                )
            )
    return out


# --------------------------------------------------------------------------- trust policies


def policy_mapping(document: Any) -> Mapping[str, Any] | None:
    """A policy as IAM returns it: a mapping (boto3 decodes it), or JSON text, possibly URL-encoded."""
    if isinstance(document, Mapping):
        return document
    if not isinstance(document, str):
        return None
    for text in (document, unquote(document)):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            continue
        return value if isinstance(value, Mapping) else None
    return None


def _account_of(principal: str) -> str | None:
    if principal.isdigit() and len(principal) == 12:
        return principal
    parts = principal.split(":")
    if len(parts) >= 6 and parts[0] == "arn" and parts[2] in ("iam", "sts") and parts[4].isdigit():
        return parts[4]
    return None


def _covers_assume(actions: list[Any]) -> bool:
    for action in actions:
        if not isinstance(action, str):
            continue
        lowered = action.lower()
        if lowered in ("*", "sts:*") or lowered in _ASSUME_ACTIONS:
            return True
        if "*" in lowered or "?" in lowered:
            return True  # a wildcard we do not expand: count it as admitting (fail closed)
    return False


def trust_outsiders(
    document: Any, *, allowed_accounts: Iterable[str] = (), allowed_services: Iterable[str] = ()
) -> list[str]:
    """Principals a role's trust policy lets assume the role besides ``allowed_accounts`` (any principal of
    those accounts) and ``allowed_services``. Federated, canonical-user, wildcard and ``NotPrincipal`` grants
    always count; conditions are not credited (a condition does not change who is named). An unreadable
    document yields ``["<unreadable trust policy>"]``: fail closed."""
    policy = policy_mapping(document)
    if policy is None:
        return ["<unreadable trust policy>"]
    accounts, services = set(allowed_accounts), set(allowed_services)
    out: list[str] = []
    for statement in _as_list(policy.get("Statement", [])):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            out.append("NotAction statement")
            continue
        if not _covers_assume(_as_list(statement.get("Action", []))):
            continue
        if "NotPrincipal" in statement:
            out.append("NotPrincipal (everyone else)")
            continue
        principal = statement.get("Principal")
        if principal == "*" or not isinstance(principal, Mapping):
            out.append(str(principal))
            continue
        for kind, values in principal.items():
            for value in _as_list(values):
                text = str(value)
                if kind == "Service" and text in services:
                    continue
                if kind == "AWS" and _account_of(text) in accounts:
                    continue
                out.append(f"{kind}:{text}")
    return sorted(dict.fromkeys(out))
