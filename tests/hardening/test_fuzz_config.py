"""Bad input never crashes the loader: it loads, or it is reported (``ConfigError`` / ``InventoryError``).

The fuzzers mutate the committed prod and staging configurations (see ``fuzzing.py``) and feed them to the
three ways configuration reaches the loader: ``load_config`` on raw sections, a ``Pulumi.<stack>.yaml`` on
disk (``config_from_stack_file``), and the JSON strings the Pulumi CLI hands a program. A configuration that
loads is also laid out (inventory, targeting, backup-policy rendering), which is pure and cheap, so the
builders behind the loader are fuzzed with thousands of examples too. Anything but a clean load or a report
is a bug. The unreadable-file cases below are the fixed examples the fuzzers grew from.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.audit import report_bucket_name
from components.documents.events import (
    alert_topic_key_policy,
    alert_topic_policy,
    central_event_bus_policy,
    event_forwarding_role_policy,
)
from components.documents.frameworks import control_parameters
from components.documents.iam import (
    backup_role_managed_policy_arns,
    backup_role_trust_policy,
    organizations_delegation_policy,
)
from components.documents.kms import central_backup_key_policy, member_backup_key_policy
from components.documents.member_template import member_template_body
from components.documents.reports import report_bucket_policy
from components.documents.vault_policy import central_vault_policy, member_vault_policy
from components.member_account import central_event_bus_arn
from components.program import offline_tree
from deployment.layout import Layout, build_layout
from deployment.load import config_from_stack_file, load_config
from org_backup.preview.offline import config_values
from stackconfig.inventory import InventoryError, load_inventory
from stackconfig.load import ConfigError, LoadedConfig, read_stack_file, sections_from_pulumi_config
from stackconfig.model import StackConfig
from tests.hardening.fuzzing import BASE_SECTIONS, PROJECT_DIR, STACKS, fuzz_settings, mutated, stack_file_texts

REPORTS = (ConfigError, InventoryError)


def build_documents(config: StackConfig, layout: Layout) -> None:
    """Every policy document builder, called with the values the components pass it (pure and cheap).

    The program fuzzer runs the real wiring with few examples; this runs the builders with every example the
    loader accepts, so a value the loader lets through but a builder refuses is found thousands of times faster.
    """
    org = config.organization
    central = config.vaults.central
    central_admins = org.vault_admin_role_arns(org.central_vault_account_id, central.break_glass_role_names)
    for region in org.dr_regions:
        central_backup_key_policy(
            account_id=org.central_vault_account_id,
            region=region,
            organization_id=org.id,
            organization_paths=central.allowed_organization_paths,
            break_glass_role_arns=central_admins,
            partition=org.partition,
        )
    central_vault_policy(
        organization_id=org.id,
        organization_paths=central.allowed_organization_paths,
        break_glass_role_arns=central_admins,
        backup_role_name=config.vaults.backup_role_name,
    )
    bus_arn = central_event_bus_arn(config)
    for account in layout.members:
        admins = org.vault_admin_role_arns(account.id, config.vaults.member.break_glass_role_names)
        member_vault_policy(break_glass_role_arns=admins, copy_source_account_ids=[org.central_vault_account_id])
        control_parameters(config, admins)
        for region in layout.member_regions:
            member_backup_key_policy(
                account_id=account.id,
                region=region,
                organization_id=org.id,
                backup_role_name=config.vaults.backup_role_name,
                central_account_id=org.central_vault_account_id,
                protected_by_role_arns=admins,
                partition=org.partition,
            )
    if config.member_deployment.mode == "stackset":
        member_template_body(config)
    backup_role_trust_policy()
    backup_role_managed_policy_arns(org.partition)
    organizations_delegation_policy(
        management_account_id=org.management_account_id,
        organization_id=org.id,
        root_id=org.root_id,
        delegate_account_id=org.backup_admin_account_id,
        partition=org.partition,
    )
    if config.audit.enabled:
        report_bucket_policy(
            bucket_name=report_bucket_name(config), account_id=org.backup_admin_account_id, partition=org.partition
        )
    if config.alerting.enabled:
        event_forwarding_role_policy(event_bus_arn=bus_arn)
        central_event_bus_policy(event_bus_arn=bus_arn, organization_id=org.id)
        alert_topic_key_policy(
            account_id=org.backup_admin_account_id, region=org.primary_region, partition=org.partition
        )
        topic = (
            f"arn:{org.partition}:sns:{org.primary_region}:{org.backup_admin_account_id}:{config.alerting.topic_name}"
        )
        alert_topic_policy(topic_arn=topic, account_id=org.backup_admin_account_id)


def load_and_lay_out(sections: Mapping[str, Any], stack: str) -> LoadedConfig | None:
    """The loader, the layout and the document builders behind it; None when the configuration was reported."""
    try:
        loaded = load_config(sections)
        build_documents(loaded.config, build_layout(loaded.config, offline_tree(loaded.config, stack)))
    except REPORTS as exc:
        assert exc.findings, "a report must say what is wrong"
        assert all(isinstance(f.path, str) and f.message for f in exc.findings)
        str(exc)
        return None
    return loaded


@st.composite
def mutated_sections(draw: st.DrawFn) -> tuple[str, Any]:
    stack = draw(st.sampled_from(STACKS))
    return stack, draw(mutated(BASE_SECTIONS[stack], yaml_only=False))


@fuzz_settings(ci=1550, fuzz=40_000)
@given(mutated_sections())
def test_mutated_sections_load_or_report(case: tuple[str, Any]) -> None:
    stack, sections = case
    load_and_lay_out(sections, stack)


@contextlib.contextmanager
def stack_file(text: str | bytes) -> Iterator[Path]:
    """A throwaway ``Pulumi.<stack>.yaml`` (hypothesis examples cannot use the tmp_path fixture)."""
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "Pulumi.fuzz.yaml"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
        yield path


@fuzz_settings(ci=450, fuzz=10_000)
@given(stack_file_texts(stacks=("staging", "staging", "prod")))
def test_mutated_stack_files_load_or_report(case: tuple[str, str]) -> None:
    """Through the file, as the offline preview reads it; then as the Pulumi CLI would pass the same values."""
    stack, text = case
    with stack_file(text) as path:
        try:
            config = read_stack_file(path)
        except ConfigError as exc:
            assert exc.findings
            return
    load_and_lay_out(sections_from_pulumi_config(config), stack)
    load_and_lay_out(sections_from_pulumi_config(config_values(config)), stack)


# ------------------------------------------------------------------------------ fixed regressions


def _prod(**changes: Any) -> dict[str, Any]:
    import copy

    sections = copy.deepcopy(BASE_SECTIONS["prod"])
    sections.update(changes)
    return sections


def _reported(sections: Mapping[Any, Any], stack: str = "prod") -> ConfigError | InventoryError:
    with pytest.raises(REPORTS) as info:
        loaded = load_config(sections)
        build_documents(loaded.config, build_layout(loaded.config, offline_tree(loaded.config, stack)))
    assert isinstance(info.value, REPORTS)
    return info.value


def test_a_non_string_key_is_reported_not_a_crash() -> None:
    """Found by the fuzzer: ``{1: x}`` (YAML ``1: x``) made the loader raise TypeError."""
    sections: dict[Any, Any] = {**_prod(), 1: "x", None: "y"}
    report = _reported(sections)
    assert {f.rule for f in report.findings} == {"unknown-key"}
    nested = _prod()
    nested["vaults"] = {**nested["vaults"], 2: {}}
    assert "vaults" in str(_reported(nested))


def test_deep_nesting_is_reported_not_a_crash() -> None:
    """Found by the fuzzer: 3,000 nested mappings in a custom policy overflowed the recursion limit."""
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(3000):
        node["a"] = {}
        node = node["a"]
    sections = _prod()
    sections["backup_policies"] = {"custom": {"deep": {"targets": ["prod"], "content": deep}}}
    report = _reported(sections)
    assert any(f.rule == "nesting" and f.path.startswith("backup_policies") for f in report.findings)


def test_a_self_referencing_value_is_reported_not_a_crash() -> None:
    """A YAML anchor used inside itself loads as a recursive structure."""
    loop: dict[str, Any] = {}
    loop["plans"] = {"loop": loop}
    sections = _prod()
    sections["backup_policies"] = {"custom": {"loop": {"targets": ["prod"], "content": loop}}}
    assert any(f.rule == "nesting" for f in _reported(sections).findings)


@pytest.mark.parametrize("account", ["00000000000\u0660", "\uff11" * 12, "12345678901\u00b2"])
def test_an_account_id_of_non_ascii_digits_is_reported(account: str) -> None:
    """Found by the program fuzzer: pydantic's \\d took an Arabic-Indic zero, the key policy builder refused it."""
    listed = [{"id": account, "name": "x", "parent_id": "ou-ab12-11111111"}]
    report = _reported(_prod(accounts={"source": "listed", "listed": listed}))
    assert any(f.path.startswith("accounts.listed") for f in report.findings)
    sections = _prod()
    sections["organization"] = {**sections["organization"], "central_vault_account_id": account}
    assert any(f.path == "organization.central_vault_account_id" for f in _reported(sections).findings)


