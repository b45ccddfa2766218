"""``member_deployment.mode: stackset``: what the member template builder refuses is a report at the path to
change, never a ValueError from the program (found by probing the builders' refusals after the config fuzzer)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.documents.member_template import MAX_TEMPLATE_BODY_BYTES, member_template_body
from components.program import offline_tree
from deployment.layout import build_layout
from deployment.load import load_config
from stackconfig.load import ConfigError
from tests.hardening.fuzzing import BASE_SECTIONS


def _stackset(stack: str = "prod") -> dict[str, Any]:
    sections = copy.deepcopy(BASE_SECTIONS[stack])
    sections["member_deployment"] = {"mode": "stackset"}
    return sections


def _errors(sections: dict[str, Any], stack: str = "prod") -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as info:
        loaded = load_config(sections)
        build_layout(loaded.config, offline_tree(loaded.config, stack))
    return [(f.path, f.rule) for f in info.value.findings if f.severity == "error"]


def _long_statement(index: int) -> dict[str, Any]:
    """A team's Deny with a long list of exempt roles (about 2,900 bytes in the template)."""
    roles = [f"arn:aws:iam::*:role/SomeLongRoleName{j:04d}" for j in range(40)]
    return {
        "Sid": f"Extra{index}",
        "Effect": "Deny",
        "Principal": "*",
        "Action": ["backup:DeleteRecoveryPoint"],
        "Resource": "*",
        "Condition": {"StringNotLike": {"aws:PrincipalArn": roles}},
    }


def test_prod_in_stackset_mode_lays_out() -> None:
    loaded = load_config(_stackset())
    build_layout(loaded.config, offline_tree(loaded.config, "prod"))
    assert len(member_template_body(loaded.config).encode()) <= MAX_TEMPLATE_BODY_BYTES


def test_a_member_template_over_cloudformations_inline_limit_is_reported() -> None:
    sections = _stackset()
    sections["vaults"]["member"]["extra_access_policy_statements"] = [_long_statement(i) for i in range(20)]
    loaded = load_config(sections)
    with pytest.raises(ValueError, match="over CloudFormation's inline limit"):
        member_template_body(loaded.config)  # what the program called, and raised from, before
    with pytest.raises(ConfigError) as info:
        build_layout(loaded.config, offline_tree(loaded.config, "prod"))
    [finding] = info.value.findings
    assert (finding.path, finding.rule) == ("member_deployment.mode", "stackset-template-size")
    assert "BackupVault (" in finding.message and "vaults.member.extra_access_policy_statements" in finding.message
    sections["member_deployment"] = {"mode": "direct"}
    loaded = load_config(sections)
    build_layout(loaded.config, offline_tree(loaded.config, "prod"))  # the limit is the StackSet's alone


def test_the_template_placeholder_account_id_is_reported_at_its_path() -> None:
    """The template writes ``000000000000`` for the account it runs in; a configured account with that id would
    be rewritten into every member's own id (the builder raised ValueError for it)."""
    sections = _stackset("staging")
    for plan in sections["plans"].values():
        plan.pop("air_gapped", None)  # StackSet mode has no member air-gapped vaults
    for account in sections["accounts"]["listed"]:
        if account["id"] == sections["organization"]["management_account_id"]:
            account["id"] = "000000000000"
    sections["organization"]["management_account_id"] = "000000000000"
    assert _errors(sections, "staging") == [("organization.management_account_id", "stackset-placeholder")]


def test_a_placeholder_inside_a_member_vault_statement_is_reported() -> None:
    """An ARN naming account 000000000000 in the member vault's extra statements would silently name each
    member account itself once deployed by the StackSet."""
    sections = _stackset()
    statement = _long_statement(0) | {
        "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::000000000000:role/X"}}
    }
    sections["vaults"]["member"]["extra_access_policy_statements"] = [statement]
    assert _errors(sections) == [
        (
            "vaults.member.extra_access_policy_statements[0].Condition.ArnNotLike.aws:PrincipalArn",
            "stackset-placeholder",
        )
    ]
