"""IAM policy building blocks, the AWS Backup service role and the Organizations delegation policy.

Pure functions, no Pulumi import: the components pass plain values (inside ``Output.apply`` when needed) and
serialise the returned ``dict`` with ``json.dumps(doc, separators=(",", ":"), sort_keys=True)``.

The helpers at the top are shared by the other modules of this package. :func:`policy_document` runs the
policy pack's own least-privilege reader (``policies/backup_rules/iam.py``, the one home of those rules,
PRODUCT.md §5) on every document and refuses to return one with any finding, so whatever the inputs a
builder never produces a wildcard ``Allow`` action, an ``Allow`` to ``Principal: "*"`` without an
``aws:PrincipalOrgID``/``aws:PrincipalOrgPaths`` condition, a non-regional ``kms:ViaService``, a
``NotPrincipal`` or a non-alphanumeric or duplicate ``Sid``. :func:`statement` cannot express
``NotPrincipal``/``NotAction``/``NotResource`` at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from policies.backup_rules.arns import (
    account_root_arn,
    require_account_id,
    require_organization_id,
    require_organization_paths,
    require_partition,
    require_root_id,
)
from policies.backup_rules.iam import check_policy_document
from policies.backup_rules.names import BACKUP_SERVICE_PRINCIPAL

POLICY_VERSION = "2012-10-17"
ANY_PRINCIPAL = "*"

Document = dict[str, Any]
Statement = dict[str, Any]
Principal = str | dict[str, str | list[str]]
Conditions = dict[str, dict[str, str | list[str]]]


def one_or_many(values: Sequence[str]) -> str | list[str]:
    """A single value as a string, several as a list: the way AWS writes (and returns) policies."""
    if not values:
        raise ValueError("a policy element needs at least one value")
    return values[0] if len(values) == 1 else list(values)


def aws_principal(arns: Sequence[str]) -> dict[str, str | list[str]]:
    """An ``{"AWS": …}`` principal for explicit ARNs (never the ``*`` wildcard)."""
    if any("*" in arn or "?" in arn for arn in arns):
        raise ValueError(f"explicit principals cannot contain wildcards: {list(arns)}")
    return {"AWS": one_or_many(sorted(set(arns)))}


def service_principal(service: str) -> dict[str, str | list[str]]:
    """A ``{"Service": …}`` principal such as ``backup.amazonaws.com``."""
    return {"Service": service}


def organization_conditions(organization_id: str, organization_paths: Sequence[str] = ()) -> Conditions:
    """Restrict a statement to principals of the organization, and to the given OU paths if any.

    ``aws:PrincipalOrgID`` is always present; with paths, ``ForAnyValue:StringLike aws:PrincipalOrgPaths``
    narrows it further (the paths are validated to lie inside the same organization).
    """
    org = require_organization_id(organization_id)
    out: Conditions = {"StringEquals": {"aws:PrincipalOrgID": org}}
    paths = require_organization_paths(organization_paths, organization_id=org)
    if paths:
        out["ForAnyValue:StringLike"] = {"aws:PrincipalOrgPaths": paths}
    return out


def merge_conditions(*blocks: Mapping[str, Mapping[str, str | list[str]]]) -> Conditions:
    """Merge condition blocks operator by operator; a key given twice is a programming error."""
    out: Conditions = {}
    for block in blocks:
        for operator, keys in block.items():
            target = out.setdefault(operator, {})
            for key, value in keys.items():
                if key in target:
                    raise ValueError(f"condition {operator} {key} given twice")
                target[key] = value
    return out


def statement(
    *,
    sid: str,
    effect: Literal["Allow", "Deny"],
    actions: Sequence[str],
    principal: Principal | None = None,
    resources: Sequence[str] | None = None,
    conditions: Mapping[str, Mapping[str, str | list[str]]] | None = None,
) -> Statement:
    """One policy statement; actions sorted and de-duplicated, resources de-duplicated in order.

    ``principal`` is omitted for identity policies; ``resources`` is omitted for trust policies. The rules
    are checked on the whole document by :func:`policy_document`; every statement gets an explicit Sid.
    """
    if not sid:
        raise ValueError("every generated statement needs an explicit Sid")
    out: Statement = {"Sid": sid, "Effect": effect}
    if principal is not None:
        out["Principal"] = principal
    out["Action"] = one_or_many(sorted(set(actions)))
    if resources is not None:
        out["Resource"] = one_or_many(list(dict.fromkeys(resources)))
    if conditions:
        out["Condition"] = {operator: dict(keys) for operator, keys in conditions.items()}
    return out


def deny_all_except(sid: str, actions: Sequence[str], exempt_principal_arns: Sequence[str]) -> Statement:
    """Deny ``actions`` on every resource of the policy to ``Principal: "*"`` but the exempt ARNs (``ArnNotLike
    aws:PrincipalArn``): the shape of every protective statement of the vault and key policies."""
    return statement(
        sid=sid,
        effect="Deny",
        principal=ANY_PRINCIPAL,
        actions=actions,
        resources=["*"],
        conditions={"ArnNotLike": {"aws:PrincipalArn": list(exempt_principal_arns)}},
    )


def policy_document(*statements: Statement) -> Document:
    """A ``2012-10-17`` policy document, refused (``ValueError``) if the policy pack finds anything in it.

    Warnings count too: generated documents are held to the strict form (e.g. alphanumeric Sids).
    """
    document: Document = {"Version": POLICY_VERSION, "Statement": list(statements)}
    findings = check_policy_document(document)
    if findings:
        raise ValueError("generated policy breaks the policy rules: " + "; ".join(str(f) for f in findings))
    return document


# --- AWS Backup service role -------------------------------------------------------------------------------

_BACKUP_MANAGED_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


def backup_role_trust_policy() -> Document:
    """Trust policy of the backup service role named in the backup policies: only AWS Backup assumes it.

    No ``aws:SourceAccount``/``aws:SourceArn`` condition (security review F12), although IAM recommends them against
    the cross-service confused deputy (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html): AWS
    Backup documents them only for resource policies it is granted access by, an SNS topic with a backup vault as
    ``aws:SourceArn`` (https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-service-confused-deputy-prevention.html),
    and not that it sends them when it assumes the role a plan, a copy or a restore names
    (https://docs.aws.amazon.com/aws-backup/latest/devguide/iam-service-roles.html). A condition on a key the service
    does not send fails closed, and every job of the organization would fail. The exposure is small: a role is
    passed only by principals of its own account (iam:PassRole), which the guardrail SCP denies for this role.
    """
    return policy_document(
        statement(
            sid="AllowBackupServiceAssumeRole",
            effect="Allow",
            principal=service_principal(BACKUP_SERVICE_PRINCIPAL),
            actions=["sts:AssumeRole"],
        )
    )


def backup_role_managed_policy_arns(partition: str = "aws") -> list[str]:
    """The four AWS managed policies the backup role needs: backup and restore, plus the S3-specific pair
    (S3 backups fail without them)."""
    p = require_partition(partition)
    return [f"arn:{p}:iam::aws:policy/{name}" for name in _BACKUP_MANAGED_POLICIES]


# --- Organizations delegation policy (aws-backup-rules.md §5) ---------------------------------------------

BACKUP_POLICY_TYPE = "BACKUP_POLICY"

_DELEGATED_READ_ACTIONS = (
    "organizations:DescribeAccount",
    "organizations:DescribeEffectivePolicy",
    "organizations:DescribeOrganization",
    "organizations:DescribeOrganizationalUnit",
    "organizations:DescribePolicy",
    "organizations:ListAccounts",
    "organizations:ListAccountsForParent",
    "organizations:ListChildren",
    "organizations:ListOrganizationalUnitsForParent",
    "organizations:ListParents",
    "organizations:ListPolicies",
    "organizations:ListPoliciesForTarget",
    "organizations:ListRoots",
    "organizations:ListTagsForResource",
    "organizations:ListTargetsForPolicy",
)

_DELEGATED_MANAGE_ACTIONS = (
    "organizations:AttachPolicy",
    "organizations:CreatePolicy",
    "organizations:DeletePolicy",
    "organizations:DetachPolicy",
    "organizations:UpdatePolicy",
)

_DELEGATED_TAG_ACTIONS = ("organizations:TagResource", "organizations:UntagResource")


def organizations_delegation_policy(
    *,
    management_account_id: str,
    organization_id: str,
    root_id: str,
    delegate_account_id: str,
    partition: str = "aws",
) -> Document:
    """The Organizations resource-based policy that lets the delegated administrator manage backup policies.

    Modelled on the AWS example (aws-backup-rules.md §5): read-only Describe/List on ``*``, and
    Create/Update/Delete/Attach/Detach limited to the root, OUs, accounts and ``backup_policy`` policies of
    this organization, both with ``organizations:PolicyType = BACKUP_POLICY`` (``IfExists`` because
    Update/Delete requests carry no policy type: for them the ``backup_policy/*`` resource is the limit).
    Tagging is allowed on backup policies only (CreatePolicy with tags needs it). Enable/DisablePolicyType
    are deliberately not delegated: enabling the policy type stays with the management account.
    """
    p = require_partition(partition)
    management = require_account_id(management_account_id, "management_account_id")
    delegate = require_account_id(delegate_account_id, "delegate_account_id")
    if management == delegate:
        raise ValueError("delegate_account_id: the management account cannot be a delegated administrator")
    org = require_organization_id(organization_id)
    root = require_root_id(root_id)
    prefix = f"arn:{p}:organizations::{management}"
    policy_arns = f"{prefix}:policy/{org}/backup_policy/*"
    only_backup_policies = {"StringLikeIfExists": {"organizations:PolicyType": BACKUP_POLICY_TYPE}}
    principal = aws_principal([account_root_arn(delegate, p)])
    return policy_document(
        statement(
            sid="AllowDescribeAndListForBackupPolicies",
            effect="Allow",
            principal=principal,
            actions=_DELEGATED_READ_ACTIONS,
            resources=["*"],
            conditions=only_backup_policies,
        ),
        statement(
            sid="AllowManageBackupPolicies",
            effect="Allow",
            principal=principal,
            actions=_DELEGATED_MANAGE_ACTIONS,
            resources=[
                f"{prefix}:root/{org}/{root}",
                f"{prefix}:ou/{org}/*",
                f"{prefix}:account/{org}/*",
                policy_arns,
            ],
            conditions=only_backup_policies,
        ),
        statement(
            sid="AllowTagBackupPolicies",
            effect="Allow",
            principal=principal,
            actions=_DELEGATED_TAG_ACTIONS,
            resources=[policy_arns],
        ),
    )
