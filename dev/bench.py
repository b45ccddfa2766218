"""``python -m dev.bench``: how the offline preview scales with the number of accounts and Regions.

Each measurement runs in a fresh interpreter (so peak RSS and garbage-collector state never mix): it writes a
synthetic organization (inventory and stack file, the prod plans, N member accounts spread over a few OUs,
R workload Regions and one DR Region) to a temporary directory, runs the offline preview on it (the program
under Pulumi's mock engine, then the policy pack) and reports the time, what was registered and the peak
RSS. The floor is the same number of bare ComponentResources registered through the same mock engine: the
least any program of that size can cost, so ``ratio_to_floor`` is what the program adds on top.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from org_backup.preview.offline import PROJECT, PROJECT_DIR, ProgramRun, load_stack_config
from org_backup.tables import text_table

WORKLOAD_REGIONS = ("us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-east-2", "ca-central-1")
DR_REGION = "us-west-2"
ORG_ID, ROOT_ID = "o-a1b2c3d4e5", "r-ab12"
MANAGEMENT, ADMIN, CENTRAL = "111111111111", "222222222222", "333333333333"
MEMBER_OUS = (  # (label used by the prod plans, OU id, parent)
    ("prod", "ou-ab12-11111111", ROOT_ID),
    ("prod-critical", "ou-ab12-55555555", "ou-ab12-11111111"),
    ("non-prod", "ou-ab12-22222222", ROOT_ID),
)
OTHER_OUS = (("sandbox", "ou-ab12-33333333", ROOT_ID), ("security", "ou-ab12-44444444", ROOT_ID))
KEYS = (
    "accounts",
    "regions",
    "mode",
    "resources",
    "providers",
    "wall_s",
    "peak_rss_mb",
    "policy_eval_s",
    "floor_wall_s",
    "ratio_to_floor",
    "backup_policies",
    "max_policy_chars",
)
SUITE = [(n, 3, mode) for n in (10, 100, 1000) for mode in ("direct", "stackset")] + [(10_000, 3, "stackset")]
BACKUP_POLICY = "aws:organizations/policy:Policy"


def member_account_id(index: int) -> str:
    return f"{500_000_000_000 + index:012d}"


def synthetic_inventory(accounts: int) -> dict[str, Any]:
    """``accounts`` active members round-robin over the member OUs, plus the three service accounts."""
    rows = [
        {"id": MANAGEMENT, "name": "management", "parent_id": ROOT_ID},
        {"id": ADMIN, "name": "backup-admin", "parent_id": OTHER_OUS[1][1]},
        {"id": CENTRAL, "name": "backup-central", "parent_id": OTHER_OUS[1][1]},
    ]
    rows += [
        {"id": member_account_id(i), "name": f"member-{i}", "parent_id": MEMBER_OUS[i % len(MEMBER_OUS)][1]}
        for i in range(accounts)
    ]
    return {
        "organization_id": ORG_ID,
        "root_id": ROOT_ID,
        "organizational_units": [
            {"id": ou, "name": name, "parent_id": parent} for name, ou, parent in MEMBER_OUS + OTHER_OUS
        ],
        "accounts": rows,
    }


def synthetic_stack_config(inventory_file: Path, regions: int, mode: str) -> dict[str, Any]:
    """The prod stack file with the synthetic organization's Regions, targets, inventory and mode."""
    config = load_stack_config("prod")
    organization = dict(config[f"{PROJECT}:organization"])
    organization.update(workload_regions=list(WORKLOAD_REGIONS[:regions]), dr_regions=[DR_REGION])
    config[f"{PROJECT}:organization"] = organization
    config[f"{PROJECT}:targets"] = {
        "organizational_units": [{"name": name, "id": ou} for name, ou, _ in MEMBER_OUS if name != "prod-critical"],
        "exclude_organizational_units": [OTHER_OUS[0][1]],
    }
    config[f"{PROJECT}:accounts"] = {"source": "inventory", "inventory_file": str(inventory_file)}
    config[f"{PROJECT}:member_deployment"] = {"mode": mode}
    restore_testing = dict(config[f"{PROJECT}:restore_testing"])
    restore_testing["accounts"] = [member_account_id(0)]
    config[f"{PROJECT}:restore_testing"] = restore_testing
    return config


def write_organization(directory: Path, accounts: int, regions: int, mode: str) -> Path:
    """The inventory and stack file under ``directory``; returns the stack file."""
    inventory = directory / "inventory.yaml"
    inventory.write_text(yaml.safe_dump(synthetic_inventory(accounts), sort_keys=False), encoding="utf-8")
    stack_file = directory / "Pulumi.bench.yaml"
    config = synthetic_stack_config(inventory, regions, mode)
    stack_file.write_text(yaml.safe_dump({"config": config}, sort_keys=False), encoding="utf-8")
    return stack_file


