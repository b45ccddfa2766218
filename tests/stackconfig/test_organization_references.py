"""Issue 10: references resolve against the organization, Regions are real, listed accounts express nested
OUs, subscriptions and selections follow AWS's rules, and one mistake gives one plainly worded error."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from deployment.layout import build_layout
from deployment.load import load_config
from policies.backup_rules.findings import Finding, errors
from stackconfig import regions as region_rules
from stackconfig.inventory import OrgTree, load_inventory, member_accounts
from stackconfig.load import ConfigError
from stackconfig.references import check_references

from .load_cases import DAILY, Mutation, _set

PROJECT_DIR = Path(__file__).resolve().parents[2]
SELECTION = "plans/daily/selections/resources/tagged-daily"


def _sub(protocol: str, endpoint: str) -> Mutation:
    return _set("alerting/subscriptions", [{"protocol": protocol, "endpoint": endpoint}])


def _lag_in_default_dr_region(raw: dict[str, Any]) -> None:
    """Air-gapped vaults with no Regions of their own, and the only DR Region one without them."""
    _set("organization/dr_regions", ["ca-west-1"])(raw)
    for rule in (DAILY, "plans/weekly/rules/weekly", "plans/monthly/rules/monthly"):
        _set(f"{rule}/copies/0/region", "ca-west-1")(raw)
    _set("vaults/central/air_gapped", {"min_retention_days": 7, "max_retention_days": 30})(raw)


# (id, mutation, path, rule, exact message) — the message a user now sees, in full.
LOADER_CASES: list[tuple[str, Mutation, str, str, str]] = [
    (
        "DR Region that does not exist",
        _set("organization/dr_regions", ["us-west-9"]),
        "organization.dr_regions[0]",
        "region-unknown",
        f"'us-west-9' is not an AWS Region of partition aws ({region_rules.REGIONS_SOURCE}): "
        "did you mean us-west-2 or us-west-1?",
    ),
    (
        "workload Region of another partition",
        _set("organization/workload_regions", ["us-east-1", "cn-north-1"]),
        "organization.workload_regions[1]",
        "region-partition",
        "cn-north-1 is a Region of partition aws-cn, but organization.partition is aws: an organization lives "
        "in one partition",
    ),
    (
        "home Region that does not exist",
        _set("organization/home_region", "eu-west-7"),
        "organization.home_region",
        "region-unknown",
        f"'eu-west-7' is not an AWS Region of partition aws ({region_rules.REGIONS_SOURCE}): "
        "did you mean eu-west-3 or eu-west-2?",
    ),
    (
        "air-gapped vaults default to a DR Region without them",
        _lag_in_default_dr_region,
        "vaults.central.air_gapped.regions",
        "lag-region",
        "logically air-gapped vaults are not available in ca-west-1 (AWS lists the Regions without them: "
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/logicallyairgappedvault.html); the air-gapped "
        "vaults default to every DR Region: list the ones to use under vaults.central.air_gapped.regions",
    ),
    (
        "listed accounts ignored by the inventory source",
        _set(
            "accounts",
            {"source": "inventory", "listed": [{"id": "444444444499", "name": "new", "parent_id": "r-ab12"}]},
        ),
        "accounts.listed",
        "listed-ignored",
        "accounts.listed is read only with accounts.source: listed (source is inventory): refresh the inventory "
        "file instead (`org-backup inventory`), or set source: listed and list every account the stack names",
    ),
    (
        "copies into an unlocked central vault",
        _set("vaults/central/lock", None),
        "vaults.central.lock",
        "copy-destination-unlocked",
        "plans daily, monthly, weekly copy into vaults.central, which has no Vault Lock: an administrator of the "
        "central account could delete every copy. Add a lock (mode: compliance with changeable_for_days, "
        "min_retention_days, max_retention_days)",
    ),
    (
        "account id of 11 digits",
        _set("organization/central_vault_account_id", "33333333333"),
        "organization.central_vault_account_id",
        "type:string_pattern_mismatch",
        "must be 12 digits, got 11",
    ),
    (
        "account id with a letter",
        _set("targets/exclude_accounts", ["44444444440O"]),
        "targets.exclude_accounts[0]",
        "type:string_pattern_mismatch",
        "must be 12 digits, got '44444444440O' with 'O'",
    ),
    (
        "account id YAML read as a number",
        _set("organization/backup_admin_account_id", 222222222222),
        "organization.backup_admin_account_id",
        "type:string_type",
        'YAML read the account id 222222222222 as a number: quote it ("222222222222")',
    ),
    (
        "account id YAML read as octal",
        _set("restore_testing/accounts", [0o111111111111]),
        "restore_testing.accounts[0]",
        "type:string_type",
        "YAML read this account id as the number 9817068105 (unquoted, an id loses its leading zeros, and one that "
        'starts with 0 can be read as octal): write its 12 digits in quotes, e.g. "012345678901"',
    ),
    (
        "OU id in the wrong form",
        _set("targets/organizational_units/0/id", "ou-ab12-1111"),
        "targets.organizational_units[0].id",
        "type:string_pattern_mismatch",
        "'ou-ab12-1111' is not an OU id: an OU id is ou-, 4 to 32 lowercase letters or digits (the root's), a dash "
        "and 8 to 32 more, e.g. ou-ab12-11111111 (Organizations console, or `org-backup inventory`)",
    ),
    (
        "lock mode misspelt",
        _set("vaults/member/lock/mode", "governence"),
        "vaults.member.lock.mode",
        "type:literal_error",
        "must be one of 'governance', 'compliance'; got the text 'governence'",
    ),
    (
        "duplicate OU id",
        _set(
            "targets/organizational_units",
            [{"name": "prod", "id": "ou-ab12-11111111"}, {"name": "prod2", "id": "ou-ab12-11111111"}],
        ),
        "targets.organizational_units[1].id",
        "duplicate",
        "OU id 'ou-ab12-11111111' is already listed at [0]",
    ),
    (
        "email without a domain",
        _sub("email", "oncall@example"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a email subscription needs an email address (name@example.com), got 'oncall@example'",
    ),
    (
        "https with http URL",
        _sub("https", "http://hooks.example.com/x"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a https subscription needs a URL beginning with https://, got 'http://hooks.example.com/x'",
    ),
    (
        "http without host",
        _sub("http", "http://"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a http subscription needs a URL beginning with http://, got 'http://'",
    ),
    (
        "sqs with a Lambda ARN",
        _sub("sqs", "arn:aws:lambda:us-east-1:123456789012:function:f"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a sqs subscription needs the ARN of an SQS queue (arn:aws:sqs:us-east-1:123456789012:alerts), got "
        "'arn:aws:lambda:us-east-1:123456789012:function:f'",
    ),
    (
        "lambda in another partition",
        _sub("lambda", "arn:aws-cn:lambda:cn-north-1:123456789012:function:f"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a lambda subscription names partition aws-cn, but the organization is in aws: SNS cannot deliver across",
    ),
    (
        "sms not E.164",
        _sub("sms", "555-0100"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a sms subscription needs a phone number in E.164 form (+ and country code, e.g. +14155550100), got '555-0100'",
    ),
    (
        "application with a topic ARN",
        _sub("application", "arn:aws:sns:us-east-1:123456789012:topic"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a application subscription needs the ARN of a mobile platform endpoint "
        "(arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/0a1b2c3d), got 'arn:aws:sns:us-east-1:123456789012:topic'",
    ),
    (
        "firehose without a role",
        _sub("firehose", "arn:aws:firehose:us-east-1:123456789012:deliverystream/alerts"),
        "alerting.subscriptions[0].endpoint",
        "alert-endpoint",
        "a firehose subscription needs a subscription role (SubscriptionRoleArn) that lets SNS write to the stream, "
        "and this stack creates none: subscribe the stream outside the stack, or use sqs or lambda",
    ),
    (
        "string_equals with a wildcard",
        _set(f"{SELECTION}/conditions", {"string_equals": {"aws:ResourceTag/backup": "*"}}),
        "plans.daily.selections.resources.tagged-daily.conditions.string_equals.aws:ResourceTag/backup",
        "tag-value-wildcard",
        "'*' is compared exactly here: '*' is a literal character, not a wildcard, so it matches no tag value AWS "
        "allows; use string_like (a condition) to match by pattern",
    ),
    (
        "tag selection value with a wildcard",
        _set("plans/weekly/selections", {"tags": {"weekly": {"key": "backup", "values": ["week*"]}}}),
        "plans.weekly.selections.tags.weekly.values[0]",
        "tag-value-wildcard",
        "'week*' is compared exactly here",
    ),
    (
        "condition key that is not a resource tag",
        _set(f"{SELECTION}/conditions", {"string_equals": {"backup": "daily"}}),
        "plans.daily.selections.resources.tagged-daily.conditions.string_equals.backup",
        "condition-key",
        "condition key 'backup' is not aws:ResourceTag/<tag key>, the only key backup selections support",
    ),
    (
        "condition key with a wildcard",
        _set(f"{SELECTION}/conditions", {"string_like": {"aws:ResourceTag/backup*": "daily"}}),
        "plans.daily.selections.resources.tagged-daily.conditions.string_like.aws:ResourceTag/backup*",
        "condition-key",
        "'aws:ResourceTag/backup*': a tag key in a condition is exact, '*' is no wildcard there",
    ),
    (
        "tag key over 128 characters",
        _set("plans/weekly/selections", {"tags": {"weekly": {"key": "k" * 129, "values": ["v"]}}}),
        "plans.weekly.selections.tags.weekly.key",
        "tag-key",
        "a tag key is at most 128 characters, got 129",
    ),
    (
        "tag value over 256 characters",
        _set(f"{SELECTION}/conditions", {"string_like": {"aws:ResourceTag/backup": "v" * 257}}),
        "plans.daily.selections.resources.tagged-daily.conditions.string_like.aws:ResourceTag/backup",
        "tag-value",
        "a tag value is at most 256 characters, got 257: it matches no resource",
    ),
    (
        "plan tag with the reserved prefix",
        _set("plans/daily/tags", {"aws:owner": "platform"}),
        "plans.daily.tags.aws:owner",
        "tag-key",
        "tag keys starting with 'aws:' are reserved for AWS",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "rule", "message"), [c[1:] for c in LOADER_CASES], ids=[c[0] for c in LOADER_CASES]
)
def test_loader_reports_at_the_path_in_plain_words(prod_raw, rejected, mutation, path, rule, message):
    mutation(prod_raw)
    found = rejected(prod_raw).findings
    matches = [f for f in found if f.path == path and f.rule == rule]
    assert matches, f"no {rule} at {path}; got: {[str(f) for f in found]}"
    assert matches[0].message.startswith(message), matches[0].message
    assert matches[0].severity == "error"


@pytest.mark.parametrize(
    ("mutation", "path"),
    [
        (_set("vaults/member/lock/min_retention_days", 500), "vaults.member.lock.max_retention_days"),
        (_set("vaults/central/lock", None), "vaults.central.lock"),
        (lambda raw: raw["plans"].update({"Daily": raw["plans"]["daily"]}), "plans.Daily"),
        (_set("organization/dr_regions", ["us-west-9"]), "organization.dr_regions[0]"),
        (_set("targets/organizational_units/0/id", "ou-ab12-1111"), "targets.organizational_units[0].id"),
        (
            _set("organization/workload_regions", ["us-east-1", "eu-west-1", "us-east-1"]),
            "organization.workload_regions[2]",
        ),
    ],
    ids=["lock min above max", "central lock missing", "duplicate plan", "unreal DR Region", "OU id form", "repeat"],
)
def test_one_mistake_gives_one_error_at_the_path_to_change(prod_raw, rejected, mutation, path):
    mutation(prod_raw)
    found = errors(rejected(prod_raw).findings)
    assert [f.path for f in found] == [path], [str(f) for f in found]


def test_region_without_aws_backup_is_refused(prod_raw, rejected, monkeypatch):
    """botocore's endpoint data decides where AWS Backup exists; a Region without an endpoint is refused."""
    monkeypatch.setattr(
        region_rules, "service_regions", lambda service, partition: frozenset({"us-east-1", "eu-west-1"})
    )
    found = rejected(prod_raw).findings
    assert [(f.path, f.rule) for f in found] == [("organization.dr_regions[0]", "region-service")]
    assert found[0].message.startswith("AWS Backup is not available in us-west-2")


