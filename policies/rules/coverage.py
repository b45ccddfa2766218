"""Coverage: what an Organizations backup policy names exists wherever it lands, and data stores are selected.

A backup policy is only a plan template: AWS Backup creates the plan in every account the policy reaches,
and the jobs fail there at run time when the vault a rule names is missing in that account and Region, or
the selection's role is missing, untrusted or lacks the AWS Backup managed policies. These rules resolve the
accounts each policy reaches (``StackIndex.backup_policies``) and check them against what the stack creates.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import ACCOUNT_PLACEHOLDER, parse_vault_arn, role_arn_account, role_name
from backup_rules.backup_policy.parse import ParsedBackupPolicy, ParsedCondition
from backup_rules.iam import trusts_service
from backup_rules.limits import ACCOUNT_ID_RE
from backup_rules.names import BACKUP_SERVICE_PRINCIPAL
from backup_rules.selections import (
    STRING_EQUALS,
    STRING_LIKE,
    STRING_NOT_EQUALS,
    STRING_NOT_LIKE,
    plan_selection_selects,
    policy_selection_may_select,
    policy_selection_selects,
)

from .adapter import is_unknown, json_value
from .base import ADVISORY, MANDATORY, Rule, stack_policy
from .resources import (
    AIR_GAPPED_VAULT,
    BACKUP_POLICY_TYPE,
    ORG_POLICY,
    S3_BUCKET,
    SELECTION,
    STACK_SET,
    VAULT,
    Resource,
    StackIndex,
)

DOMAIN = "coverage"
SAMPLE_S3_ARN = "arn:aws:s3:::bucket"
MAX_LISTED = 10
BACKUP_MANAGED_POLICIES = ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]
S3_MANAGED_POLICIES = ["AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"]
STACK_SET_INSTANCE = "aws:cloudformation/stackSetInstance:StackSetInstance"
TEMPLATE_VAULT_TYPES = {
    "AWS::Backup::BackupVault": VAULT,
    "AWS::Backup::LogicallyAirGappedBackupVault": AIR_GAPPED_VAULT,
}
TEMPLATE_ROLE_TYPE = "AWS::IAM::Role"
REACHED_ACCOUNTS = "reached account(s)"
ATTACHED_OUS = "attached OU(s)"

OU_ACCOUNTS_CONFIG = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string", "pattern": "^[0-9]{12}$"}},
    "default": {},
    "description": "Accounts under each OU or root id a backup policy is attached to (when the stack has no reach).",
}
ELSEWHERE_CONFIG = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[0-9]{12}$"},
    "default": [],
    "description": "Accounts whose vaults and backup roles are created outside this stack: not checked.",
}


def _listed(items: Iterable[str]) -> str:
    """A readable list that stays short on organizations with thousands of accounts."""
    ordered = sorted(set(items))
    shown = ", ".join(ordered[:MAX_LISTED])
    return shown if len(ordered) <= MAX_LISTED else f"{shown} and {len(ordered) - MAX_LISTED} more"


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _policy_name(policy: Resource) -> str:
    name = policy.get("name")
    return name if isinstance(name, str) else policy.name


def _reached(
    index: StackIndex, config: Mapping[str, Any]
) -> Iterator[tuple[Resource, ParsedBackupPolicy, list[str], list[str]]]:
    """Each parsed policy with the reached accounts to check (minus accountsManagedElsewhere) and unresolved ids."""
    elsewhere = set(config.get("accountsManagedElsewhere") or ())
    for policy, parsed, reached, unresolved in index.backup_policies(config.get("ouAccounts") or {}):
        yield policy, parsed, sorted(set(reached) - elsewhere), list(unresolved)


# --------------------------------------------------------------------------- what StackSets deploy


@dataclass(frozen=True)
class _DeployedRole:
    """An IAM role as the rules see it, from the stack or from a StackSet template: trust and policy names."""

    trust: Any
    managed_policies: frozenset[str]


def _policy_names(arns: Iterable[Any]) -> frozenset[str]:
    """Managed policy names from ARNs, ``Fn::Sub`` ARNs included (the name is the last path segment)."""
    texts = (arn.get("Fn::Sub") if isinstance(arn, Mapping) else arn for arn in arns)
    return frozenset(text.rsplit("/", 1)[-1] for text in texts if isinstance(text, str))


class _StackSets:
    """The vaults and roles StackSet instances deploy, by deployment target (OU, root or account id).

    Only JSON ``templateBody`` templates are read, with literal ``BackupVaultName``/``RoleName``; a vault
    deploys to ``(target, Region)``, a role (IAM is global) to the target in every Region.
    """

    def __init__(self, index: StackIndex) -> None:
        self.vaults: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
        self.roles: dict[str, dict[str, _DeployedRole]] = defaultdict(dict)
        templates = {stack_set.urn: self._template(stack_set) for stack_set in index.of_type(STACK_SET)}
        by_name = {s.get("name"): s.urn for s in index.of_type(STACK_SET) if isinstance(s.get("name"), str)}
        for instance in index.of_type(STACK_SET_INSTANCE):
            urns = [*instance.property_dependencies.get("stackSetName", ()), by_name.get(instance.get("stackSetName"))]
            template = next((templates[urn] for urn in urns if urn in templates), None)
            if template is None:
                continue
            vaults, roles = template
            region = instance.get("stackSetInstanceRegion")
            for target in self._targets(instance):
                if isinstance(region, str):
                    self.vaults[(target, region)].update(vaults)
                self.roles[target].update(roles)

    @staticmethod
    def _template(stack_set: Resource) -> tuple[set[tuple[str, str]], dict[str, _DeployedRole]] | None:
        body = json_value(stack_set.get("templateBody"))
        resources = body.get("Resources") if isinstance(body, Mapping) else None
        if not isinstance(resources, Mapping):
            return None
        vaults: set[tuple[str, str]] = set()
        roles: dict[str, _DeployedRole] = {}
        for declared in resources.values():
            kind = declared.get("Type") if isinstance(declared, Mapping) else None
            properties = _mapping(declared.get("Properties")) if isinstance(declared, Mapping) else {}
            name = properties.get("BackupVaultName")
            if kind in TEMPLATE_VAULT_TYPES and isinstance(name, str):
                vaults.add((TEMPLATE_VAULT_TYPES[kind], name))
            role = properties.get("RoleName")
            if kind == TEMPLATE_ROLE_TYPE and isinstance(role, str):
                arns = properties.get("ManagedPolicyArns")
                roles[role] = _DeployedRole(
                    properties.get("AssumeRolePolicyDocument"), _policy_names(arns if isinstance(arns, list) else [])
                )
        return vaults, roles

    @staticmethod
    def _targets(instance: Resource) -> list[str]:
        """``INTERSECTION`` narrows the OUs to the listed accounts; ``DIFFERENCE`` leaves holes in them, so it
        covers no target for certain; otherwise the OUs (and accounts) count."""
        deployment = _mapping(instance.get("deploymentTargets"))
        ous = _strings(deployment.get("organizationalUnitIds"))
        accounts = _strings(deployment.get("accounts"))
        account = instance.get("accountId")
        if isinstance(account, str):
            accounts.append(account)
        if deployment.get("accountFilterType") == "INTERSECTION":
            return accounts
        if deployment.get("accountFilterType") == "DIFFERENCE":
            return []
        return [*ous, *accounts]


def _attachment_targets(index: StackIndex, policy: Resource) -> tuple[set[str], list[str]]:
    """The account ids and the OU/root ids a policy is attached to."""
    targets = {a.get("targetId") for a in index.attachments_by_policy.get(policy.urn, ())}
    accounts = {t for t in targets if isinstance(t, str) and ACCOUNT_ID_RE.match(t)}
    return accounts, sorted(t for t in targets if isinstance(t, str) and t not in accounts)


# --------------------------------------------------------------------------- backup-vault-in-every-target

VAULT_IN_EVERY_TARGET = Rule(
    name="backup-vault-in-every-target",
    description=(
        "For each Organizations BACKUP_POLICY, every account it reaches has, in every Region of each plan, the "
        "backup vault each rule names (target_backup_vault_name, and the logically air-gapped vault of "
        "target_logically_air_gapped_backup_vault_arn): created in the stack with that account's provider, or "
        "deployed by a StackSet instance (JSON template) to the account or to the OUs the policy is attached to. "
        "AWS Backup does not create them: jobs fail at run time in every account and Region where the vault is "
        "missing. Reached accounts are the BackupPolicies component's reach output for the policy, account ids "
        "the policy is attached to, and ouAccounts for OU or root targets; an OU or root target whose accounts "
        "are unknown is a violation. Fails closed: a policy whose content is not known during preview is "
        "reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "org-backup users: every account a plan targets (targets.organizational_units / targets.accounts, minus "
        "the exclusions) becomes a member with a vault named vaults.member.name in each "
        "organization.workload_regions Region (member_deployment.mode direct or stackset); keep the plan's "
        "Regions and vault name in line with those. For a hand-written policy, create the aws.backup.Vault (or "
        "LogicallyAirGappedVault) with that name in each account and Region, or a StackSet instance for each "
        "attached OU and Region; list the accounts of an OU in ouAccounts, or accounts whose vaults another "
        "stack creates in accountsManagedElsewhere."
    ),
    config={"ouAccounts": OU_ACCOUNTS_CONFIG, "accountsManagedElsewhere": ELSEWHERE_CONFIG},
    domain=DOMAIN,
)


def _unknown_content(index: StackIndex) -> Iterator[Resource]:
    for policy in index.of_type(ORG_POLICY):
        if policy.get("type") == BACKUP_POLICY_TYPE and is_unknown(policy.get("content")):
            yield policy


def _has_vault(index: StackIndex, account: str, region: str, vault: tuple[str, str]) -> bool:
    found = index.vaults.get((account, region, vault[1]))
    return found is not None and found.type == vault[0]


def _wanted_vaults(parsed: ParsedBackupPolicy) -> Iterator[tuple[str, tuple[str, str], str]]:
    """(plan name, (vault type, vault name), Region) for every vault a rule of the policy backs up into."""
    for plan in parsed.plans:
        for rule in plan.rules:
            lag = parse_vault_arn(rule.lag_vault_arn)
            wanted = [(VAULT, rule.target_vault_name)] if rule.target_vault_name else []
            wanted += [(AIR_GAPPED_VAULT, lag.name)] if lag is not None else []
            for vault in wanted:
                for region in plan.regions:
                    yield plan.name, vault, region


def check_vault_in_every_target(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for policy in _unknown_content(index):
        yield (
            policy.urn,
            f"policy {_policy_name(policy)}: content is not known during preview, so the vaults its rules name "
            "could not be verified in the accounts it reaches; it is treated as a violation",
        )
    stack_sets = _StackSets(index)
    for policy, parsed, accounts, unresolved in _reached(index, config):
        name = _policy_name(policy)
        for target in unresolved:
            yield (
                policy.urn,
                f"policy {name} is attached to {target}, whose accounts this stack does not know, so its vaults "
                f"could not be verified there: list them in the ouAccounts config ({target}: [account ids])",
            )
        explicit, ous = _attachment_targets(index, policy)
        missing: dict[tuple[str, str], set[str]] = defaultdict(set)
        undeployed: dict[tuple[str, str], set[str]] = defaultdict(set)
        plans: dict[tuple[str, str], set[str]] = defaultdict(set)
        for plan_name, vault, region in _wanted_vaults(parsed):
            deployed_ous = [ou for ou in ous if vault in stack_sets.vaults.get((ou, region), ())]
            for account in accounts:
                if _has_vault(index, account, region, vault) or vault in stack_sets.vaults.get((account, region), ()):
                    continue
                if account not in explicit and deployed_ous:
                    continue
                missing[vault].add(f"{account}/{region}")
                plans[vault].add(plan_name)
            if deployed_ous and len(deployed_ous) < len(ous):
                undeployed[vault].update(f"{ou}/{region}" for ou in ous if ou not in deployed_ous)
                plans[vault].add(plan_name)
        for vault, places in sorted(missing.items()):
            yield (
                policy.urn,
                f"policy {name} plan(s) {_listed(plans[vault])} back up into {_kind(vault)}, which this stack does "
                f"not create in {len(places)} reached account/Region(s): {_listed(places)}; jobs there will fail",
            )
        for vault, places in sorted(undeployed.items()):
            yield (
                policy.urn,
                f"policy {name} plan(s) {_listed(plans[vault])} back up into {_kind(vault)}, which no StackSet "
                f"instance deploys to the attached OU/Region(s) {_listed(places)}; jobs there will fail",
            )


def _kind(vault: tuple[str, str]) -> str:
    return f"logically air-gapped vault {vault[1]}" if vault[0] == AIR_GAPPED_VAULT else f"vault {vault[1]}"


# --------------------------------------------------------------------------- backup-role-in-every-target

ROLE_IN_EVERY_TARGET = Rule(
    name="backup-role-in-every-target",
    description=(
        "For each Organizations BACKUP_POLICY, the IAM role of every selection's iam_role_arn ($account "
        "substituted) exists in each account the policy reaches (created in the stack, or deployed by a "
        "StackSet instance to the account or to the OUs the policy is attached to), trusts backup.amazonaws.com, "
        "and has the AWS Backup managed policies for backup and restore (and the S3 ones when the selection can "
        "include S3 buckets). The role must exist when AWS Backup creates the plan, and a selection's role "
        "cannot be in another account. Reached accounts are resolved as for backup-vault-in-every-target, which "
        "reports OU targets with unknown accounts. Fails closed: a role trust policy not known during preview "
        "is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "org-backup users: every member account gets the role vaults.backup_role_name with these policies; "
        "write iam_role_arn as arn:aws:iam::$account:role/<that name>. For a hand-written policy, create the "
        "aws.iam.Role (assume_role_policy trusting backup.amazonaws.com) and aws.iam.RolePolicyAttachment "
        "resources for the managed policies in each reached account (or in the StackSet template), or list "
        "accounts whose roles another stack creates in accountsManagedElsewhere."
    ),
    config={
        "ouAccounts": OU_ACCOUNTS_CONFIG,
        "accountsManagedElsewhere": ELSEWHERE_CONFIG,
        "requiredManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": BACKUP_MANAGED_POLICIES,
            "description": "Managed policy names every backup role needs.",
        },
        "s3ManagedPolicies": {
            "type": "array",
            "items": {"type": "string"},
            "default": S3_MANAGED_POLICIES,
            "description": "Managed policy names a role needs when its selection can include S3 buckets.",
        },
    },
    domain=DOMAIN,
)


def _stack_role(index: StackIndex, account: str, name: str) -> _DeployedRole | None:
    role = index.roles.get((account, name))
    if role is None:
        return None
    return _DeployedRole(role.get("assumeRolePolicy"), _policy_names(index.role_policy_arns.get((account, name), ())))


def _trusts_backup(trust: str | Mapping[str, Any]) -> bool:
    """Every account's role carries the same trust document: parse each distinct one once per run."""
    return _trusts_backup_text(trust) if isinstance(trust, str) else trusts_service(trust, BACKUP_SERVICE_PRINCIPAL)


