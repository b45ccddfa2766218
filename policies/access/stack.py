"""What the access analysis evaluates, read from the resources a stack registers.

Direct mode: each ``aws.backup.Vault`` (and ``LogicallyAirGappedVault``) with its ``VaultPolicy`` and the backup-tagged ``aws.kms.Key`` of its
``kmsKeyArn``. StackSet mode: the vault, key and backup role of the StackSet's template, rendered for one
sample account per Region of its instances (every account gets the same template, with its own account id,
so one sample speaks for all). SCPs: every ``SERVICE_CONTROL_POLICY`` with the targets of its attachments.

A document that is not known (a preview value) or that the template cannot render is kept as ``None``: the
analysis then reports the cell as unknown, which the rule counts as open (fail closed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .partition import DEFAULT_PARTITION, arn_partition, stack_partition, url_suffix

VAULT = "aws:backup/vault:Vault"
AIR_GAPPED_VAULT = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
KMS_KEY = "aws:kms/key:Key"
IAM_ROLE = "aws:iam/role:Role"
ORG_POLICY = "aws:organizations/policy:Policy"
ORG_POLICY_ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
STACK_SET_INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
SERVICE_ACCESS = "aws:organizations/awsServiceAccess:AwsServiceAccess"
PROVIDER = "pulumi:providers:aws"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
DYNAMIC = "pulumi-python:dynamic:Resource"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
ORGANIZATION_VIEW = "org-backup:organization:OrganizationView"
BACKUP_POLICY = "BACKUP_POLICY"
NO_POLICY = json.dumps({"Statement": [], "Version": "2012-10-17"}, sort_keys=True)
"""The resource policy of a resource that has none (event rules), or whose policy the stack does not set."""
PROGRAM_PREFIX = "org-backup"
SERVICE_CONTROL_POLICY = "SERVICE_CONTROL_POLICY"
CENTRAL_ROLE_TAG = ("org-backup:role", "central-copy-destination")
BACKUP_SERVICE = "backup.amazonaws.com"
SAMPLE_ACCOUNT = "100000000001"
"""The account a StackSet template is rendered for: not an account of any example organization."""

_ORG_ID = re.compile(r"\bo-[a-z0-9]{10,32}\b")
_SUB = re.compile(r"\$\{([^!}][^}]*)\}")


class ResourceLike(Protocol):
    """What the analysis reads of a resource: the pack's ``rules.resources.Resource`` and the preview's
    adapter both have it."""

    @property
    def type(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def urn(self) -> str: ...
    @property
    def props(self) -> Mapping[str, Any]: ...
    @property
    def account(self) -> str | None: ...
    @property
    def region(self) -> str | None: ...
    @property
    def parent_urn(self) -> str | None: ...


@dataclass(frozen=True)
class Target:
    """One vault or key whose access is analysed."""

    kind: str  # "vault" or "key"
    role: str  # "member" or "central"
    arn: str
    account: str
    region: str
    label: str
    urn: str | None
    policy: str | None
    """The resource policy (JSON text); ``None`` when not known."""
    tags: tuple[tuple[str, str], ...] = ()
    stack_set: str | None = None
    compliance_locked: bool = False
    """A vault whose lock is in compliance mode (``changeable_for_days`` set), or a logically air-gapped vault
    (always compliance: https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html)."""
    air_gapped: bool = False

    @property
    def partition(self) -> str:
        """The partition of the target's ARN: the stack's (``partition``)."""
        return arn_partition(self.arn) or DEFAULT_PARTITION


@dataclass
class StackFacts:
    targets: list[Target] = field(default_factory=list)
    scps: list[tuple[str, str | None, tuple[str, ...]]] = field(default_factory=list)
    """(label, document text or None, attachment target ids)."""
    org_ids: set[str] = field(default_factory=set)
    backup_role_names: set[str] = field(default_factory=set)
    deploy_role_names: set[str] = field(default_factory=set)
    management_accounts: set[str] = field(default_factory=set)
    stack_set_targets: dict[str, set[frozenset[str]]] = field(default_factory=dict)
    """StackSet name -> its deployment targets, each as the ids (OU, account) an SCP may be attached to to
    cover it."""
    backup_admin_accounts: set[str] = field(default_factory=set)
    """Accounts registered as AWS Backup's delegated administrator."""
    backup_role_accounts: dict[str, set[str]] = field(default_factory=dict)
    """Backup role name -> the accounts the stack creates it in (``SAMPLE_ACCOUNT`` for a StackSet template)."""
    role_tags: dict[tuple[str, str], tuple[tuple[str, str], ...]] = field(default_factory=dict)
    """(account, role name) -> the tags the stack gives the role."""
    organization_paths: dict[str, str] = field(default_factory=dict)
    """Account -> its ``aws:PrincipalOrgPaths`` value, from the stack's OrganizationView."""
    partition: str = DEFAULT_PARTITION
    """The partition of every ARN the analysis builds (``partition.stack_partition``)."""


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _text(value: Any) -> str | None:
    document = _json(value)
    return json.dumps(document, sort_keys=True) if isinstance(document, Mapping) else None