def test_botocore_knows_the_regions_of_every_partition():
    regions = region_rules.partition_regions()
    assert {"us-east-1", "eu-west-1", "us-west-2"} <= regions["aws"]
    assert "us-gov-west-1" in regions["aws-us-gov"] and "cn-north-1" in regions["aws-cn"]
    assert "us-east-1" in region_rules.service_regions("backup", "aws")


def test_every_pydantic_message_is_plain(prod_raw, rejected):
    """No regular expression, no Python type name, no 'Input should' reaches a user."""
    bad: list[Mutation] = [
        _set("organization/id", "o-ABC"),
        _set("organization/root_id", "root"),
        _set("organization/member_role_name", "role with spaces"),
        _set("organization/enable_mpa", "maybe"),
        _set("organization/workload_regions", []),
        _set("organization/dr_regions", "us-west-2"),
        _set("targets/accounts", "444444444401"),
        _set("vaults/member/key", {"deletion_window_days": "3 days"}),
        _set("vaults/member/lock", "governance"),
        _set("backup_policies/name_prefix", "bad prefix!"),
        _set("audit/framework_name", "1bad"),
        _set("audit/report_bucket_name", "Bad_Bucket"),
        _set("alerting/topic_name", "bad topic"),
        _set("alerting/event_bus_name", "bad bus!"),
        _set("alerting/subscriptions", [{"protocol": "pager", "endpoint": "x@y.z"}]),
        _set(f"{DAILY}/retention_days", 35.5),
        _set(f"{DAILY}/copies", {"region": "us-west-2"}),
        _set("plans/daily/selections/resources/tagged-daily/resource_types", []),
    ]
    for mutation in bad:
        mutation(prod_raw)
    found = [f for f in rejected(prod_raw).findings if f.rule.startswith("type:")]
    assert len(found) >= len(bad) - 1, [str(f) for f in found]
    for finding in found:
        for jargon in ("Input should", "String should", "pattern", "^", "dict", "instance of", "List should"):
            assert jargon not in finding.message, str(finding)


