"""One finding vocabulary (issue 11 item 6): loader, builders, pack, preview and operations report in one
``Finding``, and one level table says what each severity means everywhere."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from org_backup.preview.offline import ProgramRun, load_stack_config, run_program
from policies.backup_rules.findings import LEVELS, SEVERITIES, Finding, errors, impact_rank, severity_of

ROOT = Path(__file__).resolve().parents[3]
HOME = Path("policies/backup_rules/findings.py")
SUFFIXES = ("Finding", "Violation")
NESTED_URN = (
    "urn:pulumi:prod::org-backup::org-backup:vaults:MemberAccount$aws:backup/vault:Vault::member-111111111111::x"
)


def _result_classes(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef) and node.name.endswith(SUFFIXES)
    ]


def test_no_other_finding_or_violation_class_exists() -> None:
    """A second result class is how the vocabularies drifted apart (OpsFinding, Violation, PolicyViolation)."""
    sources = [p for p in ROOT.rglob("*.py") if not {".venv", "node_modules", ".git"} & set(p.parts)]
    assert (ROOT / HOME) in sources
    found = [c for p in sources if p.relative_to(ROOT) != HOME for c in _result_classes(p)]
    assert found == []
    assert [c.split(" ")[1] for c in _result_classes(ROOT / HOME)] == ["Finding"]


def test_the_level_table() -> None:
    """error = mandatory = fails the run; warning = advisory, still counted; info = never counted."""
    table = {s: (lv.enforcement, lv.mandatory, lv.counts, lv.sarif) for s, lv in LEVELS.items()}
    assert table == {
        "error": ("mandatory", True, True, "error"),
        "warning": ("advisory", False, True, "warning"),
        "info": ("advisory", False, False, "note"),
    }
    assert SEVERITIES == ("error", "warning", "info")
    assert (severity_of("mandatory"), severity_of("advisory")) == ("error", "warning")
    with pytest.raises(ValueError, match="disabled"):
        severity_of("disabled")


@pytest.mark.parametrize(
    ("severity", "mandatory", "counts", "enforcement"),
    [("error", True, True, "mandatory"), ("warning", False, True, "advisory"), ("info", False, False, "advisory")],
)
def test_properties_derive_from_the_severity(severity, mandatory, counts, enforcement) -> None:
    finding = Finding.observed("vault", "gone", "redeploy", "111111111111", "us-east-1", "v", severity=severity)
    assert (finding.mandatory, finding.counts, finding.enforcement) == (mandatory, counts, enforcement)
    assert errors([finding]) == ([finding] if mandatory else [])


def test_loader_findings_print_as_before() -> None:
    """The pack's violation messages are ``str(finding)``: the format is part of what reviewers read."""
    assert str(Finding("plans.daily.rules.r1", 30, "start-window-min", "too short")) == (
        "plans.daily.rules.r1: too short [start-window-min]"
    )
    assert str(Finding("a.b", None, "r", "m", "warning")) == "a.b: m [r] (warning)"
    assert str(Finding.observed("r", "m", "do x", severity="info")) == "m [r] (info)"


def test_an_observation_of_live_aws_has_no_config_path() -> None:
    finding = Finding.observed("vault", "gone", "redeploy", "111111111111", "us-east-1", "arn:aws:backup:x")
    assert (finding.path, finding.value, finding.severity, finding.remediation) == ("", None, "error", "redeploy")
    assert (finding.urn, finding.resource_type, finding.resource_name) == (None, None, None)


def test_type_and_name_are_read_from_a_urn() -> None:
    """``urn:pulumi:<stack>::<project>::<parent types$type>::<name>``; a name may itself hold ``::``."""
    finding = Finding("vaults.member", None, "r", "m", resource=NESTED_URN)
    assert finding.urn == NESTED_URN
    assert (finding.resource_type, finding.resource_name) == ("aws:backup/vault:Vault", "member-111111111111::x")


@pytest.fixture(scope="module")
def prod() -> ProgramRun:
    return run_program(load_stack_config("prod"), stack="prod")


def test_urn_reading_agrees_with_every_registered_resource(prod: ProgramRun) -> None:
    assert prod.resources
    for r in prod.resources:
        finding = Finding("", None, "r", "m", resource=r.urn)
        assert (finding.resource_type, finding.resource_name) == (r.type, r.name), r.urn


def test_impact_orders_pack_results() -> None:
    assert sorted(["low", None, "critical", "medium", "high"], key=impact_rank) == [
        "critical",
        "high",
        "medium",
        "low",
        None,
    ]
