"""``org-backup``: one parser, delegation to the tools, refusals of flags a subcommand cannot honour."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from org_backup import main as cli
from org_backup.ops.common import EXIT_CANNOT_RUN, EXIT_OK, PROJECT_DIR
from tests.moto_server import MotoServer
from tests.org_backup.ops.fakes import FakeOrg, write_stack


class Recorded:
    """Stands in for a tool's ``main``: records its argv, prints text, writes ``--json`` as the tools do."""

    def __init__(self, code: int = 1) -> None:
        self.argv: list[str] = []
        self.code = code

    def __call__(self, argv: Sequence[str]) -> int:
        self.argv = list(argv)
        print("TABLE OF FINDINGS")
        if "--json" in self.argv:
            Path(self.argv[self.argv.index("--json") + 1]).write_text('{"findings": []}\n')
        return self.code


@pytest.fixture
def verify_main(monkeypatch: pytest.MonkeyPatch) -> Recorded:
    from org_backup.ops import verify

    recorded = Recorded()
    monkeypatch.setattr(verify, "main", recorded)
    return recorded


@pytest.mark.parametrize("command", ["preview", "inventory", "preflight", "verify", "report", "init"])
def test_help_shows_the_common_flags_defaults_and_exit_codes(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main([command, "--help"])
    assert exited.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    for flag in ("--stack", "--config", "--format", "--endpoint-url", "--profile"):
        assert flag in out
    # init writes the stack file and its inventory: --output is not offered (and refused if given).
    assert ("--output" in out) == (command != "init")
    assert "(default: prod)" in out
    assert "(default: text)" in out
    assert "exit status: 0" in out and "; 2 " in out


def test_verify_gets_every_flag_it_was_given(verify_main: Recorded) -> None:
    code = cli.main(
        ["verify", "--stack", "staging", "--profile", "audit", "--endpoint-url", "http://x", "--hours", "5"]
    )
    assert code == 1
    assert verify_main.argv == [
        "--stack", "staging", "--profile", "audit", "--endpoint-url", "http://x", "--workers", "16", "--hours", "5",
    ]  # fmt: skip


def test_a_config_file_alone_is_not_given_the_default_stack(verify_main: Recorded, tmp_path: Path) -> None:
    cli.main(["verify", "--config", str(tmp_path / "Pulumi.x.yaml")])
    assert verify_main.argv[:2] == ["--config", str(tmp_path / "Pulumi.x.yaml")]
    assert "--stack" not in verify_main.argv


def test_json_format_is_the_tools_json_document_and_nothing_else(verify_main: Recorded, capsys) -> None:
    assert cli.main(["verify", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out) == {"findings": []}


def test_output_receives_the_report(verify_main: Recorded, tmp_path: Path, capsys) -> None:
    out = tmp_path / "verify.txt"
    cli.main(["verify", "--output", str(out)])
    assert out.read_text() == "TABLE OF FINDINGS\n"
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("argv", "refused"),
    [
        (["preview", "--profile", "p"], "--profile: preview makes no AWS calls"),
        (["preview", "--endpoint-url", "http://x"], "--endpoint-url: preview makes no AWS calls"),
        (["verify", "--format", "markdown"], "--format markdown: verify writes text or json"),
        (["inventory", "--format", "sarif"], "--format sarif: inventory writes text or json"),
    ],
)
def test_flags_a_subcommand_cannot_honour_are_refused(
    argv: list[str], refused: str, verify_main: Recorded, capsys
) -> None:
    assert cli.main(argv) == 2
    assert refused in capsys.readouterr().err
    assert verify_main.argv == []


def test_unknown_flags_are_usage_errors(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["preview", "--hours", "3"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --hours" in capsys.readouterr().err


def test_preview_runs_the_offline_preview(capsys) -> None:
    code = cli.main(["preview", "--stack", "staging", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == report["exit_code"]
    assert report["stack"] == "staging"
    assert report["config_file"] == "Pulumi.staging.yaml"


def test_report_needs_its_output_directory(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["report"])
    assert "--output-dir" in capsys.readouterr().err


def test_inventory_against_moto(tmp_path: Path, org: FakeOrg, aws_env: MotoServer, capsys) -> None:
    stack_file = write_stack(tmp_path, org, with_inventory=False)
    argv = ["inventory", "--config", str(stack_file), "--endpoint-url", aws_env.endpoint_url, "--format", "json"]
    assert cli.main(argv) == EXIT_OK
    document = json.loads(capsys.readouterr().out)
    assert document["written"] is True
    assert Path(document["inventory_file"]).is_file()


def test_no_credentials_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    code = cli.main(["preflight", "--stack", "staging", "--endpoint-url", "http://127.0.0.1:9", "--format", "json"])
    assert code == EXIT_CANNOT_RUN
    assert json.loads(capsys.readouterr().out)["exit_code"] == EXIT_CANNOT_RUN


def test_the_installed_command_exists_in_the_venv() -> None:
    """`make preview` installs the package; its console script is what the README tells people to run."""
    script = Path(sys.executable).parent / "org-backup"
    assert script.is_file(), "run `make install` (pip install --no-build-isolation -e .)"
    assert "org_backup.main" in script.read_text()


def test_pyproject_declares_the_command() -> None:
    import tomllib

    project = tomllib.loads((PROJECT_DIR / "pyproject.toml").read_text())
    assert project["project"]["scripts"] == {"org-backup": "org_backup.main:main"}
    assert project["build-system"]["requires"] == [
        line for line in (PROJECT_DIR / "requirements-build.txt").read_text().splitlines() if line and line[0] != "#"
    ]


@pytest.mark.parametrize("sub", cli.SUBCOMMANDS, ids=[s.name for s in cli.SUBCOMMANDS])
def test_help_shows_the_formats_and_output_of_each_command(sub: cli.Subcommand, capsys) -> None:
    """`--help` promises only what the command does: its own formats, and what --output means for it."""
    with pytest.raises(SystemExit):
        cli.main([sub.name, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--format {" + ",".join(sub.formats) + "}" in text
    offered = "--output" in text.split("common options", 1)[1]
    assert offered == (sub.name != "init")
    if sub.name == "demo":
        assert "--output DIR" in text