# ---- against the organization (inventory/prod.yaml, or the listed accounts) -----------------------------------


def _prod_tree() -> OrgTree:
    return OrgTree.from_inventory(load_inventory(PROJECT_DIR / "inventory" / "prod.yaml"), source="inventory/prod.yaml")


def _layout_findings(raw: dict[str, Any], tree: Callable[[Any], OrgTree] | None = None) -> list[Finding]:
    config = load_config(raw).config
    org = tree(config) if tree else _prod_tree()
    try:
        return build_layout(config, org).warnings
    except ConfigError as exc:
        return exc.findings


TREE_CASES: list[tuple[str, Mutation, str, str, str]] = [
    (
        "targeted OU id one digit off",
        _set("targets/organizational_units/0/id", "ou-ab12-11111112"),
        "targets.organizational_units[0].id",
        "unknown-ou",
        "ou-ab12-11111112 is not an OU of the organization (inventory/prod.yaml): did you mean ou-ab12-11111111 (prod)?",
    ),
    (
        "excluded OU unknown",
        _set("targets/exclude_organizational_units", ["ou-ab12-33333343"]),
        "targets.exclude_organizational_units[0]",
        "unknown-ou",
        "ou-ab12-33333343 is not an OU of the organization (inventory/prod.yaml): did you mean ou-ab12-33333333 (sandbox)?",
    ),
    (
        "central vault account outside the organization",
        _set("organization/central_vault_account_id", "999999999999"),
        "organization.central_vault_account_id",
        "unknown-account",
        "999999999999 is not an account of the organization (inventory/prod.yaml)",
    ),
    (
        "backup admin one digit off",
        _set("organization/backup_admin_account_id", "222222222223"),
        "organization.backup_admin_account_id",
        "unknown-account",
        "222222222223 is not an account of the organization (inventory/prod.yaml): did you mean 222222222222 (backup-admin)?",
    ),
    (
        "management account unknown",
        _set("organization/management_account_id", "111111111112"),
        "organization.management_account_id",
        "unknown-account",
        "111111111112 is not an account of the organization (inventory/prod.yaml): did you mean 111111111111 (management)?",
    ),
    (
        "targeted account unknown",
        _set("targets/accounts", ["555555555599"]),
        "targets.accounts[0]",
        "unknown-account",
        "555555555599 is not an account of the organization (inventory/prod.yaml)",
    ),
    (
        "excluded account unknown",
        _set("targets/exclude_accounts", ["444444444460"]),
        "targets.exclude_accounts[0]",
        "unknown-account",
        "444444444460 is not an account of the organization (inventory/prod.yaml): did you mean 444444444406 (prod-legacy)?",
    ),
    (
        "restore testing in a suspended account",
        _set("restore_testing/accounts", ["444444444404"]),
        "restore_testing.accounts[0]",
        "unknown-account",
        "account 444444444404 (prod-retired) is SUSPENDED in inventory/prod.yaml: it cannot hold this role",
    ),
    (
        "policies attached elsewhere to an unknown OU",
        _set("backup_policies/policies_attached_elsewhere", {"ou-ab12-99999999": 2}),
        "backup_policies.policies_attached_elsewhere.ou-ab12-99999999",
        "unknown-ou",
        "ou-ab12-99999999 is not the root, an OU or an account of the organization (inventory/prod.yaml)",
    ),
    (
        "custom policy on an unknown account",
        _set("backup_policies/custom", {"team": {"targets": ["444444444499"], "content": "{}"}}),
        "backup_policies.custom.team.targets[0]",
        "unknown-account",
        "444444444499 is not an account of the organization (inventory/prod.yaml)",
    ),
    (
        "inventory of another organization",
        _set("organization/id", "o-zzzzzzzzzz"),
        "organization.id",
        "organization-mismatch",
        "inventory/prod.yaml describes organization o-a1b2c3d4e5, not o-zzzzzzzzzz",
    ),
    (
        "organization path that skips a parent OU",
        _set("vaults/central/allowed_organization_paths", ["o-a1b2c3d4e5/r-ab12/ou-ab12-55555555/"]),
        "vaults.central.allowed_organization_paths[0]",
        "organization-path-chain",
        "ou-ab12-55555555 is not a child of r-ab12: its full path is "
        "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-55555555/ (an organization path lists every OU from the root)",
    ),
    (
        "organization path with an unknown OU",
        _set("vaults/central/allowed_organization_paths", ["o-a1b2c3d4e5/r-ab12/ou-ab12-11111112/*"]),
        "vaults.central.allowed_organization_paths[0]",
        "unknown-ou",
        "ou-ab12-11111112 is not an OU of the organization (inventory/prod.yaml): did you mean ou-ab12-11111111 (prod)?",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "rule", "message"), [c[1:] for c in TREE_CASES], ids=[c[0] for c in TREE_CASES]
)
def test_every_reference_resolves_in_the_organization(prod_raw, mutation, path, rule, message):
    mutation(prod_raw)
    found = _layout_findings(prod_raw)
    assert [(f.path, f.rule, f.severity) for f in found] == [(path, rule, "error")], [str(f) for f in found]
    assert found[0].message.startswith(message), found[0].message


