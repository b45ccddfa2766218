"""``org-backup preview``: what a stack would deploy and what the policy pack says, with no cloud access.

The same steps as ``pulumi preview --policy-pack policies``, offline: check the configuration (every
mistake at once, exit 2), run ``__main__.py`` under Pulumi's mock engine, run every policy of the pack on
what it registered, and report per account and Region. Exit 1 on any mandatory violation.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pulumi
from pulumi_policy import Policy

from components.program import offline_tree
from deployment.layout import build_layout
from deployment.load import load_config, with_organization_findings
from org_backup.ops.common import policy_config_path
from org_backup.preview import reports, sarif
from org_backup.preview.access_report import access_matrix, forget_pack_matrix, pack_config, pack_matrix
from org_backup.preview.diff import PreviewDiff, changes_since
from org_backup.preview.model import ConfigPlaces, ConfigProblem, Preview, backup_policies, locate, names_of
from org_backup.preview.offline import PROJECT_DIR, run_program, stack_file
from org_backup.preview.policy_config_schema import unknown_settings
from org_backup.preview.policy_eval import (
    POLICY_CONFIG_INVALID,
    PolicyConfigError,
    evaluate,
    load_pack,
    read_policy_config,
)
from policies.backup_rules.findings import Finding
from stackconfig.inventory import InventoryError
from stackconfig.load import ConfigError, read_stack_file, sections_from_pulumi_config

RENDER: dict[str, Callable[[Preview, PreviewDiff | None], str]] = {
    "text": reports.render_text,
    "json": reports.render_json,
    "markdown": reports.render_markdown,
    "sarif": sarif.render_sarif,
}
RENDER_PROBLEM: dict[str, Callable[[ConfigProblem], str]] = {
    "text": reports.problem_text,
    "json": reports.problem_json,
    "markdown": reports.problem_markdown,
    "sarif": sarif.render_problem_sarif,
}


def build_preview(
    stack: str,
    config_file: Path | None = None,
    policy_config_file: Path | None = None,
    policies: Sequence[Policy] | None = None,
) -> Preview | ConfigProblem:
    """Check, run and judge one stack; a ``ConfigProblem`` when any input file is invalid."""
    started = time.perf_counter()
    path = config_file or stack_file(stack)
    try:
        raw = read_stack_file(path)
        try:
            loaded = load_config(sections_from_pulumi_config(raw))
        except ConfigError as exc:
            raise with_organization_findings(exc, lambda config: offline_tree(config, stack)) from None
        tree = offline_tree(loaded.config, stack)
        layout = build_layout(loaded.config, tree)
        pack = load_pack() if policies is None else list(policies)
        policy_config = read_policy_config(policy_config_file, pack) if policy_config_file else None
        setting_warnings = unknown_settings(policy_config_file, policy_config or {}, pack) if policy_config_file else []
    except (ConfigError, InventoryError) as exc:
        return ConfigProblem(stack, path, exc.findings)
    except PolicyConfigError as exc:
        return ConfigProblem(
            stack,
            path,
            [
                Finding(str(policy_config_file), None, POLICY_CONFIG_INVALID, p.removeprefix(f"{policy_config_file}: "))
                for p in exc.problems
            ],
        )
    try:
        # The program logs the loader's warnings too; the report lists them once.
        with contextlib.redirect_stderr(io.StringIO()):
            run = run_program(raw, stack=stack)
    except pulumi.RunError as exc:
        return ConfigProblem(stack, path, [Finding("config", None, "program", str(exc))])
    forget_pack_matrix()
    evaluation = evaluate(run, pack, pack_config(policy_config, tree))
    access = pack_matrix() or access_matrix(run, tree)
    places = ConfigPlaces.of(loaded.config, layout)
    return Preview(
        stack=stack,
        config_file=path,
        run=run,
        evaluation=evaluation,
        violations=locate(evaluation.violations, evaluation.rules, run, places),
        backup_policies=backup_policies(layout, places),
        warnings=[*loaded.warnings, *layout.warnings, *setting_warnings],
        names=names_of(tree),
        wall_s=time.perf_counter() - started,
        access=access,
    )


def render(result: Preview | ConfigProblem, output_format: str, changes: PreviewDiff | None = None) -> str:
    if isinstance(result, ConfigProblem):
        return RENDER_PROBLEM[output_format](result)
    return RENDER[output_format](result, changes)


def exit_code(result: Preview | ConfigProblem, changes: PreviewDiff | None = None) -> int:
    return 2 if isinstance(result, ConfigProblem) else reports.exit_code(result, changes)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="org-backup preview",
        description="Offline preview: run the program under Pulumi's mock engine and the policy pack on it.",
        epilog="Exit status: 0 clean or advisory only, 1 a mandatory violation (with --base: also a protected resource "
        "deleted or replaced), 2 an invalid configuration, or a --base that names no commit. A base whose own "
        "configuration is invalid is reported as not compared; the stack is judged on its own.",
    )
    parser.add_argument("--stack", default="prod", help="stack name; reads Pulumi.<stack>.yaml (default: prod)")
    parser.add_argument("--config", type=Path, help="stack file to read instead of Pulumi.<stack>.yaml")
    parser.add_argument("--format", choices=sorted(RENDER), default="text", help="report format (default: text)")
    parser.add_argument("--output", type=Path, help="write the report to this file instead of standard output")
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="JSON policy-pack config (as `pulumi preview --policy-pack-config`): name -> {enforcementLevel, ...}; "
        "default: policy-config/<stack>.json when it exists",
    )
    parser.add_argument(
        "--base", metavar="GIT_REF", help="also preview the stack as of this git ref and report what the change does"
    )
    return parser.parse_args(argv)


def default_policy_config(stack: str) -> Path | None:
    """``policy-config/<stack>.json``, the file `pulumi preview --policy-pack-config` gets for that stack."""
    path = policy_config_path(PROJECT_DIR, stack)
    return path if path.is_file() else None


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    result = build_preview(args.stack, args.config, args.policy_config or default_policy_config(args.stack))
    changes = changes_since(result, args.base) if args.base and isinstance(result, Preview) else None
    if changes is not None and changes.error is not None:
        print(f"org-backup preview: --base {args.base}: {changes.error}", file=sys.stderr)
    text = render(result, args.format, changes)
    code = exit_code(result, changes)
    if args.output is not None:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            print(f"org-backup preview: cannot write {args.output}: {exc}", file=sys.stderr)
            return 2
        print(f"org-backup preview: wrote {args.format} report to {args.output} (exit {code})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if isinstance(result, ConfigProblem) and (args.output is not None or args.format != "text"):
        print(result.report(), file=sys.stderr)
    return code