@pytest.mark.parametrize("pattern", ["inventory/{stak}.yaml", "inventory/{0}.yaml", "inventory/{", "inv\x00.yaml"])
def test_an_unusable_inventory_file_pattern_is_reported(pattern: str) -> None:
    """Found by the fuzzer: ``{stak}``/``{0}`` raised KeyError/IndexError, a NUL byte ValueError."""
    sections = _prod(accounts={"source": "inventory", "inventory_file": pattern})
    assert any(f.path == "accounts.inventory_file" for f in _reported(sections).findings)


@pytest.mark.parametrize("paths", [["abc"], ["o-zzzzzzzzzz/*"], ["o-a1b2c3d4e5/r-ab12/ou ab/*"]])
def test_organization_paths_outside_the_grammar_or_the_organization_are_reported(paths: list[str]) -> None:
    """Found by the fuzzer: the loader accepted any 3+ character path and the key policy builder raised."""
    sections = _prod()
    sections["vaults"] = {**sections["vaults"], "central": {**sections["vaults"]["central"]}}
    sections["vaults"]["central"]["allowed_organization_paths"] = paths
    report = _reported(sections)
    assert any(f.path.startswith("vaults.central.allowed_organization_paths") for f in report.findings)


@pytest.mark.parametrize("name", ["a..b", "192.168.1.10", "xn--bucket", "bucket-s3alias"])
def test_report_bucket_names_s3_refuses_are_reported(name: str) -> None:
    """Found by the fuzzer: ``a..b`` matched the model's pattern and the bucket policy builder raised."""
    sections = _prod(audit={"report_bucket_name": name})
    assert any(f.path == "audit.report_bucket_name" for f in _reported(sections).findings)


