"""docs/security.md tells the truth: every test it names exists, and its SCPs deny what it says they deny.

The SCPs are read from the page's JSON blocks as a reader would copy them, linted, and evaluated with a small
Deny-statement evaluator (action and resource wildcards, ``StringEquals``, ``ForAnyValue:StringEquals`` and
``ArnNotLike``: the only operators they use) against the requests the page says they stop or let through.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import parliament  # type: ignore[import-untyped]
import pytest

from components.documents.vault_policy import protected_actions
from policies.backup_rules.iam import DELETION_ACTIONS, check_policy_document
from policies.backup_rules.names import BACKUP_KEY_TAG, FORWARDING_ROLE_NAME
from stackconfig.model import Organization, Vaults
from tests.hardening.fuzzing import BASE_SECTIONS

PROJECT_DIR = Path(__file__).resolve().parents[2]
PAGE = (PROJECT_DIR / "docs" / "security.md").read_text(encoding="utf-8")
MAX_SCP_CHARACTERS = 5120

MEMBER_ADMIN = "arn:aws:iam::444444444401:role/Admin"
DEPLOYER = "arn:aws:iam::444444444401:role/OrganizationAccountAccessRole"
BREAK_GLASS = "arn:aws:iam::444444444401:role/BackupBreakGlass"
FORWARDING_ROLE = FORWARDING_ROLE_NAME  # the program's one home (policies.backup_rules.names)


def _section(title: str) -> str:
    return PAGE.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def _scps() -> dict[str, dict[str, Any]]:
    """``{"S1": policy, ...}``: the JSON block under each ``### Sn:`` heading."""
    out = {}
    for heading, body in re.findall(
        r"### (S\d): .*?\n(.*?)(?=\n### |\Z)", _section("Recommended service control policies"), re.S
    ):
        [block] = re.findall(r"```json\n(.*?)```", body, re.S)
        out[heading] = json.loads(block)
    return out


SCPS = _scps()


