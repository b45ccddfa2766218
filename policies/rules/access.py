"""Who can destroy backups: the access analysis (package ``access``) as a mandatory stack rule.

The other rules check each document's shape; this one asks an independent evaluator what the documents
together let a principal do, so a gap between them (an exemption anyone can squat, a key with no Deny, an SCP
that does not reach an account) fails the preview.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from access import analyse
from access.evaluator import EVALUATION_LOGIC_URL, KMS_KEY_POLICY_URL, SCP_EFFECTS_URL
from access.matrix import CROSS_ACCOUNT_COPY_URL, AccessMatrix, Cell
from pulumi_policy import Policy, Severity

from backup_rules.guardrail import SERVICE_CONTROL_POLICY

from .base import ADVISORY, MANDATORY, Rule, stack_policy
from .copy_paths import ORGANIZATION_PATHS, ORGANIZATION_PATHS_SCHEMA
from .org_policies import OU_ACCOUNTS_SCHEMA
from .resources import ORG_POLICY, StackIndex

DOMAIN = "access"

DESTRUCTIVE_ACCESS = Rule(
    name="backup-destructive-access-exempt-only",
    description=(
        "No principal outside the exempt roles can destroy or weaken a backup: for every backup vault and "
        "vault key the stack registers (member vaults per account and Region, central vaults, StackSet "
        "templates), an account administrator (the delegated backup-admin account's included), a role the "
        "administrator creates, re-trusts (in any letter case), assumes or passes under an exempt name "
        "(break-glass, deploy role, stacksets-exec-*), an administrator of another organization account (also "
        "under the backup role's name) and an outsider can neither delete or disassociate recovery points, change "
        "or delete the Vault Lock, the vault policy or the vault, nor disable, schedule the deletion of, rewrite "
        "the policy of, revoke the grants on or untag the key, nor copy into a compliance-locked central vault "
        "(points nobody can delete: cost and junk evidence) unless it is the backup role of a targeted account. "
        "And that backup role can copy into every central vault: the vault policy, the central key with "
        "kms:ViaService backup.<region> (" + CROSS_ACCOUNT_COPY_URL + ") and its own account's SCPs admit it, "
        "or copies fail silently. The management account administrator is shown, never judged: it is the root "
        "of trust. Decided by "
        "IAMSpy's Z3 model of each statement, combined as AWS evaluates requests: an explicit Deny wins, SCPs "
        "bound member accounts, a key policy must allow ("
        + EVALUATION_LOGIC_URL
        + ", "
        + KMS_KEY_POLICY_URL
        + ", "
        + SCP_EFFECTS_URL
        + "). A document not known during preview counts as open."
    ),
    enforcement=MANDATORY,
    severity=Severity.CRITICAL,
    remediation=(
        "For a copy the backup role cannot make, admit the role's account in the central vault policy and key "
        "policy, and keep its SCPs from denying backup:CopyIntoBackupVault and the key's use. Otherwise: "
        "deny the action in the vault access policy or key policy to everyone but the exempt roles "
        "(ArnNotLike aws:PrincipalArn), and deploy the guardrail SCP on every account that holds a vault so "
        "that nobody else can create or take over a role with an exempt name. Which accounts an SCP attached to "
        "an OU binds comes from the stack (org-backup publishes it: OrganizationView and Guardrail outputs); "
        "for a stack that does not, give ouAccounts (OU id -> accounts) in the policy config."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA, ORGANIZATION_PATHS: ORGANIZATION_PATHS_SCHEMA},
    domain=DOMAIN,
)


OU_HINT = (
    "the pack does not know which accounts {ous} hold (no OrganizationView or Guardrail output of the stack "
    "names them, and the policy config gives no ouAccounts for them), so an SCP attached there binds no account "
    "here: the rule fails closed"
)


def _unknown_scp_targets(index: StackIndex, ou_accounts: Mapping[str, Any]) -> list[str]:
    """OU/root ids an SCP is attached to whose accounts nobody gives (the root covers everyone by definition)."""
    out: set[str] = set()
    for scp in index.of_type(ORG_POLICY):
        if scp.get("type") != SERVICE_CONTROL_POLICY:
            continue
        for attachment in index.attachments_by_policy.get(scp.urn, ()):
            target = attachment.get("targetId")
            if isinstance(target, str) and target.startswith("ou-") and target not in ou_accounts:
                out.add(target)
    return sorted(out)


WEAKENING_ACCESS = Rule(
    name="backup-weakening-access-exempt-only",
    description=(
        "Nobody outside the exempt and deploy roles can stop new backups or blind alerting: the delegated "
        "backup-admin account's administrator cannot update, detach or delete the organization's backup policies "
        "(the Organizations delegation policy admits its account: "
        "https://docs.aws.amazon.com/organizations/latest/userguide/orgs-policy-delegate.html), and no account "
        "administrator can delete or change the alert bus, topic or org-backup event rules. Existing recovery "
        "points are untouched, hence advisory. Decided by the same analysis as backup-destructive-access-exempt-only."
    ),
    enforcement=ADVISORY,
    severity=Severity.HIGH,
    remediation=(
        "Attach the guardrail SCP to the delegated backup-admin account and deny organizations:UpdatePolicy/"
        "DetachPolicy/DeletePolicy on the backup policies and events/sns changes on the alerting resources to all "
        "but the deploy role."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA, ORGANIZATION_PATHS: ORGANIZATION_PATHS_SCHEMA},
    domain=DOMAIN,
)


def _grouped(cells: list[Cell], urns: Mapping[str, str | None], hint: str) -> Iterator[tuple[str | None, str]]:
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    why: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cell in cells:
        grouped[(cell.target, cell.principal)].append(cell.action_class)
        why[(cell.target, cell.principal)] += [
            d for d in cell.decided_by if d not in why[(cell.target, cell.principal)]
        ]
    for (target, principal), actions in grouped.items():
        reasons = "; ".join(why[(target, principal)]) or "a document is not known"
        yield urns.get(target), f"{target}: the {principal} can {', '.join(actions)} (allowed by: {reasons}){hint}"


_last_matrix: tuple[StackIndex, str, tuple[AccessMatrix, dict[str, str | None], str]] | None = None


def _matrix(index: StackIndex, config: Mapping[str, Any]) -> tuple[AccessMatrix, dict[str, str | None], str]:
    """The stack's access matrix, analysed once for both rules of this module (the offline preview hands them
    the same index; the analysis is the costliest step of the pack)."""
    global _last_matrix  # noqa: PLW0603 - a one-entry cache, as stack_index keeps
    key = json.dumps([config.get("ouAccounts"), config.get(ORGANIZATION_PATHS)], sort_keys=True, default=str)
    if _last_matrix is None or _last_matrix[0] is not index or _last_matrix[1] != key:
        _last_matrix = (index, key, _analysed(index, config))
    return _last_matrix[2]


def forget_analysed() -> None:
    """Drop the cached analysis, so that ``last_analysed`` speaks only of what runs next."""
    global _last_matrix  # noqa: PLW0603
    _last_matrix = None


def last_analysed() -> AccessMatrix | None:
    """The matrix the rules of this module judged last (both judge the same one unless their configs differ; then
    the one that ran last). The offline preview shows it as "Who can destroy backups" instead of analysing the
    stack again: the pack imports the analysis as ``access`` and the program as ``policies.access``, two modules
    whose caches nothing else shares."""
    return _last_matrix[2][0] if _last_matrix is not None else None


def _analysed(index: StackIndex, config: Mapping[str, Any]) -> tuple[AccessMatrix, dict[str, str | None], str]:
    ou_accounts = index.ou_accounts(config.get("ouAccounts"))
    paths = index.organization_paths(config.get(ORGANIZATION_PATHS))
    matrix = analyse(index.resources, ou_accounts=ou_accounts, organization_paths=paths)
    unknown = _unknown_scp_targets(index, ou_accounts)
    hint = f"; {OU_HINT.format(ous=', '.join(unknown))}" if unknown else ""
    return matrix, {t.label: t.urn for t in matrix.targets}, hint


def check_destructive_access(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    matrix, urns, hint = _matrix(index, config)
    yield from _grouped(matrix.open_to_attackers(), urns, hint)
    for cell in matrix.broken():
        yield (
            urns.get(cell.target),
            f"{cell.target}: the {cell.principal} cannot {cell.action_class}, so backups would silently not be "
            f"copied ({cell.reason}; decided by: {'; '.join(cell.decided_by) or 'no statement allows'}){hint}",
        )


def check_weakening_access(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    matrix, urns, hint = _matrix(index, config)
    yield from _grouped(matrix.weakening(), urns, hint)


POLICIES: list[Policy] = [
    stack_policy(DESTRUCTIVE_ACCESS, check_destructive_access),
    stack_policy(WEAKENING_ACCESS, check_weakening_access),
]