def _tags(value: Any) -> tuple[tuple[str, str], ...]:
    tags = _json(value)
    if not isinstance(tags, Mapping):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in tags.items() if isinstance(v, str)))


def _trusts_backup(document: Any) -> bool:
    doc = _json(document)
    statements = doc.get("Statement", []) if isinstance(doc, Mapping) else []
    for statement in statements if isinstance(statements, list) else [statements]:
        principal = statement.get("Principal") if isinstance(statement, Mapping) else None
        service = principal.get("Service") if isinstance(principal, Mapping) else None
        if service == BACKUP_SERVICE or (isinstance(service, list) and BACKUP_SERVICE in service):
            return True
    return False


def _render(value: Any, account: str, region: str, keys: Mapping[str, str], partition: str) -> Any:
    """A template value for one account and Region of the stack's partition (``AWS::Partition``, ``AWS::URLSuffix``:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html); ``None`` where
    it depends on parameters or conditions."""
    pseudo = {
        "AWS::AccountId": account,
        "AWS::Region": region,
        "AWS::Partition": partition,
        "AWS::URLSuffix": url_suffix(partition),
    }
    if isinstance(value, list):
        items = [_render(v, account, region, keys, partition) for v in value]
        return None if any(i is None for i in items) else items
    if not isinstance(value, Mapping):
        return value
    if len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return pseudo.get(argument) if isinstance(argument, str) else None
        if function == "Fn::GetAtt" and isinstance(argument, list) and argument[1:] == ["Arn"]:
            return keys.get(str(argument[0]))
        if function == "Fn::Sub":
            text: Any = argument
            variables: Mapping[str, Any] = {}
            if isinstance(argument, list) and len(argument) == 2 and isinstance(argument[1], Mapping):
                text, variables = argument[0], argument[1]
            if not isinstance(text, str):
                return None
            names = {**pseudo, **{k: _render(v, account, region, keys, partition) for k, v in variables.items()}}
            parts = [names.get(m.group(1)) for m in _SUB.finditer(text)]
            if any(not isinstance(p, str) for p in parts):
                return None
            return _SUB.sub(lambda m: str(names[m.group(1)]), text).replace("${!", "${")
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            items = _render(argument[1], account, region, keys, partition)
            ok = isinstance(argument[0], str) and isinstance(items, list) and all(isinstance(i, str) for i in items)
            return argument[0].join(items) if ok else None
        if function.startswith("Fn::"):
            return None
    out = {k: _render(v, account, region, keys, partition) for k, v in value.items()}
    return None if any(v is None for v in out.values()) else out


