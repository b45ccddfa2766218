"""What the offline preview found, in one structure that every report format renders.

Each policy result (a ``Finding`` located by URN) carries the stack-file key to change as its ``path``, worked
out from where the resource sits in the component tree: a reviewer fixes configuration, not resources.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from deployment.layout import Layout, custom_policy_name
from org_backup.preview.offline import PROJECT_DIR, ProgramRun, RecordedResource
from org_backup.preview.policy_eval import Evaluation, RuleInfo
from policies.access import AccessMatrix
from policies.backup_rules.findings import DEFAULT_IMPACT, Finding, impact_rank
from policies.backup_rules.names import (
    AUDIT_REPORTING_TYPE,
    BACKUP_POLICIES_TYPE,
    CENTRAL_ALERTING_TYPE,
    CENTRAL_VAULTS_TYPE,
    GUARDRAIL_TYPE,
    MEMBER_ACCOUNT_TYPE,
    MEMBER_STACKSET_TYPE,
    ORGANIZATION_SETTINGS_TYPE,
)
from stackconfig.inventory import OrgTree
from stackconfig.load import format_report
from stackconfig.model import StackConfig

ORG_POLICY = "aws:organizations/policy:Policy"
ORG_POLICY_ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
COMPONENT_SECTIONS = {
    MEMBER_ACCOUNT_TYPE: "vaults.member",
    CENTRAL_VAULTS_TYPE: "vaults.central",
    AUDIT_REPORTING_TYPE: "audit",
    CENTRAL_ALERTING_TYPE: "alerting",
    ORGANIZATION_SETTINGS_TYPE: "organization",
    BACKUP_POLICIES_TYPE: "plans",
    MEMBER_STACKSET_TYPE: "member_deployment",
    GUARDRAIL_TYPE: "guardrail",
}
VAULT_PARTS = {
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": "lock",
    "aws:kms/key:Key": "key",
    "aws:kms/alias:Alias": "key",
    "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault": "air_gapped",
}
MEMBER_SECTIONS = {
    "aws:backup/framework:Framework": "audit",
    "aws:cloudwatch/eventRule:EventRule": "alerting",
    "aws:cloudwatch/eventTarget:EventTarget": "alerting",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan": "restore_testing",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection": "restore_testing",
}
ROLE_TYPES = frozenset({"aws:iam/role:Role", "aws:iam/rolePolicyAttachment:RolePolicyAttachment"})
PLAN_KEYS = {
    "rules": "rules",
    "selections": "selections",
    "regions": "regions",
    "advanced_backup_settings": "advanced",
    "backup_plan_tags": "tags",
}
DOCUMENT_PATH = re.compile(r"^(plans\.\S+?):(?:\s|$)")
_ARN = r"arn:[a-z-]+:backup:[a-z0-9-]+:(?P<account>[0-9]{12}|\$account):backup-vault:(?P<name>[^\s:()]+)"
# The pack names a templated destination "the destination <arn>"; a literal one is the copy action's key.
DESTINATION_ARN = re.compile(rf"the destination {_ARN}")
VAULT_ARN = re.compile(_ARN)


@dataclass(frozen=True)
class ConfigPlaces:
    """Where in the stack file each backup policy and the backup role come from."""

    policies: Mapping[str, str]
    backup_role_name: str
    # (account id, vault name) of the central vaults, and the member vaults' name (in every member account).
    central_vault: tuple[str, str] | None = None
    member_vault_name: str | None = None

    @classmethod
    def of(cls, config: StackConfig, layout: Layout) -> ConfigPlaces:
        custom = {custom_policy_name(config, n): f"backup_policies.custom.{n}" for n in config.backup_policies.custom}
        policies = {}
        for attached in layout.policies:
            plans = attached.document.plan_names
            name = attached.document.name
            policies[name] = custom.get(name) or (f"plans.{plans[0]}" if len(plans) == 1 else "plans")
        central = (config.organization.central_vault_account_id, config.vaults.central.name)
        return cls(policies, config.vaults.backup_role_name, central, config.vaults.member.name)

    def destination_lock(self, message: str) -> str | None:
        """The lock to change when a copy lands in one of this stack's vaults that is unlocked or in governance
        mode: the fix is the destination vault's lock, whichever plan copies there."""
        if "locked in governance mode" in message:
            part = "lock.mode"
        elif "has no Vault Lock" in message:
            part = "lock"
        else:
            return None
        match = DESTINATION_ARN.search(message) or VAULT_ARN.search(message)
        if match is None:
            return None
        account, name = match.group("account"), match.group("name")
        if self.central_vault is not None and (account, name) == self.central_vault:
            return f"vaults.central.{part}"
        if name == self.member_vault_name and (self.central_vault is None or account != self.central_vault[0]):
            return f"vaults.member.{part}"
        return None


