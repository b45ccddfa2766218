"""``org-backup``: one command, one set of common flags, for every tool of the project.

Each subcommand delegates to the module that does the work: ``org_backup.preview.command`` for the offline
preview, ``org_backup.ops.<module>`` for the operations against AWS (``python -m org_backup`` is the same
command). The common flags mean the same everywhere; a flag a
subcommand cannot honour is refused (exit 2) rather than silently ignored.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROG = "org-backup"
DEFAULT_STACK = "prod"
FORMATS = ("text", "json", "markdown", "sarif")
EXIT_USAGE = 2

PREVIEW_EXITS = (
    "exit status: 0 clean or advisory findings only; 1 a mandatory violation (with --base also: a change that "
    "deletes or replaces a protected resource); 2 an invalid configuration, policy config or command line"
)
OPS_EXITS = (
    "exit status: 0 all good (notes do not count); 1 findings to act on; 2 the command could not run "
    "(invalid config, no credentials, another organization, or an invalid command line)"
)
DEMO_EXITS = (
    "exit status: 0 verify found nothing to act on in the emulated organization; 1 it found something; 2 the "
    "stack could not be deployed into the emulator (the message names the resource), or an invalid command line"
)
INIT_EXITS = (
    "exit status: 0 files written; 2 nothing written (a file exists and --force was not given, no credentials, "
    "not the management account of an organization, or an invalid command line)"
)


@dataclass(frozen=True)
class Subcommand:
    name: str
    help: str
    exits: str
    formats: tuple[str, ...]
    uses_aws: bool
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    # What ``--output`` means for this command (argparse.SUPPRESS: not offered, and refused if given).
    output_help: str = "write the report to FILE instead of standard output"
    output_metavar: str = "FILE"


def common_parser(sub: Subcommand) -> argparse.ArgumentParser:
    """The flags every subcommand shares (``parents=`` of each subparser, so they go after the subcommand), with
    the formats and the meaning of ``--output`` of that subcommand in its ``--help``. A format the command does not
    write is refused by ``refusals`` in words, not by argparse."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_argument_group("common options")
    group.add_argument(
        "--stack", help=f"stack name: reads Pulumi.<stack>.yaml next to Pulumi.yaml (default: {DEFAULT_STACK})"
    )
    group.add_argument(
        "--config", type=Path, metavar="FILE", help="a stack file to read instead of Pulumi.<stack>.yaml"
    )
    group.add_argument(
        "--format",
        choices=FORMATS,
        metavar="{" + ",".join(sub.formats) + "}",
        help="report format (default: text)",
    )
    group.add_argument("--output", type=Path, metavar=sub.output_metavar, help=sub.output_help)
    group.add_argument(
        "--endpoint-url", metavar="URL", help="send every AWS call here, e.g. an emulator (default: AWS's endpoints)"
    )
    group.add_argument("--profile", help="AWS profile (default: the standard credential chain)")
    return common


def _stack_args(args: argparse.Namespace) -> list[str]:
    """``--stack``/``--config`` as the tools take them: the default stack only when no file is given."""
    out: list[str] = []
    if args.stack or args.config is None:
        out += ["--stack", args.stack or DEFAULT_STACK]
    if args.config is not None:
        out += ["--config", str(args.config)]
    return out


def _aws_args(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    if args.profile:
        out += ["--profile", args.profile]
    if args.endpoint_url:
        out += ["--endpoint-url", args.endpoint_url]
    return out


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"{PROG}: wrote {output}", file=sys.stderr)


# --- preview -------------------------------------------------------------------------------------------


def _preview_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy-config",
        type=Path,
        metavar="FILE",
        help="policy-pack config as `pulumi preview --policy-pack-config` takes it "
        "(default: policy-config/<stack>.json when it exists)",
    )
    parser.add_argument(
        "--base",
        metavar="GIT_REF",
        help="also preview the stack as of this git ref and report what the change does (default: no comparison)",
    )


def _run_preview(args: argparse.Namespace) -> int:
    from org_backup.preview import command as preview

    argv = [*_stack_args(args), "--format", args.format or "text"]
    if args.output is not None:
        argv += ["--output", str(args.output)]
    if args.policy_config is not None:
        argv += ["--policy-config", str(args.policy_config)]
    if args.base:
        argv += ["--base", args.base]
    return preview.main(argv)


