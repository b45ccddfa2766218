"""The scale benchmark, at a size a test can afford: what it reports, not how fast (timings depend on the machine)."""

from __future__ import annotations

import json

import pytest

from dev import bench


@pytest.fixture(scope="module")
def small() -> dict[str, dict]:
    """5 accounts x 2 Regions in both modes, each measurement in its own interpreter as ``make bench`` runs it."""
    return {mode: bench.benchmark(5, 2, mode) for mode in ("direct", "stackset")}


@pytest.mark.parametrize("mode", ["direct", "stackset"])
def test_results_have_every_key_and_sane_values(small, mode):
    result = small[mode]
    assert list(result) == list(bench.KEYS)
    assert (result["accounts"], result["regions"], result["mode"]) == (5, 2, mode)
    assert result["resources"] > 0 and result["providers"] > 0
    assert result["wall_s"] > 0 and result["floor_wall_s"] > 0 and result["ratio_to_floor"] > 0
    assert 0 < result["policy_eval_s"] < result["wall_s"]
    assert result["peak_rss_mb"] > 50
    assert result["backup_policies"] >= 1 and 0 < result["max_policy_chars"] <= 10_000
    json.dumps(result)


def test_direct_mode_has_one_provider_per_member_account_plus_three(small):
    assert small["direct"]["providers"] == 5 + 3
    assert small["direct"]["resources"] > small["stackset"]["resources"]


def test_stackset_resources_do_not_depend_on_the_number_of_accounts(small):
    ten = bench.measure_preview(10, 2, "stackset")
    assert ten["resources"] == small["stackset"]["resources"]
    assert ten["providers"] == small["stackset"]["providers"] == 3


def test_the_synthetic_organization_spreads_members_over_the_targeted_ous(tmp_path):
    inventory = bench.synthetic_inventory(7)
    members = [a for a in inventory["accounts"] if a["id"].startswith("5")]
    assert len(members) == 7 and {a["parent_id"] for a in members} == {ou for _, ou, _ in bench.MEMBER_OUS}
    stack_file = bench.write_organization(tmp_path, 7, 3, "direct")
    config = bench.synthetic_stack_config(tmp_path / "inventory.yaml", 3, "direct")
    assert config["org-backup:organization"]["workload_regions"] == ["us-east-1", "eu-west-1", "eu-central-1"]
    assert stack_file.read_text(encoding="utf-8").startswith("config:")


def test_table_lists_every_key():
    row = dict.fromkeys(bench.KEYS, 1)
    lines = bench.table([row, row]).splitlines()
    assert lines[0].split() == list(bench.KEYS) and len(lines) == 3