def _document_path(base: str, document_path: str) -> str:
    """A backup-policy document path as a config path: a custom policy's content is the document itself."""
    if base.startswith("backup_policies.custom."):
        return f"{base}.content.{document_path}"
    parts = document_path.split(".")
    out = f"plans.{parts[1]}"
    if len(parts) > 2 and parts[2] in PLAN_KEYS:
        out += f".{PLAN_KEYS[parts[2]]}"
        if parts[2] == "rules" and len(parts) > 3:
            out += f".{parts[3]}" + (".copies" if parts[4:5] == ["copy_actions"] else "")
    return out


def config_path(
    chain: Sequence[RecordedResource], rule: RuleInfo | None, message: str, places: ConfigPlaces
) -> str | None:
    """The stack-file key to change for ``rule``'s violation on ``chain[0]`` (then its parents); with no rule,
    the section the resource comes from."""
    if rule is not None and rule.fixed_at_destination_lock and (lock := places.destination_lock(message)) is not None:
        return lock
    document = DOCUMENT_PATH.match(message)
    if not chain:
        if document:
            return _document_path("plans", document.group(1))
        return (rule.config_section or None) if rule is not None else None
    resource = chain[0]
    org_policy = next((r for r in chain if r.type == ORG_POLICY), None)
    if org_policy is not None and org_policy.inputs.get("type") == "SERVICE_CONTROL_POLICY":
        return "guardrail"
    if org_policy is not None:
        base = places.policies.get(org_policy.name, "plans")
        if document:
            return _document_path(base, document.group(1))
        return f"{base}.targets" if resource.type == ORG_POLICY_ATTACHMENT and base != "plans" else base
    section = next((COMPONENT_SECTIONS[r.type] for r in chain if r.type in COMPONENT_SECTIONS), None)
    if section not in ("vaults.member", "vaults.central"):
        return section
    if resource.type in MEMBER_SECTIONS:
        return MEMBER_SECTIONS[resource.type]
    if resource.type in ROLE_TYPES:
        role = resource.inputs.get("name") or resource.inputs.get("role")
        return "vaults.backup_role_name" if role == places.backup_role_name else "alerting"
    part = (rule.vault_key if rule is not None else "") or VAULT_PARTS.get(resource.type)
    return f"{section}.{part}" if part else section


@dataclass(frozen=True)
class ConfigProblem:
    """An invalid stack, inventory or policy-config file: exit 2, and nothing is previewed."""

    stack: str
    config_file: Path
    findings: list[Finding]

    def report(self) -> str:
        return format_report(self.findings)


@dataclass(frozen=True)
class BackupPolicyInfo:
    """A backup policy as a reviewer checks it: size against the limit, and where it lands."""

    name: str
    content: str
    plans: tuple[str, ...]
    targets: tuple[str, ...]
    reaches: tuple[str, ...]
    config_path: str

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ComplianceLock:
    """Where a compliance lock goes and the first day on which nobody, AWS included, can remove it."""

    where: str
    vault: str
    changeable_for_days: int
    irreversible_from: dt.date


def _template_compliance_locks(stack_set: RecordedResource, today: dt.date) -> list[ComplianceLock]:
    try:
        template = json.loads(stack_set.inputs.get("templateBody") or "{}")
    except (TypeError, ValueError):
        return []
    out = []
    for resource in (template.get("Resources") or {}).values():
        props = resource.get("Properties") or {} if isinstance(resource, dict) else {}
        lock = props.get("LockConfiguration") if resource.get("Type") == "AWS::Backup::BackupVault" else None
        days = lock.get("ChangeableForDays") if isinstance(lock, dict) else None
        if isinstance(days, (int, float)):
            name = props.get("BackupVaultName")
            out.append(
                ComplianceLock(
                    f"every account of StackSet {stack_set.inputs.get('name')}",
                    name if isinstance(name, str) else "(from the template)",
                    int(days),
                    today + dt.timedelta(days=int(days)),
                )
            )
    return out


