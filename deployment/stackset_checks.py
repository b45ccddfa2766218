"""Checks of ``member_deployment.mode: stackset`` that need the whole configuration: the member template is
built from it, so what the template builder refuses is said here, at the path to change, before any resource
is registered (the program would otherwise stop with a traceback from ``member_template_body``).

- The template stands for "the account and Region this stack instance runs in" with placeholders that become
  ``${AWS::AccountId}`` and ``${AWS::Region}`` (``components.documents.member_template.PSEUDO_PARAMETERS``): a
  configured value holding a placeholder would be rewritten into each member's own id or Region.
- CreateStackSet and UpdateStackSet take an inline ``TemplateBody`` of at most 51,200 bytes
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html,
  https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_UpdateStackSet.html).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from components.documents.member_template import (
    PSEUDO_PARAMETERS,
    member_template,
    member_template_body,
)
from policies.backup_rules.findings import Finding, join
from stackconfig.model import StackConfig


def _strings(node: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string of the configuration (keys included) with its config path."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key, join(path, str(key)))
            yield from _strings(value, join(path, str(key)))
    elif isinstance(node, list | tuple):
        for index, value in enumerate(node):
            yield from _strings(value, join(path, index))


# The sections the member template is built from (the vault, its key and role, scanning, frameworks, restore
# testing); a placeholder elsewhere (listed accounts, alert endpoints) never reaches the template.
TEMPLATE_SECTIONS = ("organization", "vaults", "plans", "audit", "restore_testing")


def _placeholders(config: StackConfig) -> list[Finding]:
    out: list[Finding] = []
    for path, text in _strings(config.model_dump(mode="json", include=set(TEMPLATE_SECTIONS)), ""):
        for placeholder, pseudo in PSEUDO_PARAMETERS.items():
            if placeholder in text:
                out.append(
                    Finding(
                        path,
                        text,
                        "stackset-placeholder",
                        f"{placeholder!r} is the member StackSet template's stand-in for {pseudo}: every occurrence "
                        "would become the id or Region of the account each stack instance runs in; use another "
                        "value, or member_deployment.mode direct",
                    )
                )
    return out


def _size(config: StackConfig) -> list[Finding]:
    try:
        member_template_body(config)
    except ValueError as exc:
        resources = member_template(config)["Resources"]
        sizes = sorted(
            ((len(json.dumps(r, separators=(",", ":"))), name) for name, r in resources.items()), reverse=True
        )
        largest = ", ".join(f"{name} ({size:,} bytes)" for size, name in sizes[:3])
        return [
            Finding(
                "member_deployment.mode",
                "stackset",
                "stackset-template-size",
                f"{exc} bytes; its largest resources are {largest}: shorten what feeds them (vaults.member.extra_access_policy_statements "
                "goes into BackupVault, restore_testing.selections into the restore-testing resources), or use "
                "member_deployment.mode direct",
            )
        ]
    return []


def check_stackset(config: StackConfig) -> list[Finding]:
    """What the member template builder would refuse, at its config path; nothing in mode direct."""
    if config.member_deployment.mode != "stackset":
        return []
    return _placeholders(config) or _size(config)
