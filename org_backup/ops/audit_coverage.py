"""The audit report's resource sections: coverage by OU and by resource type (charts), RPO compliance, the
unprotected resources, and the restore tests with their time to restore. Content once, as tables; charts are
inline SVG (no script); the Markdown gets the same tables and no HTML."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import timedelta
from html import escape

from org_backup.ops.checks.restore_tests import RestoreTest
from org_backup.ops.common import iso
from org_backup.ops.coverage.render import summary_rows, unprotected_rows
from org_backup.ops.coverage.run import CoverageResult
from org_backup.ops.coverage.status import STATUSES, checked, rate

__all__ = [
    "COULD_NOT_CHECK",
    "coverage_chart",
    "restore_rows",
    "rpo_rows",
    "status_rows",
    "unprotected_table",
]

COULD_NOT_CHECK = "could not check"
Rows = list[tuple[str, ...]]
_COLOURS = {"protected": "#2e7d32", "unprotected": "#c62828", COULD_NOT_CHECK: "#9e9e9e"}


def status_rows(counts: Mapping[str, Counter[str]], label: str) -> tuple[tuple[str, ...], Rows]:
    headers = (label, "Protected (rate)", *(s for s in STATUSES))
    return headers, summary_rows(counts)


def unprotected_table(result: CoverageResult) -> tuple[tuple[str, ...], Rows]:
    headers = ("Account", "Name", "OU", "Region", "Type", "Resource", "Status", "Why", "Newest recovery point")
    return headers, unprotected_rows([*result.summary.unprotected, *result.summary.unchecked])


def rpo_rows(result: CoverageResult) -> tuple[tuple[str, ...], Rows]:
    """Of the resources a plan selects and AWS Backup has backed up, how many are within their schedule."""
    headers = ("Resource type", "Backed up within the schedule", "Stale", "No recovery point", "RPO compliance")
    rows: Rows = []
    for kind, counts in sorted(result.summary.by_type.items()):
        fresh = counts["protected"] + counts["copy-missing"] + counts["key-blocks-copy"]
        judged = fresh + counts["stale"] + counts["no-recovery-point"]
        share = (
            f"{100 * fresh / judged:.0f}%"
            if judged
            else ("no selected resources" if checked(counts) else COULD_NOT_CHECK)
        )
        rows.append((kind, str(fresh), str(counts["stale"]), str(counts["no-recovery-point"]), share))
    return headers, rows


def _duration(delta: timedelta | None) -> str:
    if delta is None:
        return "not finished"
    minutes = delta.total_seconds() / 60
    return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


def restore_rows(tests: Sequence[RestoreTest]) -> tuple[tuple[str, ...], Rows]:
    headers = (
        "Account",
        "Region",
        "Restore testing plan",
        "Type",
        "Started",
        "Status",
        "Validation",
        "Time to restore",
    )
    rows: Rows = [
        (
            t.account,
            t.region,
            t.plan,
            t.resource_type,
            iso(t.started) if t.started else "-",
            t.status,
            t.validation,
            _duration(t.time_to_restore),
        )
        for t in tests
    ]
    return headers, rows


def coverage_chart(title: str, counts: Mapping[str, Counter[str]]) -> str:
    """One horizontal stacked bar per key: protected, unprotected, could not check; scaled to the largest."""
    if not counts:
        return ""
    width, left, bar, gap, right = 760, 170, 18, 8, 150
    height = len(counts) * (bar + gap) + 30
    step = max(1, math.ceil(max(sum(c.values()) for c in counts.values()) / 4))
    largest = 4 * step  # whole-number gridlines
    scale = (width - left - right) / largest
    parts = []
    for tick in range(5):
        x = left + (width - left - right) * tick / 4
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 22}"/>')
        parts.append(f'<text class="label" x="{x:.1f}" y="{height - 8}" text-anchor="middle">{step * tick}</text>')
    for index, (key, c) in enumerate(sorted(counts.items())):
        y = 6 + index * (bar + gap)
        segments = {
            "protected": c["protected"],
            "unprotected": sum(c[s] for s in STATUSES if s not in ("protected", "could-not-check")),
            COULD_NOT_CHECK: c["could-not-check"],
        }
        x = float(left)
        parts.append(
            f'<text class="label" x="{left - 6}" y="{y + bar - 5}" text-anchor="end">{escape(key[:28])}</text>'
        )
        for name, value in segments.items():
            if not value:
                continue
            span = value * scale
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{span:.1f}" height="{bar}" fill="{_COLOURS[name]}">'
                f"<title>{escape(f'{key}: {value} {name}')}</title></rect>"
            )
            x += span
        parts.append(f'<text class="label" x="{x + 6:.1f}" y="{y + bar - 5}">{escape(rate(c))}</text>')
    legend = "".join(f'<span style="background:{colour}"></span>{escape(name)}' for name, colour in _COLOURS.items())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
        f'<p class="legend">{legend}</p>'
    )