@pytest.mark.parametrize("field", ["name", "break_glass_role_names"])
def test_a_trailing_newline_does_not_slip_past_a_name_pattern(field: str) -> None:
    """Python's ``$`` matches before a final newline: ``"org-backup\\n"`` must not pass as a vault name."""
    sections = _prod()
    member = {**sections["vaults"]["member"]}
    member[field] = "org-backup\n" if field == "name" else ["BackupBreakGlass\n"]
    sections["vaults"] = {**sections["vaults"], "member": member}
    plans = {"daily\n": sections["plans"]["daily"]} if field == "name" else sections["plans"]
    report = _reported({**sections, "plans": plans})
    assert any(f.path.startswith("vaults.member") for f in report.findings)


def test_plans_reaching_the_management_account_need_a_role_to_administer_its_vault() -> None:
    """Found by the fuzzer: a plan on the root reached the management account, whose vault policy then had
    nobody to exempt (no management_role_name, no break-glass role) and the builder raised ValueError."""
    sections = _prod()
    sections["vaults"]["member"]["break_glass_role_names"] = []
    sections["plans"]["critical-databases"]["targets"] = ["r-ab12"]
    report = _reported(sections)
    assert [f.rule for f in report.findings] == ["management-member-role"]
    sections["organization"]["management_role_name"] = "OrgBackupDeployer"
    assert load_and_lay_out(sections, "prod") is not None
    del sections["organization"]["management_role_name"]
    sections["vaults"]["member"]["break_glass_role_names"] = ["BackupBreakGlass"]
    assert load_and_lay_out(sections, "prod") is not None


