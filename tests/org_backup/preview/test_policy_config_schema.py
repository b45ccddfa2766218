"""The offline preview refuses a policy config that breaks a rule's config schema, as `pulumi preview` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft7Validator

from org_backup.preview import command as preview
from org_backup.preview.offline import PROJECT_DIR
from org_backup.preview.policy_config_schema import UNKNOWN_SETTING, rule_schema, unknown_settings
from org_backup.preview.policy_eval import PolicyConfigError, load_pack, read_policy_config


def _write(tmp_path: Path, content: object) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(content))
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ({"kms-key-rotation": {"maxRotationPeriodDays": -5}}, "-5 is less than the minimum of 90"),
        ({"kms-key-rotation": {"maxRotationPeriodDays": 9999}}, "9999 is greater than the maximum of 2560"),
        ({"kms-key-rotation": {"maxRotationPeriodDays": "365"}}, "'365' is not of type 'integer'"),
        (
            {"kms-key-rotation": {"enforcementLevel": "mandatory", "maxRotationPeriodDays": 120.5}},
            "120.5 is not of type 'integer'",
        ),
    ],
)
def test_a_value_outside_the_rules_schema_is_refused_with_its_path_and_rule(
    tmp_path: Path, content: dict[str, object], problem: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(PolicyConfigError) as raised:
        read_policy_config(path, load_pack())
    [message] = raised.value.problems
    assert message.startswith(f"{path}: kms-key-rotation.maxRotationPeriodDays: {problem}")
    assert "rule kms-key-rotation" in message


def test_every_mistake_is_reported_at_once(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {"kms-key-rotation": {"maxRotationPeriodDays": -5}, "no-such-rule": "advisory", "all": "loud"},
    )
    with pytest.raises(PolicyConfigError) as raised:
        read_policy_config(path, load_pack())
    assert len(raised.value.problems) == 3


def test_values_within_the_schema_and_unknown_properties_pass_as_with_the_cli(tmp_path: Path) -> None:
    path = _write(tmp_path, {"kms-key-rotation": {"maxRotationPeriodDays": 90, "note": "kept"}})
    assert read_policy_config(path, load_pack())["kms-key-rotation"]["maxRotationPeriodDays"] == 90


def test_the_committed_policy_configs_pass() -> None:
    for path in sorted((PROJECT_DIR / "policy-config").glob("*.json")):
        read_policy_config(path, load_pack())


def test_every_rule_schema_is_a_valid_json_schema_and_its_defaults_fit() -> None:
    checked = 0
    for policy in load_pack():
        schema = rule_schema(policy)
        if schema is None:
            continue
        Draft7Validator.check_schema(schema)
        defaults = {k: v["default"] for k, v in schema.get("properties", {}).items() if "default" in v}
        assert list(Draft7Validator(schema).iter_errors(defaults)) == [], policy.name
        checked += 1
    assert checked >= 5


def test_the_preview_exits_2_and_names_the_rule(tmp_path: Path, capsys) -> None:
    path = _write(tmp_path, {"kms-key-rotation": {"maxRotationPeriodDays": -5}})
    assert preview.main(["--stack", "staging", "--policy-config", str(path)]) == 2
    out = capsys.readouterr().out
    assert "kms-key-rotation.maxRotationPeriodDays: -5 is less than the minimum of 90" in out
    assert f"{path}: {path}:" not in out, "the file is named once"


def test_an_unknown_setting_is_a_warning_with_the_settings_the_rule_has(tmp_path: Path) -> None:
    """The CLI accepts it and the rule runs with its default; the preview says so instead of staying silent."""
    path = _write(tmp_path, {"kms-key-rotation": {"maxRotationPeriodDay": 5000, "enforcementLevel": "advisory"}})
    (warning,) = unknown_settings(path, read_policy_config(path, load_pack()), load_pack())
    assert warning.severity == "warning" and warning.rule == UNKNOWN_SETTING
    assert warning.path == "kms-key-rotation.maxRotationPeriodDay"
    assert "did you mean 'maxRotationPeriodDays'?" in warning.message
    result = preview.build_preview("prod", None, path)
    assert not isinstance(result, preview.ConfigProblem)
    assert UNKNOWN_SETTING in {w.rule for w in result.warnings}
    assert result.exit_code == 0
