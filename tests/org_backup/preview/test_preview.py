"""The offline preview on the prod stack, in every format, and its answers to broken inputs."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from org_backup.preview import reports, sarif
from org_backup.preview.command import main
from org_backup.preview.model import Preview
from org_backup.preview.offline import PROJECT_DIR
from org_backup.preview.policy_eval import load_pack
from policies.backup_rules.findings import Finding
from policies.backup_rules.limits import MAX_BACKUP_POLICY_CHARS

PROD_FILE = PROJECT_DIR / "Pulumi.prod.yaml"


def test_prod_passes_with_no_mandatory_violation(prod_preview: Preview):
    assert prod_preview.exit_code == 0
    assert [v for v in prod_preview.violations if v.mandatory] == []
    assert prod_preview.warnings == []


def test_text_shows_each_account_and_region_and_the_policy_sizes(prod_preview: Preview):
    text = reports.render_text(prod_preview)

    assert "What would be deployed:" in text
    assert "  444444444401 (prod-payments)\n    eu-west-1 " in text
    assert "1 backup.VaultLockConfiguration" in text
    for policy in prod_preview.backup_policies:
        assert f"{policy.name}  {policy.size:,} characters" in text
        assert 0 < policy.size <= MAX_BACKUP_POLICY_CHARS
    assert "ou-ab12-22222222 (non-prod)" in text
    assert text.rstrip().splitlines()[-1].startswith("PASS (exit 0): 0 mandatory")


def test_markdown_is_a_pull_request_comment(prod_preview: Preview):
    markdown = reports.render_markdown(prod_preview)

    assert markdown.startswith("## :white_check_mark: org-backup offline preview: `prod`")
    assert "| Policy | Characters | Plans | Attached to | Accounts reached |" in markdown
    assert "<details>\n<summary>What would be deployed:" in markdown
    assert "### Configuration warnings (0)" in markdown
    access = markdown.split("### Who can destroy backups", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in access.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[0] == "| who | target | principal | can |"
    assert len(rows) == len(set(rows)), "one row per target and principal"
    assert all(row.split("|")[1].strip() in {"who", "**open**", "by design"} for row in rows)


def test_json_has_every_key_with_its_type(prod_preview: Preview):
    document = json.loads(reports.render_json(prod_preview))

    assert document["stack"] == "prod"
    assert document["policies_evaluated"] == [p.name for p in load_pack()]
    assert document["warnings"] == []
    assert len(document["resources"]) == len(prod_preview.run.resources)
    for resource in document["resources"]:
        assert {
            "type": str,
            "name": str,
            "urn": str,
            "inputs": dict,
            "protect": bool,
            "ignore_changes": list,
            "dependencies": list,
        }.items() <= {k: type(resource[k]) for k in resource}.items()
        assert {"parent_urn", "provider_urn", "account", "region"} <= resource.keys()
        assert resource["dependencies"] == sorted(resource["dependencies"])
    # Ordered by URN, not by the engine's concurrent registration: two runs of one stack give one document.
    urns = [r["urn"] for r in document["resources"]]
    assert urns == sorted(urns) and urns != [r.urn for r in prod_preview.run.resources]
    for policy in document["backup_policies"]:
        assert policy["size"] == len(policy["content"])
        assert isinstance(policy["targets"], list)
        assert policy["name"]
    for violation in document["violations"]:
        expected = {"policy", "enforcement", "severity", "urn", "message", "config_path", "remediation"}
        assert expected <= violation.keys()
    summary = document["summary"]
    assert summary["violations"]["mandatory"] == 0
    assert set(summary["by_severity"]) == {"critical", "high", "medium", "low"}
    assert summary["resources"] == len(document["resources"])
    assert isinstance(summary["policy_eval_s"], float)
    assert summary["wall_s"] >= summary["policy_eval_s"]


def assert_valid_sarif(document: dict[str, Any], schema: dict[str, Any], stack_file: Path) -> list[dict[str, Any]]:
    jsonschema.Draft4Validator(schema).validate(document)
    run = document["runs"][0]
    line_count = len(stack_file.read_text(encoding="utf-8").splitlines())
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == stack_file.relative_to(PROJECT_DIR).as_posix()
        assert 1 <= location["region"]["startLine"] <= line_count
        assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    return run["results"]


def test_sarif_validates_and_points_at_the_stack_file(prod_preview: Preview, sarif_schema: dict[str, Any]):
    document = sarif.to_sarif(prod_preview)

    results = assert_valid_sarif(document, sarif_schema, PROD_FILE)
    assert [r["id"] for r in document["runs"][0]["tool"]["driver"]["rules"]] == [p.name for p in load_pack()]
    assert all(r["level"] == "warning" for r in results)
    assert sarif.to_sarif(prod_preview) == document, "fingerprints and order are stable"


def test_output_and_policy_config_reach_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    names = [p.name for p in load_pack()]
    declared = {p.name: p.enforcement_level.value for p in load_pack() if p.enforcement_level is not None}
    mandatory = next(name for name, level in declared.items() if level == "mandatory")
    config = tmp_path / "policy-config.json"
    config.write_text(json.dumps({names[0]: {"enforcementLevel": "disabled"}, mandatory: "advisory"}))
    output = tmp_path / "preview.json"

    code = main(["--stack", "prod", "--format", "json", "--output", str(output), "--policy-config", str(config)])

    assert code == 0
    assert capsys.readouterr().out == ""
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["policies_evaluated"] == names[1:]
    assert {r["name"]: r["enforcement"] for r in document["rules"]}[mandatory] == "advisory"


def broken_stack_file(tmp_path: Path, old: str, new: str) -> Path:
    text = PROD_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_broken_config_exits_2_with_the_report_and_no_traceback(tmp_path: Path):
    broken = broken_stack_file(tmp_path, "retention_days: 35\n", "retention_days: 35\n          archive: true\n")

    done = subprocess.run(
        [sys.executable, "-m", "org_backup", "preview", "--config", str(broken)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "org-backup: the configuration has 1 error(s)" in done.stdout
    assert "plans.daily.rules.daily.archive: archive opt-in only applies with cold_storage_after_days" in done.stdout


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        (("retention_days: 35\n", "retention_days: 35\n          retention_dayz: 1\n"), "unknown-key"),
        (("inventory_file: inventory/{stack}.yaml", "inventory_file: inventory/missing.yaml"), "inventory-missing"),
        (("config:\n", "config: [\n"), "stack-file"),
    ],
)
def test_every_broken_input_exits_2_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sarif_schema: dict[str, Any], change: tuple[str, str], rule: str
):
    broken = broken_stack_file(tmp_path, *change)

    assert main(["--config", str(broken), "--format", "json"]) == 2
    document = json.loads(capsys.readouterr().out)
    assert rule in {e["rule"] for e in document["config_errors"]}

    assert main(["--config", str(broken), "--format", "sarif"]) == 2
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(sarif_schema).validate(log)
    assert f"config/{rule}" in {r["ruleId"] for r in log["runs"][0]["results"]}

    assert main(["--config", str(broken), "--format", "markdown"]) == 2
    assert f"`{rule}`" in capsys.readouterr().out


def test_a_missing_stack_or_policy_config_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert main(["--stack", "no-such-stack"]) == 2
    assert "stack file" in capsys.readouterr().out

    bad = tmp_path / "policy-config.json"
    bad.write_text('{"no-such-policy": "disabled"}')
    assert main(["--stack", "prod", "--policy-config", str(bad)]) == 2
    assert "no policy of that name in the pack [policy-config-invalid]" in capsys.readouterr().out


def test_a_corrupt_inventory_or_an_unwritable_output_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text("organization_id: [", encoding="utf-8")
    broken = broken_stack_file(tmp_path, "inventory_file: inventory/{stack}.yaml", f"inventory_file: {inventory}")

    assert main(["--config", str(broken)]) == 2
    assert "[inventory-unreadable]" in capsys.readouterr().out

    assert main(["--config", str(broken), "--output", str(tmp_path / "no-such-dir" / "out.txt")]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_compliance_locks_get_their_own_warning_with_the_irreversible_date(prod_preview: Preview):
    import datetime as dt

    from org_backup.preview.reports import render_markdown, render_text, to_json

    locks = to_json(prod_preview)["compliance_locks"]
    expected_date = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    assert locks == [
        {
            "vault": "org-backup-central",
            "where": "333333333333 (backup-central) us-west-2",
            "changeable_for_days": 3,
            "irreversible_from": expected_date,
        }
    ]
    text = render_text(prod_preview)
    assert "Compliance-mode Vault Locks (1)" in text and f"can be removed only until {expected_date}" in text
    assert "Compliance-mode Vault Locks (1)" in render_markdown(prod_preview)


def test_markdown_shows_violations_expanded_with_one_remediation_per_rule(prod_preview: Preview):
    """Issue 11 item 3: what blocks a change is never folded away, and a rule's fix is said once, not per row."""
    vault = next(r for r in prod_preview.run.resources if r.type == "aws:backup/vault:Vault")

    def violation(rule: str, impact: str, fix: str, config_path: str) -> Finding:
        return Finding(config_path, None, rule, "bad", "error", remediation=fix, resource=vault.urn, impact=impact)

    found = [violation("rule-low", "low", "fix B", "plans.x")] + [
        violation("rule-high", "high", "fix A once", f"vaults.member.lock.{n}") for n in range(12)
    ]
    markdown = reports.render_markdown(replace(prod_preview, violations=found))
    section = markdown.split("\n### Policy violations", 1)[1].split("\n### ", 1)[0]

    assert "#### Mandatory (13)" in section and "<details>" not in section
    assert section.count("fix A once") == 1 and section.count("fix B") == 1
    assert section.index("**`rule-high`** (high, 12): fix A once") < section.index("**`rule-low`** (low, 1): fix B")
    assert section.count("`vaults.member.lock.") == 12
