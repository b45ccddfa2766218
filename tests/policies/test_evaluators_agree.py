"""The two policy evaluators agree wherever both are certain.

``policies.backup_rules.access`` is the small concrete evaluator the loader, the pack's copy-path rules and verify
use to ask "does this resource policy admit this request"; ``policies.access.evaluator`` is the IAMSpy/Z3 model
the access analysis ("who can destroy backups") is built on. They exist apart because the first must run where
the pack runs without Z3's cost per request and the second models what the first does not (SCPs, identity
policies, principal classes). Two evaluators of one language drift unless something holds them together: this
test asks both, statement by statement, about every generated vault and key policy of the prod stack, for the
principals and actions the checks ask about, and requires the same answer wherever neither says "maybe".
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.documents.central_vault import central_access_policy
from components.documents.kms import central_backup_key_policy
from components.documents.member_vault import member_access_policy, member_key_policy
from deployment.load import config_from_stack_file
from policies.access import evaluator as z3_evaluator
from policies.backup_rules import access as concrete
from policies.backup_rules.arns import role_arn, service_endpoint

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONFIG = config_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").config
ORG = CONFIG.organization
CENTRAL = ORG.central_vault_account_id
MEMBER = "444444444401"
OUTSIDER = "999999999999"
PROD_PATH = f"{ORG.id}/{ORG.root_id}/ou-ab12-11111111/"
OTHER_PATH = f"{ORG.id}/{ORG.root_id}/ou-ab12-22222222/"
CENTRAL_REGION = "us-west-2"
MEMBER_REGION = "us-east-1"

ACTIONS = (
    "backup:CopyIntoBackupVault",
    "backup:DeleteRecoveryPoint",
    "backup:DeleteBackupVault",
    "backup:PutBackupVaultAccessPolicy",
    "backup:DeleteBackupVaultLockConfiguration",
    "kms:CreateGrant",
    "kms:Decrypt",
    "kms:GenerateDataKey",
    "kms:ScheduleKeyDeletion",
    "kms:PutKeyPolicy",
    "kms:DisableKey",
)


def _documents() -> dict[str, tuple[str, Mapping[str, Any]]]:
    """label -> (resource ARN, document) of every policy the prod stack generates for a vault or its key."""
    central_admins = ORG.vault_admin_role_arns(CENTRAL, CONFIG.vaults.central.break_glass_role_names)
    member_admins = ORG.vault_admin_role_arns(MEMBER, CONFIG.vaults.member.break_glass_role_names)
    partition = ORG.partition
    central_vault = f"arn:{partition}:backup:{CENTRAL_REGION}:{CENTRAL}:backup-vault:{CONFIG.vaults.central.name}"
    member_vault = f"arn:{partition}:backup:{MEMBER_REGION}:{MEMBER}:backup-vault:{CONFIG.vaults.member.name}"
    return {
        "central vault policy": (central_vault, central_access_policy(CONFIG, admin_role_arns=central_admins)),
        "central key policy": (
            f"arn:{partition}:kms:{CENTRAL_REGION}:{CENTRAL}:key/central",
            central_backup_key_policy(
                account_id=CENTRAL,
                region=CENTRAL_REGION,
                organization_id=ORG.id,
                organization_paths=CONFIG.vaults.central.allowed_organization_paths,
                break_glass_role_arns=central_admins,
                partition=partition,
            ),
        ),
        "member vault policy": (
            member_vault,
            member_access_policy(CONFIG, admin_role_arns=member_admins),
        ),
        "member key policy": (
            f"arn:{partition}:kms:{MEMBER_REGION}:{MEMBER}:key/member",
            member_key_policy(CONFIG, account_id=MEMBER, region=MEMBER_REGION, admin_role_arns=member_admins),
        ),
    }


def _principals() -> list[tuple[str, str | None, str | None]]:
    """(role ARN, organization id, organization path): the roles the checks and the analysis ask about."""
    out: list[tuple[str, str | None, str | None]] = []
    for account, path in ((MEMBER, PROD_PATH), (CENTRAL, OTHER_PATH)):
        for name in (
            CONFIG.vaults.backup_role_name,
            ORG.member_role_name,
            "Admin",
            *CONFIG.vaults.central.break_glass_role_names,
        ):
            out.append((role_arn(account, name, ORG.partition), ORG.id, path))
    out.append((role_arn(OUTSIDER, "Admin", ORG.partition), "o-zzzzzzzzzz", None))
    out.append((role_arn(MEMBER, CONFIG.vaults.backup_role_name, ORG.partition), ORG.id, OTHER_PATH))
    return out


def _contexts(resource: str) -> list[dict[str, str]]:
    """No extra key, and a copy through AWS Backup in the resource's Region (what the copy checks ask)."""
    region = resource.split(":")[3]
    via = {"kms:viaservice": service_endpoint("backup", region, ORG.partition), "kms:grantisforawsresource": "true"}
    return [{}, via]


