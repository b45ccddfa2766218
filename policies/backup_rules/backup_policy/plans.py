"""The meaning pass over plans and rules: Regions, names, schedules, windows, lifecycles, logically air-gapped
targets, advanced and scan settings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..arns import parse_vault_arn, role_arn_account
from ..findings import Finding, join
from ..lifecycle import check_windows
from ..limits import (
    ENABLED_DISABLED,
    INDEX_RESOURCE_TYPES,
    MALWARE_SCANNERS,
    MAX_RECOVERY_POINT_TAGS,
    MAX_RULES_PER_PLAN,
    REGION_RE,
    SCAN_MODES,
    SCAN_RESOURCE_TYPES,
    VAULT_NAME,
    VAULT_NAME_RE,
)
from ..schedule import check_schedule_expression
from .copies import _check_copy_actions, _check_lifecycle, _check_vault_name
from .keytree import OLD_WINDOWS_VSS, REQUIRED_KEY
from .selections import IAM_ROLE_ARN, _check_selections, _RdsScope
from .values import (
    _all_operator_texts,
    _child,
    _children,
    _read_bool,
    _read_int,
    _setting_value,
    _text,
    _texts,
    _too_many,
)

# Rule ids (one home each: the loader, the pack and the tests import them).
SCAN_SETTINGS_MISSING = "scan-settings-missing"


def _check_plan(plan: Any, path: str) -> list[Finding]:
    if not isinstance(plan, Mapping):
        return []
    out: list[Finding] = []
    regions, region_findings = _check_regions(_child(plan, "regions"), join(path, "regions"))
    out += region_findings
    rds_scope, selection_findings = _check_selections(_child(plan, "selections"), join(path, "selections"))
    out += selection_findings
    rules_node = _child(plan, "rules")
    rules = _children(rules_node)
    if isinstance(rules_node, Mapping) and not rules:
        out.append(
            Finding(
                join(path, "rules"),
                rules_node,
                REQUIRED_KEY,
                "a plan needs at least one rule in the effective policy (unless a parent policy supplies one)",
                "warning",
            )
        )
    out += _too_many(join(path, "rules"), len(rules), MAX_RULES_PER_PLAN, "rule-count", "rules in a plan")
    for name, rule in rules:
        out += _check_rule(rule, join(path, "rules", name), regions, rds_scope)
    out += _check_advanced_settings(_child(plan, "advanced_backup_settings"), join(path, "advanced_backup_settings"))
    out += _check_scan_settings(plan, path, rules)
    return out


def _check_regions(node: Any, path: str) -> tuple[tuple[str, ...], list[Finding]]:
    """The valid Region codes the plan runs in, and a finding for each invalid code."""
    findings = [
        Finding(path, code, "region-code", f"{code!r} is not an AWS Region code such as us-east-1")
        for code in _all_operator_texts(node)
        if not REGION_RE.match(code)
    ]
    return tuple(code for code in _texts(node) if REGION_RE.match(code)), findings


def _check_rule(rule: Any, path: str, plan_regions: tuple[str, ...], rds_scope: _RdsScope) -> list[Finding]:
    if not isinstance(rule, Mapping):
        return []
    out: list[Finding] = []
    out += _check_schedule(rule, path)
    vault = _text(_child(rule, "target_backup_vault_name"))
    if vault is not None and not VAULT_NAME_RE.match(vault):
        out.append(
            Finding(
                join(path, "target_backup_vault_name"),
                vault,
                VAULT_NAME,
                f"vault name {vault!r} must match {VAULT_NAME_RE.pattern}",
            )
        )
    out += _check_lag_target(_child(rule, "target_logically_air_gapped_backup_vault_arn"), path)
    start = _read_int(rule, "start_backup_window_minutes", path, out)
    completion = _read_int(rule, "complete_backup_window_minutes", path, out)
    out += check_windows(path, start_minutes=start, completion_minutes=completion)
    continuous = bool(_read_bool(rule, "enable_continuous_backup", path, out))
    out += _check_lifecycle(_child(rule, "lifecycle"), join(path, "lifecycle"), continuous=continuous)
    out += _check_copy_actions(_child(rule, "copy_actions"), join(path, "copy_actions"), plan_regions, rds_scope)
    out += _too_many(
        join(path, "recovery_point_tags"),
        len(_children(_child(rule, "recovery_point_tags"))),
        MAX_RECOVERY_POINT_TAGS,
        "recovery-point-tag-count",
        "recovery point tags on a rule",
    )
    index_path = join(path, "index_actions", "resource_types")
    out += _check_enum(
        _all_operator_texts(_child(_child(rule, "index_actions"), "resource_types")),
        INDEX_RESOURCE_TYPES,
        index_path,
    )
    for scanner, action in _children(_child(rule, "scan_actions")):
        out += _check_scanner_name(scanner, join(path, "scan_actions", scanner))
        mode = _text(_child(action, "scan_mode"))
        if mode is not None:
            out += _check_enum([mode], SCAN_MODES, join(path, "scan_actions", scanner, "scan_mode"))
    return out


def _check_schedule(rule: Mapping[str, Any], path: str) -> list[Finding]:
    out: list[Finding] = []
    schedule_path = join(path, "schedule_expression")
    if "schedule_expression" not in rule:
        out.append(
            Finding(
                schedule_path,
                None,
                "schedule-missing",
                "no schedule_expression: AWS documents it as required; the Backup API would default to "
                "cron(0 5 ? * * *) (daily 05:00 UTC); set it explicitly",
                "warning",
            )
        )
    else:
        schedule = _setting_value(rule["schedule_expression"])
        if schedule is not None:
            out += check_schedule_expression(schedule_path, schedule)
    if "schedule_expression_timezone" in rule:
        out.append(
            Finding(
                join(path, "schedule_expression_timezone"),
                _setting_value(rule["schedule_expression_timezone"]),
                "schedule-timezone",
                "schedule_expression_timezone is not documented for backup policies, whose schedules are UTC",
                "warning",
            )
        )
    return out


def _check_lag_target(node: Any, rule_path: str) -> list[Finding]:
    arn_text = _text(node)
    if arn_text is None:
        return []
    path = join(rule_path, "target_logically_air_gapped_backup_vault_arn")
    arn = parse_vault_arn(arn_text)
    if arn is None or not arn.uses_placeholders:
        return [
            Finding(
                path,
                arn_text,
                "lag-arn",
                "a logically air-gapped target must be written "
                "arn:aws:backup:$region:$account:backup-vault:<name> (same account and Region as each plan)",
            )
        ]
    return _check_vault_name(arn, path)


def _check_advanced_settings(node: Any, path: str) -> list[Finding]:
    out: list[Finding] = []
    ec2 = _child(node, "ec2")
    if isinstance(ec2, Mapping) and OLD_WINDOWS_VSS in ec2:
        out.append(
            Finding(
                join(path, "ec2", OLD_WINDOWS_VSS),
                _setting_value(ec2[OLD_WINDOWS_VSS]),
                "windows-vss-spelling",
                "WindowsVSS is the old spelling; current backup policies use windows_vss",
                "warning",
            )
        )
    for block, keys in (
        ("ec2", ("windows_vss", OLD_WINDOWS_VSS)),
        ("s3", ("backup_acls", "backup_object_tags")),
    ):
        for key in keys:
            value = _text(_child(_child(node, block), key))
            if value is not None:
                out += _check_enum([value], ENABLED_DISABLED, join(path, block, key))
    return out


def _check_scan_settings(plan: Mapping[str, Any], path: str, rules: list[tuple[str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    settings = _children(_child(plan, "scan_settings"))
    for scanner, setting in settings:
        setting_path = join(path, "scan_settings", scanner)
        out += _check_scanner_name(scanner, setting_path)
        out += _check_enum(
            _all_operator_texts(_child(setting, "resource_types")),
            SCAN_RESOURCE_TYPES,
            join(setting_path, "resource_types"),
        )
        role = _text(_child(setting, "scanner_role_arn"))
        if role is not None and role_arn_account(role) is None:
            out.append(
                Finding(
                    join(setting_path, "scanner_role_arn"),
                    role,
                    IAM_ROLE_ARN,
                    f"{role!r} is not an IAM role ARN",
                )
            )
    if not settings:
        out.extend(
            Finding(
                join(path, "rules", name, "scan_actions"),
                None,
                SCAN_SETTINGS_MISSING,
                "scan_actions need plan-level scan_settings (unless a parent policy supplies them)",
                "warning",
            )
            for name, rule in rules
            if _children(_child(rule, "scan_actions"))
        )
    return out


def _check_scanner_name(scanner: str, path: str) -> list[Finding]:
    if scanner.upper() in MALWARE_SCANNERS:
        return []
    return [Finding(path, scanner, "enum-value", f"unknown malware scanner {scanner!r}; expected GUARDDUTY")]


def _check_enum(values: Iterable[str], allowed: frozenset[str], path: str) -> list[Finding]:
    return [
        Finding(path, value, "enum-value", f"{value!r} is not one of {', '.join(sorted(allowed))}")
        for value in values
        if value not in allowed
    ]