def test_a_plan_that_reaches_no_account_is_a_warning(prod_raw):
    _set("targets/accounts", ["444444444404"])(prod_raw)
    _set("plans/weekly/targets", ["444444444404"])(prod_raw)
    found = _layout_findings(prod_raw)
    assert {(f.path, f.rule, f.severity) for f in found} == {
        ("plans.weekly.targets", "plan-reaches-nothing", "warning"),
        ("targets.accounts[0]", "target-reaches-nothing", "warning"),
    }


def test_an_empty_targeted_ou_is_a_warning(prod_raw):
    _set("targets/exclude_accounts", [f"55555555550{i}" for i in range(1, 5)])(prod_raw)
    found = _layout_findings(prod_raw)
    assert [(f.path, f.rule, f.severity) for f in found] == [
        ("targets.organizational_units[1].id", "target-reaches-nothing", "warning")
    ]


def test_prod_resolves_without_findings(prod_raw):
    assert _layout_findings(prod_raw) == []


def test_discovered_partial_tree_checks_only_what_it_can_prove(prod_raw):
    """``discover`` at deploy walks only the targets: an account outside them is not proof of a typo."""
    config = load_config(prod_raw).config
    tree = _prod_tree()
    partial = OrgTree(
        root_id=tree.root_id,
        ou_parent=tree.ou_parent,
        ou_names=tree.ou_names,
        accounts={k: v for k, v in tree.accounts.items() if k.startswith(("4", "5"))},
        source="Organizations (the targeted OUs)",
        complete=False,
    )
    assert check_references(config, partial, member_accounts(config, partial)) == []