def test_a_management_account_inside_a_targeted_ou_is_reported_at_the_break_glass_roles() -> None:
    """Found by the fuzzer: staging's management account listed under the targeted OU became a member whose
    copies into the central vault were judged with a key policy nobody could administer (ValueError from the
    key builder in the copy-path check). Backup policies apply to the management account, so it is a member."""
    import copy

    sections = copy.deepcopy(BASE_SECTIONS["staging"])
    listed = sections["accounts"]["listed"]
    management = next(a for a in listed if a["name"] == "management")
    management["parent_id"] = sections["targets"]["organizational_units"][0]["id"]
    report = _reported(sections, "staging")
    [finding] = report.findings
    assert (finding.path, finding.value, finding.rule) == (
        "vaults.member.break_glass_role_names",
        [],
        "management-member-role",
    )
    assert "management account 700000000001" in finding.message
    assert "organization.management_role_name" in finding.message
    sections["vaults"]["member"]["break_glass_role_names"] = ["BackupBreakGlass"]
    assert load_and_lay_out(sections, "staging") is not None


def test_a_central_vault_in_the_management_account_needs_a_role_to_administer_it() -> None:
    """Same class: staging with its central vault in the management account (a warning alone) and no
    break-glass role made the central key builder raise ValueError."""
    import copy

    sections = copy.deepcopy(BASE_SECTIONS["staging"])
    sections["organization"]["central_vault_account_id"] = sections["organization"]["management_account_id"]
    report = _reported(sections, "staging")
    assert [(f.path, f.value, f.rule) for f in report.findings if f.severity == "error"] == [
        ("vaults.central.break_glass_role_names", [], "management-central-role")
    ]
    sections["organization"]["management_role_name"] = "OrgBackupDeployer"
    assert load_and_lay_out(sections, "staging") is not None


def test_an_empty_plans_section_is_reported() -> None:
    """Found by the fuzzer: ``plans: {}`` passed the section parser and failed the whole model (ValidationError)."""
    report = _reported(_prod(plans={}))
    assert [f.path for f in report.findings if f.severity == "error"] == ["plans"]


def test_a_pulumi_value_past_the_digit_limit_is_reported() -> None:
    """JSON with a 5,000-digit number raised ValueError from ``sections_from_pulumi_config``."""
    sections = sections_from_pulumi_config({"org-backup:plans": "[" + "9" * 5000 + "]"})
    assert "plans" in str(_reported({**_prod(), **sections}))


def test_stack_files_are_read_as_the_pulumi_cli_reads_them(tmp_path: Path) -> None:
    """YAML 1.2 scalars: dates, ``on``/``no`` and ``12:30`` stay strings (PyYAML's YAML 1.1 made a date, which
    crashed the JSON hand-over to the program, and booleans where the CLI passes strings)."""
    path = tmp_path / "Pulumi.x.yaml"
    path.write_text(
        "config:\n  x:\n    a: {since: 2020-01-01, 2021-02-03: on, at: 12:30, b: no, c: True}\n    n: [1e3, 0o17, 0x1F, .inf, ~]\n"
    )
    values = read_stack_file(path)["x"]
    assert values["a"] == {"since": "2020-01-01", "2021-02-03": "on", "at": "12:30", "b": "no", "c": True}
    assert values["n"] == [1000.0, 15, 31, float("inf"), None]
    json.dumps(read_stack_file(path))


