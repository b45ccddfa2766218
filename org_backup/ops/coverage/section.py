"""Coverage as a section of verify (``--coverage``) and of the audit report: its flags, tables and findings."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from org_backup.ops.common import Stack, Table
from org_backup.ops.coverage.render import findings, tables
from org_backup.ops.coverage.run import Aggregator, CoverageResult
from policies.backup_rules.findings import Finding

__all__ = ["Section", "add_coverage_arguments", "aggregator", "section"]


@dataclass
class Section:
    findings: list[Finding] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


def section(result: CoverageResult | None) -> Section:
    if result is None:
        return Section()
    return Section(
        findings(result),
        tables(result),
        {"resource_coverage": {"source": result.source, **result.summary.to_json()}},
    )


def add_coverage_arguments(parser: argparse.ArgumentParser, *, flag: bool = True) -> None:
    """``--coverage`` (verify: also judge every resource) and where to read the resources from."""
    if flag:
        parser.add_argument(
            "--coverage",
            action="store_true",
            help="also check every resource: selected by a plan, recently backed up, copied (see org-backup coverage)",
        )
    parser.add_argument(
        "--config-aggregator",
        metavar="NAME",
        help="read resources from this AWS Config aggregator (cheaper at scale; default: each service's describe calls)",
    )
    parser.add_argument(
        "--aggregator-account", metavar="ID", help="account owning the aggregator (default: the backup admin account)"
    )
    parser.add_argument("--aggregator-region", metavar="REGION", help="its Region (default: the primary Region)")


def aggregator(args: argparse.Namespace, stack: Stack) -> Aggregator | None:
    name = getattr(args, "config_aggregator", None)
    if not name:
        return None
    return Aggregator(
        name,
        args.aggregator_account or stack.config.organization.backup_admin_account_id,
        args.aggregator_region or stack.home_region,
    )
