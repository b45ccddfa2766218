"""`make preview` writes only the report to stdout: `make preview FORMAT=json > f` must be JSON, first run included."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from org_backup.ops.common import PROJECT_DIR

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")

FAKE_PYTHON = """#!/bin/sh
# `python -m venv DIR`: a venv whose pip chats on stdout (as real pip does) and whose org-backup prints JSON.
[ "$1" = "-m" ] && [ "$2" = "venv" ] || exit 3
mkdir -p "$3/bin"
printf '#!/bin/sh\\necho "Successfully installed everything"\\n' > "$3/bin/pip"
printf '#!/bin/sh\\necho python\\n' > "$3/bin/python"
printf '#!/bin/sh\\necho "{\\\\"args\\\\": \\\\"$*\\\\"}"\\n' > "$3/bin/org-backup"
chmod +x "$3/bin/pip" "$3/bin/python" "$3/bin/org-backup"
"""


def _make(*args: str, cwd: Path = PROJECT_DIR) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    return subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_first_run_installs_on_stderr_and_prints_only_the_report(tmp_path: Path) -> None:
    fake = tmp_path / "python"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    venv = tmp_path / "venv"

    result = _make("preview", "FORMAT=json", "STACK=staging", f"PYTHON={fake}", f"VENV={venv}")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"args": "preview --stack staging --format json"}
    assert "Successfully installed" in result.stderr
    assert (venv / "bin" / ".runtime-installed").is_file()
    assert not (venv / "bin" / ".installed").exists(), "make preview must not install the test toolchain"


def test_make_preview_json_is_the_report() -> None:
    if not (PROJECT_DIR / ".venv" / "bin" / "org-backup").is_file():
        pytest.skip("the project's venv has no org-backup command yet")
    result = _make("preview", "FORMAT=json", "STACK=staging")
    # Whatever the verdict (make says "Error 1" on stderr for a mandatory violation), stdout is the report.
    assert json.loads(result.stdout)["stack"] == "staging", result.stderr
