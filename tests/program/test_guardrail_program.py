"""The program registers the guardrail: SCPs in the management account, protected, attached where the config
says, with exactly the builder's content; nothing when it is turned off."""

from __future__ import annotations

import copy
import json
from pathlib import Path

from components.documents.guardrail_scp import guardrail_attachment_targets, guardrail_policies
from deployment.load import config_from_stack_file
from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from stackconfig.inventory import OrgTree, load_inventory

PROJECT_DIR = Path(__file__).resolve().parents[2]
POLICY = "aws:organizations/policy:Policy"
ATTACHMENT = "aws:organizations/policyAttachment:PolicyAttachment"


def _scps(run: ProgramRun) -> list:
    return [p for p in run.of_type(POLICY) if p.inputs["type"] == "SERVICE_CONTROL_POLICY"]


def test_prod_attaches_the_protected_guardrail_from_the_management_account(prod_run: ProgramRun) -> None:
    config = config_from_stack_file(PROJECT_DIR / "Pulumi.prod.yaml").config
    tree = OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory/prod.yaml"))
    expected = guardrail_policies(config)
    scps = _scps(prod_run)
    assert [(p.name, p.inputs["name"], p.inputs["content"]) for p in scps] == [
        (e.name, e.name, e.content) for e in expected
    ]
    assert all(p.protect and p.account == "111111111111" for p in scps)
    by_urn = prod_run.by_urn()
    attachments = [a for a in prod_run.of_type(ATTACHMENT) if by_urn[a.parent_urn or ""] in scps]
    assert sorted(a.inputs["targetId"] for a in attachments) == guardrail_attachment_targets(config, tree)
    assert all(a.protect and a.account == "111111111111" for a in attachments)
    assert "333333333333" in {a.inputs["targetId"] for a in attachments}, "the central vault account is guarded"
    assert prod_run.exports["guardrail_policy_ids"] == {e.name: f"{e.name}-id" for e in expected}


def test_staging_is_guarded_too(staging_run: ProgramRun) -> None:
    scps = _scps(staging_run)
    assert scps and all(p.protect for p in scps)
    assert "DenyReservedRoleChanges" in json.dumps([json.loads(p.inputs["content"]) for p in scps])


def test_turned_off_registers_no_scp() -> None:
    config = copy.deepcopy(load_stack_config("prod"))
    config["org-backup:guardrail"] = {"enabled": False}
    run = run_program(config, stack="prod")
    assert _scps(run) == []
    assert "guardrail_policy_ids" not in run.exports
