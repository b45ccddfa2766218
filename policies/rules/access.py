"""Who can destroy backups: the access analysis (package ``access``) as a mandatory stack rule.

The other rules check each document's shape; this one asks an independent evaluator what the documents
together let a principal do, so a gap between them (an exemption anyone can squat, a key with no Deny, an SCP
that does not reach an account) fails the preview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping
from typing import Any

from access import analyse
from access.evaluator import EVALUATION_LOGIC_URL, KMS_KEY_POLICY_URL, SCP_EFFECTS_URL
from pulumi_policy import Policy, Severity

from backup_rules.guardrail import SERVICE_CONTROL_POLICY

from .base import MANDATORY, Rule, stack_policy
from .org_policies import OU_ACCOUNTS_SCHEMA
from .resources import ORG_POLICY, StackIndex

DOMAIN = "access"

DESTRUCTIVE_ACCESS = Rule(
    name="backup-destructive-access-exempt-only",
    description=(
        "No principal outside the exempt roles can destroy or weaken a backup: for every backup vault and "
        "vault key the stack registers (member vaults per account and Region, central vaults, StackSet "
        "templates), an account administrator, a role the administrator creates or takes over under an exempt "
        "name (break-glass, deploy role, stacksets-exec-*), an administrator of another organization account "
        "and an outsider can neither delete recovery points, change or delete the Vault Lock, the vault policy "
        "or the vault, nor disable, schedule the deletion of, or rewrite the policy of the key. Decided by "
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
        "Deny the action in the vault access policy or key policy to everyone but the exempt roles "
        "(ArnNotLike aws:PrincipalArn), and deploy the guardrail SCP on every account that holds a vault so "
        "that nobody else can create or take over a role with an exempt name. Which accounts an SCP attached to "
        "an OU binds comes from the stack (org-backup publishes it: OrganizationView and Guardrail outputs); "
        "for a stack that does not, give ouAccounts (OU id -> accounts) in the policy config."
    ),
    config={"ouAccounts": OU_ACCOUNTS_SCHEMA},
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


def check_destructive_access(index: StackIndex, config: Mapping[str, Any]) -> Iterator[tuple[str | None, str]]:
    ou_accounts = index.ou_accounts(config.get("ouAccounts"))
    matrix = analyse(index.resources, ou_accounts=ou_accounts)
    unknown = _unknown_scp_targets(index, ou_accounts)
    hint = f"; {OU_HINT.format(ous=', '.join(unknown))}" if unknown else ""
    urns = {t.label: t.urn for t in matrix.targets}
    grouped: dict[tuple[str, str], list[str]] = defaultdict(list)
    why: dict[tuple[str, str], list[str]] = defaultdict(list)
    for cell in matrix.open_to_attackers():
        grouped[(cell.target, cell.principal)].append(cell.action_class)
        why[(cell.target, cell.principal)] += [
            d for d in cell.decided_by if d not in why[(cell.target, cell.principal)]
        ]
    for (target, principal), actions in grouped.items():
        reasons = "; ".join(why[(target, principal)]) or "a document is not known"
        yield urns.get(target), f"{target}: the {principal} can {', '.join(actions)} (allowed by: {reasons}){hint}"


POLICIES: list[Policy] = [stack_policy(DESTRUCTIVE_ACCESS, check_destructive_access)]
