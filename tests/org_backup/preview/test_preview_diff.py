"""``preview --base REF`` against a real git history: a copy of the project in a temporary repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from org_backup.preview.diff import config_changes, coverage_changes, flatten
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


def _commit(repo: Path, old: str, new: str) -> None:
    path = repo / STAGING
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-am", "change")


def _preview(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "org_backup", "preview", "--stack", "staging", *args],
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
    [text] = changes["backup_policy_diffs"].values()
    assert '-              "@@assign": "14",' in text.splitlines()
    assert '+              "@@assign": "21",' in text.splitlines()
    gains = {(c["account"], c["region"]): c["gains"] for c in changes["coverage"]}
    assert gains == {("700000000011", "eu-west-1"): ["weekly"], ("700000000012", "eu-west-1"): ["weekly"]}
    assert "plans.daily.rules.daily.retention_days" in changes["config_changes"]
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
    text = _preview(repo, "--base", "HEAD~1").stdout
    assert "MANDATORY protected-resource-replace: this change would replace the protected" in text

    markdown = _preview(repo, "--base", "HEAD~1", "--format", "markdown").stdout
    assert markdown.startswith("## :x: What this change does (compared with `HEAD~1`)")
    assert "vaults.member.name" in markdown.split("org-backup offline preview")[0]


def test_an_unknown_ref_is_exit_2(repo: Path) -> None:
    result = _preview(repo, "--base", "no-such-ref")
    assert result.returncode == 2
    assert "--base no-such-ref" in result.stderr
    assert "'no-such-ref' is not a commit of this repository" in result.stderr
    assert "Traceback" not in result.stderr


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
    assert config_changes(old, new) == ["vaults.member.name"]


def test_coverage_names_accounts_and_regions_that_lose_a_plan() -> None:
    content = json.dumps({"plans": {"daily": {"regions": {"@@assign": ["eu-west-1"]}}}})
    old = [{"name": "p", "content": content, "reaches": ["1", "2"]}]
    new = [{"name": "p", "content": content, "reaches": ["1"]}]
    [change] = coverage_changes(old, new)
    assert (change.account, change.region, change.gains, change.loses) == ("2", "eu-west-1", (), ("daily",))
