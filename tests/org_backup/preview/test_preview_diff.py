"""``preview --base REF`` against a real git history: a copy of the project in a temporary repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from org_backup.preview.config_diff import config_changes, flatten
from org_backup.preview.diff import coverage_changes
from org_backup.preview.offline import PROJECT_DIR
from org_backup.preview.replacement import FORCE_NEW, forcing_replacement

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")

LEFT_OUT = ("tests/", "bench/", "examples/", "docs/", ".github/", ".ci/")
STAGING = "Pulumi.staging.yaml"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The project as it is on disk, committed once in a repository of its own."""
    listed = _git(PROJECT_DIR, "ls-files", "-co", "--exclude-standard").splitlines()
    root = tmp_path / "repo"
    for name in listed:
        source = PROJECT_DIR / name
        if name.startswith(LEFT_OUT) or not source.is_file():
            continue
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, root / name)
    _git(root, "init", "-q")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", "-A")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "base")
    return root


def _commit(repo: Path, old: str, new: str, file: str = STAGING) -> None:
    path = repo / file
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "change")


def _preview(repo: Path, *args: str, stack: str = "staging") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "org_backup", "preview", "--stack", stack, *args],
        cwd=repo,
        env={**os.environ, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_a_retention_change_and_a_new_plan_update_the_policy_and_name_who_gains(repo: Path) -> None:
    _commit(
        repo,
        "          retention_days: 14\n",
        "          retention_days: 21\n",
    )
    _commit(
        repo,
        "  org-backup:audit:\n",
        "    weekly:\n"
        "      rules:\n"
        "        weekly: {schedule: weekly, retention_days: 35}\n"
        "      selections:\n"
        "        tags:\n"
        '          weekly: {key: backup-weekly, values: ["true"]}\n'
        "  org-backup:audit:\n",
    )
    result = _preview(repo, "--base", "HEAD~2", "--format", "json")
    report = json.loads(result.stdout)
    changes = report["changes"]

    assert set(changes) >= {"added", "removed", "updated", "replaced"}
    assert changes["removed"] == [] and changes["replaced"] == []
    [policy] = [c for c in changes["updated"] if c["type"] == "aws:organizations/policy:Policy"]
    assert "content" in policy["inputs"]
    assert "urn" in policy
    [text] = [t for t in changes["backup_policy_diffs"].values() if '"@@assign": "14"' in t]
    assert '-              "@@assign": "14",' in text.splitlines()
    assert '+              "@@assign": "21",' in text.splitlines()
    gains = {(c["account"], c["region"]): c["gains"] for c in changes["coverage"]}
    assert gains == {("700000000011", "eu-west-1"): ["weekly"], ("700000000012", "eu-west-1"): ["weekly"]}
    # The new plan is one line, not one per key beneath it.
    assert changes["config_changes"] == ["plans.daily.rules.daily.retention_days", "plans.weekly added"]
    assert changes["violations"] == []


def test_renaming_the_member_vault_replaces_protected_vaults_and_fails_naming_the_key(repo: Path) -> None:
    _commit(repo, "      name: org-backup\n", "      name: org-backup-v2\n")

    result = _preview(repo, "--base", "HEAD~1", "--format", "json")
    changes = json.loads(result.stdout)["changes"]

    assert result.returncode == 1, result.stderr
    vaults = [c for c in changes["replaced"] if c["type"] == "aws:backup/vault:Vault"]
    assert {c["account"] for c in vaults} == {"700000000011", "700000000012"}
    assert all(c["protect"] and "name" in c["reason"] for c in vaults)
    vault_violations = [v for v in changes["violations"] if ":backup/vault:Vault::" in v["urn"]]
    assert len(vault_violations) == 2
    assert all(v["config_changes"] == ["vaults.member.name"] for v in vault_violations)
    assert all(v["action"] == "replace" for v in vault_violations)
    assert "vaults.member.name" in vault_violations[0]["message"]
    # One verdict: the summary counts what the change does.
    document = json.loads(result.stdout)
    violations = len(changes["violations"])
    assert document["exit_code"] == document["summary"]["exit_code"] == 1
    assert document["summary"]["violations"]["mandatory"] == violations
    assert {v["urn"] for v in document["violations"] if v["policy"] == "protected-resource-replace"} == {
        v["urn"] for v in changes["violations"]
    }

    text = _preview(repo, "--base", "HEAD~1")
    assert text.returncode == 1
    lines = text.stdout.rstrip().splitlines()
    assert lines[-1].startswith(f"FAIL (exit 1): {violations} mandatory ({violations} from the change)")
    section = text.stdout.split("Configuration warnings")[0]
    assert "    protected-resource-replace [mandatory] (" in section
    assert section.count("fix: undo the change named as the cause") == 1
    assert "- backup.Vault member-700000000011-eu-west-1-vault in 700000000011 (staging-app), eu-west-1\n" in section
    assert "config: vaults.member.name" in section

    markdown = _preview(repo, "--base", "HEAD~1", "--format", "markdown").stdout
    assert markdown.startswith(f"## :x: org-backup offline preview: `staging`\n\nFAIL (exit 1): {violations} mandatory")
    assert "### :x: What this change does (compared with `HEAD~1`)" in markdown
    assert ":white_check_mark:" not in markdown and "PASS" not in markdown
    assert "urn:pulumi:" not in markdown
    shown = "backup.Vault member-700000000011-eu-west-1-vault in 700000000011 (staging-app), eu-west-1"
    assert f"| {shown} | `vaults.member.name` |" in markdown

    log = json.loads(_preview(repo, "--base", "HEAD~1", "--format", "sarif").stdout)
    found = [r for r in log["runs"][0]["results"] if r["ruleId"] == "protected-resource-replace"]
    assert len(found) == violations and {r["level"] for r in found} == {"error"}
    line = (repo / STAGING).read_text().splitlines().index("      name: org-backup-v2") + 1
    assert {r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in found} == {line}


def test_an_unknown_ref_is_exit_2(repo: Path) -> None:
    result = _preview(repo, "--base", "no-such-ref")
    assert result.returncode == 2
    assert "--base no-such-ref" in result.stderr
    assert "'no-such-ref' is not a commit of this repository" in result.stderr
    assert "Traceback" not in result.stderr

    result = _preview(repo, "--base", "no-such-ref", "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == document["exit_code"] == 2
    assert document["changes"]["base"] == "no-such-ref"
    assert "'no-such-ref' is not a commit of this repository" in document["changes"]["error"]


def test_a_change_that_repairs_a_broken_base_is_judged_on_its_own(repo: Path) -> None:
    _commit(repo, "          retention_days: 14\n", "          retention_days: 0\n")
    _commit(repo, "          retention_days: 0\n", "          retention_days: 14\n")

    result = _preview(repo, "--base", "HEAD~1", "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == document["exit_code"] == 0, result.stderr
    assert set(document["changes"]) == {"base", "error"}
    assert document["changes"]["error"].startswith("the configuration at HEAD~1 is invalid: plans.daily.rules.daily")
    assert document["resources"], "the current stack is previewed"
    text = _preview(repo, "--base", "HEAD~1")
    assert text.returncode == 0
    assert "What this change does: not known (could not compare with HEAD~1)" in text.stdout


def test_a_base_whose_preview_fails_is_reported_as_not_compared(repo: Path) -> None:
    (repo / "org_backup" / "__main__.py").write_text("raise SystemExit('broken at the base')\n")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "break")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "revert", "--no-edit", "HEAD")

    result = _preview(repo, "--base", "HEAD~1", "--format", "json")
    document = json.loads(result.stdout)
    assert result.returncode == document["exit_code"] == 0, result.stderr
    assert document["changes"]["error"].startswith("the preview at HEAD~1 failed: broken at the base")


def test_a_new_stack_is_compared_with_an_empty_one(repo: Path) -> None:
    shutil.copy(repo / STAGING, repo / "Pulumi.dev.yaml")
    shutil.copy(repo / "policy-config" / "staging.json", repo / "policy-config" / "dev.json")
    _git(repo, "add", "Pulumi.dev.yaml", "policy-config/dev.json")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "dev")

    result = _preview(repo, "--base", "HEAD~1", "--format", "json", stack="dev")
    document = json.loads(result.stdout)
    changes = document["changes"]
    assert result.returncode == document["exit_code"] == 0, result.stderr
    assert changes["note"] == "Pulumi.dev.yaml does not exist at HEAD~1: a new stack, compared with an empty one"
    cloud = {r["urn"] for r in document["resources"] if r["custom"]}
    assert {c["urn"] for c in changes["added"]} == cloud
    assert changes["removed"] == changes["updated"] == changes["replaced"] == changes["violations"] == []


