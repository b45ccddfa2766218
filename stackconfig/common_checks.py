"""Helpers every section's checks share."""

from __future__ import annotations

from collections.abc import Iterable

from policies.backup_rules.findings import Finding, join


def duplicates(path: str, values: Iterable[str], what: str, field: str | None = None) -> list[Finding]:
    """One finding per repeated entry, at that entry (the one to remove), naming where it first appeared."""
    first: dict[str, int] = {}
    out: list[Finding] = []
    for i, value in enumerate(values):
        if value in first:
            where = join(path, i, field) if field else join(path, i)
            out.append(
                Finding(
                    where,
                    value,
                    "duplicate",
                    f"{what} {value!r} is already listed at [{first[value]}]",
                )
            )
        else:
            first[value] = i
    return out
