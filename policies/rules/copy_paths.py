"""Copy paths in the pack: every (source account, Region, rule, destination) the registered BACKUP_POLICY
documents and Plans run, judged by the shared rules of ``backup_rules.copy_paths`` (the configuration loader
and ``org_backup.ops.checks.copy_paths`` judge their own paths with the same functions).

Sources: a policy's reached accounts (``reach`` output, account attachments, config ``ouAccounts``) by its
plan Regions; a Plan's account and Region. The copy runs as the backup role of the plan's selections
(``iam_role_arn``, with ``$account`` resolved: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_backup_syntax.html).

Organization facts: a vault or key policy that conditions on ``aws:PrincipalOrgID`` or ``aws:PrincipalOrgPaths``
can only be evaluated with the source account's OU path, which AWS resources do not hold. The program publishes
every account's path as the ``organization_paths`` output of its OrganizationView component
(``backup_rules.stack_outputs``), so a real ``pulumi preview --policy-pack policies`` needs no policy config; the
policy config ``organizationPaths`` (account id -> ``o-…/r-…/ou-…/``) overrides it per account. Where neither
knows an account (a stack without the component), the mandatory rules fail closed, as the adapter does for
values unknown during preview: a condition that cannot be evaluated never counts as a grant, and the message
says what to give.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pulumi_policy import Policy, Severity

from backup_rules import copy_paths as shared
from backup_rules.arns import (
    ACCOUNT_PLACEHOLDER,
    REGION_PLACEHOLDER,
    arn_partition,
    backup_service_linked_role_arn,
    parse_vault_arn,
)
from backup_rules.findings import Finding

from .adapter import is_unknown
from .base import MANDATORY, Rule, stack_policy
from .kms import VAULT_KEY_PROPS, _keys_by_reference, _keys_of
from .org_policies import OU_ACCOUNTS_SCHEMA
from .plan_views import document_rule_views, plan_rule_views, unverified
from .resources import KMS_KEY_POLICY, PLAN, SELECTION, Resource, StackIndex

DOMAIN = "copy-destinations"
ORGANIZATION_PATHS = "organizationPaths"
ORGANIZATION_PATHS_SCHEMA = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "default": {},
    "description": (
        "aws:PrincipalOrgPaths of each source account (o-…/r-…/ou-…/), to evaluate vault and key policies that "
        "condition on the organization or its OUs. The pack reads them from the stack first (the OrganizationView "
        "component's organization_paths output); an entry here overrides the stack's for that account. Needed "
        "only for stacks without that component."
    ),
}
ORGANIZATION_HINT = (
    "the pack does not know this account's organization path: the stack has no OrganizationView component "
    "output (organization_paths) naming it, and the policy config gives no organizationPaths (account id -> "
    "o-…/r-…/ou-…/) for it; until one does, the rule fails closed"
)
KEY_POLICY_DEFAULT_URL = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"


@dataclass(frozen=True)
class PackCopyPath:
    """One copy path with what the pack knows about it: the resource that declares it and the source's roles."""

    urn: str
    path: shared.CopyPath
    roles: tuple[str, ...]
    source_vault: str | None
    roles_unknown: bool = False


def _resolve(value: str, placeholder: str, actual: str) -> str:
    return actual if value == placeholder else value