# --- operations ----------------------------------------------------------------------------------------


def _workers(parser: argparse.ArgumentParser) -> None:
    from org_backup.ops.common import DEFAULT_WORKERS

    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="accounts checked at once (default: %(default)s)"
    )


def _hours(parser: argparse.ArgumentParser) -> None:
    from org_backup.ops.verify import DEFAULT_HOURS

    parser.add_argument(
        "--hours", type=int, default=DEFAULT_HOURS, help="look this far back for failed jobs (default: %(default)s)"
    )


def _inventory_arguments(parser: argparse.ArgumentParser) -> None:
    _workers(parser)
    parser.add_argument(
        "--dry-run", action="store_true", help="say what changed and write nothing (default: rewrite the file)"
    )


def _verify_arguments(parser: argparse.ArgumentParser) -> None:
    from org_backup.ops.coverage.section import add_coverage_arguments

    _workers(parser)
    _hours(parser)
    add_coverage_arguments(parser)


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    _verify_arguments(parser)
    parser.add_argument(
        "--output-dir", required=True, type=Path, metavar="DIR", help="writes report.html, report.md and report.csv"
    )


def run_operation(tool_main: Callable[[Sequence[str]], int], argv: list[str], args: argparse.Namespace) -> int:
    """Run an operations command; ``--format json`` is its ``--json`` document, on stdout or in ``--output``."""
    output_format = args.format or "text"
    if output_format == "text" and args.output is None:
        return tool_main(argv)
    with tempfile.TemporaryDirectory(prefix="org-backup-") as tmp:
        document = Path(tmp) / "result.json"
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured):
            code = tool_main([*argv, "--json", str(document)] if output_format == "json" else argv)
        if output_format == "json":
            text = (
                document.read_text(encoding="utf-8") if document.is_file() else json.dumps({"exit_code": code}) + "\n"
            )
        else:
            text = captured.getvalue()
    _emit(text, args.output)
    return code


