"""The frame every operations command shares: arguments, the stack config, findings, output, exit codes.

Exit status: 0 all good; 1 findings that count (errors and warnings; ``info`` never counts: ``findings.LEVELS``); 2 the
command could not run (bad config, no credentials, not the configured organization). People get tables on
stdout; machines get ``--json FILE``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from components.program import PROJECT_DIR
from deployment.load import config_from_stack_file
from org_backup.ops.aws import Aws, CannotRunError, error_code
from org_backup.tables import text_table
from policies.backup_rules.findings import SEVERITIES, Finding
from stackconfig.inventory import inventory_path
from stackconfig.load import ConfigError
from stackconfig.model import StackConfig

__all__ = [
    "EXIT_CANNOT_RUN",
    "EXIT_FINDINGS",
    "EXIT_OK",
    "Report",
    "Stack",
    "Table",
    "attempt",
    "command_parser",
    "run_command",
    "unreachable",
    "utc_now",
]

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_CANNOT_RUN = 2
DEFAULT_WORKERS = 16


def policy_config_path(project_dir: Path, stack: str) -> Path:
    """``policy-config/<stack>.json``: the file `pulumi preview --policy-pack-config` gets for that stack (the
    offline preview reads it by default, ``init`` writes it)."""
    return project_dir / "policy-config" / f"{stack}.json"


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def attempt(check: str, account: str | None, region: str | None, work: Callable[[], list[Finding]]) -> list[Finding]:
    """Run one check; an AWS error (typically AccessDenied) becomes a finding and the other checks go on.

    So does an answer without a field the check reads (``KeyError``/``TypeError`` on the parsed response):
    botocore documents most output members as optional, and a command reading a real organization must report
    what it could not check instead of stopping with a traceback.
    """
    try:
        return work()
    except (ClientError, BotoCoreError) as exc:
        return [
            Finding.observed(
                rule=check,
                message=f"could not check: {error_code(exc)}: {exc}",
                remediation="give the role read access (see README, Operations) and run again",
                account=account,
                region=region,
            )
        ]
    except (KeyError, TypeError) as exc:
        return [
            Finding.observed(
                rule=check,
                message=f"could not check: AWS answered without the expected field ({type(exc).__name__}: {exc})",
                remediation="run again; if it persists, report the answer (this command may need updating)",
                account=account,
                region=region,
            )
        ]


def unreachable(account_id: str, role_arn: str | None, exc: Exception) -> Finding:
    """The finding for an account a command could not get into at all; the others are still checked."""
    return Finding.observed(
        rule="assume-role",
        message=f"cannot reach the account: {exc}",
        remediation=f"make sure {role_arn or 'the caller'} exists in the account and trusts the caller "
        "(organization.member_role_name / management_role_name)",
        account=account_id,
    )


def finding_json(f: Finding) -> dict[str, Any]:
    """A finding in the commands' JSON, under the keys it has always had (``check`` is the rule, ``action`` the
    remediation)."""
    return {
        "check": f.rule,
        "message": f.message,
        "action": f.remediation,
        "account": f.account,
        "region": f.region,
        "resource": f.resource,
        "severity": f.severity,
    }


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: Sequence[tuple[str, ...]]


@dataclass
class Report:
    """What a command found, ready for a terminal (tables) and for machines (``--json``)."""

    command: str
    stack: str
    organization_id: str
    findings: list[Finding]
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=utc_now)

    def exit_code(self) -> int:
        return EXIT_FINDINGS if any(f.counts for f in self.findings) else EXIT_OK

    def summary(self) -> dict[str, int]:
        return {level: sum(f.severity == level for f in self.findings) for level in SEVERITIES}

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def to_json(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "stack": self.stack,
            "organization_id": self.organization_id,
            "generated_at": iso(self.generated_at),
            "exit_code": self.exit_code(),
            "summary": self.summary(),
            "findings": [finding_json(f) for f in self.sorted_findings()],
            **self.data,
        }

    def to_text(self) -> str:
        parts = [f"{t.title}\n{text_table(t.headers, t.rows)}" for t in self.tables if t.rows]
        if self.findings:
            rows = [
                (
                    f.severity.upper(),
                    f.rule,
                    f.account or "-",
                    f.region or "-",
                    f.resource or "-",
                    f"{f.message} -> {f.remediation}",
                )
                for f in self.sorted_findings()
            ]
            headers = ("SEVERITY", "CHECK", "ACCOUNT", "REGION", "RESOURCE", "FINDING -> WHAT TO DO")
            parts.append(f"Findings\n{text_table(headers, rows)}")
        counts = self.summary()
        verdict = "all good" if self.exit_code() == EXIT_OK else "findings to act on"
        parts.append(
            f"{self.command} {self.stack} ({self.organization_id}): {counts['error']} error(s), "
            f"{counts['warning']} warning(s), {counts['info']} note(s): {verdict}"
        )
        return "\n\n".join(parts)


@dataclass(frozen=True)
class Stack:
    """A stack file and its validated configuration."""

    name: str
    file: Path
    config: StackConfig
    warnings: list[Finding]

    @property
    def project_dir(self) -> Path:
        return self.file.parent

    @property
    def home_region(self) -> str:
        return self.config.organization.primary_region

    def inventory_file(self) -> Path:
        return inventory_path(self.config, self.name, self.project_dir)

    def role_arn(self, account_id: str) -> str | None:
        """The role the program assumes in ``account_id``; the commands use the same one."""
        return self.config.organization.deploy_role_arn(account_id)


def command_parser(command: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"org-backup {command}", description=description)
    parser.add_argument("--stack", help="stack name: reads Pulumi.<stack>.yaml next to Pulumi.yaml")
    parser.add_argument("--config", metavar="FILE", help="a Pulumi.<stack>.yaml elsewhere (tests, other checkouts)")
    parser.add_argument("--profile", help="AWS profile; default: the standard credential chain")
    parser.add_argument("--endpoint-url", help="send every AWS call here (emulators such as moto, tests)")
    parser.add_argument("--json", metavar="FILE", help="also write the result as JSON to FILE")
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help=f"accounts checked at once (default {DEFAULT_WORKERS})"
    )
    return parser


def _stack_name(path: Path) -> str:
    name = path.name
    return name[len("Pulumi.") : -len(".yaml")] if name.startswith("Pulumi.") and name.endswith(".yaml") else path.stem


def load_stack(args: argparse.Namespace) -> Stack:
    path = Path(args.config) if args.config else PROJECT_DIR / f"Pulumi.{args.stack}.yaml"
    try:
        loaded = config_from_stack_file(path)
    except ConfigError as exc:
        raise CannotRunError(str(exc)) from None
    return Stack(args.stack or _stack_name(path), path.resolve(), loaded.config, loaded.warnings)


Body = Callable[[argparse.Namespace, Stack, Aws], Report]


def run_command(
    command: str, parser: argparse.ArgumentParser, body: Body, argv: Sequence[str] | None, aws: Aws | None
) -> int:
    """Parse, load the stack, connect, run ``body``, print and write the result; return the exit status.

    ``aws`` lets a caller supply its own connection (e.g. with extra botocore event handlers).
    """
    args = parser.parse_args(argv)
    if not args.stack and not args.config:
        parser.error("give --stack NAME or --config FILE")
    try:
        stack = load_stack(args)
        for warning in stack.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        connection = aws or Aws.connect(profile=args.profile, endpoint_url=args.endpoint_url, command=command)
        report = body(args, stack, connection)
    except CannotRunError as exc:
        print(f"{command}: cannot run: {exc}", file=sys.stderr)
        if args.json:
            _write_json(Path(args.json), {"command": command, "exit_code": EXIT_CANNOT_RUN, "error": str(exc)})
        return EXIT_CANNOT_RUN
    print(report.to_text())
    if args.json:
        _write_json(Path(args.json), report.to_json())
    return report.exit_code()


def _write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