def _policy_paths(index: StackIndex, ou_accounts: Mapping[str, Any]) -> Iterator[PackCopyPath]:
    for resource, parsed, reached, _ in index.backup_policies(ou_accounts):
        for plan_doc, views in document_rule_views(parsed):
            templates = tuple(dict.fromkeys(s.iam_role_arn for s in plan_doc.selections if s.iam_role_arn))
            for view in views:
                for copy in view.copies:
                    destination = parse_vault_arn(copy.destination)
                    if destination is None:
                        continue  # org-backup-policy-valid reports a key that is not a vault ARN
                    for account in sorted(reached):
                        roles = tuple(t.replace(ACCOUNT_PLACEHOLDER, account) for t in templates)
                        for region in plan_doc.regions:
                            to_account = _resolve(destination.account, ACCOUNT_PLACEHOLDER, account)
                            path = shared.CopyPath(
                                where=copy.where,
                                plan=plan_doc.name,
                                rule=view.name,
                                source_account=account,
                                source_region=region,
                                destination_account=to_account,
                                destination_region=_resolve(destination.region, REGION_PLACEHOLDER, region),
                                destination_vault=destination.name,
                                retention_days=view.copy_retention(copy),
                                disaster_recovery=to_account != account,
                            )
                            yield PackCopyPath(resource.urn, path, roles, view.target_vault_name)


def _selection_roles(index: StackIndex, plan: Resource) -> tuple[tuple[str, ...], bool]:
    """The roles of the Selections of a Plan (linked by ``planId``), and whether one is unknown."""
    roles: list[str] = []
    unknown = False
    for selection in index.of_type(SELECTION):
        plan_id = selection.get("planId")
        linked = plan.urn in selection.property_dependencies.get("planId", ())
        if not linked and not (isinstance(plan_id, str) and plan_id == plan.get("id")):
            continue
        role = selection.get("iamRoleArn")
        if isinstance(role, str):
            roles.append(role)
        unknown = unknown or is_unknown(role)
    return tuple(dict.fromkeys(roles)), unknown


def _plan_paths(index: StackIndex) -> Iterator[PackCopyPath]:
    for plan in index.of_type(PLAN):
        if plan.account is None or plan.region is None:
            continue  # a Plan of the default provider: its account is not known to the pack
        roles, roles_unknown = _selection_roles(index, plan)
        for view in plan_rule_views(plan)[0]:
            for copy in view.copies:
                destination = None if copy.destination_unknown else parse_vault_arn(copy.destination)
                if destination is None:
                    continue  # backup-copy-destination-locked fails closed on it
                path = shared.CopyPath(
                    where=copy.where,
                    plan=plan.name,
                    rule=view.name,
                    source_account=plan.account,
                    source_region=plan.region,
                    destination_account=destination.account,
                    destination_region=destination.region,
                    destination_vault=destination.name,
                    retention_days=view.copy_retention(copy),
                    disaster_recovery=destination.account != plan.account,
                )
                yield PackCopyPath(plan.urn, path, roles, view.target_vault_name, roles_unknown)


def pack_copy_paths(index: StackIndex, ou_accounts: Mapping[str, Any] | None) -> list[PackCopyPath]:
    return [*_policy_paths(index, ou_accounts or {}), *_plan_paths(index)]


# --------------------------------------------------------------------------- organization facts


@dataclass(frozen=True)
class Organization:
    """What the policy config tells about the organization: ``False`` stands for unknown (a maybe)."""

    paths: Mapping[str, str]

    @cached_property
    def id(self) -> str | bool:
        """Every path starts with the organization id; the accounts a BACKUP_POLICY reaches are all members.

        Read once: the copy-path rules ask for every source and destination, and each answer walks every path.
        """
        ids = {p.split("/", 1)[0] for p in self.paths.values() if p.startswith("o-")}
        return ids.pop() if len(ids) == 1 else False

    def path_of(self, account: str | None) -> str | bool:
        found = self.paths.get(account or "")
        return found if isinstance(found, str) else False

    @classmethod
    def of(cls, index: StackIndex, config: Mapping[str, Any]) -> Organization:
        """The stack's OrganizationView paths, overridden per account by the policy config."""
        given = config.get(ORGANIZATION_PATHS)
        return cls(index.organization_paths(given if isinstance(given, Mapping) else None))


def _text(
    path: shared.CopyPath, finding: Finding, organization: Organization | None = None, *accounts: str | None
) -> str:
    """The violation text: the copy action's document path, the shared rule's message, and the config hint
    when the organization facts were missing (only then can a maybe have decided the outcome)."""
    text = f"{path.where}: {finding.message}"
    if organization is None:
        return text
    known = organization.id is not False and all(organization.path_of(a) is not False for a in accounts)
    return text if known else f"{text}; {ORGANIZATION_HINT}"