@functools.lru_cache(maxsize=256)
def _trusts_backup_text(trust: str) -> bool:
    return trusts_service(trust, BACKUP_SERVICE_PRINCIPAL)


def _role_problems(role: _DeployedRole | None, required: list[str]) -> list[str]:
    if role is None:
        return ["does not exist"]
    problems = []
    if is_unknown(role.trust):
        problems.append("has a trust policy not known during preview (treated as a violation)")
    elif not isinstance(role.trust, str | Mapping) or not _trusts_backup(role.trust):
        problems.append(f"does not trust {BACKUP_SERVICE_PRINCIPAL}")
    absent = [policy for policy in required if policy not in role.managed_policies]
    if absent:
        problems.append(f"lacks the managed policies {', '.join(absent)}")
    return problems


def check_role_in_every_target(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    base = list(config.get("requiredManagedPolicies") or ())
    s3 = list(config.get("s3ManagedPolicies") or ())
    stack_sets = _StackSets(index)
    for policy, parsed, accounts, _unresolved in _reached(index, config):
        explicit, ous = _attachment_targets(index, policy)
        places: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        selections: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for plan in parsed.plans:
            for selection in plan.selections:
                arn = selection.iam_role_arn
                name, role_account = role_name(arn), role_arn_account(arn)
                if name is None or role_account is None:
                    continue
                required = base + (s3 if policy_selection_may_select(selection, SAMPLE_S3_ARN) else [])
                deployed = [stack_sets.roles[ou][name] for ou in ous if name in stack_sets.roles.get(ou, {})]
                found: list[tuple[str, str, str]] = []
                for account in accounts:
                    role = _stack_role(index, account, name) or stack_sets.roles.get(account, {}).get(name)
                    if role_account not in (ACCOUNT_PLACEHOLDER, account):
                        problems = [f"is named in account {role_account} (write $account: the role must be local)"]
                    elif role is None and account not in explicit and deployed:
                        problems = sorted({problem for r in deployed for problem in _role_problems(r, required)})
                    else:
                        problems = _role_problems(role, required)
                    found += [(problem, REACHED_ACCOUNTS, account) for problem in problems]
                if deployed and len(deployed) < len(ous):
                    found += [
                        ("is deployed by no StackSet instance", ATTACHED_OUS, ou)
                        for ou in ous
                        if name not in stack_sets.roles.get(ou, {})
                    ]
                for problem, noun, where in found:
                    places[(name, problem, noun)].add(where)
                    selections[(name, problem, noun)].add(f"{plan.name}/{selection.name}")
        for (name, problem, noun), targets in sorted(places.items()):
            yield (
                policy.urn,
                f"policy {_policy_name(policy)}: role {name} of selection(s) "
                f"{_listed(selections[(name, problem, noun)])} {problem} in {len(targets)} {noun}: "
                f"{_listed(targets)}; AWS Backup cannot run the plan there",
            )


# --------------------------------------------------------------------------- backup-sources-covered

DATA_STORE_ARNS = {
    "aws:rds/instance:Instance": ("arn:aws:rds:{region}:{account}:db:{id}", "identifier"),
    "aws:rds/cluster:Cluster": ("arn:aws:rds:{region}:{account}:cluster:{id}", "clusterIdentifier"),
    "aws:efs/fileSystem:FileSystem": ("arn:aws:elasticfilesystem:{region}:{account}:file-system/{id}", "id"),
    "aws:dynamodb/table:Table": ("arn:aws:dynamodb:{region}:{account}:table/{id}", "name"),
    "aws:ebs/volume:Volume": ("arn:aws:ec2:{region}:{account}:volume/{id}", "id"),
    S3_BUCKET: ("arn:aws:s3:::{id}", "bucket"),
    "aws:s3/bucketV2:BucketV2": ("arn:aws:s3:::{id}", "bucket"),
    "aws:fsx/lustreFileSystem:LustreFileSystem": ("arn:aws:fsx:{region}:{account}:file-system/{id}", "id"),
    "aws:fsx/windowsFileSystem:WindowsFileSystem": ("arn:aws:fsx:{region}:{account}:file-system/{id}", "id"),
    "aws:fsx/ontapFileSystem:OntapFileSystem": ("arn:aws:fsx:{region}:{account}:file-system/{id}", "id"),
    "aws:fsx/openZfsFileSystem:OpenZfsFileSystem": ("arn:aws:fsx:{region}:{account}:file-system/{id}", "id"),
}
PLAN_CONDITION_OPERATORS = {
    "stringEquals": STRING_EQUALS,
    "stringLikes": STRING_LIKE,
    "stringNotEquals": STRING_NOT_EQUALS,
    "stringNotLikes": STRING_NOT_LIKE,
}

SOURCES_COVERED = Rule(
    name="backup-sources-covered",
    description=(
        "Every data store in the stack (RDS instances and clusters, EFS and FSx file systems, DynamoDB tables, "
        "EBS volumes, S3 buckets) is selected by an aws.backup.Selection in its account and Region (ARN pattern, "
        "tag or condition) or by an Organizations BACKUP_POLICY that reaches its account and runs in its Region "
        "(tag selection, or resource types and conditions matched against its tags), unless it carries one of "
        "the optOutTag key/values. A data store nothing selects is never backed up. Stores whose tags are not "
        "known during preview are skipped."
    ),
    enforcement=ADVISORY,
    severity=Severity.MEDIUM,
    remediation=(
        "Tag the resource so a plan selects it (with org-backup, the tags or conditions under "
        "plans.<plan>.selections of a plan whose targets include its account, in one of "
        "organization.workload_regions), or tag it with the optOutTag (by default backup: none) when it holds "
        "nothing worth restoring."
    ),
    config={
        "optOutTag": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {"backup": "none"},
            "description": "Tag key/values that mark a data store as deliberately not backed up.",
        },
        "ouAccounts": OU_ACCOUNTS_CONFIG,
    },
    domain=DOMAIN,
)