def _cases() -> list[tuple[str, str, tuple[str, str | None, str | None], dict[str, str]]]:
    cases = []
    for label, (resource, _) in _documents().items():
        for action, principal, extra in itertools.product(ACTIONS, _principals(), _contexts(resource)):
            if action.split(":")[0] == ("kms" if "vault" in label else "backup"):
                continue
            cases.append((label, action, principal, extra))
    return cases


DOCUMENTS = _documents()


def verdicts(
    label: str, action: str, principal: tuple[str, str | None, str | None], extra: Mapping[str, str]
) -> list[tuple[str, bool | None, bool | None]]:
    """(statement Sid, concrete verdict, Z3 verdict) for every statement of the document."""
    resource, document = DOCUMENTS[label]
    arn, org_id, org_path = principal
    request = concrete.principal_request(action, arn, organization_id=org_id, organization_path=org_path, extra=extra)
    request = concrete.Request(request.action, request.principal_arn, request.context, resource)
    z3_request = z3_evaluator.Request(
        principal=z3_evaluator.Principal(arn, org_id, org_path),
        action=action,
        resource=resource,
        extra_context=tuple(sorted(extra.items())),
    )
    context = z3_evaluator._context(z3_request)
    compiled = z3_evaluator.compile_document(json.dumps(document, sort_keys=True), label)
    raw = document["Statement"]
    assert len(compiled) == len(raw)
    return [
        (entry.get("Sid", ""), concrete.statement_applies(entry, request), z3_evaluator.matches(statement, context))
        for entry, statement in zip(raw, compiled, strict=True)
    ]


CASES = _cases()


def test_both_evaluators_agree_where_both_are_certain() -> None:
    """Every case of the grid (440 requests, about 2,000 statement verdicts), all disagreements reported at once."""
    assert {label for label, *_ in CASES} == set(DOCUMENTS)
    disagreements: list[str] = []
    agreed: dict[bool, int] = {True: 0, False: 0}
    for label, action, principal, extra in CASES:
        for sid, small, large in verdicts(label, action, principal, extra):
            if small is None or large is None:
                continue
            if small != large:
                disagreements.append(f"{label} {sid} {action} {principal[0]} {extra}: concrete {small}, Z3 {large}")
            else:
                agreed[small] += 1
    assert disagreements == []
    # Not vacuous: both evaluators are certain, and the statements both apply and do not, many times over.
    assert agreed[True] > 200 and agreed[False] > 1000


def test_a_disagreement_would_be_seen() -> None:
    """The comparison is not vacuous: a statement the concrete evaluator is told applies to another principal
    gives a different verdict from Z3's on the real document."""
    label, action, principal, extra = next(
        c for c in CASES if c[0] == "central vault policy" and c[1].endswith("CopyIntoBackupVault")
    )
    resource, document = DOCUMENTS[label]
    arn = principal[0]
    wrong = concrete.principal_request(action, arn, organization_id="o-zzzzzzzzzz", organization_path=None)
    wrong = concrete.Request(wrong.action, wrong.principal_arn, wrong.context, resource)
    right = verdicts(label, action, principal, extra)
    changed = [
        sid
        for (sid, _, large), entry in zip(right, document["Statement"], strict=True)
        if large is not None and (small := concrete.statement_applies(entry, wrong)) is not None and small != large
    ]
    assert changed
