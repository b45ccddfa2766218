"""The one shape every rule in this package reports in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """A broken rule: where (a dotted path), the offending value, which rule, and what to do.

    ``severity`` is ``warning`` for rules the AWS documentation leaves UNCONFIRMED, ``error`` otherwise.
    """

    path: str
    value: Any
    rule: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else " (warning)"
        return f"{self.path}: {self.message} [{self.rule}]{tag}"


def join(path: str, *parts: str | int) -> str:
    """Extend a dotted config/document path; integers become list indexes."""
    out = path
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else f"{out}.{part}" if out else part
    return out


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