def _operation(module: str, extra: Callable[[argparse.Namespace], list[str]]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        import importlib

        tool = importlib.import_module(f"org_backup.ops.{module}")
        argv = [*_stack_args(args), *_aws_args(args), "--workers", str(args.workers), *extra(args)]
        return run_operation(tool.main, argv, args)

    return run


def _inventory_extra(args: argparse.Namespace) -> list[str]:
    return ["--dry-run"] if args.dry_run else []


def _verify_extra(args: argparse.Namespace) -> list[str]:
    return ["--hours", str(args.hours), *(["--coverage"] if args.coverage else []), *_aggregator_extra(args)]


def _aggregator_extra(args: argparse.Namespace) -> list[str]:
    out: list[str] = []
    for flag, value in (
        ("--config-aggregator", args.config_aggregator),
        ("--aggregator-account", args.aggregator_account),
        ("--aggregator-region", args.aggregator_region),
    ):
        out += [flag, value] if value else []
    return out


def _report_extra(args: argparse.Namespace) -> list[str]:
    return [*_verify_extra(args), "--output-dir", str(args.output_dir)]


def _coverage_arguments(parser: argparse.ArgumentParser) -> None:
    from org_backup.ops.coverage.section import add_coverage_arguments

    _workers(parser)
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every resource and its status as JSON")
    add_coverage_arguments(parser, flag=False)


def _coverage_extra(args: argparse.Namespace) -> list[str]:
    return [*(["--json", str(args.json)] if args.json else []), *_aggregator_extra(args)]


# --- demo ----------------------------------------------------------------------------------------------


def _demo_arguments(parser: argparse.ArgumentParser) -> None:
    """Only the common flags: --stack, and --output for the directory."""


def _run_demo(args: argparse.Namespace) -> int:
    from org_backup.demo import command as demo

    return demo.main(args.stack or DEFAULT_STACK, args.output or demo.DEFAULT_OUTPUT)


# --- init ----------------------------------------------------------------------------------------------


def _init_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--force", action="store_true", help="overwrite existing files (default: refuse)")
    parser.add_argument(
        "--project-dir",
        type=Path,
        metavar="DIR",
        help="where Pulumi.yaml is: the stack file and inventory/<stack>.yaml are written there "
        "(default: this checkout)",
    )


def _run_init(args: argparse.Namespace) -> int:
    from org_backup.ops import starter

    return starter.main(args)


SUBCOMMANDS = (
    Subcommand(
        "preview",
        "offline preview: what the stack would deploy and what the policy pack says (no cloud access)",
        PREVIEW_EXITS,
        FORMATS,
        False,
        _preview_arguments,
        _run_preview,
    ),
    Subcommand(
        "inventory",
        "read the organization and rewrite the stack's inventory file (read-only in AWS)",
        OPS_EXITS,
        ("text", "json"),
        True,
        _inventory_arguments,
        _operation("inventory", _inventory_extra),
    ),
    Subcommand(
        "preflight",
        "can the first `pulumi up` succeed? (read-only in AWS)",
        OPS_EXITS,
        ("text", "json"),
        True,
        _workers,
        _operation("preflight", lambda _: []),
    ),
    Subcommand(
        "verify",
        "is every targeted account and Region protected as configured? (read-only in AWS)",
        OPS_EXITS,
        ("text", "json"),
        True,
        _verify_arguments,
        _operation("verify", _verify_extra),
    ),
    Subcommand(
        "coverage",
        "which resources are protected, recently, and copied to the central vault; which are not and why "
        "(read-only in AWS)",
        OPS_EXITS,
        ("text", "json"),
        True,
        _coverage_arguments,
        _operation("coverage.command", _coverage_extra),
    ),
    Subcommand(
        "report",
        "evidence for auditors: report.html, report.md and report.csv (read-only in AWS)",
        OPS_EXITS,
        ("text", "json"),
        True,
        _report_arguments,
        _operation("audit_report", _report_extra),
        output_help="write the run's summary (text or json) to FILE; the report files go to --output-dir",
    ),
    Subcommand(
        "demo",
        "deploy the stack into moto's emulator on 127.0.0.1, then run verify, coverage and the report against it "
        "(no AWS account; --output DIR, default demo-out: verify.json, coverage.json, report.html)",
        DEMO_EXITS,
        ("text",),
        False,
        _demo_arguments,
        _run_demo,
        output_help="the directory for verify.json, coverage.json and report.html (default: demo-out)",
        output_metavar="DIR",
    ),
    Subcommand(
        "init",
        "read your organization (read-only) and write a starter stack file and inventory",
        INIT_EXITS,
        ("text",),
        True,
        _init_arguments,
        _run_init,
        output_help=argparse.SUPPRESS,
    ),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="AWS Backup for a whole AWS Organization: offline preview and read-only operations.",
        epilog="exit status: 0 success; 1 findings or a mandatory violation; 2 invalid input or cannot run. "
        f"`{PROG} <command> --help` says what each command's codes mean.",
    )
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)
    for sub in SUBCOMMANDS:
        child = commands.add_parser(
            sub.name,
            parents=[common_parser(sub)],
            help=sub.help,
            description=f"{sub.help}. Formats: {', '.join(sub.formats)}.",
            epilog=sub.exits,
        )
        sub.add_arguments(child)
        child.set_defaults(subcommand=sub)
    return parser


def refusals(sub: Subcommand, args: argparse.Namespace) -> list[str]:
    """Every common flag given that ``sub`` cannot honour, in words."""
    out = []
    if args.format is not None and args.format not in sub.formats:
        out.append(f"--format {args.format}: {sub.name} writes {' or '.join(sub.formats)}")
    if not sub.uses_aws:
        out += [
            f"{flag}: {sub.name} makes no AWS calls (it runs under Pulumi's mock engine)"
            for flag, value in (("--profile", args.profile), ("--endpoint-url", args.endpoint_url))
            if value
        ]
    if sub.name == "demo" and args.config is not None:
        out.append("--config: demo deploys Pulumi.<stack>.yaml next to Pulumi.yaml (give --stack)")
    if sub.name == "init" and args.output is not None:
        out.append("--output: init writes the stack file (--config or Pulumi.<stack>.yaml) and its inventory")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    sub: Subcommand = args.subcommand
    refused = refusals(sub, args)
    if refused:
        for line in refused:
            print(f"{PROG} {sub.name}: {line}", file=sys.stderr)
        return EXIT_USAGE
    return sub.run(args)


if __name__ == "__main__":
    sys.exit(main())
