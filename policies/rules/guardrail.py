"""The guardrail service control policies: valid and within AWS's limits, protected, and present.

The SCP limits and syntax rules live in ``backup_rules.guardrail`` (shared with the program's builder and
the configuration loader); these rules apply them to what the stack registers, hand-written SCPs included.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.guardrail import (
    DEFAULT_SCPS_ATTACHED_ELSEWHERE,
    MAX_SCP_BYTES,
    MAX_SCPS_PER_TARGET,
    SCP_EFFECTS_URL,
    SCP_LIMITS_URL,
    SCP_SYNTAX_URL,
    SERVICE_CONTROL_POLICY,
    check_scp_document,
    guardrail_hardening_findings,
    policy_mapping,
)

from .adapter import is_unknown, not_known
from .base import ADVISORY, MANDATORY, Rule, integer_setting, resource_policy, stack_policy
from .resources import ORG_POLICY, VAULT, Resource, StackIndex

DOMAIN = "guardrail"


def _is_scp(resource: Resource) -> bool:
    return resource.type == ORG_POLICY and resource.get("type") == SERVICE_CONTROL_POLICY


# --------------------------------------------------------------------------- guardrail-scp-valid

SCP_VALID = Rule(
    name="guardrail-scp-valid",
    description=(
        f"Every service control policy is JSON AWS accepts: at most {MAX_SCP_BYTES} characters including white "
        f"space ({SCP_LIMITS_URL}), Version 2012-10-17, no Principal or NotPrincipal, Condition, NotAction and "
        f"NotResource only in Deny statements ({SCP_SYNTAX_URL}). Fails closed on content not known in preview."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup splits its guardrail into several SCPs when needed; shorten the exempt role names "
        "(vaults.*.break_glass_role_names, guardrail.extra_exempt_role_names) if one statement is too large."
    ),
    domain=DOMAIN,
)


def check_scp_valid(resource: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    if resource.get("type") != SERVICE_CONTROL_POLICY:
        return
    content = resource.get("content")
    if is_unknown(content):
        yield not_known("content", "the SCP's size and syntax")
        return
    if not isinstance(content, str):
        yield "content is missing: an SCP needs a JSON document"
        return
    for finding in check_scp_document(content):
        yield f"{resource.name}: {finding}"


# --------------------------------------------------------------------------- guardrail-protected

PROTECTED = Rule(
    name="guardrail-protected",
    description=(
        "Service control policies and their attachments carry the Pulumi protect option: deleting or detaching "
        "the guardrail gives every member-account administrator back the power to rewrite vault policies, "
        "disable backup keys and take over exempt role names."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation="pass opts=pulumi.ResourceOptions(protect=True) to the SCP and to each PolicyAttachment.",
    domain=DOMAIN,
)


def check_protected(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for policy in index.of_type(ORG_POLICY):
        if not _is_scp(policy):
            continue
        if not policy.protect:
            yield policy.urn, f"SCP {policy.name} is not protected"
        for attachment in index.attachments_of(policy):
            if not attachment.protect:
                yield attachment.urn, f"attachment {attachment.name} of SCP {policy.name} is not protected"


# --------------------------------------------------------------------------- guardrail-scps-per-target

PER_TARGET = Rule(
    name="guardrail-scps-per-target",
    description=(
        f"No root, OU or account gets more than {MAX_SCPS_PER_TARGET} directly attached SCPs ({SCP_LIMITS_URL}): "
        "those of this stack plus attached_elsewhere (default 1, the FullAWSAccess policy AWS attaches to "
        f"every target, {SCP_EFFECTS_URL}). AWS refuses the attachment past the limit."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "declare guardrail.policies_attached_elsewhere for targets with more SCPs, shorten the guardrail, or "
        "detach SCPs you no longer need."
    ),
    config={
        "attached_elsewhere": integer_setting(
            minimum=0,
            maximum=MAX_SCPS_PER_TARGET,
            default=DEFAULT_SCPS_ATTACHED_ELSEWHERE,
            description="SCPs attached to every target outside this stack (FullAWSAccess counts).",
        )
    },
    domain=DOMAIN,
    config_section="guardrail.policies_attached_elsewhere",
)


def check_per_target(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    counts: Counter[str] = Counter()
    for policy in index.of_type(ORG_POLICY):
        if not _is_scp(policy):
            continue
        for attachment in index.attachments_of(policy):
            target = attachment.get("targetId")
            if isinstance(target, str):
                counts[target] += 1
    elsewhere = int(config.get("attached_elsewhere", DEFAULT_SCPS_ATTACHED_ELSEWHERE))
    for target, count in sorted(counts.items()):
        if count + elsewhere > MAX_SCPS_PER_TARGET:
            yield (
                None,
                (
                    f"{target} would hold {count} SCPs of this stack plus {elsewhere} attached elsewhere; AWS allows "
                    f"{MAX_SCPS_PER_TARGET}"
                ),
            )


# --------------------------------------------------------------------------- guardrail-present

PRESENT = Rule(
    name="guardrail-present",
    description=(
        "A stack that creates backup vaults also attaches at least one service control policy: a vault access "
        "policy or key policy lives in the member account, whose administrator can rewrite it; only an SCP, "
        f"attached from the management account, binds that administrator ({SCP_EFFECTS_URL}). Advisory: the "
        "guardrail is opt-out (guardrail.enabled: false)."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="set guardrail.enabled: true (the default) in the stack configuration.",
    domain=DOMAIN,
    config_section="guardrail.enabled",
)


def check_present(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    if not index.of_type(VAULT):
        return
    attached = [p for p in index.of_type(ORG_POLICY) if _is_scp(p) and index.attachments_of(p)]
    if not attached:
        yield None, "the stack creates backup vaults but attaches no service control policy to guard them"


# --------------------------------------------------------------------------- guardrail-hardened

HARDENED = Rule(
    name="guardrail-hardened",
    description=(
        "A reserved-name guardrail (SCPs denying iam:CreateRole on named roles) never exempts stacksets-exec-* from "
        "role takeover or key destruction (every CloudFormation StackSets administrator acts as that role: "
        "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html), denies "
        "iam:PassRole of the reserved roles (StartCopyJob runs as the role passed: "
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/API_StartCopyJob.html) and denies role changes on "
        "aws:ResourceTag/org-backup:reserved (ARN patterns are case-sensitive, role names are not: "
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names). "
        "Judged over every SCP of the stack together; fails closed on content not known in preview."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "use org-backup's guardrail builder (components/documents/guardrail_scp.py); exempt the StackSets execution "
        "role only from what the member template writes."
    ),
    domain=DOMAIN,
)


def check_hardened(index: StackIndex, _config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    documents = []
    for policy in index.of_type(ORG_POLICY):
        if not _is_scp(policy):
            continue
        content = policy.get("content")
        if is_unknown(content):
            yield policy.urn, not_known("content", "whether the guardrail is hardened")
            return
        document = policy_mapping(content)
        if document is not None:
            documents.append(document)
    for message in guardrail_hardening_findings(documents):
        yield None, message


POLICIES: list[Policy] = [
    resource_policy(SCP_VALID, [ORG_POLICY], check_scp_valid),
    stack_policy(PROTECTED, check_protected),
    stack_policy(PER_TARGET, check_per_target),
    stack_policy(PRESENT, check_present),
    stack_policy(HARDENED, check_hardened),
]
