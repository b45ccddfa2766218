"""Coverage: what an Organizations backup policy names exists wherever it lands, and data stores are selected.

A backup policy is only a plan template: AWS Backup creates the plan in every account the policy reaches,
and the jobs fail there at run time when the vault a rule names is missing in that account and Region, or
the selection's role is missing, untrusted or lacks the AWS Backup managed policies. These rules resolve the
accounts each policy reaches (``StackIndex.backup_policies``) and check them against what the stack creates.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules.arns import ACCOUNT_PLACEHOLDER, parse_vault_arn, role_arn_account, role_name
from backup_rules.backup_policy import ParsedBackupPolicy, ParsedCondition
from backup_rules.iam import trusts_service
from backup_rules.selections import (
    STRING_EQUALS,
    STRING_LIKE,
    STRING_NOT_EQUALS,
    STRING_NOT_LIKE,
    plan_selection_selects,
    policy_selection_may_select,
    policy_selection_selects,
)

from .adapter import is_unknown
from .base import ADVISORY, MANDATORY, Rule, stack_policy
from .resources import (
    AIR_GAPPED_VAULT,
    BACKUP_POLICY_TYPE,
    ORG_POLICY,
    S3_BUCKET,
    SELECTION,
    VAULT,
    Resource,
    StackIndex,
)

DOMAIN = "coverage"
BACKUP_SERVICE = "backup.amazonaws.com"
SAMPLE_S3_ARN = "arn:aws:s3:::bucket"
MAX_LISTED = 10
BACKUP_MANAGED_POLICIES = ["AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"]
S3_MANAGED_POLICIES = ["AWSBackupServiceRolePolicyForS3Backup", "AWSBackupServiceRolePolicyForS3Restore"]

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


# --------------------------------------------------------------------------- backup-vault-in-every-target

VAULT_IN_EVERY_TARGET = Rule(
    name="backup-vault-in-every-target",
    description=(
        "For each Organizations BACKUP_POLICY, every account it reaches has, in every Region of each plan, the "
        "backup vault each rule names (target_backup_vault_name, and the logically air-gapped vault of "
        "target_logically_air_gapped_backup_vault_arn). AWS Backup does not create them: jobs fail at run time "
        "in every account and Region where the vault is missing. Reached accounts are the BackupPolicies "
        "component's reach output for the policy, account ids the policy is attached to, and ouAccounts for "
        "OU or root targets; an OU or root target whose accounts are unknown is a violation. Fails closed: a "
        "policy whose content is not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "org-backup users: every account a plan targets (targets.organizational_units / targets.accounts, minus "
        "the exclusions) becomes a member with a vault named vaults.member.name in each "
        "organization.workload_regions Region; keep the plan's Regions and vault name in line with those. For a "
        "hand-written policy, create the aws.backup.Vault (or LogicallyAirGappedVault) with that name in each "
        "account and Region, list the accounts of an OU in ouAccounts, or list accounts whose vaults another "
        "stack creates in accountsManagedElsewhere."
    ),
    config={"ouAccounts": OU_ACCOUNTS_CONFIG, "accountsManagedElsewhere": ELSEWHERE_CONFIG},
    domain=DOMAIN,
)


def _unknown_content(index: StackIndex) -> Iterator[Resource]:
    for policy in index.of_type(ORG_POLICY):
        if policy.get("type") == BACKUP_POLICY_TYPE and is_unknown(policy.get("content")):
            yield policy


def _has_vault(index: StackIndex, account: str, region: str, name: str, vault_type: str) -> bool:
    vault = index.vaults.get((account, region, name))
    return vault is not None and vault.type == vault_type


def check_vault_in_every_target(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    for policy in _unknown_content(index):
        yield (
            policy.urn,
            (
                f"policy {_policy_name(policy)}: content is not known during preview, so the vaults its rules "
                "name could not be verified in the accounts it reaches; it is treated as a violation"
            ),
        )
    for policy, parsed, accounts, unresolved in _reached(index, config):
        name = _policy_name(policy)
        for target in unresolved:
            yield (
                policy.urn,
                (
                    f"policy {name} is attached to {target}, whose accounts this stack does not know, so its vaults "
                    f"could not be verified there: list them in the ouAccounts config ({target}: [account ids])"
                ),
            )
        missing: dict[tuple[str, str, str], set[str]] = defaultdict(set)
        for plan in parsed.plans:
            for rule in plan.rules:
                lag = parse_vault_arn(rule.lag_vault_arn)
                wanted = [(VAULT, rule.target_vault_name)] if rule.target_vault_name else []
                wanted += [(AIR_GAPPED_VAULT, lag.name)] if lag is not None else []
                for vault_type, vault_name in wanted:
                    for region in plan.regions:
                        missing[(plan.name, vault_type, vault_name)].update(
                            f"{account}/{region}"
                            for account in accounts
                            if not _has_vault(index, account, region, vault_name, vault_type)
                        )
        for (plan_name, vault_type, vault_name), places in sorted(missing.items()):
            if places:
                kind = "logically air-gapped vault" if vault_type == AIR_GAPPED_VAULT else "vault"
                yield (
                    policy.urn,
                    (
                        f"policy {name} plan {plan_name} backs up into {kind} {vault_name}, which this stack does not "
                        f"create in {len(places)} reached account/Region(s): {_listed(places)}; jobs there will fail"
                    ),
                )


# --------------------------------------------------------------------------- backup-role-in-every-target

ROLE_IN_EVERY_TARGET = Rule(
    name="backup-role-in-every-target",
    description=(
        "For each Organizations BACKUP_POLICY, the IAM role of every selection's iam_role_arn ($account "
        "substituted) exists in each account the policy reaches, trusts backup.amazonaws.com, and has the AWS "
        "Backup managed policies for backup and restore (and the S3 ones when the selection can include S3 "
        "buckets). The role must exist when AWS Backup creates the plan, and a selection's role cannot be in "
        "another account. Reached accounts are resolved as for backup-vault-in-every-target, which reports OU "
        "targets with unknown accounts. Fails closed: a role trust policy not known during preview is reported."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "org-backup users: every member account gets the role vaults.backup_role_name with these policies; "
        "write iam_role_arn as arn:aws:iam::$account:role/<that name>. For a hand-written policy, create the "
        "aws.iam.Role (assume_role_policy trusting backup.amazonaws.com) and aws.iam.RolePolicyAttachment "
        "resources for the managed policies in each reached account, or list accounts whose roles another stack "
        "creates in accountsManagedElsewhere."
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


def _role_problems(index: StackIndex, account: str, name: str, required: list[str]) -> list[str]:
    role = index.roles.get((account, name))
    if role is None:
        return ["does not exist"]
    problems = []
    trust = role.get("assumeRolePolicy")
    if is_unknown(trust):
        problems.append("has a trust policy not known during preview (treated as a violation)")
    elif not isinstance(trust, str | Mapping) or not trusts_service(trust, BACKUP_SERVICE):
        problems.append(f"does not trust {BACKUP_SERVICE}")
    attached = {arn.rsplit("/", 1)[-1] for arn in index.role_policy_arns.get((account, name), ())}
    absent = [policy for policy in required if policy not in attached]
    if absent:
        problems.append(f"lacks the managed policies {', '.join(absent)}")
    return problems


def check_role_in_every_target(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    base = list(config.get("requiredManagedPolicies") or ())
    s3 = list(config.get("s3ManagedPolicies") or ())
    for policy, parsed, accounts, _unresolved in _reached(index, config):
        places: dict[tuple[str, str], set[str]] = defaultdict(set)
        selections: dict[tuple[str, str], set[str]] = defaultdict(set)
        for plan in parsed.plans:
            for selection in plan.selections:
                arn = selection.iam_role_arn
                name, role_account = role_name(arn), role_arn_account(arn)
                if name is None or role_account is None:
                    continue
                required = base + (s3 if policy_selection_may_select(selection, SAMPLE_S3_ARN) else [])
                for account in accounts:
                    if role_account not in (ACCOUNT_PLACEHOLDER, account):
                        found = [f"is named in account {role_account} (write $account: the role must be local)"]
                    else:
                        found = _role_problems(index, account, name, required)
                    for problem in found:
                        places[(name, problem)].add(account)
                        selections[(name, problem)].add(f"{plan.name}/{selection.name}")
        for (name, problem), accounts_with_problem in sorted(places.items()):
            yield (
                policy.urn,
                (
                    f"policy {_policy_name(policy)}: role {name} of selection(s) "
                    f"{_listed(selections[(name, problem)])} {problem} in {len(accounts_with_problem)} reached "
                    f"account(s): {_listed(accounts_with_problem)}; AWS Backup cannot run the plan there"
                ),
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


def _strings(value: Any) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


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