def test_an_account_moved_in_the_inventory_is_named_as_the_cause(repo: Path) -> None:
    _commit(
        repo,
        '{id: "555555555504", name: perf, parent_id: ou-ab12-22222222}',
        '{id: "555555555504", name: perf, parent_id: ou-ab12-33333333}',
        "inventory/prod.yaml",
    )
    moved = (
        "inventory: account 555555555504 (perf) moved from ou-ab12-22222222 (non-prod) to ou-ab12-33333333 (sandbox)"
    )

    result = _preview(repo, "--base", "HEAD~1", "--format", "json", stack="prod")
    document = json.loads(result.stdout)
    changes = document["changes"]
    assert result.returncode == 1, result.stderr
    assert changes["config_changes"] == [moved]
    deleted = [v for v in changes["violations"] if v["action"] == "delete"]
    assert {v["urn"].rsplit("::", 1)[1] for v in deleted if ":backup/vault:Vault::" in v["urn"]} == {
        "member-555555555504-eu-west-1-vault",
        "member-555555555504-us-east-1-vault",
    }
    assert all(v["config_changes"] == [moved] and moved in v["message"] for v in deleted)
    assert {v["config_path"] for v in document["violations"] if v["policy"] == "protected-resource-delete"} == {
        "accounts.inventory_file"
    }

    log = json.loads(_preview(repo, "--base", "HEAD~1", "--format", "sarif", stack="prod").stdout)
    line = (
        (repo / "inventory/prod.yaml")
        .read_text()
        .splitlines()
        .index('  - {id: "555555555504", name: perf, parent_id: ou-ab12-33333333}')
    )
    places = {
        (
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        )
        for r in log["runs"][0]["results"]
        if r["ruleId"] == "protected-resource-delete"
    }
    assert places == {("inventory/prod.yaml", line + 1)}