def _template_targets(stack_set: ResourceLike, regions: Iterable[str], facts: StackFacts) -> None:
    template = _json(stack_set.props.get("templateBody"))
    resources = template.get("Resources") if isinstance(template, Mapping) else None
    if not isinstance(resources, Mapping):
        return
    name = str(stack_set.props.get("name") or stack_set.name)
    partition = facts.partition
    for region in sorted(set(regions)):
        keys = {
            lid: f"arn:{partition}:kms:{region}:{SAMPLE_ACCOUNT}:key/{lid}"
            for lid, r in resources.items()
            if isinstance(r, Mapping) and r.get("Type") == "AWS::KMS::Key"
        }
        where = f"StackSet {name}, every target account, {region}"
        for lid, resource in resources.items():
            if not isinstance(resource, Mapping):
                continue
            found = resource.get("Properties")
            props: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
            kind = resource.get("Type")
            if kind == "AWS::IAM::Role" and _trusts_backup(props.get("AssumeRolePolicyDocument")):
                if isinstance(props.get("RoleName"), str):
                    facts.backup_role_names.add(props["RoleName"])
                    facts.backup_role_accounts.setdefault(props["RoleName"], set()).add(SAMPLE_ACCOUNT)
            elif kind == "AWS::Events::Rule" and isinstance(props.get("Name"), str):
                bus = props.get("EventBusName")
                path = f"{bus}/{props['Name']}" if isinstance(bus, str) and bus != "default" else props["Name"]
                facts.targets.append(
                    Target(
                        "event-rule",
                        "member",
                        f"arn:{partition}:events:{region}:{SAMPLE_ACCOUNT}:rule/{path}",
                        SAMPLE_ACCOUNT,
                        region,
                        f"{where}: event rule {props['Name']}",
                        stack_set.urn,
                        NO_POLICY,
                        (),
                        name,
                    )
                )
            elif kind in ("AWS::Backup::BackupVault", "AWS::KMS::Key"):
                doc = _render(
                    props.get("AccessPolicy" if kind == "AWS::Backup::BackupVault" else "KeyPolicy"),
                    SAMPLE_ACCOUNT,
                    region,
                    keys,
                    partition,
                )
                text = json.dumps(doc, sort_keys=True) if isinstance(doc, Mapping) else None
                tags = tuple(
                    sorted(
                        (str(t.get("Key")), str(t.get("Value")))
                        for t in props.get("Tags") or []
                        if isinstance(t, Mapping)
                    )
                )
                if kind == "AWS::KMS::Key":
                    arn, label = keys[lid], f"{where}: key {lid}"
                else:
                    vault = props.get("BackupVaultName")
                    vault_name = vault if isinstance(vault, str) else lid
                    arn = f"arn:{partition}:backup:{region}:{SAMPLE_ACCOUNT}:backup-vault:{vault_name}"
                    label = f"{where}: vault {vault_name}"
                lock = props.get("LockConfiguration")
                facts.targets.append(
                    Target(
                        "key" if kind == "AWS::KMS::Key" else "vault",
                        "member",
                        arn,
                        SAMPLE_ACCOUNT,
                        region,
                        label,
                        stack_set.urn,
                        text,
                        tags,
                        name,
                        isinstance(lock, Mapping) and lock.get("ChangeableForDays") is not None,
                    )
                )


def _scp_targets(policy: ResourceLike, attachments: Iterable[ResourceLike]) -> tuple[str, ...]:
    out = []
    for attachment in attachments:
        linked = attachment.parent_urn == policy.urn or policy.urn in _deps(attachment, "policyId")
        policy_id = policy.props.get("id")
        linked = linked or (isinstance(policy_id, str) and attachment.props.get("policyId") == policy_id)
        target = attachment.props.get("targetId")
        if linked and isinstance(target, str):
            out.append(target)
    return tuple(sorted(set(out)))


def _deps(resource: ResourceLike, prop: str) -> tuple[str, ...]:
    deps = getattr(resource, "property_dependencies", None) or {}
    return tuple(deps.get(prop, ()))


