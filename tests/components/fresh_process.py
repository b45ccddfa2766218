"""Load a dynamic provider the way Pulumi's provider host does, in a process that cannot import this repository.

``pulumi.dynamic`` stores ``serialize_provider(provider)`` in the state; the host (``python -m
pulumi.dynamic``) later runs ``dill.loads(base64.b64decode(...))`` on it, possibly from another directory
(Automation API) or after the code moved. ``run_provider`` reproduces that: a new interpreter from this venv,
started in ``workdir`` with ``PYTHONPATH`` unset, every ``sys.path`` entry inside the repository removed, and
``-S``: the venv's site-packages are added by hand, so no ``.pth`` file (an editable install of this project
adds one) can bring the repository back. The script first proves that ``components`` is not importable,
then loads the provider and runs ``body`` with ``provider`` bound. ``body`` prints one JSON line, which is
returned.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider

REPO = Path(__file__).resolve().parents[2]

_PRELUDE = """
import base64, importlib.util, json, sys
repo = {repo!r}
sys.path[:] = [p for p in sys.path if p and not p.startswith(repo)] + {site_packages!r}
for name in ("components", "stackconfig", "policies", "tests"):
    assert importlib.util.find_spec(name) is None, name + " is importable: the check would prove nothing"
import dill
with open("provider.b64") as handle:
    provider = dill.loads(base64.b64decode(handle.read()))
"""


def run_provider(provider: ResourceProvider, body: str, workdir: Path, env: dict[str, str] | None = None) -> Any:
    """Serialize ``provider`` as pulumi.dynamic does, then run ``body`` against it in a fresh process."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "provider.b64").write_text(serialize_provider(provider))
    site_packages = [p for p in site.getsitepackages() if Path(p).is_dir()]
    script = _PRELUDE.format(repo=str(REPO), site_packages=site_packages) + textwrap.dedent(body)
    environment = {k: v for k, v in (env if env is not None else os.environ).items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-S", "-c", script],
        cwd=workdir,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"provider failed in a fresh process:\n{done.stderr[-4000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])