def _report(pairs: list[tuple[str, shared.CopyPath, Finding, str]]) -> Iterator[tuple[str | None, str]]:
    """One violation per (resource, copy action, rule), naming the first sources and how many more."""
    by_urn: dict[str, list[tuple[shared.CopyPath, Finding]]] = defaultdict(list)
    first: dict[tuple[str, str, str], tuple[str, str]] = {}
    for urn, path, finding, text in pairs:
        by_urn[urn].append((path, finding))
        first.setdefault((urn, finding.path, finding.rule), (finding.message, text))
    for urn, members in by_urn.items():
        for grouped in shared.grouped(members):
            message, text = first[(urn, grouped.path, grouped.rule)]
            yield urn, text + grouped.message[len(message) :]


# --------------------------------------------------------------------------- destination admits the source


def _document(resource: Resource | None, prop: str = "policy") -> Any:
    return None if resource is None else resource.get(prop)


def check_destination_accepts(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    organization = Organization.of(index, config)
    pairs: list[tuple[str, shared.CopyPath, Finding, str]] = []
    for item in pack_copy_paths(index, config.get("ouAccounts")):
        path = item.path
        key = (path.destination_account, path.destination_region, path.destination_vault)
        if not path.cross_account or key not in index.vaults:
            continue  # copies into vaults of other stacks: backup-copy-destination-locked names them
        document = _document(index.vault_policies.get(key))
        if is_unknown(document) or item.roles_unknown:
            what = "its VaultPolicy policy" if is_unknown(document) else "the Selection's iamRoleArn"
            yield (
                item.urn,
                f"{path.where}: {path.destination_vault} in {path.destination_account}/{path.destination_region}: {unverified(what)}",
            )
            continue
        for role in item.roles:
            for finding in shared.check_vault_admits(
                path,
                document,
                principal_arn=role,
                organization_id=organization.id,
                organization_path=organization.path_of(path.source_account),
                policy_name="the destination vault's VaultPolicy",
            ):
                pairs.append((item.urn, path, finding, _text(path, finding, organization, path.source_account)))
    yield from _report(pairs)


# --------------------------------------------------------------------------- both keys admit the copy


def default_key_policy(account: str, partition: str = "aws") -> dict[str, Any]:
    """The policy KMS gives a key created without one: the account may use it through IAM, nobody else
    (https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


class _Keys:
    """The key policy of each in-stack vault's key (a KeyPolicy resource overrides the key's own policy)."""

    def __init__(self, index: StackIndex) -> None:
        self.index = index
        self.by_reference = _keys_by_reference(index)
        self.overrides: dict[str, Resource] = {}
        for key_policy in index.of_type(KMS_KEY_POLICY):
            for urn in key_policy.property_dependencies.get("keyId", ()):
                self.overrides[urn] = key_policy
            key_id = key_policy.get("keyId")
            if isinstance(key_id, str) and key_id in self.by_reference:
                self.overrides[self.by_reference[key_id].urn] = key_policy

    def policy_of(self, vault: Resource | None, partition: str = "aws") -> tuple[bool, Any]:
        """(found, document): not found when the vault or its key is not a resource of this stack."""
        if vault is None:
            return False, None
        keys = _keys_of(vault, VAULT_KEY_PROPS.get(vault.type, "kmsKeyArn"), self.index, self.by_reference)
        if not keys:
            return False, None
        key = keys[0]
        document = _document(self.overrides.get(key.urn) or key)
        if document is None and key.account is not None:
            return True, default_key_policy(key.account, partition)
        return True, document


def check_keys_admit(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    organization = Organization.of(index, config)
    keys = _Keys(index)
    pairs: list[tuple[str, shared.CopyPath, Finding, str]] = []
    for item in pack_copy_paths(index, config.get("ouAccounts")):
        path = item.path
        if not path.cross_account or path.destination_account is None:
            continue
        # The stack's partition, as its backup roles name it: the service-linked role, the key's default
        # policy and the kms:ViaService endpoint all depend on it.
        partition = next((p for role in item.roles if (p := arn_partition(role))), "aws")
        destination_vault = index.vaults.get(
            (path.destination_account, path.destination_region, path.destination_vault)
        )
        if destination_vault is None:
            continue  # a copy out of the stack: backup-copy-destination-locked names it (one mistake, one rule)
        found, document = keys.policy_of(destination_vault, partition)
        if found and (is_unknown(document) or item.roles_unknown):
            yield item.urn, f"{path.where}: the destination vault's key policy {unverified('policy')}"
        elif found:
            for role in item.roles:
                for finding in shared.check_destination_key(
                    path,
                    document,
                    source_principal_arn=role,
                    organization_id=organization.id,
                    source_organization_path=organization.path_of(path.source_account),
                ):
                    pairs.append((item.urn, path, finding, _text(path, finding, organization, path.source_account)))
        source_vault = (
            index.vaults.get((path.source_account, path.source_region, item.source_vault))
            if item.source_vault is not None
            else None
        )
        found, document = keys.policy_of(source_vault, partition)
        if found and is_unknown(document):
            yield item.urn, f"{path.where}: the source vault's key policy {unverified('policy')}"
        elif found:
            try:
                destination_principal = backup_service_linked_role_arn(path.destination_account, partition)
            except ValueError:
                # Not one account (a ``$account`` destination): the copy stays in the source account.
                continue
            for finding in shared.check_source_key(
                path,
                document,
                destination_principal_arn=destination_principal,
                organization_id=organization.id,
                destination_organization_path=organization.path_of(path.destination_account),
            ):
                pairs.append((item.urn, path, finding, _text(path, finding, organization, path.destination_account)))
    yield from _report(pairs)


# --------------------------------------------------------------------------- the destination exists


def check_destination_exists(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    """A destination in an account where this stack keeps vaults, but not that vault in that Region."""
    regions_of: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    for account, region, name in index.vaults:
        if region is not None:
            regions_of[(account, name)].add(region)
    pairs: list[tuple[str, shared.CopyPath, Finding, str]] = []
    for item in pack_copy_paths(index, config.get("ouAccounts")):
        path = item.path
        account_vaults = {name for (account, name) in regions_of if account == path.destination_account}
        if not account_vaults:
            continue  # not an account of this stack: backup-copy-destination-locked names it
        present = path.destination_region in regions_of.get((path.destination_account, path.destination_vault), ())
        where = (
            f"this stack keeps {path.destination_vault!r} in {path.destination_account} only in "
            + ", ".join(sorted(regions_of[(path.destination_account, path.destination_vault)]))
            if regions_of.get((path.destination_account, path.destination_vault))
            else f"this stack keeps only {', '.join(sorted(account_vaults))} in {path.destination_account}"
        )
        for finding in shared.check_destination_exists(path, present, where):
            pairs.append((item.urn, path, finding, _text(path, finding)))
    yield from _report(pairs)


# --------------------------------------------------------------------------- disaster-recovery copies leave the Region


def dr_same_region(index: StackIndex, ou_accounts: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    """Cross-account (disaster-recovery) copies that stay in their source Region: the advice of
    ``backup-copy-is-cross-boundary``, by the shared rule."""
    pairs = [
        (item.urn, item.path, finding, _text(item.path, finding))
        for item in pack_copy_paths(index, ou_accounts)
        for finding in shared.check_leaves_region(item.path)
    ]
    yield from _report(pairs)


# --------------------------------------------------------------------------- declarations

AWS_SOURCES = (
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-cross-account-backup.html, "
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault-access-policy.html, "
    "https://docs.aws.amazon.com/aws-backup/latest/devguide/encryption.html, "
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths"
)

DESTINATION_ACCEPTS = Rule(
    name="backup-copy-destination-accepts-org",
    description=(
        "Checks, for every copy path (each source account and Region a BACKUP_POLICY or Plan runs in, each copy "
        "action), that the in-stack destination vault's VaultPolicy allows backup:CopyIntoBackupVault to the "
        "source's backup role, evaluated as IAM does with the account's organization id and OU path "
        "(aws:PrincipalOrgID, aws:PrincipalOrgPaths): an explicit Deny wins, a statement whose conditions "
        "cannot be evaluated grants nothing. AWS Backup fails a cross-account copy the destination vault does "
        "not admit (" + AWS_SOURCES + "). Fails closed: a policy or role unknown during preview, or a source "
        "account without organizationPaths when the policy conditions on the organization, is a violation."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "For org-backup users: widen vaults.central.allowed_organization_paths to cover the source account's OU "
        "(or remove the extra statement that denies the copy). For a hand-written vault policy: allow "
        "backup:CopyIntoBackupVault to the organization (aws:PrincipalOrgID) or the source accounts. Give "
        "organizationPaths in the policy config when previewing with the Pulumi CLI."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA, ORGANIZATION_PATHS: ORGANIZATION_PATHS_SCHEMA},
    domain=DOMAIN,
)
KEYS_ADMIT = Rule(
    name="backup-copy-keys-admit",
    description=(
        "Checks that both keys of every cross-account copy path into a vault of this stack admit the copy: the "
        "destination vault's key lets the source's backup role re-encrypt it (kms:CreateGrant, kms:Decrypt, "
        "kms:GenerateDataKey through AWS Backup in the destination Region) and the in-stack source vault's key "
        "is shared with the destination account's AWSServiceRoleForBackup. AWS Backup re-encrypts each copy "
        "with the destination vault's key and needs the source key shared with the destination account ("
        + AWS_SOURCES
        + ", "
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/using-service-linked-roles-AWSServiceRoleForBackup.html). "
        "A key created without a policy has KMS's default policy (" + KEY_POLICY_DEFAULT_URL + "). Keys that are "
        "not resources of this stack (StackSet templates, other stacks) are left to org_backup.ops.verify. Fails closed "
        "like backup-copy-destination-accepts-org."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "For org-backup users: the central key admits the organization paths of "
        "vaults.central.allowed_organization_paths, widen them to the source's OU; member keys share with the "
        "central account by construction, so a finding there means a hand-edited key policy. For other keys: "
        "allow the three actions with kms:ViaService backup.<region>.amazonaws.com to the source accounts (or "
        "the organization) on the destination key, and to the destination account on the source key."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA, ORGANIZATION_PATHS: ORGANIZATION_PATHS_SCHEMA},
    domain=DOMAIN,
)
DESTINATION_EXISTS = Rule(
    name="backup-copy-destination-exists",
    description=(
        "Checks that every copy into an account where this stack keeps vaults names a vault the stack creates "
        "in the destination Region. A cross-Region copy needs the destination vault to exist in the "
        "destination Region, or AWS Backup fails the copy job "
        "(https://docs.aws.amazon.com/aws-backup/latest/devguide/cross-region-backup.html)."
    ),
    enforcement=MANDATORY,
    severity=Severity.HIGH,
    remediation=(
        "For org-backup users: copies go to organization.dr_regions, where the central vaults are created; add "
        "the Region there. For a hand-written policy or a Plan: point the copy at a Region and vault name this "
        "stack creates."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA},
    domain=DOMAIN,
)

DESTINATION_ACCEPTS_POLICY = stack_policy(DESTINATION_ACCEPTS, check_destination_accepts)
POLICIES: list[Policy] = [
    stack_policy(KEYS_ADMIT, check_keys_admit),
    stack_policy(DESTINATION_EXISTS, check_destination_exists),
]