def read_stack(resources: Iterable[ResourceLike]) -> StackFacts:
    """Every vault, key and SCP of the stack, and the names the analysis needs (org id, roles)."""
    items = list(resources)
    facts = StackFacts()
    by_type: dict[str, list[ResourceLike]] = {}
    for r in items:
        by_type.setdefault(r.type, []).append(r)
    deploy_roles = []
    for r in by_type.get(PROVIDER, []):
        roles = _json(r.props.get("assumeRoles"))
        arn = roles[0].get("roleArn") if isinstance(roles, list) and roles and isinstance(roles[0], Mapping) else None
        if isinstance(arn, str) and ":role/" in arn:
            deploy_roles.append(arn)
            facts.deploy_role_names.add(arn.split(":role/", 1)[1].rsplit("/", 1)[-1])
    facts.partition = partition = stack_partition(deploy_roles)
    for r in by_type.get(SERVICE_ACCESS, []):
        if r.account:
            facts.management_accounts.add(r.account)
    for r in by_type.get(IAM_ROLE, []):
        role_name = r.props.get("name")
        if isinstance(role_name, str) and r.account:
            facts.role_tags[(r.account, role_name)] = _tags(r.props.get("tags"))
        if _trusts_backup(r.props.get("assumeRolePolicy")) and isinstance(role_name, str):
            facts.backup_role_names.add(role_name)
            if r.account:
                facts.backup_role_accounts.setdefault(role_name, set()).add(r.account)
    for r in by_type.get(DELEGATED_ADMIN, []):
        if r.props.get("servicePrincipal") == BACKUP_SERVICE and isinstance(r.props.get("accountId"), str):
            facts.backup_admin_accounts.add(r.props["accountId"])
    for r in by_type.get(ORGANIZATION_VIEW, []):
        paths = _json(r.props.get("organization_paths"))
        if isinstance(paths, Mapping):
            facts.organization_paths.update({str(k): str(v) for k, v in paths.items()})
    compliance = {
        (r.account, r.region, r.props.get("backupVaultName"))
        for r in by_type.get(VAULT_LOCK, [])
        if r.props.get("changeableForDays") is not None
    }
    policies = {
        (r.account, r.region, r.props.get("backupVaultName")): r.props.get("policy")
        for r in by_type.get(VAULT_POLICY, [])
    }
    keys = {}
    for r in by_type.get(KMS_KEY, []):
        if r.account and r.region:
            keys[(r.account, r.region, r.name)] = r
    key_by_arn_hint: dict[tuple[str, str], list[ResourceLike]] = {}
    for (key_account, key_region, _), key in keys.items():
        key_by_arn_hint.setdefault((key_account, key_region), []).append(key)
    for vault in by_type.get(VAULT, []):
        name, account, region = vault.props.get("name"), vault.account, vault.region
        if not (isinstance(name, str) and account and region):
            continue
        tags = _tags(vault.props.get("tags"))
        role = "central" if CENTRAL_ROLE_TAG in tags else "member"
        where = f"{account} {region}"
        facts.targets.append(
            Target(
                "vault",
                role,
                f"arn:{partition}:backup:{region}:{account}:backup-vault:{name}",
                account,
                region,
                f"{where}: vault {name}",
                vault.urn,
                _text(policies.get((account, region, name))),
                tags,
                compliance_locked=(account, region, name) in compliance,
            )
        )
        candidates = [
            k
            for k in key_by_arn_hint.get((account, region), [])
            if ("org-backup:backup-key", "true") in _tags(k.props.get("tags"))
        ]
        for key in candidates[:1]:
            facts.targets.append(
                Target(
                    "key",
                    role,
                    f"arn:{partition}:kms:{region}:{account}:key/{key.name}",
                    account,
                    region,
                    f"{where}: key of vault {name}",
                    key.urn,
                    _text(key.props.get("policy")),
                    _tags(key.props.get("tags")),
                )
            )
    # Logically air-gapped vaults: their access policy is judged like any vault's. Their key is AWS-owned or the
    # standard vault's key of the same account and Region, already analysed above.
    for vault in by_type.get(AIR_GAPPED_VAULT, []):
        name, account, region = vault.props.get("name"), vault.account, vault.region
        if not (isinstance(name, str) and account and region):
            continue
        tags = _tags(vault.props.get("tags"))
        facts.targets.append(
            Target(
                "vault",
                "central" if CENTRAL_ROLE_TAG in tags else "member",
                f"arn:{partition}:backup:{region}:{account}:backup-vault:{name}",
                account,
                region,
                f"{account} {region}: air-gapped vault {name}",
                vault.urn,
                _text(policies.get((account, region, name))),
                tags,
                compliance_locked=True,
                air_gapped=True,
            )
        )
    instances: dict[str, set[str]] = {}
    for instance in by_type.get(STACK_SET_INSTANCE, []):
        stack_name = instance.props.get("stackSetName")
        instance_region = instance.props.get("stackSetInstanceRegion") or instance.region
        if isinstance(stack_name, str) and isinstance(instance_region, str):
            instances.setdefault(stack_name, set()).add(instance_region)
            targets = _json(instance.props.get("deploymentTargets"))
            ids = facts.stack_set_targets.setdefault(stack_name, set())
            if isinstance(targets, Mapping):
                ous = [str(o) for o in targets.get("organizationalUnitIds") or []]
                accounts = [str(a) for a in targets.get("accounts") or []]
                if targets.get("accountFilterType") == "INTERSECTION" and accounts:
                    ids.update(frozenset({a, *ous}) for a in accounts)
                else:
                    ids.update(frozenset({o}) for o in ous)
    for stack_set in by_type.get(STACK_SET, []):
        stack_name = str(stack_set.props.get("name") or stack_set.name)
        _template_targets(stack_set, instances.get(stack_name, ()), facts)
    attachments = by_type.get(ORG_POLICY_ATTACHMENT, [])
    for policy in by_type.get(ORG_POLICY, []):
        if policy.props.get("type") == SERVICE_CONTROL_POLICY:
            label = str(policy.props.get("name") or policy.name)
            facts.scps.append((label, _text(policy.props.get("content")), _scp_targets(policy, attachments)))
    for target in facts.targets:
        facts.org_ids.update(_ORG_ID.findall(target.policy or ""))
    _organization_targets(by_type, facts)
    _alerting_targets(by_type, facts)
    return facts


