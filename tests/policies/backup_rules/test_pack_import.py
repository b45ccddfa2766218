"""The policy pack imports the package as ``backup_rules`` with only ``policies/`` on sys.path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]


def test_package_imports_with_only_policies_on_the_path() -> None:
    code = (
        "import sys; sys.path.insert(0, 'policies'); "
        "import backup_rules.backup_policy, backup_rules.iam, backup_rules.schedule, backup_rules.arns; "
        "assert 'policies' not in sys.modules; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
