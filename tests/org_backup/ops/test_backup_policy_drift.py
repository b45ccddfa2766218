"""Verify compares every live backup policy with what the program renders (security review F2).

The backup-admin account's administrators may rewrite the backup policies (a trust root): a policy pointed at the
unlocked Default vault must be reported, not only what the effective policy of each account shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.stub import Stubber

from deployment.layout import build_layout
from org_backup.ops.checks.backup_policies import CHECK, organization_findings
from stackconfig.inventory import OrgTree, load_inventory
from stackconfig.model import StackConfig
from tests.components.documents.test_guardrail_scp import PROJECT_DIR, prod


@dataclass
class _Stack:
    config: StackConfig


@dataclass
class _Org:
    client: Any

    def organizations(self) -> Any:
        return self.client


def _run(config: StackConfig, contents: dict[str, str]) -> list[Any]:
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory/prod.yaml"))
    layout = build_layout(config, tree)
    client = boto3.client("organizations", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(client)
    summaries: list[dict[str, Any]] = [
        {
            "Id": f"p-{index:08d}",
            "Arn": f"arn:aws:organizations::111111111111:policy/o-a1b2c3d4e5/backup_policy/p-{index:08d}",
            "Name": name,
            "Type": "BACKUP_POLICY",
            "AwsManaged": False,
        }
        for index, name in enumerate(sorted(contents))
    ]
    stubber.add_response("list_policies", {"Policies": summaries}, {"Filter": "BACKUP_POLICY"})
    by_name: dict[str, dict[str, Any]] = {str(s["Name"]): s for s in summaries}
    for attached in layout.policies:
        summary = by_name.get(attached.document.name)
        if summary is not None:
            stubber.add_response(
                "describe_policy",
                {"Policy": {"PolicySummary": summary, "Content": contents[str(summary["Name"])]}},
                {"PolicyId": summary["Id"]},
            )
    with stubber:
        findings = organization_findings(_Stack(config), _Org(client), layout)  # type: ignore[arg-type]
    stubber.assert_no_pending_responses()
    return findings


def _rendered(config: StackConfig) -> dict[str, str]:
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory/prod.yaml"))
    return {p.document.name: p.document.content for p in build_layout(config, tree).policies}


def test_unchanged_policies_in_any_formatting_are_no_finding() -> None:
    config = prod()
    pretty = {name: json.dumps(json.loads(content), indent=2) for name, content in _rendered(config).items()}
    assert _run(config, pretty) == []


def test_a_policy_repointed_at_the_default_vault_or_missing_is_reported() -> None:
    config = prod()
    contents = _rendered(config)
    first, *rest = sorted(contents)
    repointed = contents[first].replace('"org-backup"', '"Default"')
    assert repointed != contents[first]
    findings = _run(config, {first: repointed, **{n: contents[n] for n in rest[1:]}})
    assert [(f.rule, f.severity) for f in findings] == [(CHECK, "error")] * 2
    messages = " ".join(f.message for f in findings)
    assert f"backup policy {first}" in messages and "differs" in messages
    assert f"backup policy {rest[0]} does not exist" in messages