def test_every_test_this_page_names_exists() -> None:
    named = set(re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", PAGE))
    assert len(named) >= 20
    for path, name in sorted(named):
        tree = ast.parse((PROJECT_DIR / path).read_text(encoding="utf-8"))
        functions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert name in functions, f"docs/security.md names {path}::{name}, which does not exist"


def test_every_control_names_at_least_one_test() -> None:
    rows = [line for line in _section("Controls").splitlines() if re.match(r"\| (C\d+|S1\u2013S4) \|", line)]
    numbers = sorted(int(m.group(1)) for row in rows if (m := re.match(r"\| C(\d+) \|", row)))
    assert numbers == list(range(1, len(numbers) + 1)), "controls are numbered C1..Cn without gaps or repeats"
    assert len(numbers) >= 11, "no control of the threat model may disappear"
    assert all("::" in row for row in rows), [row[:20] for row in rows if "::" not in row]


def test_the_recommended_scps_are_valid_small_and_deny_only() -> None:
    assert sorted(SCPS) == ["S1", "S2", "S3", "S4"]
    for name, policy in SCPS.items():
        assert len(json.dumps(policy, separators=(",", ":"))) <= MAX_SCP_CHARACTERS, name
        assert {s["Effect"] for s in policy["Statement"]} == {"Deny"}, name
        assert check_policy_document(policy) == [], name
        linted = parliament.analyze_policy_string(
            json.dumps(policy), ignore_private_auditors=True, include_community_auditors=True
        )
        assert [(f.issue, f.detail) for f in linted.findings] == [], name


# ------------------------------------------------------------------------------------- evaluation


def _listed(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _condition_holds(operator: str, key: str, wanted: str | list[str], context: dict[str, Any]) -> bool:
    have = context.get(key)
    if operator == "StringEquals":
        return have is not None and have in _listed(wanted)
    if operator == "ForAnyValue:StringEquals":
        return any(v in _listed(wanted) for v in have or [])
    if operator == "ArnNotLike":
        return not any(fnmatch.fnmatchcase(str(have), pattern) for pattern in _listed(wanted))
    raise AssertionError(f"the evaluator does not know {operator}: extend it before using it in an SCP")


def denied(
    policy: dict[str, Any], action: str, principal: str, resource: str = "*", context: dict[str, Any] | None = None
) -> bool:
    """Whether some Deny statement of ``policy`` matches the request (``context``: its other condition keys)."""
    context = {"aws:PrincipalArn": principal, **(context or {})}
    for statement in policy["Statement"]:
        if not any(fnmatch.fnmatch(action.lower(), a.lower()) for a in _listed(statement["Action"])):
            continue
        if not any(r == "*" or fnmatch.fnmatchcase(resource, r) for r in _listed(statement["Resource"])):
            continue
        conditions = statement.get("Condition", {})
        if all(_condition_holds(op, k, v, context) for op, keys in conditions.items() for k, v in keys.items()):
            return True
    return False


TAGGED = {f"aws:ResourceTag/{BACKUP_KEY_TAG}": "true"}


def test_the_recommended_scps_deny_what_this_page_says() -> None:
    s1, s2, s3, s4 = (SCPS[n] for n in ("S1", "S2", "S3", "S4"))
    for action in ("kms:ScheduleKeyDeletion", "kms:DisableKey"):
        assert denied(s1, action, MEMBER_ADMIN, context=TAGGED)
        assert denied(s1, action, DEPLOYER, context=TAGGED), "S1 also holds against a compromised pipeline"
        assert not denied(s1, action, BREAK_GLASS, context=TAGGED)
        assert not denied(s1, action, MEMBER_ADMIN), "untagged keys are the account's own business"
    assert denied(s1, "kms:UntagResource", MEMBER_ADMIN, context={"aws:TagKeys": [BACKUP_KEY_TAG]})
    assert not denied(s1, "kms:TagResource", DEPLOYER, context={"aws:TagKeys": [BACKUP_KEY_TAG, "org-backup:role"]})

    assert denied(s2, "organizations:LeaveOrganization", DEPLOYER)

    for action in [*protected_actions(), *DELETION_ACTIONS]:
        assert denied(s3, action, MEMBER_ADMIN), f"S3 must cover what the vault policy denies: {action}"
        assert not denied(s3, action, BREAK_GLASS)
    for action in ("backup:PutBackupVaultAccessPolicy", "backup:PutBackupVaultLockConfiguration"):
        assert not denied(s3, action, DEPLOYER), "pulumi up puts vault policies and locks"
    for action in (
        "backup:DeleteRecoveryPoint",
        "backup:DeleteBackupVault",
        "backup:DeleteBackupVaultLockConfiguration",
    ):
        assert denied(s3, action, DEPLOYER)

    role = "arn:aws:iam::444444444401:role/{}"
    assert denied(s4, "iam:CreateRole", MEMBER_ADMIN, role.format("BackupBreakGlass"))
    assert denied(s4, "iam:UpdateAssumeRolePolicy", MEMBER_ADMIN, role.format("OrganizationAccountAccessRole"))
    assert denied(s4, "iam:AttachRolePolicy", MEMBER_ADMIN, role.format("OrgBackupServiceRole"))
    assert denied(s4, "iam:DeleteRole", MEMBER_ADMIN, role.format(FORWARDING_ROLE))
    assert not denied(s4, "iam:PutRolePolicy", DEPLOYER, role.format("OrgBackupServiceRole"))
    assert not denied(s4, "iam:CreateRole", MEMBER_ADMIN, role.format("AppRole"))


@pytest.mark.parametrize("name", ["S1", "S3", "S4"])
def test_the_scps_name_the_roles_and_tag_the_program_uses(name: str) -> None:
    """The page's names are the program's defaults and the prod stack's break-glass role."""
    text = json.dumps(SCPS[name])
    deployer = Organization.model_fields["member_role_name"].default
    assert f"role/{deployer}" in text
    assert all(f"role/{n}" in text for n in BASE_SECTIONS["prod"]["vaults"]["member"]["break_glass_role_names"])
    if name == "S1":
        assert BACKUP_KEY_TAG in text
    if name == "S4":
        assert f"role/{Vaults.model_fields['backup_role_name'].default}" in text
        assert f"role/{FORWARDING_ROLE}" in text
        source = (PROJECT_DIR / "components" / "member_account.py").read_text(encoding="utf-8")
        assert "name=FORWARDING_ROLE_NAME" in source