def test_stack_file_values_json_cannot_carry_are_reported(tmp_path: Path) -> None:
    """Binary, sets and explicit timestamps are reported, not handed on to the program."""
    path = tmp_path / "Pulumi.x.yaml"
    for value in ("!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1]", "!!timestamp 2020-01-01"):
        path.write_text(f"config:\n  org-backup:plans:\n    daily:\n      tags: {value}\n")
        with pytest.raises(ConfigError) as info:
            read_stack_file(path)
        assert "org-backup:plans.daily.tags" in str(info.value)


# ------------------------------------------------------------------------ unreadable stack files

UNREADABLE: dict[str, bytes] = {
    "binary garbage": bytes(range(256)) * 4,
    "invalid YAML": b"config:\n  org-backup:plans: [unclosed\n",
    "a YAML list": b"- config\n- org-backup:plans\n",
    "config is not a mapping": b"config: [1, 2, 3]\n",
    "config is a string": b"config: org-backup\n",
    "empty": b"",
    "deep nesting": b"config: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "undefined alias": b"config:\n  org-backup:plans: *nowhere\n",
    "python tag": b"config: !!python/object/apply:os.system ['true']\n",
    "UTF-16": "config:\n  org-backup:plans: {}\n".encode("utf-16"),
    "recursive anchor": b"config:\n  org-backup:plans: &loop {daily: *loop}\n",
    "5,000-digit number": b"config:\n  org-backup:plans: " + b"9" * 5000 + b"\n",
    "non-string key": b"config:\n  1: x\n",
}


