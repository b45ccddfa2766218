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
from .names import RESERVED_ROLE_TAG, STACKSETS_EXECUTION_ROLE

# Rule ids (one home each: the loader, the pack and the tests import them).
SCPS_PER_TARGET = "scps-per-target"

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
                    SCPS_PER_TARGET,
                    f"{count} SCPs would be attached to {target} ({ours} guardrail, "
                    f"{count - ours} already there, FullAWSAccess counts); AWS allows {MAX_SCPS_PER_TARGET} "
                    f"({SCP_LIMITS_URL}): shorten the exempt and reserved name lists or detach another SCP",
                )
            )
    return out


# --------------------------------------------------------------------------- hardening of a reserved-name guardrail

STACKSETS_EXECUTION_ROLE_PATTERN = STACKSETS_EXECUTION_ROLE
"""Shared by every service-managed stack set of an account: whoever can create or update any of them (the
management account, every CloudFormation delegated administrator) acts as it."""
KEY_DESTRUCTION_ACTIONS = ("kms:disablekey", "kms:schedulekeydeletion")
IAM_ARN_CONDITIONS_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN"
IAM_NAMES_URL = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names"


def _actions(statement: Mapping[str, Any]) -> set[str]:
    return {str(a).lower() for a in _as_list(statement.get("Action", []))}


def _exempt_patterns(statement: Mapping[str, Any]) -> list[str]:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return []
    out: list[str] = []
    for operator, block in condition.items():
        if str(operator).startswith("ArnNotLike") and isinstance(block, Mapping):
            for key, values in block.items():
                if str(key).lower() == "aws:principalarn":
                    out += [str(v) for v in _as_list(values)]
    return out


def _denies(statement: Any) -> bool:
    return isinstance(statement, Mapping) and statement.get("Effect") == "Deny"


def guardrail_hardening_findings(documents: Iterable[Mapping[str, Any]]) -> list[str]:
    """What a reserved-name guardrail (SCPs denying ``iam:CreateRole`` on named roles) must not miss, over every SCP
    of the stack together (the guardrail may be split):

    - every exempt name, and ``stacksets-exec-*`` itself, is denied to ``stacksets-exec-*`` for creation and re-trust
      (CreateRole, UpdateAssumeRolePolicy), and no Deny of key destruction (DisableKey, ScheduleKeyDeletion) exempts
      it (any StackSets administrator acts as that role);
    - ``iam:PassRole`` of the reserved roles is denied (a passed backup role runs jobs the central vault admits);
    - role changes are also denied on ``aws:ResourceTag/org-backup:reserved``: ARN patterns match case-sensitively
      (IAM_ARN_CONDITIONS_URL) while role names are case-insensitive (IAM_NAMES_URL).
    SCPs that deny no ``iam:CreateRole`` are not a reserved-name guardrail and are left alone."""
    statements = [s for d in documents for s in _as_list(d.get("Statement", [])) if _denies(s)]
    out: list[str] = []
    executor = f"role/{STACKSETS_EXECUTION_ROLE_PATTERN}"

    def exempts_executor(statement: Mapping[str, Any]) -> bool:
        return any(p.endswith(executor) for p in _exempt_patterns(statement))

    for statement in statements:
        destroying = _actions(statement) & set(KEY_DESTRUCTION_ACTIONS)
        if destroying and exempts_executor(statement):
            out.append(
                f"statement {statement.get('Sid', '?')} exempts {STACKSETS_EXECUTION_ROLE_PATTERN} from "
                f"{sorted(destroying)}: whoever can deploy any service-managed stack set acts as that role"
            )
    takeover = [s for s in statements if {"iam:createrole", "iam:updateassumerolepolicy"} <= _actions(s)]
    if not takeover:
        return out
    names = {
        p.split(":role/", 1)[1]
        for s in takeover
        for p in _exempt_patterns(s)
        if ":role/" in p and not p.endswith(executor)
    }
    for name in sorted({*names, STACKSETS_EXECUTION_ROLE_PATTERN}):
        guarded = any(
            not exempts_executor(s) and any(str(r).endswith(f"role/{name}") for r in _as_list(s.get("Resource", [])))
            for s in takeover
        )
        if not guarded:
            out.append(
                f"no statement denies {STACKSETS_EXECUTION_ROLE_PATTERN} the creation or re-trust of role/{name}: "
                "whoever can deploy any service-managed stack set acts as that role and would take it over"
            )
    if not any("iam:passrole" in _actions(s) for s in statements):
        out.append(
            "no statement denies iam:PassRole of the reserved roles: an administrator who passes the backup role to "
            "StartCopyJob fills the central vault"
        )
    tag_key = f"aws:resourcetag/{RESERVED_ROLE_TAG}"
    tagged = [
        s
        for s in statements
        if "iam:updateassumerolepolicy" in _actions(s)
        and isinstance(s.get("Condition"), Mapping)
        and any(
            isinstance(block, Mapping) and tag_key in {str(k).lower() for k in block}
            for block in s["Condition"].values()
        )
    ]
    if not tagged:
        out.append(
            f"no statement denies role changes on aws:ResourceTag/{RESERVED_ROLE_TAG}: names in Resource match "
            f"case-sensitively ({IAM_ARN_CONDITIONS_URL}), role names do not ({IAM_NAMES_URL})"
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
