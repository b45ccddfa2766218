"""A plain view of one resource, with its account and Region, and the stack-wide index built once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, StackValidationArgs

from backup_rules.backup_policy.parse import ParsedBackupPolicy, parse_backup_policy
from backup_rules.limits import ACCOUNT_ID_RE
from backup_rules.names import BACKUP_POLICIES_TYPE, GUARDRAIL_TYPE, ORGANIZATION_VIEW_TYPE
from backup_rules.stack_outputs import GUARDRAIL_TARGET_ACCOUNTS, ORGANIZATION_PATHS, OU_ACCOUNTS

from .adapter import UNKNOWN, is_unknown, json_value, plain

VAULT = "aws:backup/vault:Vault"
AIR_GAPPED_VAULT = "aws:backup/logicallyAirGappedVault:LogicallyAirGappedVault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
VAULT_POLICY = "aws:backup/vaultPolicy:VaultPolicy"
VAULT_NOTIFICATIONS = "aws:backup/vaultNotifications:VaultNotifications"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
FRAMEWORK = "aws:backup/framework:Framework"
REPORT_PLAN = "aws:backup/reportPlan:ReportPlan"
GLOBAL_SETTINGS = "aws:backup/globalSettings:GlobalSettings"
RESTORE_TESTING_PLAN = "aws:backup/restoreTestingPlan:RestoreTestingPlan"
ORG_POLICY = "aws:organizations/policy:Policy"
ORG_POLICY_ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"
ORGANIZATION = "aws:organizations/organization:Organization"
DELEGATED_ADMIN = "aws:organizations/delegatedAdministrator:DelegatedAdministrator"
SERVICE_ACCESS = "aws:organizations/awsServiceAccess:AwsServiceAccess"
ORG_RESOURCE_POLICY = "aws:organizations/resourcePolicy:ResourcePolicy"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
IAM_ROLE = "aws:iam/role:Role"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
S3_BUCKET = "aws:s3/bucket:Bucket"
S3_BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
S3_PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
S3_ENCRYPTION = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
EVENT_BUS = "aws:cloudwatch/eventBus:EventBus"
EVENT_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
STACK_SET = "aws:cloudformation/stackSet:StackSet"
PROVIDER = "pulumi:providers:aws"
DYNAMIC_RESOURCE = "pulumi-python:dynamic:Resource"
BACKUP_POLICIES_COMPONENT = BACKUP_POLICIES_TYPE
BACKUP_POLICY_TYPE = "BACKUP_POLICY"


@dataclass(frozen=True)
class Resource:
    """What a rule needs to know about one resource, as plain values (unknowns are ``UNKNOWN``)."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    ignore_changes: tuple[str, ...] = ()
    account: str | None = None
    region: str | None = None
    parent_urn: str | None = None
    dependencies: tuple[str, ...] = ()
    property_dependencies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.props.get(key, default)


def is_delegation_statements(resource: Resource) -> bool:
    """The dynamic resource that holds our statements of the organization's delegation policy (it replaced
    aws.organizations.ResourcePolicy): told from the other dynamic resource (the policy type) by its inputs,
    ``content`` (the statements) and ``management_account_id``; the policy type has ``policy_type`` instead."""
    return (
        resource.type == DYNAMIC_RESOURCE
        and "content" in resource.props
        and "management_account_id" in resource.props
        and "policy_type" not in resource.props
    )


