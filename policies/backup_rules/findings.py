"""The one shape every result of org-backup is reported in: loader, builders, policy pack, preview and operations.

A ``Finding`` names the broken ``rule``, says what is wrong (``message``) and what to do (``remediation``), and
locates it in whichever of two worlds its reporter knows; the location is the point, so every field of both is
here and a reporter fills what it knows:

- the configuration: ``path`` is the dotted stack-file or document path (``plans.daily.rules.r1.copies[0]``)
  and ``value`` what is there. The loader (stackconfig) and the program's builders report this; so does the
  policy pack, whose rules turn a finding into their violation message with ``str(finding)``. A pack result in
  the preview carries the stack-file key to change as its ``path``;
- the cloud: ``account``, ``region`` and ``resource``, an ARN or name for live AWS state (operations commands,
  ``Finding.observed``) or the Pulumi URN of a pack result, from which ``resource_type`` and ``resource_name``
  are read.

A finding with no config path (live state, a stack-wide pack result) has ``path == ""``: the loader's callers
type ``path`` as ``str`` and ``join`` treats ``""`` as the root; the preview's JSON and SARIF show it as null.

``severity`` is the one level every layer uses, with one meaning (``LEVELS``): ``error`` is mandatory and fails
the run (exit 1, or 2 when the loader refuses a configuration); ``warning`` is advisory (reported; it fails an
operations command, which exists to say what needs acting on, and never a preview or a deploy); ``info`` is
never counted (what ``pulumi up`` will do anyway). A pack rule's own ``impact`` (Pulumi's severity,
critical..low) orders results inside a level and is a separate fact: an advisory rule may have high impact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass
from typing import Any, Final, Literal

Severity = Literal["error", "warning", "info"]
# Most severe first: the order reports list findings in.
SEVERITIES: Final[tuple[Severity, ...]] = ("error", "warning", "info")
# A pack rule's impact (pulumi_policy.Severity values), most severe first; a rule that declares none is medium.
IMPACTS: Final = ("critical", "high", "medium", "low")
DEFAULT_IMPACT: Final = "medium"
URN_PREFIX: Final = "urn:pulumi:"


@dataclass(frozen=True)
class Level:
    """What a severity means wherever a finding of it is reported."""

    enforcement: str
    """Pulumi's enforcement level of a pack rule reporting at this severity (Pulumi has none below advisory)."""
    mandatory: bool
    """Fails the run: a preview, a deploy, the loader."""
    counts: bool
    """Counted in summaries, and fails an operations command."""
    sarif: str
    """SARIF ``result.level`` (SARIF 2.1.0 section 3.27.10: none, note, warning or error,
    https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/sarif-v2.1.0-errata01-os-complete.html)."""


LEVELS: Final[Mapping[Severity, Level]] = {
    "error": Level(enforcement="mandatory", mandatory=True, counts=True, sarif="error"),
    "warning": Level(enforcement="advisory", mandatory=False, counts=True, sarif="warning"),
    "info": Level(enforcement="advisory", mandatory=False, counts=False, sarif="note"),
}


def severity_of(enforcement: str) -> Severity:
    """The severity of a pack result at Pulumi's ``enforcement`` level (mandatory or advisory)."""
    for severity in SEVERITIES:
        if LEVELS[severity].enforcement == enforcement:
            return severity
    raise ValueError(f"no severity reports at enforcement level {enforcement!r}")


def impact_rank(impact: str | None) -> int:
    """Position of a pack rule's impact in ``IMPACTS``; none or unknown sorts last."""
    return IMPACTS.index(impact) if impact in IMPACTS else len(IMPACTS)


@dataclass(frozen=True)
class Finding:
    """A broken rule: which, what is wrong, where (config path, account, Region, resource) and what to do.

    ``severity`` is ``warning`` for rules the AWS documentation leaves UNCONFIRMED, ``error`` otherwise;
    ``info`` only for what an operator should know and need not act on.
    """

    path: str
    """The dotted config or document path; empty when the finding has none (live AWS state, a stack rule)."""
    value: Any
    rule: str
    message: str
    severity: Severity = "error"
    _: KW_ONLY
    remediation: str = ""
    account: str | None = None
    region: str | None = None
    resource: str | None = None
    """An ARN or name of live AWS state, or the Pulumi URN of a pack result."""
    impact: str | None = None
    """The pack rule's impact (``IMPACTS``); ``None`` for loader and operations findings."""

    @classmethod
    def observed(
        cls,
        rule: str,
        message: str,
        remediation: str,
        account: str | None = None,
        region: str | None = None,
        resource: str | None = None,
        *,
        severity: Severity = "error",
    ) -> Finding:
        """A finding about live AWS state: located by account, Region and resource, with no config path."""
        return cls(
            "",
            None,
            rule,
            message,
            severity,
            remediation=remediation,
            account=account,
            region=region,
            resource=resource,
        )

    @property
    def level(self) -> Level:
        return LEVELS[self.severity]

    @property
    def mandatory(self) -> bool:
        return self.level.mandatory

    @property
    def counts(self) -> bool:
        return self.level.counts

    @property
    def enforcement(self) -> str:
        return self.level.enforcement

    @property
    def urn(self) -> str | None:
        return self.resource if self.resource is not None and self.resource.startswith(URN_PREFIX) else None

    @property
    def resource_type(self) -> str | None:
        """The type token of a URN ``urn:pulumi:<stack>::<project>::<parent types$type>::<name>``
        (https://pkg.go.dev/github.com/pulumi/pulumi/sdk/v3/go/common/resource/urn): after the last ``$``."""
        urn = self.urn
        return urn.split("::", 3)[2].rsplit("$", 1)[-1] if urn is not None and urn.count("::") >= 3 else None

    @property
    def resource_name(self) -> str | None:
        """The name of a URN: everything after its third ``::`` (a name may itself contain ``::``)."""
        urn = self.urn
        return urn.split("::", 3)[3] if urn is not None and urn.count("::") >= 3 else None

    def sort_key(self) -> tuple[int, str, str, str, str]:
        """Most severe first, then by where and which rule."""
        return (SEVERITIES.index(self.severity), self.account or "", self.region or "", self.rule, self.resource or "")

    def __str__(self) -> str:
        tag = "" if self.severity == "error" else f" ({self.severity})"
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.message} [{self.rule}]{tag}"


def join(path: str, *parts: str | int) -> str:
    """Extend a dotted config/document path; integers become list indexes."""
    out = path
    for part in parts:
        out = f"{out}[{part}]" if isinstance(part, int) else f"{out}.{part}" if out else part
    return out


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.mandatory]
