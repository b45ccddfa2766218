"""org_backup.ops.inventory against moto: the file it writes, what it says changed, and when it cannot run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from org_backup.ops import inventory
from org_backup.ops.common import EXIT_CANNOT_RUN, EXIT_FINDINGS, EXIT_OK, PROJECT_DIR
from org_backup.ops.inventory import yaml_text
from org_backup.ops.organization import account_status
from stackconfig.inventory import Inventory, load_inventory
from tests.components.documents.config_factory import base_config
from tests.moto_server import MotoServer
from tests.org_backup.ops.fakes import STACK, FakeOrg, StubbedApis, write_stack


def run(stack_file: Path, connect, *extra: str, json_file: Path | None = None) -> int:
    argv = ["--config", str(stack_file), *extra]
    if json_file is not None:
        argv += ["--json", str(json_file)]
    return inventory.main(argv, aws=connect("inventory"))


@pytest.fixture
def fresh_stack(tmp_path: Path, org: FakeOrg) -> Path:
    """A stack whose inventory file does not exist yet."""
    return write_stack(tmp_path, org, with_inventory=False)


def test_writes_the_inventory_format_in_a_deterministic_order(
    fresh_stack: Path, org: FakeOrg, connect, stubs: StubbedApis
) -> None:
    assert run(fresh_stack, connect) == EXIT_OK
    path = fresh_stack.parent / "inventory" / f"{STACK}.yaml"
    text = path.read_text()

    assert text.startswith(f"# Written by `org-backup inventory --stack {STACK}`")
    written = load_inventory(path)
    assert isinstance(written, Inventory)
    assert written.organization_id == org.id
    assert written.root_id == org.root_id
    assert [a.id for a in written.accounts] == sorted(org.parents)
    assert [ou.name for ou in written.organizational_units] == ["non-prod", "prod", "sandbox", "security"]
    assert {a.id: a.parent_id for a in written.accounts} == org.parents
    assert "status" not in yaml.safe_load(text)["accounts"][0]

    assert run(fresh_stack, connect) == EXIT_OK
    assert path.read_text() == text, "an unchanged organization must not rewrite the file"
    assert stubs.mutating_calls() == []


def test_reports_new_moved_suspended_and_removed_accounts_with_their_targets(
    stack_file: Path, org: FakeOrg, connect, stubs: StubbedApis, tmp_path: Path
) -> None:
    path = stack_file.parent / "inventory" / f"{STACK}.yaml"
    before = path.read_text()
    prod_01, prod_02 = org.in_ou("prod")
    new = org.add_account("prod-03", "prod")
    org.move(org.accounts["nonprod-01"], "sandbox")
    org.client("organizations").close_account(AccountId=prod_02)
    recorded = yaml.safe_load(before)
    recorded["accounts"].append({"id": "999999999999", "name": "gone", "parent_id": org.ous["prod"]})
    path.write_text(yaml_text(recorded))
    before = path.read_text()

    out = tmp_path / "changes.json"
    assert run(stack_file, connect, "--dry-run", json_file=out) == EXIT_FINDINGS
    assert path.read_text() == before, "--dry-run writes nothing"
    changes = {(f["check"], f["account"]): f for f in json.loads(out.read_text())["findings"]}

    assert set(changes) == {
        ("account-new", new),
        ("account-moved", org.accounts["nonprod-01"]),
        ("account-status", prod_02),
        ("account-removed", "999999999999"),
    }
    assert "targeted OUs: prod" in changes[("account-new", new)]["message"]
    assert "gains plans daily, weekly" in changes[("account-new", new)]["message"]
    moved = changes[("account-moved", org.accounts["nonprod-01"])]["message"]
    assert "moved non-prod -> sandbox" in moved
    assert "loses plans daily" in moved
    assert "ACTIVE -> SUSPENDED" in changes[("account-status", prod_02)]["message"]
    assert all(f["severity"] == "warning" for f in changes.values())

    assert run(stack_file, connect) == EXIT_OK
    rewritten = load_inventory(path)
    assert {a.id: a.status for a in rewritten.accounts}[prod_02] == "SUSPENDED"
    assert "999999999999" not in {a.id for a in rewritten.accounts}
    assert prod_01 in {a.id for a in rewritten.accounts}
    assert stubs.mutating_calls() == []


def test_account_status_reads_state_before_status() -> None:
    assert account_status({"State": "PENDING_CLOSURE", "Status": "ACTIVE"}) == "PENDING_CLOSURE"
    assert account_status({"Status": "SUSPENDED"}) == "SUSPENDED"
    assert account_status({}) == "ACTIVE"


def test_credentials_of_another_organization_cannot_run(tmp_path: Path, org: FakeOrg, connect, capsys) -> None:
    stack_file = write_stack(tmp_path, org)
    text = stack_file.read_text().replace(org.id, "o-aaaaaaaaaa")
    stack_file.write_text(text)
    assert run(stack_file, connect) == EXIT_CANNOT_RUN
    assert "o-aaaaaaaaaa" in capsys.readouterr().err


def test_an_account_outside_any_organization_cannot_run(tmp_path: Path, aws_env: MotoServer, connect, capsys) -> None:
    stack_file = tmp_path / "Pulumi.solo.yaml"
    stack_file.write_text((PROJECT_DIR / "Pulumi.staging.yaml").read_text())
    assert run(stack_file, connect) == EXIT_CANNOT_RUN
    assert "not in an organization" in capsys.readouterr().err


def offline_stack(directory: Path, **sections: object) -> Path:
    """A valid stack file (the document-builder tests' config) for runs that stop before reaching AWS."""
    stack_file = directory / "Pulumi.offline.yaml"
    config = base_config() | sections
    stack_file.write_text(yaml_text({"config": {f"org-backup:{k}": v for k, v in config.items()}}))
    return stack_file


def test_no_credentials_cannot_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_env: MotoServer, capsys
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name)
    stack_file = offline_stack(tmp_path)
    assert inventory.main(["--config", str(stack_file), "--endpoint-url", aws_env.endpoint_url]) == EXIT_CANNOT_RUN
    assert "no usable AWS credentials" in capsys.readouterr().err


def test_a_broken_config_cannot_run(tmp_path: Path, capsys) -> None:
    stack_file = offline_stack(tmp_path, plans={"daily": {"rules": {}, "selections": {}}})
    assert inventory.main(["--config", str(stack_file)]) == EXIT_CANNOT_RUN
    assert "plans.daily" in capsys.readouterr().err


def test_runs_as_a_module(fresh_stack: Path, aws_env: MotoServer, tmp_path: Path) -> None:
    """``python -m org_backup inventory`` (what the ``org-backup`` script runs) writes the inventory."""
    out = tmp_path / "out.json"
    command = ["-m", "org_backup", "inventory", "--config", str(fresh_stack), "--endpoint-url", aws_env.endpoint_url]
    result = subprocess.run(
        [sys.executable, *command, "--format", "json", "--output", str(out)],
        cwd=PROJECT_DIR,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == EXIT_OK, result.stderr
    assert f"wrote {out}" in result.stderr
    assert json.loads(out.read_text())["written"] is True