# ---- accounts.source: listed ----------------------------------------------------------------------------------

LISTED_ORG = [
    {"id": "111111111111", "name": "management", "parent_id": "r-ab12"},
    {"id": "222222222222", "name": "backup-admin", "parent_id": "ou-ab12-44444444"},
    {"id": "333333333333", "name": "backup-central", "parent_id": "ou-ab12-44444444"},
    {"id": "444444444403", "name": "prod-data", "parent_id": "ou-ab12-11111111"},
    {"id": "444444444405", "name": "prod-ledger", "parent_id": "ou-ab12-55555555"},
    {"id": "444444444406", "name": "prod-legacy", "parent_id": "ou-ab12-11111111"},
    {"id": "555555555501", "name": "staging", "parent_id": "ou-ab12-22222222"},
]
LISTED_OUS = [
    {"id": "ou-ab12-44444444", "name": "security", "parent_id": "r-ab12"},
    {"id": "ou-ab12-55555555", "name": "prod-critical", "parent_id": "ou-ab12-11111111"},
    {"id": "ou-ab12-33333333", "name": "sandbox", "parent_id": "r-ab12"},
]


def _listed(accounts: list[dict[str, str]], ous: list[dict[str, str]]) -> Mutation:
    return _set("accounts", {"source": "listed", "listed": accounts, "organizational_units": ous})


