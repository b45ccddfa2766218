"""``org-backup init`` against moto's server: a starter stack and inventory that load, and no overwrites."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from deployment.layout import build_layout
from deployment.load import config_from_stack_file
from org_backup import main as cli
from org_backup.ops.common import EXIT_CANNOT_RUN, EXIT_OK
from org_backup.preview.command import build_preview, render
from org_backup.preview.model import Preview
from stackconfig.inventory import OrgTree, load_inventory
from tests.moto_server import DEFAULT_ACCOUNT_ID, MotoServer
from tests.org_backup.ops.fakes import FakeOrg


def _init(tmp_path: Path, moto: MotoServer, *extra: str) -> int:
    argv = ["init", "--stack", "acme", "--project-dir", str(tmp_path), "--endpoint-url", moto.endpoint_url]
    return cli.main([*argv, *extra])


def test_writes_a_stack_and_inventory_that_load_and_reach_the_organization(
    tmp_path: Path, org: FakeOrg, aws_env: MotoServer, capsys
) -> None:
    assert _init(tmp_path, aws_env) == EXIT_OK
    stack_file = tmp_path / "Pulumi.acme.yaml"
    inventory_file = tmp_path / "inventory" / "acme.yaml"
    assert f"wrote {stack_file} and {inventory_file}" in capsys.readouterr().out

    loaded = config_from_stack_file(stack_file)
    config = loaded.config
    assert config.organization.id == org.id
    assert config.organization.root_id == org.root_id
    assert config.organization.management_account_id == DEFAULT_ACCOUNT_ID
    assert config.organization.backup_admin_account_id == org.accounts["backup-admin"]
    assert {ou.id for ou in config.targets.organizational_units} == set(org.ous.values())
    assert {v.lock.mode for v in (config.vaults.member, config.vaults.central) if v.lock} == {"governance"}
    assert list(config.plans) == ["daily"]

    tree = OrgTree.from_inventory(load_inventory(inventory_file))
    assert set(tree.accounts) == set(org.parents)
    layout = build_layout(config, tree)
    reached = {a for p in layout.policies for a in p.reaches}
    assert org.accounts["prod-01"] in reached
    assert DEFAULT_ACCOUNT_ID not in reached

    text = stack_file.read_text()
    assert "# weekly:" in text and "REVIEW" in text
    assert yaml.safe_load(text)["config"]["org-backup:accounts"]["inventory_file"] == "inventory/acme.yaml"
    assert loaded.warnings == [], "the starter warns about itself"


def test_the_first_preview_of_the_starter_passes(
    tmp_path: Path, org: FakeOrg, aws_env: MotoServer, monkeypatch, capsys
) -> None:
    """README "Adopt it": init, then preview until it passes. The starter's governance-mode central vault is
    allowed by the policy config init writes beside it, and nothing in it is a warning."""
    assert _init(tmp_path, aws_env) == EXIT_OK
    assert "policy-config/acme.json" in capsys.readouterr().out
    policy_config = tmp_path / "policy-config" / "acme.json"
    assert json.loads(policy_config.read_text()) == {"backup-copy-destination-locked": {"requireComplianceMode": False}}
    monkeypatch.setattr("components.program.PROJECT_DIR", tmp_path)
    result = build_preview("acme", tmp_path / "Pulumi.acme.yaml", policy_config)
    assert isinstance(result, Preview), render(result, "text")
    assert result.exit_code == 0, [str(v) for v in result.violations if v.mandatory]
    assert result.warnings == []
    # Without it, the governance-mode destination is the one mandatory finding.
    bare = build_preview("acme", tmp_path / "Pulumi.acme.yaml", None)
    assert isinstance(bare, Preview)
    assert {v.rule for v in bare.violations if v.mandatory} == {"backup-copy-destination-locked"}


def test_refuses_to_overwrite_without_force(tmp_path: Path, org: FakeOrg, aws_env: MotoServer, capsys) -> None:
    stack_file = tmp_path / "Pulumi.acme.yaml"
    stack_file.write_text("config: {}\n")

    assert _init(tmp_path, aws_env) == EXIT_CANNOT_RUN
    assert "already exist" in capsys.readouterr().err
    assert stack_file.read_text() == "config: {}\n"
    assert not (tmp_path / "inventory" / "acme.yaml").exists()
    assert not (tmp_path / "policy-config" / "acme.json").exists()

    assert _init(tmp_path, aws_env, "--force") == EXIT_OK
    assert "org-backup:organization" in stack_file.read_text()


def test_a_member_account_cannot_init(tmp_path: Path, org: FakeOrg, aws_env: MotoServer, monkeypatch, capsys) -> None:
    member = org.accounts["prod-01"]
    credentials = aws_env.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="test"
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", credentials["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", credentials["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", credentials["SessionToken"])

    assert _init(tmp_path, aws_env) == EXIT_CANNOT_RUN
    assert f"credentials of the management account {DEFAULT_ACCOUNT_ID}" in capsys.readouterr().err
    assert not (tmp_path / "Pulumi.acme.yaml").exists()


@pytest.mark.parametrize("flag", [["--output", "x"], ["--format", "json"]])
def test_init_refuses_report_flags(flag: list[str], capsys) -> None:
    assert cli.main(["init", *flag]) == 2
    assert "org-backup init:" in capsys.readouterr().err
