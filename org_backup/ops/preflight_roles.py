"""Preflight checks of the guardrail: can ``pulumi up`` attach the SCPs, and is any exemption squatted already?

Hooked into ``org_backup.ops.preflight``: ``organization_findings`` once per run, ``account_findings`` per account.

- the ``SERVICE_CONTROL_POLICY`` type must be enabled on the root. The program does not enable it: doing so
  attaches ``FullAWSAccess`` to every root, OU and account of the organization, an organization-wide change
  that other teams (Control Tower, a security team's SCPs) own
  (https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html);
- no target may end up with more than 5 directly attached SCPs
  (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html): the SCPs already
  attached are read with ListPoliciesForTarget; a count above what ``guardrail.policies_attached_elsewhere``
  declares is a warning, so that the loader's check matches the organization;
- in every member account (and the central vault account), the roles of reserved names (``guardrail_roles``).
"""

from __future__ import annotations

from functools import partial

from components.documents.guardrail_scp import guardrail_attachment_targets, guardrail_policies
from org_backup.ops.aws import AccountAccess, paginate
from org_backup.ops.common import Stack, attempt
from org_backup.ops.guardrail_roles import role_findings
from org_backup.ops.organization import Org
from policies.backup_rules.findings import Finding
from policies.backup_rules.guardrail import (
    DEFAULT_SCPS_ATTACHED_ELSEWHERE,
    MAX_SCPS_PER_TARGET,
    SCP_LIMITS_URL,
    SCPS_PER_TARGET,
    SERVICE_CONTROL_POLICY,
)
from stackconfig.inventory import OrgTree

POLICY_TYPE_CHECK = "scp-policy-type"
# The preflight check reports under the guardrail rule's own id.
PER_TARGET_CHECK = SCPS_PER_TARGET
ROLE_CHECK = "reserved-role"


def policy_type_enabled(org: Org) -> bool:
    roots = list(paginate(org.organizations(), "list_roots", "Roots"))
    return any(
        entry.get("Type") == SERVICE_CONTROL_POLICY and entry.get("Status") == "ENABLED"
        for root in roots
        for entry in root.get("PolicyTypes", [])
    )


def _policy_type(stack: Stack, org: Org) -> list[Finding]:
    if policy_type_enabled(org):
        return []
    return [
        Finding.observed(
            rule=POLICY_TYPE_CHECK,
            message=f"the {SERVICE_CONTROL_POLICY} policy type is not enabled on the root: the guardrail cannot "
            "be attached",
            remediation="enable service control policies (Organizations console, Policies), knowing that AWS then "
            "attaches FullAWSAccess everywhere; or set guardrail.enabled: false",
            account=stack.config.organization.management_account_id,
            resource=stack.config.organization.root_id,
        )
    ]


def _per_target(stack: Stack, org: Org, tree: OrgTree) -> list[Finding]:
    config = stack.config
    ours = guardrail_policies(config)
    names = {policy.name for policy in ours}
    declared = config.guardrail.policies_attached_elsewhere
    organizations = org.organizations()
    out: list[Finding] = []
    for target in guardrail_attachment_targets(config, tree):
        attached = [
            p
            for p in paginate(
                organizations, "list_policies_for_target", "Policies", TargetId=target, Filter=SERVICE_CONTROL_POLICY
            )
            if p.get("Name") not in names
        ]
        count = len(attached) + len(ours)
        if count > MAX_SCPS_PER_TARGET:
            out.append(
                Finding.observed(
                    rule=PER_TARGET_CHECK,
                    message=f"{target} has {len(attached)} SCPs attached ({', '.join(p.get('Name', '?') for p in attached)}); "
                    f"with the guardrail's {len(ours)} it would exceed AWS's {MAX_SCPS_PER_TARGET} ({SCP_LIMITS_URL})",
                    remediation="detach an SCP there, or exclude the target, or set guardrail.enabled: false",
                    resource=target,
                )
            )
        elif len(attached) > declared.get(target, DEFAULT_SCPS_ATTACHED_ELSEWHERE):
            out.append(
                Finding.observed(
                    rule=PER_TARGET_CHECK,
                    message=f"{target} has {len(attached)} SCPs attached besides the guardrail; the config assumes "
                    f"{declared.get(target, DEFAULT_SCPS_ATTACHED_ELSEWHERE)}",
                    remediation=f"set guardrail.policies_attached_elsewhere.{target}: {len(attached)} so the "
                    "configuration check counts them",
                    resource=target,
                    severity="warning",
                )
            )
    return out


def organization_findings(stack: Stack, org: Org, tree: OrgTree) -> list[Finding]:
    """The policy type and the per-target count, each in its own attempt (an AWS error is a finding)."""
    if not stack.config.guardrail.enabled or org.description.get("FeatureSet") != "ALL":
        return []  # without all features there are no SCPs: the all-features finding says it once
    management = stack.config.organization.management_account_id
    out = attempt(POLICY_TYPE_CHECK, management, None, partial(_policy_type, stack, org))
    if not any(f.rule == POLICY_TYPE_CHECK for f in out):
        out += attempt(PER_TARGET_CHECK, management, None, partial(_per_target, stack, org, tree))
    return out


def account_findings(stack: Stack, access: AccountAccess, account_roles: list[str]) -> list[Finding]:
    """Reserved-name roles in a member or central vault account; before deploy a missing break-glass role is
    a warning (the SCP is not there yet to stop a squatter)."""
    if not ({"member", "central"} & set(account_roles)):
        return []
    return attempt(
        ROLE_CHECK,
        access.account_id,
        None,
        partial(
            role_findings, stack.config, access, stack.home_region, check=ROLE_CHECK, missing_break_glass="warning"
        ),
    )
