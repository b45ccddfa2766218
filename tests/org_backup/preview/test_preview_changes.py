"""``preview --base`` as the reports show it: one verdict with the change's violations, a base that could not be
compared said in every format, and configuration and inventory changes named as a reviewer reads them.

The comparison itself runs against real git histories in test_preview_diff.py; here the change is made by hand
on top of the prod preview, so every format is checked without running a base.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from org_backup.preview import reports, sarif
from org_backup.preview.config_diff import ConfigChange, config_changes, inventory_changes
from org_backup.preview.diff import PROTECTED_REMEDIATION, PROTECTED_REPLACE, Change, PreviewDiff
from org_backup.preview.model import Preview
from org_backup.preview.offline import PROJECT_DIR, RecordedResource
from policies.backup_rules.findings import Finding

PROD_FILE = PROJECT_DIR / "Pulumi.prod.yaml"


def _vaults(preview: Preview) -> list[RecordedResource]:
    return sorted(
        (r for r in preview.run.resources if r.type == "aws:backup/vault:Vault" and r.protect and r.account),
        key=lambda r: r.urn,
    )


def _replaced(preview: Preview, count: int = 2, cause: str = "vaults.member.name") -> PreviewDiff:
    """The prod stack as if ``cause`` had changed and replaced ``count`` protected vaults."""
    vaults = _vaults(preview)[:count]
    changes = PreviewDiff(base="main", config_changes=[ConfigChange(cause)])
    changes.replaced = [
        Change(r.urn, r.type, r.name, r.account, r.region, True, ("name",), "name changed, which forces replacement")
        for r in vaults
    ]
    changes.violations = [
        Finding(
            cause,
            (cause,),
            PROTECTED_REPLACE,
            f"this change would replace the protected {r.type} {r.name}; caused by the config change of {cause}",
            remediation=PROTECTED_REMEDIATION,
            account=r.account,
            region=r.region,
            resource=r.urn,
            impact="critical",
        )
        for r in vaults
    ]
    return changes


def test_the_verdict_counts_the_change_violations_in_every_format(prod_preview: Preview) -> None:
    changes = _replaced(prod_preview)
    assert prod_preview.exit_code == 0
    advisory = len(prod_preview.violations)

    text = reports.render_text(prod_preview, changes)
    last = text.rstrip().splitlines()[-1]
    assert last.startswith(f"FAIL (exit 1): 2 mandatory (2 from the change) and {advisory} advisory violation(s)")
    document = json.loads(reports.render_json(prod_preview, changes))
    assert document["exit_code"] == document["summary"]["exit_code"] == 1
    assert document["summary"]["violations"] == {"mandatory": 2, "advisory": advisory}
    assert document["summary"]["by_severity"]["critical"] == 2
    replaced = [v for v in document["violations"] if v["policy"] == PROTECTED_REPLACE]
    assert [v["urn"] for v in replaced] == [v.resource for v in changes.violations]
    assert {v["enforcement"] for v in replaced} == {"mandatory"}
    markdown = reports.render_markdown(prod_preview, changes)
    assert markdown.startswith("## :x: org-backup offline preview: `prod`\n\nFAIL (exit 1): 2 mandatory")
    assert ":white_check_mark:" not in markdown and "PASS" not in markdown
    assert markdown.index("What this change does") < markdown.index("### Policy violations")


def test_change_violations_show_type_name_and_place_and_one_fix_per_rule(prod_preview: Preview) -> None:
    changes = _replaced(prod_preview)
    first = _vaults(prod_preview)[0]
    shown = f"backup.Vault {first.name} in {prod_preview.label(first.account)}, {first.region}"

    text = reports.render_text(prod_preview, changes)
    section = text.split("Configuration warnings")[0]
    assert section.count(f"fix: {PROTECTED_REMEDIATION[:40]}") == 1
    assert f"  {PROTECTED_REPLACE} [mandatory] (2)" in section
    assert f"- {shown}\n" in section
    assert "config: vaults.member.name" in section
    assert "urn:pulumi:" not in text

    markdown = reports.render_markdown(prod_preview, changes)
    head = markdown.split("### Policy violations")[0]
    assert head.count(PROTECTED_REMEDIATION[:40]) == 1
    assert f"| {shown} | `vaults.member.name` |" in head
    assert "urn:pulumi:" not in markdown


def test_sarif_has_each_change_violation_at_the_key_that_caused_it(
    prod_preview: Preview, sarif_schema: dict[str, Any]
) -> None:
    changes = _replaced(prod_preview)
    log = sarif.to_sarif(prod_preview, changes)
    jsonschema.Draft4Validator(sarif_schema).validate(log)

    run = log["runs"][0]
    found = [r for r in run["results"] if r["ruleId"] == PROTECTED_REPLACE]
    assert [r["properties"]["urn"] for r in found] == [v.resource for v in changes.violations]
    assert {r["level"] for r in found} == {"error"}
    line = sarif.key_lines(PROD_FILE.read_text())["vaults.member.name"]
    for r in found:
        location = r["locations"][0]["physicalLocation"]
        assert (location["artifactLocation"]["uri"], location["region"]["startLine"]) == ("Pulumi.prod.yaml", line)
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == PROTECTED_REPLACE
    assert len({r["partialFingerprints"][sarif.FINGERPRINT] for r in found}) == 2
    # The pack's results keep their place and their rules' indexes.
    pack = [r for r in run["results"] if r["ruleId"] != PROTECTED_REPLACE and "/" not in r["ruleId"]]
    assert len(pack) == len(prod_preview.violations)
    assert all(run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"] for r in pack)


def test_a_change_violation_keeps_its_fingerprint_when_its_causes_grow(prod_preview: Preview) -> None:
    """A pull request that changes one more key changes the message, not the alert."""
    one = _replaced(prod_preview, 1)
    two = _replaced(prod_preview, 1, cause="vaults.member.lock.mode")
    [a] = [r for r in sarif.to_sarif(prod_preview, one)["runs"][0]["results"] if r["ruleId"] == PROTECTED_REPLACE]
    [b] = [r for r in sarif.to_sarif(prod_preview, two)["runs"][0]["results"] if r["ruleId"] == PROTECTED_REPLACE]
    assert a["message"] != b["message"]
    assert a["partialFingerprints"] == b["partialFingerprints"]


def test_a_base_that_could_not_be_compared_is_said_in_every_format(
    prod_preview: Preview, sarif_schema: dict[str, Any]
) -> None:
    error = "the configuration at main is invalid: plans.daily.rules.daily.retention_days: must be >= 1"
    changes = PreviewDiff(base="main", error=error)

    assert reports.exit_code(prod_preview, changes) == prod_preview.exit_code == 0
    text = reports.render_text(prod_preview, changes)
    assert "What this change does: not known (could not compare with main)" in text
    assert "plans.daily.rules.daily.retention_days: must be >= 1" in text
    assert text.rstrip().splitlines()[-1].startswith("PASS (exit 0)")
    markdown = reports.render_markdown(prod_preview, changes)
    assert "### :warning: What this change does: not compared with `main`" in markdown
    assert error in markdown
    assert markdown.startswith("## :white_check_mark:")
    document = json.loads(reports.render_json(prod_preview, changes))
    assert document["changes"] == {"base": "main", "error": error}
    assert document["exit_code"] == 0
    log = sarif.to_sarif(prod_preview, changes)
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    [invocation] = log["runs"][0]["invocations"]
    assert invocation["executionSuccessful"] is True
    [note] = invocation["toolExecutionNotifications"]
    assert note["level"] == "warning" and error in note["message"]["text"]


def test_a_base_that_names_nothing_is_exit_2_with_the_report_still_written(
    prod_preview: Preview, sarif_schema: dict[str, Any]
) -> None:
    changes = PreviewDiff(base="nope", error="'nope' is not a commit of this repository", refused=True)

    assert reports.exit_code(prod_preview, changes) == 2
    document = json.loads(reports.render_json(prod_preview, changes))
    assert (document["exit_code"], document["summary"]["exit_code"]) == (2, 2)
    log = sarif.to_sarif(prod_preview, changes)
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    [invocation] = log["runs"][0]["invocations"]
    assert (invocation["executionSuccessful"], invocation["exitCode"]) == (False, 2)
    assert invocation["toolExecutionNotifications"][0]["level"] == "error"


def test_without_base_the_reports_are_unchanged(prod_preview: Preview) -> None:
    assert reports.render_json(prod_preview, None) == reports.render_json(prod_preview)
    assert "invocations" not in sarif.to_sarif(prod_preview)["runs"][0]
    assert "What this change does" not in reports.render_text(prod_preview)


PLAN = {"rules": {"weekly": {"schedule": "weekly", "retention_days": 35}}, "regions": ["us-east-1"]}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            {"org-backup:plans": {"daily": {"x": 1}, "weekly": PLAN}},
            {"org-backup:plans": {"daily": {"x": 1}, "weekly-prod": PLAN}},
            ["plans.weekly renamed to plans.weekly-prod"],
            id="renamed",
        ),
        pytest.param(
            {"org-backup:plans": {"daily": {"x": 1}, "weekly": PLAN}},
            {"org-backup:plans": {"daily": {"x": 1}, "weekly-prod": {**PLAN, "regions": ["eu-west-1"]}}},
            ["plans.weekly removed", "plans.weekly-prod added"],
            id="renamed and changed",
        ),
        pytest.param(
            {"org-backup:plans": {"daily": {"x": 1}}},
            {"org-backup:plans": {"daily": {"x": 2}, "weekly": PLAN}},
            ["plans.daily.x", "plans.weekly added"],
            id="added beside a changed key",
        ),
        pytest.param(
            {"org-backup:audit": {"enabled": True}, "aws:region": "us-east-1"},
            {"aws:region": "us-east-1"},
            ["audit removed"],
            id="a whole section removed",
        ),
        pytest.param(
            {"org-backup:vaults": {"member": {"lock": "governance"}}},
            {"org-backup:vaults": {"member": {"lock": {"mode": "governance"}}}},
            ["vaults.member.lock"],
            id="a value that became a map",
        ),
    ],
)
def test_config_changes_collapse_what_was_added_or_removed_whole(
    old: dict[str, Any], new: dict[str, Any], expected: list[str]
) -> None:
    assert [str(c) for c in config_changes(old, new)] == expected


def test_a_renamed_entry_names_both_keys() -> None:
    [change] = config_changes({"p": {"a": {"x": 1}}}, {"p": {"b": {"x": 1}}})
    assert (change.keys, change.current_key) == (("p.a", "p.b"), "p.b")


INVENTORY = {
    "organizational_units": [
        {"id": "ou-a", "name": "non-prod", "parent_id": "r-1"},
        {"id": "ou-b", "name": "sandbox", "parent_id": "r-1"},
        {"id": "ou-c", "name": "teams", "parent_id": "ou-a"},
    ],
    "accounts": [
        {"id": "555555555504", "name": "perf", "parent_id": "ou-a"},
        {"id": "555555555505", "name": "qa", "parent_id": "ou-c"},
        {"id": "555555555506", "name": "old", "parent_id": "ou-a"},
    ],
}


def test_inventory_changes_name_each_account_and_ou_with_where_it_went() -> None:
    new: dict[str, Any] = {
        "organizational_units": [
            {"id": "ou-a", "name": "non-prod", "parent_id": "r-1"},
            {"id": "ou-b", "name": "sandbox", "parent_id": "r-1"},
            {"id": "ou-c", "name": "teams", "parent_id": "ou-b"},
        ],
        "accounts": [
            {"id": "555555555504", "name": "perf", "parent_id": "ou-b"},
            {"id": "555555555505", "name": "qa", "parent_id": "ou-c", "status": "SUSPENDED"},
            {"id": "555555555507", "name": "new", "parent_id": "ou-a"},
        ],
    }
    found = {c.text: c.accounts for c in inventory_changes(INVENTORY, new)}
    assert found == {
        "inventory: OU ou-c (teams) moved from ou-a (non-prod) to ou-b (sandbox)": ("555555555505",),
        "inventory: account 555555555504 (perf) moved from ou-a (non-prod) to ou-b (sandbox)": ("555555555504",),
        "inventory: account 555555555505 (qa) status ACTIVE -> SUSPENDED": ("555555555505",),
        "inventory: account 555555555506 (old) removed from ou-a (non-prod)": ("555555555506",),
        "inventory: account 555555555507 (new) added in ou-a (non-prod)": ("555555555507",),
    }
    assert inventory_changes(INVENTORY, INVENTORY) == []
    assert inventory_changes(None, INVENTORY) == []


def test_the_change_json_lists_inventory_changes_with_the_config_changes(prod_preview: Preview) -> None:
    changes = _replaced(prod_preview, 0)
    changes.inventory_changes = inventory_changes(
        INVENTORY, {**INVENTORY, "accounts": [{**INVENTORY["accounts"][0], "parent_id": "ou-b"}]}
    )
    changed = json.loads(reports.render_json(prod_preview, changes))["changes"]["config_changes"]
    assert changed[0] == "vaults.member.name"
    assert "inventory: account 555555555504 (perf) moved from ou-a (non-prod) to ou-b (sandbox)" in changed