def provider_account_region(provider_props: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    """The account a provider may touch (``allowedAccountIds`` or the assumed role) and its Region."""
    if not provider_props:
        return None, None
    account: str | None = None
    allowed = json_value(provider_props.get("allowedAccountIds"))
    if isinstance(allowed, list) and allowed and isinstance(allowed[0], str):
        account = allowed[0]
    if account is None:
        roles = json_value(provider_props.get("assumeRoles"))
        if isinstance(roles, list) and roles and isinstance(roles[0], Mapping):
            arn = roles[0].get("roleArn")
            if isinstance(arn, str) and arn.count(":") >= 5:
                account = arn.split(":")[4] or None
    region = provider_props.get("region")
    return account, region if isinstance(region, str) else None


def _location(props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> tuple[str | None, str | None]:
    account, region = provider_account_region(provider_props)
    own_region = props.get("region")
    if isinstance(own_region, str):
        region = own_region
    return account, region


def _from_pulumi(
    resource: ResourceValidationArgs | PolicyResource,
    *,
    parent_urn: str | None,
    dependencies: tuple[str, ...] = (),
    property_dependencies: Mapping[str, tuple[str, ...]] | None = None,
) -> Resource:
    """The plain ``Resource`` for what pulumi_policy passes a resource check or a stack check."""
    props = plain(resource.props)
    provider_props = plain(resource.provider.props) if resource.provider is not None else None
    account, region = _location(props, provider_props)
    return Resource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=props,
        protect=bool(resource.opts.protect),
        ignore_changes=tuple(resource.opts.ignore_changes or ()),
        account=account,
        region=region,
        parent_urn=parent_urn,
        dependencies=dependencies,
        property_dependencies=property_dependencies or {},
    )


def from_resource_args(args: ResourceValidationArgs) -> Resource:
    return _from_pulumi(args, parent_urn=args.opts.parent)


def from_policy_resource(resource: PolicyResource) -> Resource:
    return _from_pulumi(
        resource,
        parent_urn=resource.parent.urn if resource.parent is not None else resource.opts.parent,
        dependencies=tuple(d.urn for d in resource.dependencies),
        property_dependencies={k: tuple(d.urn for d in v) for k, v in resource.property_dependencies.items()},
    )


ReachedBackupPolicy = tuple[Resource, ParsedBackupPolicy, set[str], list[str]]
"""A BACKUP_POLICY resource, its parsed document, the accounts it reaches, its unresolved OU/root targets."""


@lru_cache(maxsize=1024)
def _parse_text(content: str) -> ParsedBackupPolicy | None:
    return parse_backup_policy(content)


def parsed_backup_policy(content: Any) -> ParsedBackupPolicy | None:
    """A BACKUP_POLICY document parsed once per run (an organization holds at most 1,000): resource and stack
    rules read the same documents, and each stack policy builds its own index."""
    if isinstance(content, str):
        return _parse_text(content)
    return parse_backup_policy(content) if isinstance(content, Mapping) else None


class StackIndex:
    """Every resource of the stack indexed once, so stack rules stay O(resources) (no pairwise scans)."""

    def __init__(self, resources: Iterable[Resource]) -> None:
        self.resources = list(resources)
        self.by_urn = {r.urn: r for r in self.resources}
        self.by_type: dict[str, list[Resource]] = defaultdict(list)
        for r in self.resources:
            self.by_type[r.type].append(r)
        self.vaults: dict[tuple[str | None, str | None, str], Resource] = {}
        for r in self.of_type(VAULT, AIR_GAPPED_VAULT):
            name = r.get("name")
            if isinstance(name, str):
                self.vaults[(r.account, r.region, name)] = r
        self.locks: dict[tuple[str | None, str | None, str], Resource] = {}
        for r in self.of_type(VAULT_LOCK):
            name = self.vault_name_of(r)
            if isinstance(name, str):
                self.locks[(r.account, r.region, name)] = r
        self.vault_policies: dict[tuple[str | None, str | None, str], Resource] = {}
        for r in self.of_type(VAULT_POLICY):
            name = self.vault_name_of(r)
            if isinstance(name, str):
                self.vault_policies[(r.account, r.region, name)] = r
        # (URN, property) -> the resources whose ``property`` input is an output of the resource at URN
        self.property_dependents: dict[tuple[str, str], list[Resource]] = defaultdict(list)
        for r in self.resources:
            for key, urns in r.property_dependencies.items():
                for urn in urns:
                    self.property_dependents[(urn, key)].append(r)
        self.roles: dict[tuple[str | None, str], Resource] = {}
        for r in self.of_type(IAM_ROLE):
            name = r.get("name")
            if isinstance(name, str):
                self.roles[(r.account, name)] = r
        self.role_policy_arns: dict[tuple[str | None, str], set[str]] = defaultdict(set)
        for r in self.of_type(IAM_ROLE_POLICY_ATTACHMENT):
            role, arn = r.get("role"), r.get("policyArn")
            if isinstance(role, str) and isinstance(arn, str):
                self.role_policy_arns[(r.account, role)].add(arn)
        for r in self.of_type(IAM_ROLE):
            arns = r.get("managedPolicyArns")
            name = r.get("name")
            if isinstance(arns, list) and isinstance(name, str):
                self.role_policy_arns[(r.account, name)].update(a for a in arns if isinstance(a, str))

    def of_type(self, *types: str) -> list[Resource]:
        out: list[Resource] = []
        for t in types:
            out.extend(self.by_type.get(t, ()))
        return out

    def vault_name_of(self, resource: Resource, key: str = "backupVaultName") -> str | Any:
        """The vault a lock/policy belongs to: its name prop, or the vault it depends on when unknown."""
        name = resource.get(key)
        if isinstance(name, str):
            return name
        for urn in resource.property_dependencies.get(key, ()):
            vault = self.by_urn.get(urn)
            if vault is not None and isinstance(vault.get("name"), str):
                return vault.get("name")
        return UNKNOWN if is_unknown(name) else None

    def attachments_of(self, policy: Resource) -> list[Resource]:
        """Attachments of an Organizations policy: by property dependency, parent, or known policy id."""
        out = []
        policy_id = policy.get("id")
        for r in self.of_type(ORG_POLICY_ATTACHMENT):
            deps = r.property_dependencies.get("policyId", ())
            known_id = isinstance(policy_id, str) and r.get("policyId") == policy_id
            if policy.urn in deps or r.parent_urn == policy.urn or known_id:
                out.append(r)
        return out

    @cached_property
    def attachments_by_policy(self) -> dict[str, list[Resource]]:
        """Policy URN -> its attachments (property dependency, parent, or known policy id), in one pass."""
        policy_urn_by_id = {r.get("id"): r.urn for r in self.of_type(ORG_POLICY) if isinstance(r.get("id"), str)}
        out: dict[str, list[Resource]] = defaultdict(list)
        for attachment in self.of_type(ORG_POLICY_ATTACHMENT):
            urns = set(attachment.property_dependencies.get("policyId", ()))
            if attachment.parent_urn is not None:
                urns.add(attachment.parent_urn)
            policy_id = attachment.get("policyId")
            if isinstance(policy_id, str) and policy_id in policy_urn_by_id:
                urns.add(policy_urn_by_id[policy_id])
            for urn in urns:
                out[urn].append(attachment)
        return out

    @cached_property
    def _parsed_backup_policies(self) -> list[tuple[Resource, ParsedBackupPolicy]]:
        """Every BACKUP_POLICY document parsed once; unknown or unreadable content is left to the validity rule."""
        out: list[tuple[Resource, ParsedBackupPolicy]] = []
        for policy in self.of_type(ORG_POLICY):
            parsed = parsed_backup_policy(policy.get("content")) if policy.get("type") == BACKUP_POLICY_TYPE else None
            if parsed is not None:
                out.append((policy, parsed))
        return out

    @cached_property
    def _reach(self) -> dict[str, set[str]]:
        """Policy name -> accounts, from the ``reach`` output of the BackupPolicies components."""
        out: dict[str, set[str]] = defaultdict(set)
        for component in self.of_type(BACKUP_POLICIES_COMPONENT):
            reach = component.get("reach")
            if not isinstance(reach, Mapping):
                continue
            for name, accounts in reach.items():
                listed = accounts if isinstance(accounts, list) else []
                out[name].update(a for a in listed if isinstance(a, str))
        return out

    @cached_property
    def view_ou_accounts(self) -> dict[str, list[str]]:
        """Root/OU id -> accounts, as the stack publishes them: the guardrail's attachment targets, then the
        OrganizationView component (which knows every OU, so it wins where both speak)."""
        out: dict[str, list[str]] = {}
        for component_type, key in ((GUARDRAIL_TYPE, GUARDRAIL_TARGET_ACCOUNTS), (ORGANIZATION_VIEW_TYPE, OU_ACCOUNTS)):
            for component in self.of_type(component_type):
                found = component.get(key)
                for node, accounts in found.items() if isinstance(found, Mapping) else ():
                    if isinstance(node, str) and isinstance(accounts, list):
                        out[node] = [a for a in accounts if isinstance(a, str)]
        return out

    @cached_property
    def view_organization_paths(self) -> dict[str, str]:
        """Account id -> ``aws:PrincipalOrgPaths``, from the OrganizationView component."""
        out: dict[str, str] = {}
        for component in self.of_type(ORGANIZATION_VIEW_TYPE):
            found = component.get(ORGANIZATION_PATHS)
            for account, path in found.items() if isinstance(found, Mapping) else ():
                if isinstance(account, str) and isinstance(path, str):
                    out[account] = path
        return out

    def ou_accounts(self, given: Mapping[str, Any] | None) -> dict[str, list[str]]:
        """OU membership for a rule: the stack's view, overridden per OU by the policy config ``ouAccounts``."""
        out = dict(self.view_ou_accounts)
        for node, accounts in (given or {}).items():
            if isinstance(accounts, list):
                out[node] = [a for a in accounts if isinstance(a, str)]
        return out

    def organization_paths(self, given: Mapping[str, Any] | None) -> dict[str, str]:
        """OU paths for a rule: the stack's view, overridden per account by the config ``organizationPaths``."""
        return {
            **self.view_organization_paths,
            **{k: v for k, v in (given or {}).items() if isinstance(k, str) and isinstance(v, str)},
        }

    def backup_policies(self, ou_accounts: Mapping[str, Any] | None = None) -> list[ReachedBackupPolicy]:
        """Each parsed BACKUP_POLICY with the accounts it reaches and the OU/root targets nothing resolves.

        Reached = the component's ``reach`` output for the policy name, plus account-id attachment targets,
        plus the accounts of OU/root targets (policy config ``ouAccounts`` over the stack's OrganizationView,
        :meth:`ou_accounts`). Without a reach entry, an OU/root target nobody resolves is unresolved.
        """
        known_ous = self.ou_accounts(ou_accounts)
        out: list[ReachedBackupPolicy] = []
        for policy, parsed in self._parsed_backup_policies:
            name = policy.get("name") if isinstance(policy.get("name"), str) else policy.name
            reached = set(self._reach.get(name, ()))
            unresolved: list[str] = []
            for attachment in self.attachments_by_policy.get(policy.urn, ()):
                target = attachment.get("targetId")
                listed = known_ous.get(target) if isinstance(target, str) else None
                if isinstance(target, str) and ACCOUNT_ID_RE.match(target):
                    reached.add(target)
                elif isinstance(listed, list):
                    reached.update(a for a in listed if isinstance(a, str))
                elif name not in self._reach:
                    unresolved.append(target if isinstance(target, str) else f"{attachment.name} (target id unknown)")
            out.append((policy, parsed, reached, unresolved))
        return out


_last_index: tuple[object, StackIndex] | None = None


def stack_index(args: StackValidationArgs) -> StackIndex:
    """The index of ``args.resources``, built once per resource list: the offline preview hands every stack
    policy the same list (the engine builds a new one per policy, so there each policy builds its own).
    The cache holds the list itself, so its identity cannot be reused by another list while cached."""
    global _last_index  # noqa: PLW0603 - a one-entry cache
    if _last_index is None or _last_index[0] is not args.resources:
        _last_index = (args.resources, StackIndex(from_policy_resource(r) for r in args.resources))
    return _last_index[1]