def test_listed_accounts_express_nested_ous(prod_raw):
    _listed(LISTED_ORG, LISTED_OUS)(prod_raw)
    config = load_config(prod_raw).config
    tree = OrgTree.from_listed(config)
    members = member_accounts(config, tree)
    assert set({m.id: m.plans for m in members}["444444444405"]) == {"critical-databases", "daily", "monthly", "weekly"}
    assert check_references(config, tree, members) == []


def test_listed_account_under_an_undeclared_nested_ou_is_refused(prod_raw):
    """Before: the account hung off an OU nobody targeted, and silently got no backups."""
    _listed(LISTED_ORG, [ou for ou in LISTED_OUS if ou["name"] != "prod-critical"])(prod_raw)
    found = _layout_findings(prod_raw, OrgTree.from_listed)
    assert [(f.path, f.rule) for f in found] == [("accounts.listed[4].parent_id", "unknown-parent")]
    assert found[0].message.startswith(
        "ou-ab12-55555555 is neither the root nor an OU the stack knows: list it under accounts.organizational_units"
    )


def test_listed_ous_must_reach_the_root(prod_raw):
    ous = [*LISTED_OUS, {"id": "ou-ab12-66666666", "name": "a", "parent_id": "ou-ab12-77777777"}]
    ous.append({"id": "ou-ab12-77777777", "name": "b", "parent_id": "ou-ab12-66666666"})
    _listed(LISTED_ORG, ous)(prod_raw)
    found = _layout_findings(prod_raw, OrgTree.from_listed)
    assert {f.rule for f in found} == {"ou-cycle"}


def test_the_readme_listed_route_for_a_new_account_keeps_every_other_account(prod_raw):
    """README "Add an account" with source: listed, done as a new user reads it: list the new account only.
    Before, the stack then protected that one account and dropped the eight others without a word."""
    _listed([{"id": "444444444499", "name": "new", "parent_id": "ou-ab12-11111111"}], [])(prod_raw)
    found = _layout_findings(prod_raw, OrgTree.from_listed)
    assert errors(found)
    assert ("organization.central_vault_account_id", "unknown-account") in {(f.path, f.rule) for f in found}
    assert all(
        "accounts.listed is the whole organization the stack knows" in f.message
        for f in found
        if f.rule == "unknown-account"
    )


def test_listed_copy_keeps_the_inventory_members(prod_raw):
    """The route done right (every account listed, nested OUs declared) keeps every member of the inventory."""
    inventory = load_inventory(PROJECT_DIR / "inventory" / "prod.yaml")
    accounts = [a.model_dump() for a in inventory.accounts]
    ous = [ou.model_dump() for ou in inventory.organizational_units]
    base = load_config(copy.deepcopy(prod_raw)).config
    before = [m.id for m in member_accounts(base, _prod_tree())]
    _listed(accounts, ous)(prod_raw)
    config = load_config(prod_raw).config
    assert [m.id for m in member_accounts(config, OrgTree.from_listed(config))] == before


TESTED_RULES = {c[3] for c in LOADER_CASES + TREE_CASES} | {
    "region-service",
    "plan-reaches-nothing",
    "target-reaches-nothing",
    "unknown-parent",
    "ou-cycle",
    "tag-characters",
}


def test_unusual_tag_characters_are_a_warning(prod_raw):
    """AWS allows letters, digits, spaces and _ . : / = + - @ generally; some services allow more."""
    _set(f"{SELECTION}/conditions", {"string_equals": {"aws:ResourceTag/backup": "daily!"}})(prod_raw)
    warnings = load_config(prod_raw).warnings
    assert [(w.path, w.rule) for w in warnings] == [
        (
            "plans.daily.selections.resources.tagged-daily.conditions.string_equals.aws:ResourceTag/backup",
            "tag-characters",
        )
    ]
