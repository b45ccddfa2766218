"""The one shape every rule in this package reports in, and the map between the project's three result shapes.

Three shapes remain, because each locates its result in a different world and the location is the point:

- ``Finding`` (here): a rule broken by a *document or configuration*, located by a dotted path
  (``plans.daily.rules.r1.copies[0]``). The loader (stackconfig), the policy pack (via its rules) and the
  program's builders all report in it; ``severity`` is ``error`` or ``warning`` (UNCONFIRMED AWS rules).
- ``org_backup.ops.common.OpsFinding``: an observation of *live AWS state*, located by account, Region and
  resource, with the operator's action; ``severity`` adds ``info`` (what ``pulumi up`` will do anyway).
- ``org_backup.preview.model.Violation``: a *policy-pack result* as Pulumi reports it, located by URN, with
  Pulumi's ``enforcement`` (mandatory/advisory) and ``severity`` (critical..low) from the rule's metadata.

One level vocabulary maps them (SARIF ``level`` and exit status alike): ``error`` = ``mandatory`` = fails the
run (exit 1, or 2 for an invalid configuration); ``warning`` = ``advisory`` = reported, exit 0; ``info`` =
never counted. A pack rule turns a ``Finding`` into its violation message with ``str(finding)``.
"""

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