def _organization_targets(by_type: Mapping[str, list[ResourceLike]], facts: StackFacts) -> None:
    """The organization's backup policies, owned by the management account, with the Organizations resource
    policy that delegates their management (the program's delegation statements, or none)."""
    delegation = next(
        (
            _text(r.props.get("content"))
            for r in by_type.get(DYNAMIC, [])
            if r.props.get("management_account_id") and "organizations:" in str(r.props.get("content") or "")
        ),
        None,
    )
    management = sorted(facts.management_accounts)
    facts.org_ids.update(_ORG_ID.findall(delegation or ""))
    org_ids = sorted(facts.org_ids) or ["o-unknown00000"]
    for policy in by_type.get(ORG_POLICY, []):
        if policy.props.get("type") != BACKUP_POLICY or not management:
            continue
        name = str(policy.props.get("name") or policy.name)
        facts.targets.append(
            Target(
                "backup-policy",
                "organization",
                f"arn:{facts.partition}:organizations::{management[0]}:policy/{org_ids[0]}/backup_policy/p-analysed",
                management[0],
                policy.region or "us-east-1",
                f"organization: backup policy {name}",
                policy.urn,
                delegation or NO_POLICY,
            )
        )


def _alerting_targets(by_type: Mapping[str, list[ResourceLike]], facts: StackFacts) -> None:
    """The central bus and topic (with their resource policies) and every org-backup event rule."""
    bus_policies = {
        (r.account, r.region, r.props.get("eventBusName")): _text(r.props.get("policy"))
        for r in by_type.get(EVENT_BUS_POLICY, [])
    }
    topic_policies = by_type.get(TOPIC_POLICY, [])
    for bus in by_type.get(EVENT_BUS, []):
        name, account, region = bus.props.get("name"), bus.account, bus.region
        if isinstance(name, str) and account and region:
            facts.targets.append(
                Target(
                    "event-bus",
                    "central",
                    f"arn:{facts.partition}:events:{region}:{account}:event-bus/{name}",
                    account,
                    region,
                    f"{account} {region}: event bus {name}",
                    bus.urn,
                    bus_policies.get((account, region, name)) or NO_POLICY,
                )
            )
    for topic in by_type.get(TOPIC, []):
        name, account, region = topic.props.get("name"), topic.account, topic.region
        if isinstance(name, str) and account and region:
            arn = f"arn:{facts.partition}:sns:{region}:{account}:{name}"
            # The policy's topic: the one whose ARN output its ``arn`` takes (a preview's ARNs are placeholders,
            # of the aws partition offline), else the one its ``arn`` names.
            policy = next((p for p in topic_policies if topic.urn in _deps(p, "arn")), None) or next(
                (p for p in topic_policies if p.props.get("arn") == arn), None
            )
            facts.targets.append(
                Target(
                    "topic",
                    "central",
                    arn,
                    account,
                    region,
                    f"{account} {region}: topic {name}",
                    topic.urn,
                    (_text(policy.props.get("policy")) if policy is not None else None) or NO_POLICY,
                )
            )
    for event_rule in by_type.get(EVENT_RULE, []):
        name, account, region = event_rule.props.get("name"), event_rule.account, event_rule.region
        if not (isinstance(name, str) and name.startswith(PROGRAM_PREFIX) and account and region):
            continue
        bus_name = event_rule.props.get("eventBusName")
        path = f"{bus_name}/{name}" if isinstance(bus_name, str) and bus_name != "default" else name
        role = "central" if account in facts.backup_admin_accounts or isinstance(bus_name, str) else "member"
        facts.targets.append(
            Target(
                "event-rule",
                role,
                f"arn:{facts.partition}:events:{region}:{account}:rule/{path}",
                account,
                region,
                f"{account} {region}: event rule {path}",
                event_rule.urn,
                NO_POLICY,
            )
        )