def test_forced_replacements_follow_the_documented_table() -> None:
    assert forcing_replacement("aws:backup/vault:Vault", {"name", "tags"}) == ["name"]
    assert forcing_replacement("aws:backup/vault:Vault", {"tags", "forceDestroy"}) == []
    assert forcing_replacement("aws:kms/key:Key", {"policy", "customerMasterKeySpec"}) == ["customerMasterKeySpec"]
    assert forcing_replacement("aws:kms/key:Key", {"policy", "enableKeyRotation"}) == []
    lock = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
    assert forcing_replacement(lock, {"minRetentionDays"}) == ["minRetentionDays"]
    assert forcing_replacement("aws:sns/topic:Topic", {"region"}) == ["region"]
    assert forcing_replacement("pulumi:providers:aws", {"region"}) == []
    assert all(token.count(":") == 2 for token in FORCE_NEW)


def test_config_changes_are_dotted_keys_without_the_namespace() -> None:
    old = {"org-backup:vaults": {"member": {"name": "a", "lock": {"mode": "governance"}}}, "aws:region": "x"}
    new = {"org-backup:vaults": {"member": {"name": "b", "lock": {"mode": "governance"}}}, "aws:region": "x"}
    assert flatten(old)["vaults.member.lock.mode"] == "governance"
    assert [str(c) for c in config_changes(old, new)] == ["vaults.member.name"]


def test_coverage_names_accounts_and_regions_that_lose_a_plan() -> None:
    content = json.dumps({"plans": {"daily": {"regions": {"@@assign": ["eu-west-1"]}}}})
    old = [{"name": "p", "content": content, "reaches": ["1", "2"]}]
    new = [{"name": "p", "content": content, "reaches": ["1"]}]
    [change] = coverage_changes(old, new)
    assert (change.account, change.region, change.gains, change.loses) == ("2", "eu-west-1", (), ("daily",))