@dataclass
class Preview:
    """Everything one offline preview run produced; ``exit_code`` is the CLI's answer."""

    stack: str
    config_file: Path
    run: ProgramRun
    evaluation: Evaluation
    violations: list[Finding]
    """Policy results located in the cloud (account, Region, URN) and in the stack file (``path``)."""
    backup_policies: list[BackupPolicyInfo]
    warnings: list[Finding]
    names: dict[str, str]
    wall_s: float = 0.0
    access: AccessMatrix | None = None
    """Who can destroy backups (``org_backup.preview.access_report``)."""

    @property
    def exit_code(self) -> int:
        return 1 if any(v.mandatory for v in self.violations) else 0

    @property
    def deployed(self) -> list[RecordedResource]:
        """Cloud resources: neither components nor providers."""
        return [r for r in self.run.resources if r.custom and not r.type.startswith("pulumi:providers:")]

    def counts(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {"mandatory": {}, "advisory": {}}
        for v in self.violations:
            bucket = out.setdefault(v.enforcement, {})
            impact = v.impact or DEFAULT_IMPACT
            bucket[impact] = bucket.get(impact, 0) + 1
        return out

    @property
    def compliance_locks(self) -> list[ComplianceLock]:
        """Every compliance-mode Vault Lock this deployment would create: irreversible after its grace period."""
        today = dt.date.today()
        out: list[ComplianceLock] = []
        for r in self.run.resources:
            if r.type == "aws:backup/vaultLockConfiguration:VaultLockConfiguration":
                days = r.inputs.get("changeableForDays")
                if isinstance(days, (int, float)):
                    where = f"{self.label(r.account)} {r.region}"
                    out.append(
                        ComplianceLock(
                            where, str(r.inputs.get("backupVaultName")), int(days), today + dt.timedelta(days=int(days))
                        )
                    )
            elif r.type == "aws:cloudformation/stackSet:StackSet":
                out += _template_compliance_locks(r, today)
        return out

    def label(self, node_id: str | None) -> str:
        """An account or OU id with its name, as reviewers know them."""
        if node_id is None:
            return "(no AWS provider)"
        name = self.names.get(node_id)
        return f"{node_id} ({name})" if name else node_id


def display_path(path: Path) -> str:
    """A path as a reviewer would type it: relative to the repository root when inside it."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(PROJECT_DIR).as_posix()
    except ValueError:
        return str(path)


def _chain(resource: RecordedResource | None, by_urn: Mapping[str, RecordedResource]) -> list[RecordedResource]:
    """The resource, its parent, and so on up to the stack."""
    out: list[RecordedResource] = []
    seen: set[str] = set()
    while resource is not None and resource.urn not in seen:
        out.append(resource)
        seen.add(resource.urn)
        resource = by_urn.get(resource.parent_urn) if resource.parent_urn else None
    return out


def locate(found: Sequence[Finding], rules: Sequence[RuleInfo], run: ProgramRun, places: ConfigPlaces) -> list[Finding]:
    """Attach resource, account, Region, remediation and config path to each raw violation, most severe first.

    A rule that says the same thing twice about one resource is shown once.
    """
    by_urn = run.by_urn()
    by_name = {r.name: r for r in rules}
    out = []
    for v in dict.fromkeys(found):
        resource = by_urn.get(v.urn) if v.urn else None
        out.append(
            replace(
                v,
                path=config_path(_chain(resource, by_urn), by_name.get(v.rule), v.message, places) or "",
                remediation=by_name[v.rule].remediation if v.rule in by_name else "",
                account=resource.account if resource else None,
                region=resource.region if resource else None,
            )
        )
    return sorted(out, key=lambda v: (not v.mandatory, impact_rank(v.impact), v.rule, v.resource or ""))


def backup_policies(layout: Layout, places: ConfigPlaces) -> list[BackupPolicyInfo]:
    return [
        BackupPolicyInfo(
            name=p.document.name,
            content=p.document.content,
            plans=p.document.plan_names,
            targets=p.attach_to,
            reaches=p.reaches,
            config_path=places.policies.get(p.document.name, "plans"),
        )
        for p in layout.policies
    ]


def names_of(tree: OrgTree) -> dict[str, str]:
    return {**tree.ou_names, **{a.id: a.name for a in tree.accounts.values()}}