@pytest.mark.parametrize("content", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_an_unreadable_stack_file_is_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        config_from_stack_file(path)
    assert info.value.findings and str(path) in str(info.value)


def test_a_missing_stack_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        config_from_stack_file(tmp_path / "Pulumi.nope.yaml")


def test_a_directory_as_stack_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        config_from_stack_file(tmp_path)


def _deny_reading(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """chmod 000, and (as root, who reads it anyway) make reading that one file fail as the kernel would."""
    path.chmod(0)
    if os.access(path, os.R_OK):
        real = Path.read_text

        def read_text(self: Path, *args: Any, **kwargs: Any) -> str:
            if self == path:
                raise PermissionError(13, "Permission denied", str(path))
            return real(self, *args, **kwargs)

        monkeypatch.setattr(Path, "read_text", read_text)


def test_a_stack_file_without_read_permission_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "Pulumi.locked.yaml"
    path.write_text((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    _deny_reading(path, monkeypatch)
    try:
        with pytest.raises(ConfigError, match="Permission denied"):
            config_from_stack_file(path)
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)


# ---------------------------------------------------------------------------- corrupt inventories

CORRUPT_INVENTORIES: dict[str, bytes] = {
    "binary garbage": bytes(range(256)) * 4,
    "invalid YAML": b"organization_id: o-a1b2c3d4e5\naccounts: [unclosed\n",
    "a YAML list": b"- o-a1b2c3d4e5\n",
    "empty": b"",
    "wrong schema": b"organization_id: o-a1b2c3d4e5\nroot_id: r-ab12\naccounts: [{id: 12}]\n",
    "unknown key": b"organization_id: o-a1b2c3d4e5\nroot_id: r-ab12\nacounts: []\n",
    "deep nesting": b"accounts: " + b"[" * 5000 + b"]" * 5000 + b"\n",
    "libyaml-crashing nesting": b"accounts: " + b"[" * 100_000 + b"]" * 100_000 + b"\n",
    "a date for an id": b"organization_id: o-a1b2c3d4e5\nroot_id: r-ab12\naccounts: [{id: 2020-01-01, name: x, parent_id: r-ab12}]\n",
}


@pytest.mark.parametrize("content", CORRUPT_INVENTORIES.values(), ids=CORRUPT_INVENTORIES.keys())
def test_a_corrupt_inventory_is_reported(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_bytes(content)
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    assert info.value.findings


def test_a_missing_or_unreadable_inventory_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InventoryError, match="does not exist"):
        load_inventory(tmp_path / "nope.yaml")
    with pytest.raises(InventoryError, match="cannot read"):
        load_inventory(tmp_path)
    locked = tmp_path / "locked.yaml"
    locked.write_text((PROJECT_DIR / "inventory" / "prod.yaml").read_text())
    _deny_reading(locked, monkeypatch)
    with pytest.raises(InventoryError, match="Permission denied"):
        load_inventory(locked)


@pytest.mark.parametrize("content", [b"", bytes(range(256)), b"- a\n"], ids=["empty", "garbage", "list"])
def test_a_corrupt_inventory_reaches_the_loader_as_a_report(tmp_path: Path, content: bytes) -> None:
    """The same file named by ``accounts.inventory_file``, through the loader and layout."""
    (tmp_path / "inv.yaml").write_bytes(content)
    sections = _prod(accounts={"source": "inventory", "inventory_file": str(tmp_path / "inv.yaml")})
    assert isinstance(_reported(sections), InventoryError)


# ------------------------------------------------------------------------------- offline preview


def _preview(args: list[str]) -> tuple[int, str]:
    from org_backup.preview import command as preview

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = preview.main(args)
    return code, out.getvalue() + err.getvalue()


@pytest.mark.parametrize(
    "content",
    [*UNREADABLE.values(), b"config:\n  org-backup:accounts: {inventory_file: nowhere/{stack}.yaml}\n"],
    ids=[*UNREADABLE.keys(), "missing inventory"],
)
def test_the_offline_preview_reports_a_bad_stack_file_with_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "Pulumi.bad.yaml"
    path.write_bytes(content)
    code, output = _preview(["--config", str(path), "--stack", "prod"])
    assert code == 2
    assert "Traceback" not in output


@pytest.mark.parametrize("content", [b"", bytes(range(256)), b"- a\n", b"accounts: " + b"[" * 5000], ids=str)
def test_the_offline_preview_reports_a_corrupt_inventory_with_exit_2(tmp_path: Path, content: bytes) -> None:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_bytes(content)
    config = read_stack_file(PROJECT_DIR / "Pulumi.prod.yaml")
    config["org-backup:accounts"] = {"source": "inventory", "inventory_file": str(inventory)}
    path = tmp_path / "Pulumi.prod.yaml"
    path.write_text(json.dumps({"config": config}))
    code, output = _preview(["--config", str(path), "--stack", "prod"])
    assert code == 2 and "Traceback" not in output
    assert inventory.name in output


def test_the_offline_preview_reports_a_directory_and_a_missing_file_with_exit_2(tmp_path: Path) -> None:
    for path in (tmp_path, tmp_path / "Pulumi.nope.yaml"):
        code, output = _preview(["--config", str(path), "--stack", "prod"])
        assert code == 2 and "Traceback" not in output


def test_the_offline_preview_reports_an_unreadable_stack_file_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "Pulumi.locked.yaml"
    path.write_text((PROJECT_DIR / "Pulumi.prod.yaml").read_text())
    _deny_reading(path, monkeypatch)
    try:
        code, output = _preview(["--config", str(path), "--stack", "prod"])
    finally:
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    assert code == 2 and "Traceback" not in output and "Permission denied" in output


def test_the_offline_preview_exits_2_without_a_traceback_as_a_process(tmp_path: Path) -> None:
    """Once as a real process: the exit status and the streams a CI job sees."""
    import subprocess
    import sys

    path = tmp_path / "Pulumi.bad.yaml"
    path.write_bytes(UNREADABLE["binary garbage"])
    done = subprocess.run(
        [sys.executable, "-m", "org_backup", "preview", "--config", str(path)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
