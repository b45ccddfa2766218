"""``org-backup coverage --stack prod``: which resources are protected, recently, and copied; which are not, and why.

``--json FILE`` writes the report plus ``{"resources": [{"account", "region", "type", "arn", "status", ...}]}``,
streamed: each resource is written as it is judged, so a thousand accounts do not sit in memory.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from org_backup.ops.aws import Aws
from org_backup.ops.common import Report, Stack, command_parser, run_command, utc_now
from org_backup.ops.coverage.render import findings, tables
from org_backup.ops.coverage.run import run
from org_backup.ops.coverage.section import add_coverage_arguments, aggregator
from org_backup.ops.coverage.status import ResourceCoverage

__all__ = ["add_arguments", "main"]

COMMAND = "coverage"


class _StreamedJson:
    """Resources go to a temporary file as they come; ``finish`` writes the document around them."""

    def __init__(self) -> None:
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self._count = 0

    def add(self, row: ResourceCoverage, now: datetime) -> None:
        self._file.write(("," if self._count else "") + json.dumps(row.to_json(now), default=str) + "\n")
        self._count += 1

    def finish(self, path: Path, document: dict[str, object]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        head = json.dumps(document, indent=2, default=str)
        self._file.seek(0)
        with path.open("w", encoding="utf-8") as out:
            out.write(head[:-2] + ',\n  "resources": [\n')
            for line in self._file:
                out.write(line)
            out.write("]\n}\n")
        self._file.close()


def _body(args: argparse.Namespace, stack: Stack, aws: Aws) -> Report:
    target = Path(args.json) if args.json else None
    args.json = None  # this command writes its own, streamed
    stream = _StreamedJson() if target else None
    now = utc_now()
    result = run(
        stack,
        aws,
        workers=args.workers,
        aggregator=aggregator(args, stack),
        sink=(lambda row: stream.add(row, now)) if stream else None,
        now=now,
    )
    report = Report(
        COMMAND,
        stack.name,
        stack.config.organization.id,
        findings(result),
        tables(result),
        {"source": result.source, "summary": result.summary.to_json()},
        now,
    )
    if stream is not None and target is not None:
        stream.finish(target, report.to_json())
    return report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_coverage_arguments(parser, flag=False)


def main(argv: Sequence[str] | None = None, *, aws: Aws | None = None) -> int:
    parser = command_parser(COMMAND, "Which resources are protected, recently, and copied to the central vault?")
    add_arguments(parser)
    return run_command(COMMAND, parser, _body, argv, aws)