def _peak_rss_mb() -> float:
    """Peak resident set size of this process (``ru_maxrss`` is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _counts(run: ProgramRun) -> dict[str, int]:
    policies = [r for r in run.of_type(BACKUP_POLICY) if r.inputs.get("type") == "BACKUP_POLICY"]
    return {
        "resources": len(run.resources),
        "providers": sum(1 for r in run.resources if r.type.startswith("pulumi:providers:")),
        "backup_policies": len(policies),
        "max_policy_chars": max((len(str(p.inputs.get("content", ""))) for p in policies), default=0),
    }


def measure_preview(accounts: int, regions: int, mode: str) -> dict[str, Any]:
    """One offline preview of a synthetic organization, in this process."""
    from org_backup.preview.command import build_preview
    from org_backup.preview.model import Preview

    with tempfile.TemporaryDirectory(prefix="org-backup-bench-") as tmp:
        stack_file = write_organization(Path(tmp), accounts, regions, mode)
        started = time.perf_counter()
        result = build_preview("bench", config_file=stack_file)
        wall = time.perf_counter() - started
    if not isinstance(result, Preview):
        raise SystemExit(f"the synthetic organization was rejected: {result}")
    return {
        "accounts": accounts,
        "regions": regions,
        "mode": mode,
        **_counts(result.run),
        "wall_s": round(wall, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "policy_eval_s": round(result.evaluation.seconds, 3),
    }


def measure_floor(count: int) -> dict[str, Any]:
    """``count`` bare ComponentResources registered through the offline harness's mock engine."""
    import pulumi

    from org_backup.preview import offline

    def program() -> None:
        for i in range(count):
            pulumi.ComponentResource("bench:floor:Bare", f"bare-{i}")

    started = time.perf_counter()
    offline.run_callable(program, stack="floor")
    return {"floor_wall_s": round(time.perf_counter() - started, 3)}


def _in_fresh_process(args: Sequence[str]) -> dict[str, Any]:
    """Run one measurement in a new interpreter and read its JSON line."""
    child = subprocess.run(
        [sys.executable, "-m", "dev.bench", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    if child.returncode != 0 or not child.stdout.strip():
        raise SystemExit(f"measurement {' '.join(args)} failed ({child.returncode}):\n{child.stderr}")
    result: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return result


def benchmark(accounts: int, regions: int, mode: str) -> dict[str, Any]:
    """The preview and its floor, each in a fresh process; keys as documented in ``KEYS``."""
    preview = _in_fresh_process(
        ["--measure", "preview", "--accounts", str(accounts), "--regions", str(regions), "--mode", mode]
    )
    floor = _in_fresh_process(["--measure", "floor", "--count", str(preview["resources"])])
    preview["floor_wall_s"] = floor["floor_wall_s"]
    preview["ratio_to_floor"] = round(preview["wall_s"] / floor["floor_wall_s"], 2) if floor["floor_wall_s"] else None
    return {key: preview[key] for key in KEYS}


def table(results: Sequence[dict[str, Any]]) -> str:
    """A fixed-width table of the results, one row per measurement."""
    headers = list(KEYS)
    rows = [[str(r[k]) for k in headers] for r in results]
    return text_table(headers, rows, align="right")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m dev.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100, help="member accounts (default 100)")
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(WORKLOAD_REGIONS) + 1))
    parser.add_argument("--mode", choices=("direct", "stackset"), default="direct")
    parser.add_argument("--suite", action="store_true", help="10, 100, 1000 accounts x 3 Regions, both modes")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--measure", choices=("preview", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def _measure_here(args: argparse.Namespace) -> None:
    """The child side: measure once, print one JSON line, and skip the interpreter's teardown."""
    gc.disable()
    with contextlib.redirect_stdout(io.StringIO()):
        if args.measure == "preview":
            result = measure_preview(args.accounts, args.regions, args.mode)
        else:
            result = measure_floor(args.count)
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.measure:
        _measure_here(args)
    runs = SUITE if args.suite else [(args.accounts, args.regions, args.mode)]
    results = []
    for accounts, regions, mode in runs:
        results.append(benchmark(accounts, regions, mode))
        print(table(results[-1:]).splitlines()[-1] if len(results) > 1 else table(results), flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\n{os.cpu_count()} CPUs\n" + table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
