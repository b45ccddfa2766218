"""The shared plumbing: fan-out with error capture, progress bar, pagination, read-only guard, output."""

from __future__ import annotations

import io
import json
import threading
import time
from pathlib import Path

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from org_backup.ops import verify
from org_backup.ops.aws import AccessError, Aws, Progress, ReadOnlyError, fan_out, paginate
from org_backup.ops.common import EXIT_CANNOT_RUN, Report, Table
from org_backup.tables import text_table
from policies.backup_rules.findings import Finding
from tests.components.documents.config_factory import base_config


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "Operation")


def test_fan_out_keeps_item_order_and_captures_aws_errors() -> None:
    def work(n: int) -> int:
        if n == 2:
            raise client_error("AccessDenied")
        if n == 3:
            raise AccessError("cannot assume")
        time.sleep(0.001 * (5 - n))
        return n * 10

    outcomes = fan_out([0, 1, 2, 3, 4], work, workers=3, label="test")

    assert [o.item for o in outcomes] == [0, 1, 2, 3, 4]
    assert [o.value for o in outcomes] == [0, 10, None, None, 40]
    assert isinstance(outcomes[2].error, ClientError)
    assert isinstance(outcomes[3].error, AccessError)
    with pytest.raises(AccessError):
        outcomes[3].unwrap()


def test_fan_out_raises_bugs_instead_of_hiding_them() -> None:
    def work(n: int) -> int:
        raise ValueError("a bug")

    with pytest.raises(ValueError, match="a bug"):
        fan_out([1], work, workers=2, label="test")


def test_fan_out_never_runs_more_than_workers_at_once() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.01)
        with lock:
            running -= 1
        return n

    fan_out(list(range(20)), work, workers=4, label="test")

    assert 1 < peak <= 4


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_only_on_a_terminal() -> None:
    pipe = io.StringIO()
    with Progress(2, "verify", stream=pipe) as progress:
        progress.advance()
    assert pipe.getvalue() == ""

    terminal = Terminal()
    with Progress(2, "verify", stream=terminal) as progress:
        progress.advance()
        progress.advance()
    drawn = terminal.getvalue()
    assert "verify [" in drawn
    assert "2/2" in drawn
    assert drawn.endswith("\r\033[K")


def test_paginate_follows_next_token_where_botocore_has_no_paginator() -> None:
    client = boto3.client("backup", region_name="us-east-1")
    assert not client.can_paginate("list_frameworks")
    with Stubber(client) as stub:
        stub.add_response("list_frameworks", {"Frameworks": [{"FrameworkName": "a"}], "NextToken": "t"}, {})
        stub.add_response("list_frameworks", {"Frameworks": [{"FrameworkName": "b"}]}, {"NextToken": "t"})
        names = [f["FrameworkName"] for f in paginate(client, "list_frameworks", "Frameworks")]
    assert names == ["a", "b"]


def test_every_client_refuses_writes_before_sending_them(aws_env) -> None:
    aws = Aws.connect(profile=None, endpoint_url=aws_env.endpoint_url, command="test")
    backup = aws.client("backup", "us-east-1")
    with pytest.raises(ReadOnlyError, match="CreateBackupVault"):
        backup.create_backup_vault(BackupVaultName="v")
    assert aws_env.client("backup").list_backup_vaults()["BackupVaultList"] == []
    assert backup.list_backup_vaults()["BackupVaultList"] == []


def test_unknown_profile_cannot_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    stack_file = tmp_path / "Pulumi.x.yaml"
    stack_file.write_text(yaml.safe_dump({"config": {f"org-backup:{k}": v for k, v in base_config().items()}}))
    code = verify.main(
        ["--config", str(stack_file), "--profile", "no-such-profile", "--json", str(tmp_path / "out.json")]
    )
    assert code == EXIT_CANNOT_RUN
    assert "no-such-profile" in capsys.readouterr().err
    assert json.loads((tmp_path / "out.json").read_text())["exit_code"] == EXIT_CANNOT_RUN


def test_report_counts_info_as_good_and_sorts_errors_first() -> None:
    findings = [
        Finding.observed("b", "note", "nothing", account="2", severity="info"),
        Finding.observed("a", "broken", "fix it", account="1", region="us-east-1"),
    ]
    report = Report("verify", "prod", "o-1", findings, [Table("t", ("A", "B"), [("1", "x")])])
    assert report.exit_code() == 1
    assert [f.rule for f in report.sorted_findings()] == ["a", "b"]
    assert report.to_json()["summary"] == {"error": 1, "warning": 0, "info": 1}
    assert Report("verify", "prod", "o-1", findings[:1]).exit_code() == 0
    text = report.to_text()
    assert "broken -> fix it" in text
    assert text.splitlines()[-1].endswith("findings to act on")


def test_format_table_pads_all_but_the_last_column() -> None:
    assert text_table(("A", "BB", "C"), [("xyz", "1", "long text")]) == "A    BB  C\nxyz  1   long text"
