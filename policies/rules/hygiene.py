"""Pulumi hygiene around backups: protect, ignore_changes, least-privilege documents, required tags.

These are the controls only an infrastructure-as-code pack can enforce: a vault without ``protect`` is one
``pulumi destroy`` away from deletion, and ``ignore_changes`` on a lock or plan lets its real retention
drift from what the code and its review say.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.findings import errors
from backup_rules.iam import check_policy_document
from backup_rules.names import BACKUP_KEY_TAG

from .adapter import is_unknown, not_known
from .base import ADVISORY, MANDATORY, Rule, resource_policy
from .resources import (
    AIR_GAPPED_VAULT,
    BACKUP_POLICY_TYPE,
    DELEGATED_ADMIN,
    DYNAMIC_RESOURCE,
    EVENT_BUS_POLICY,
    FRAMEWORK,
    GLOBAL_SETTINGS,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    KMS_KEY,
    KMS_KEY_POLICY,
    ORG_POLICY,
    ORG_POLICY_ATTACHMENT,
    ORG_RESOURCE_POLICY,
    ORGANIZATION,
    PLAN,
    REPORT_PLAN,
    RESTORE_TESTING_PLAN,
    S3_BUCKET_POLICY,
    SELECTION,
    SERVICE_ACCESS,
    SNS_TOPIC_POLICY,
    VAULT,
    VAULT_LOCK,
    VAULT_NOTIFICATIONS,
    VAULT_POLICY,
    Resource,
    is_delegation_statements,
)

DOMAIN = "pulumi-hygiene"


def _is_backup_policy(resource: Resource) -> bool:
    """An Organizations policy of type BACKUP_POLICY; an unknown type counts as one (fail closed)."""
    policy_type = resource.get("type")
    return is_unknown(policy_type) or policy_type == BACKUP_POLICY_TYPE


def _is_backup_key(resource: Resource) -> bool:
    """A KMS key tagged org-backup:backup-key=true; unknown tags count as such a key (fail closed)."""
    tags = resource.get("tags")
    if is_unknown(tags):
        return True
    value = tags.get(BACKUP_KEY_TAG) if isinstance(tags, Mapping) else None
    return is_unknown(value) or (isinstance(value, str) and value.lower() == "true")


# --------------------------------------------------------------------------- backup-resources-protected

DEFAULT_PROTECTED_TYPES = [
    VAULT,
    VAULT_LOCK,
    AIR_GAPPED_VAULT,
    DELEGATED_ADMIN,
    ORG_POLICY,
    KMS_KEY,
    ORG_RESOURCE_POLICY,
]
PROTECTABLE_TYPES = [
    *DEFAULT_PROTECTED_TYPES,
    VAULT_POLICY,
    VAULT_NOTIFICATIONS,
    PLAN,
    SELECTION,
    FRAMEWORK,
    REPORT_PLAN,
    GLOBAL_SETTINGS,
    RESTORE_TESTING_PLAN,
    ORG_POLICY_ATTACHMENT,
    ORG_RESOURCE_POLICY,
    ORGANIZATION,
    SERVICE_ACCESS,
    KMS_KEY_POLICY,
]

PROTECTED = Rule(
    name="backup-resources-protected",
    description=(
        "Resources whose loss destroys backups or the organization's backup setup carry the Pulumi protect "
        "option: by default backup vaults, Vault Locks, logically air-gapped vaults, the AWS Backup delegated "
        f"administrator, Organizations policies of type {BACKUP_POLICY_TYPE} and KMS keys tagged "
        f"{BACKUP_KEY_TAG}=true, and the organization's delegation policy (an "
        f"{ORG_RESOURCE_POLICY}, or org-backup's dynamic resource holding its statements, judged under that "
        "type token) (config types chooses among the supported types). Without protect, pulumi "
        "destroy, a removed config entry or a replacing change deletes them; with it, Pulumi refuses. Fails "
        "closed: a policy type or key tags not known during preview count as in scope."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup protects these resources itself; a report here means a hand-written resource: pass "
        "opts=pulumi.ResourceOptions(protect=True) (and retain_on_delete=True for vaults and keys). Removing "
        "one on purpose takes `pulumi state unprotect <urn>` first."
    ),
    config={
        "types": {
            "type": "array",
            "items": {"type": "string", "enum": PROTECTABLE_TYPES},
            "default": DEFAULT_PROTECTED_TYPES,
            "description": "Type tokens that must be protected (KMS keys only when tagged as backup keys).",
        }
    },
    domain=DOMAIN,
)


def _kind(resource: Resource) -> str:
    """The type token a resource is judged under: the delegation statements stand for the ResourcePolicy."""
    return ORG_RESOURCE_POLICY if is_delegation_statements(resource) else resource.type


def check_protected(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if _kind(resource) not in (config.get("types") or ()) or resource.protect:
        return
    if resource.type == ORG_POLICY and not _is_backup_policy(resource):
        return
    if resource.type == KMS_KEY and not _is_backup_key(resource):
        return
    kind = "delegation statements resource" if _kind(resource) != resource.type else resource.type.rsplit(":", 1)[-1]
    yield (
        f"this {kind} is not protected: pulumi destroy, a removed config entry or a replacing change would delete "
        "it, where protect makes Pulumi refuse"
    )


# --------------------------------------------------------------------------- backup-lock-not-ignored

GUARDED_FIELDS: dict[str, tuple[str, ...]] = {
    VAULT_LOCK: ("backupVaultName", "changeableForDays", "minRetentionDays", "maxRetentionDays"),
    AIR_GAPPED_VAULT: ("minRetentionDays", "maxRetentionDays"),
    PLAN: ("rules",),
    VAULT: ("forceDestroy", "kmsKeyArn"),
    VAULT_POLICY: ("policy",),
    ORG_POLICY: ("content", "type"),
}
_ROOT_RE = re.compile(r"""^\s*(?:\[\s*["']([^"']+)["']\s*\]|([^.\[]+))""")

LOCK_NOT_IGNORED = Rule(
    name="backup-lock-not-ignored",
    description=(
        "The ignore_changes option of a Vault Lock, backup plan, vault, vault access policy, logically "
        f"air-gapped vault or {BACKUP_POLICY_TYPE} Organizations policy does not hide its retention, lock, "
        'lifecycle, rules, policy or content fields (nor "*"). Ignored fields drift silently: the code and '
        "its review say one retention while AWS keeps another, and a preview never shows it."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup never sets ignore_changes on these resources; a report here means a hand-written resource "
        "or a local change: remove the listed paths from ignore_changes and let the code own those fields "
        "(import an out-of-band change into the code instead)."
    ),
    domain=DOMAIN,
)


def _root_field(path: str) -> str:
    """The top-level property an ignore_changes path names, normalised (``rules[0].x`` -> ``rules``)."""
    match = _ROOT_RE.match(path)
    root = (match.group(1) or match.group(2)) if match else path
    return root.strip().replace("_", "").lower()


def check_lock_not_ignored(resource: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    if not resource.ignore_changes:
        return
    if resource.type == ORG_POLICY and not _is_backup_policy(resource):
        return
    guarded = {field.lower(): field for field in GUARDED_FIELDS[resource.type]}
    hidden: dict[str, list[str]] = {}
    for path in resource.ignore_changes:
        root = _root_field(path)
        fields = list(guarded.values()) if root == "*" else [guarded[root]] if root in guarded else []
        for field in fields:
            hidden.setdefault(field, []).append(path)
    if hidden:
        paths = sorted({path for paths in hidden.values() for path in paths})
        yield (
            f"ignore_changes {', '.join(paths)} hides {', '.join(hidden)}: changes to them in code would "
            "never reach AWS, and drift in AWS would never show in a preview"
        )


# --------------------------------------------------------------------------- iam-policy-least-privilege

DOCUMENT_PROPS: dict[str, str] = {
    IAM_ROLE_POLICY: "policy",
    S3_BUCKET_POLICY: "policy",
    SNS_TOPIC_POLICY: "policy",
    EVENT_BUS_POLICY: "policy",
    VAULT_POLICY: "policy",
    ORG_RESOURCE_POLICY: "content",
}

LEAST_PRIVILEGE = Rule(
    name="iam-policy-least-privilege",
    description=(
        "Every policy document of an IAM role (assumeRolePolicy, inlinePolicies[].policy), role policy, S3 "
        "bucket policy, SNS topic policy, EventBridge bus policy, Organizations resource policy (or the content of "
        "org-backup's dynamic resource that holds the delegation policy's statements) and backup "
        "vault access policy passes the least-privilege checks shared by the whole pack: valid JSON, Effect "
        'Allow or Deny, no NotPrincipal, no Allow with wildcard actions or NotAction, Principal "*" only '
        "with an aws:PrincipalOrgID/PrincipalOrgPaths condition, unique Sids. KMS key policies are checked "
        "by kms-key-policy-backup. Warnings are not reported. Fails closed: a document not known during "
        "preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "org-backup's generated documents pass these checks; a report here means a hand-written document: "
        'list the actions explicitly, add a StringEquals aws:PrincipalOrgID condition to statements for Principal "*", and '
        "replace NotPrincipal/NotAction, in the named property (policy, assume_role_policy, inline_policies, "
        "content)."
    ),
    domain=DOMAIN,
)


def _documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(property path, document) for every policy document the resource carries."""
    kind = _kind(resource)
    if kind not in DOCUMENT_PROPS and kind != IAM_ROLE:
        return  # a dynamic resource other than the delegation statements
    if kind != IAM_ROLE:
        yield DOCUMENT_PROPS[kind], resource.get(DOCUMENT_PROPS[kind])
        return
    yield "assumeRolePolicy", resource.get("assumeRolePolicy")
    inline = resource.get("inlinePolicies")
    if is_unknown(inline):
        yield "inlinePolicies", inline
    elif isinstance(inline, Sequence) and not isinstance(inline, str):
        for position, entry in enumerate(inline):
            document = entry.get("policy") if isinstance(entry, Mapping) else entry
            yield f"inlinePolicies[{position}].policy", document


def check_least_privilege(resource: Resource, _config: Mapping[str, Any]) -> Iterator[str]:
    for path, document in _documents(resource):
        if is_unknown(document):
            yield not_known(path, "least privilege of this policy document")
        elif isinstance(document, (str, Mapping)) and document:
            yield from (str(finding) for finding in errors(check_policy_document(document, path=path)))


# --------------------------------------------------------------------------- backup-required-tags

REQUIRED_TAGS = Rule(
    name="backup-required-tags",
    description=(
        "Backup vaults, backup plans and report plans carry every tag key in requiredTagKeys (in tags, or "
        "tagsAll when the provider adds default tags), as Security Hub Backup.3-5 ask: tags are how owners, "
        "cost centres and inventories find backup resources. Tags not known during preview are skipped."
    ),
    enforcement=ADVISORY,
    severity=Severity.LOW,
    remediation=(
        "org-backup users: add the keys to the provider default tags or to plans.<plan>.tags. Hand-written "
        "resources: add them to tags on the aws.backup.Vault, aws.backup.Plan or aws.backup.ReportPlan."
    ),
    config={
        "requiredTagKeys": {
            "type": "array",
            "items": {"type": "string"},
            "default": [],
            "description": "Tag keys every vault, plan and report plan must carry.",
        }
    },
    domain=DOMAIN,
)


def check_required_tags(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    required = [str(key) for key in config.get("requiredTagKeys") or ()]
    if not required:
        return
    tag_maps = [resource.get(prop) for prop in ("tags", "tagsAll")]
    if any(is_unknown(tags) for tags in tag_maps):
        return
    present = {key for tags in tag_maps if isinstance(tags, Mapping) for key in tags}
    missing = [key for key in required if key not in present]
    if missing:
        yield f"missing required tag keys: {', '.join(missing)}"


POLICIES: list[Policy] = [
    resource_policy(PROTECTED, [*PROTECTABLE_TYPES, DYNAMIC_RESOURCE], check_protected),
    resource_policy(LOCK_NOT_IGNORED, GUARDED_FIELDS, check_lock_not_ignored),
    resource_policy(LEAST_PRIVILEGE, [IAM_ROLE, *DOCUMENT_PROPS, DYNAMIC_RESOURCE], check_least_privilege),
    resource_policy(REQUIRED_TAGS, [VAULT, PLAN, REPORT_PLAN], check_required_tags),
]