def _tags(resource: Resource) -> Mapping[str, str] | None:
    """Its tags, with provider default tags when ``tagsAll`` (an output) is known; None when not known."""
    for key in ("tagsAll", "tags"):
        tags = resource.get(key)
        if isinstance(tags, Mapping) and tags:
            return {k: v for k, v in tags.items() if isinstance(v, str)}
    return None if is_unknown(resource.get("tags")) else {}


def _arn(resource: Resource) -> str:
    """Its ARN when known, else one built from its type, account, Region and identifier for pattern matching."""
    arn = resource.get("arn")
    if isinstance(arn, str):
        return arn
    template, id_prop = DATA_STORE_ARNS[resource.type]
    identifier = resource.get(id_prop)
    return template.format(
        region=resource.region or "unknown",
        account=resource.account or "unknown",
        id=identifier if isinstance(identifier, str) else "unknown",
    )


def _plan_conditions(raw: Any) -> list[ParsedCondition]:
    out = []
    for block in raw if isinstance(raw, list) else []:
        for prop, operator in PLAN_CONDITION_OPERATORS.items():
            entries = block.get(prop) if isinstance(block, Mapping) else None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
                    value = entry.get("value")
                    out.append(ParsedCondition(operator, entry["key"], value if isinstance(value, str) else ""))
    return out


