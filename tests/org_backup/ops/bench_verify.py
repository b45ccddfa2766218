"""How long ``org_backup.ops.verify`` takes on a large organization in moto (a measurement, not a test).

    .venv/bin/python -m tests.org_backup.ops.bench_verify [--accounts 50] [--workers 16]

moto runs in its own process (as AWS would be elsewhere), with only the AWS managed policies the backup role
uses loaded. The organization is deployed as ``pulumi up`` would leave it (two workload Regions, one central
vault, an encrypted volume and a few jobs per account and Region); then verify runs twice: the first run
also pays for moto creating its per-account EC2 and RDS backends, the second is verify's own steady state.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from components.documents.iam import backup_role_managed_policy_arns
from org_backup.demo.seed import job
from org_backup.ops import verify
from org_backup.ops.aws import Aws
from tests.moto_server import FAKE_CREDENTIALS, MotoServer
from tests.org_backup.ops.fakes import WORKLOAD_REGIONS, FakeOrg, StubbedApis, build_org, deploy, write_stack


def serve(port: int) -> None:
    """The moto server process: AWS managed policies limited to the backup role's four."""
    import moto.iam.models
    from moto.server import ThreadedMotoServer

    names = {arn.rsplit("/", 1)[-1] for arn in backup_role_managed_policy_arns()}
    every = json.loads(moto.iam.models.aws_managed_policies_data)
    moto.iam.models.aws_managed_policies_data = json.dumps({k: v for k, v in every.items() if k in names})
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    while True:
        time.sleep(3600)


def start_server() -> tuple[subprocess.Popen[bytes], MotoServer]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.org_backup.ops.bench_verify", "--serve", str(port)], stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=1).read()
            return process, MotoServer(url)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("moto did not start")


def populate(org: FakeOrg, stubs: StubbedApis, members: list[str]) -> None:
    """An encrypted volume selected by the daily plan, and a day of jobs, in every member account and Region."""
    for account in members:
        for region in WORKLOAD_REGIONS:
            key = org.client("kms", account, region).describe_key(KeyId="alias/org-backup")["KeyMetadata"]["Arn"]
            tags = [{"ResourceType": "volume", "Tags": [{"Key": "backup", "Value": "daily"}]}]
            volume = org.client("ec2", account, region).create_volume(
                AvailabilityZone=f"{region}a", Size=1, Encrypted=True, KmsKeyId=key, TagSpecifications=tags
            )
            arn = f"arn:aws:ec2:{region}:{account}:volume/{volume['VolumeId']}"
            stubs.backup_jobs += [job(account, region, "COMPLETED", resource=arn, hours_ago=h) for h in (1, 13)]
            stubs.copy_jobs.append(job(account, region, "COMPLETED", resource=arn, kind="copy", hours_ago=2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--accounts", type=int, default=50, help="member accounts (default 50)")
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
    os.environ.update(FAKE_CREDENTIALS)
    process, moto = start_server()
    try:
        started = time.perf_counter()
        org = build_org(moto, prod_accounts=args.accounts - 1)
        stubs = StubbedApis(moto)
        directory = Path(tempfile.mkdtemp(prefix="bench-verify-"))
        stack_file = write_stack(directory, org)
        layout = deploy(org, stack_file, stubs)
        members = [m.id for m in layout.members]
        populate(org, stubs, members)
        print(
            f"setup: {len(members)} member accounts x {len(WORKLOAD_REGIONS)} Regions in {time.perf_counter() - started:.1f} s"
        )
        for attempt in ("first run (moto creates its backends)", "second run"):
            aws = Aws.connect(profile=None, endpoint_url=moto.endpoint_url, command="verify")
            stubs.install(aws.session)
            output = directory / "verify.json"
            calls = len(stubs.calls)
            started = time.perf_counter()
            code = run_quietly(stack_file, args.workers, output, aws)
            elapsed = time.perf_counter() - started
            result = json.loads(output.read_text())
            print(
                f"verify, {attempt}: {elapsed:.1f} s for {len(result['coverage'])} account-Regions "
                f"({len(members)} members x {len(WORKLOAD_REGIONS)} + the central vault), --workers {args.workers}, "
                f"exit {code}, {sum(c['protected'] for c in result['coverage'])} protected, "
                f"{len(stubs.calls) - calls} AWS calls"
            )
    finally:
        process.kill()


def run_quietly(stack_file: Path, workers: int, output: Path, aws: Aws) -> int:
    """verify's own table goes to /dev/null; the JSON result is what the benchmark reads."""
    with open(os.devnull, "w") as sink, contextlib.redirect_stdout(sink):
        return verify.main(["--config", str(stack_file), "--workers", str(workers), "--json", str(output)], aws=aws)


if __name__ == "__main__":
    main()
