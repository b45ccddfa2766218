"""``org-backup demo [--stack prod] [--output DIR]``: deploy the stack into moto, then verify and report on it.

Writes ``DIR/verify.json`` (verify's JSON), ``DIR/coverage.json`` (coverage's) and ``DIR/report.html`` (with the
audit report's Markdown and CSV),
prints where they are and stops the server. verify and the report run exactly as against AWS, with the
management account's credentials (the demo user's key, in the environment) and ``--endpoint-url`` pointing at
moto; only the stand-in is added to their session, for what moto lacks. Exit status: verify's (0 nothing to act
on, 1 findings); 2 when the demo itself could not deploy the stack (the message says which resource and why).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from components.documents.iam import backup_role_managed_policy_arns
from org_backup.demo.apply import ApplyError
from org_backup.demo.deploy import Demo, deploy_stack
from org_backup.demo.server import running_server
from org_backup.ops import audit_report, verify
from org_backup.ops.aws import Aws
from org_backup.ops.coverage import command as coverage

__all__ = ["DEFAULT_OUTPUT", "Outcome", "caller_environment", "main", "run_checks"]

DEFAULT_OUTPUT = Path("demo-out")
EXIT_CANNOT_DEPLOY = 2
_ISOLATED = {
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_DEFAULT_REGION": "us-east-1",
}
_UNSET = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ROLE_ARN")


@dataclass(frozen=True)
class Outcome:
    verify_exit: int
    verify_json: Path
    coverage_json: Path
    report_html: Path


@contextmanager
def caller_environment(demo: Demo) -> Iterator[None]:
    """The management account's demo credentials as the standard credential chain finds them; every client
    is also sent to moto (``AWS_ENDPOINT_URL``) so nothing can reach AWS. Restored on the way out."""
    values = _ISOLATED | demo.organization.caller.environment() | {"AWS_ENDPOINT_URL": demo.server.endpoint_url}
    saved = {name: os.environ.get(name) for name in (*values, *_UNSET)}
    for name in _UNSET:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _connect(demo: Demo, command: str) -> Aws:
    aws = Aws.connect(profile=None, endpoint_url=demo.server.endpoint_url, command=command)
    demo.standin.install(aws.session)
    return aws


def run_checks(demo: Demo, output: Path) -> Outcome:
    """verify, then the audit report, against the emulated organization (caller environment already set)."""
    output.mkdir(parents=True, exist_ok=True)
    common = ["--config", str(demo.stack_file), "--endpoint-url", demo.server.endpoint_url]
    verify_json = output / "verify.json"
    code = verify.main([*common, "--json", str(verify_json)], aws=_connect(demo, verify.COMMAND))
    coverage_json = output / "coverage.json"
    coverage.main([*common, "--json", str(coverage_json)], aws=_connect(demo, coverage.COMMAND))
    audit_report.main([*common, "--output-dir", str(output)], aws=_connect(demo, audit_report.COMMAND))
    return Outcome(code, verify_json, coverage_json, output / "report.html")


def main(stack: str, output: Path) -> int:
    with running_server(backup_role_managed_policy_arns()) as server:
        print(f"org-backup demo: moto's server at {server.endpoint_url}; deploying stack {stack}", file=sys.stderr)
        try:
            demo = deploy_stack(server, stack)
        except ApplyError as exc:
            print(f"org-backup demo: cannot deploy: {exc}", file=sys.stderr)
            return EXIT_CANNOT_DEPLOY
        applied = len(demo.deployment.outputs)
        print(
            f"org-backup demo: {applied} resources applied ({len(demo.deployment.accounts.calls)} AWS calls), "
            f"{len(demo.workloads.resources)} workloads seeded",
            file=sys.stderr,
        )
        with caller_environment(demo):
            outcome = run_checks(demo, output)
    print(f"org-backup demo: verify's JSON: {outcome.verify_json}", file=sys.stderr)
    print(f"org-backup demo: coverage's JSON: {outcome.coverage_json}", file=sys.stderr)
    print(f"org-backup demo: audit report: {outcome.report_html}", file=sys.stderr)
    print("org-backup demo: server stopped; nothing ran against AWS", file=sys.stderr)
    return outcome.verify_exit