def _plan_selection_covers(selection: Resource, store: Resource, arn: str, tags: Mapping[str, str]) -> bool:
    if store.urn in selection.property_dependencies.get("resources", ()):
        return True
    tag_list = [
        (entry["key"], entry["value"])
        for entry in selection.get("selectionTags") or ()
        if isinstance(entry, Mapping) and isinstance(entry.get("key"), str) and isinstance(entry.get("value"), str)
    ]
    return plan_selection_selects(
        resources=_strings(selection.get("resources")),
        not_resources=_strings(selection.get("notResources")),
        tag_list=tag_list,
        conditions=_plan_conditions(selection.get("conditions")),
        arn=arn,
        tags=tags,
    )


def check_sources_covered(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    opt_out = config.get("optOutTag") or {}
    selections: dict[tuple[str | None, str | None], list[Resource]] = defaultdict(list)
    for selection in index.of_type(SELECTION):
        selections[(selection.account, selection.region)].append(selection)
    policies = [(parsed, set(reached)) for _, parsed, reached, _ in index.backup_policies(config.get("ouAccounts"))]
    for store in index.of_type(*DATA_STORE_ARNS):
        tags = _tags(store)
        if tags is None or any(tags.get(key) == value for key, value in opt_out.items()):
            continue
        arn = _arn(store)
        covered = any(
            _plan_selection_covers(selection, store, arn, tags)
            for selection in selections.get((store.account, store.region), ())
        ) or any(
            policy_selection_selects(selection, arn, tags)
            for parsed, reached in policies
            if store.account in reached
            for plan in parsed.plans
            if store.region in plan.regions
            for selection in plan.selections
        )
        if not covered:
            yield (
                store.urn,
                (
                    f"{store.type.rsplit(':', 1)[-1]} {store.name} in account {store.account or '(unknown)'} Region "
                    f"{store.region or '(unknown)'} is selected by no backup plan or backup policy: it is never backed up"
                ),
            )


POLICIES: list[Policy] = [
    stack_policy(VAULT_IN_EVERY_TARGET, check_vault_in_every_target),
    stack_policy(ROLE_IN_EVERY_TARGET, check_role_in_every_target),
    stack_policy(SOURCES_COVERED, check_sources_covered),
]
