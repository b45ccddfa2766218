"""Random structural mutations of the valid stack configurations, shared by the loader and program fuzzers.

A mutation starts from the sections of ``Pulumi.prod.yaml`` or ``Pulumi.staging.yaml`` and applies a few
edits at random places: a value of the wrong type, a missing or unknown key, numbers at and past every
bound, empty and huge lists, unicode, case-variant duplicates, shared and self-referencing values (YAML
anchors), deep nesting. ``plausible`` values match the shape the model expects (ids, names, Regions), so
some mutated configurations load and reach the document builders instead of stopping at the first check.

Profiles: ``ci`` (default, ``make test``) is derandomized and keeps no example database, so CI always runs
the same examples; ``fuzz`` (``HYPOTHESIS_PROFILE=fuzz``, ``make fuzz``) draws new examples each run and
remembers failures in ``.hypothesis/``. They are applied per test (``fuzz_settings``), never loaded
globally, so the rest of the suite keeps its own settings.
"""

from __future__ import annotations

import copy
import functools
import os
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from stackconfig.load import read_stack_file, sections_from_pulumi_config

PROJECT_DIR = Path(__file__).resolve().parents[2]
STACKS = ("prod", "staging")
PROFILE = "fuzz" if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else "ci"

_SLOW_DRAWS = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example]
settings.register_profile(
    "ci", derandomize=True, database=None, deadline=None, print_blob=True, suppress_health_check=_SLOW_DRAWS
)
settings.register_profile("fuzz", derandomize=False, deadline=None, print_blob=True, suppress_health_check=_SLOW_DRAWS)


def fuzz_settings(*, ci: int, fuzz: int) -> settings:
    """The active profile with this test's example count (``ci`` under ``make test``, ``fuzz`` under ``make fuzz``)."""
    return settings(settings.get_profile(PROFILE), max_examples=fuzz if PROFILE == "fuzz" else ci)


@functools.cache
def _read_stack(stack: str) -> dict[str, Any]:
    return read_stack_file(PROJECT_DIR / f"Pulumi.{stack}.yaml")


def stack_config(stack: str) -> dict[str, Any]:
    """The ``config:`` mapping of a committed stack file (``aws:region`` and every ``org-backup:`` key), fresh."""
    return copy.deepcopy(_read_stack(stack))


BASE_SECTIONS: dict[str, dict[str, Any]] = {s: sections_from_pulumi_config(stack_config(s)) for s in STACKS}

# --------------------------------------------------------------------------------------------- values

Path_ = tuple[Any, ...]

EDGE_INTS = [
    *(-1, 0, 1, 2, 3, 4, 5, 6, 7, 29, 30, 31, 35, 36, 59, 60, 89, 90, 91, 119, 120, 364, 365, 400),
    *(2559, 2560, 2561, 36499, 36500, 36501, 2**31 - 1, 2**31, 2**63, -(2**63), 10**30, -(10**30), 10**400),
]
EDGE_FLOATS = [0.0, -0.0, 0.5, 1.5, 3.0, 1e3, 1e308, -1e308, float("inf"), float("-inf"), float("nan")]
EDGE_STRINGS = [
    *("", " ", "\n", "\t", "\x00", "\x7f", "\r\n", "no", "on", "off", "yes", "null", "~", "true", "None"),
    *("1e3", "0o17", "0x1F", "017", "2020-01-01", "12:30:00", "*", "?", "**", "{stack}", "{0}", "{", "}", "{{"),
    *("{stack!r}", "{stack:>99999999}", "${x}", "%s", "%n", "../../etc/passwd", "/", ".", "a..b", "a.", "-a"),
    *("o-", "r-", "ou-", "arn:aws:iam::*:role/*", "Default", "DAILY", "daily", "Daily", "daily\n", " daily"),
    *("🚀", "é", "e\u0301", "\u202e", "\ufeff", "İ", "ß", "Ω", "\ud7ff", "日本語", "x" * 64, "x" * 65, "x" * 257),
    *("x" * 5000, "a\nb", "-", "_", "0", "00", "123456789012", "1234567890123", "12345678901", "o-a1b2c3d4e5"),
    *("r-ab12", "ou-ab12-11111111", "ou-ab12-33333333", "us-east-1", "us-west-2", "eu-central-1", "cn-north-1"),
    *("us-gov-west-1", "us-isob-east-1", "cron(0 5 ? * * *)", "cron()", "cron(0 5 * * * *)", "rate(1 day)"),
    *("hourly", "weekly", "monthly", "CSV", "JSON", "governance", "compliance", "GOVERNANCE", "central", "member"),
    *("email", "https", "https://example.com", "a@b", "arn:aws:rds:*:*:db:*", "arn:aws:ec2:*:*:volume/*"),
    *("aws:ResourceTag/backup", "prod", "non-prod", "workloads", "SNAPSHOT", "EBS", "ACTIVE", "SUSPENDED"),
    *("OrganizationAccountAccessRole", "BackupBreakGlass", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*", "o-a1b2c3d4e5/*"),
]

REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-south-1", "us-gov-west-1", "cn-north-1"]
ACCOUNT_IDS = ["111111111111", "222222222222", "333333333333", "444444444401", "555555555501", "700000000011"]


def _names(alphabet: str, max_size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=1, max_size=max_size)


_NAME_CHARS = string.ascii_letters + string.digits + "-_."
_ROLE_CHARS = string.ascii_letters + string.digits + "_+=,.@-"

# Values of the shape a key expects, by the key's name: these get past the type checks to the rules and
# builders behind them (a bucket name that matches the model's pattern but that S3 would refuse, ...).
PLAUSIBLE: dict[str, st.SearchStrategy[Any]] = {
    "id": st.one_of(
        st.from_regex(r"\Ao-[a-z0-9]{10,12}\Z"),
        st.from_regex(r"\Aou-[a-z0-9]{4}-[a-z0-9]{8}\Z"),
        st.from_regex(r"\A\d{12}\Z"),
        st.sampled_from(["o-a1b2c3d4e5", "ou-ab12-11111111", "ou-ab12-99999999", *ACCOUNT_IDS]),
    ),
    "root_id": st.one_of(st.from_regex(r"\Ar-[a-z0-9]{4,6}\Z"), st.just("r-ab12")),
    "name": st.one_of(_names(_NAME_CHARS, 60), st.sampled_from(["prod", "Prod", "org-backup", "Default", "ab"])),
    "parent_id": st.sampled_from(["r-ab12", "r-cd34", "ou-ab12-11111111", "ou-ab12-33333333", "ou-cd34-77777777"]),
    "report_bucket_name": st.from_regex(r"\A[a-z0-9][a-z0-9.-]{1,20}[a-z0-9]\Z"),
    "event_bus_name": st.one_of(_names(string.ascii_letters + string.digits + "_.-", 300), st.just("default")),
    "topic_name": _names(string.ascii_letters + string.digits + "_-", 300),
    "name_prefix": _names(_NAME_CHARS, 70),
    "framework_name": st.from_regex(r"\A[a-zA-Z][a-zA-Z0-9_]{0,10}\Z"),
    "inventory_file": st.one_of(
        st.sampled_from(["inventory/{stack}.yaml", "inventory/prod.yaml", "inventory", "Pulumi.prod.yaml"]),
        st.sampled_from(["{stack}", "{0}", "{}", "{x}", "{stack.x}", "{stack[0]}", "inv\x00.yaml", "/nonexistent"]),
        st.text(max_size=20),
    ),
    "allowed_organization_paths": st.lists(
        st.one_of(
            st.sampled_from(["o-a1b2c3d4e5/*", "o-a1b2c3d4e5/r-ab12/*", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"]),
            st.sampled_from(["o-f6g7h8i9j0/r-cd34/*", "o-zzzzzzzzzz/*", "abc", "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111"]),
            st.from_regex(r"\Ao-[a-z0-9]{10}(/[a-z0-9*?-]{1,8}){0,3}/?\Z"),
            st.text(min_size=3, max_size=30),
        ),
        max_size=4,
    ),
    "break_glass_role_names": st.lists(_names(_ROLE_CHARS, 70), max_size=6),
    "backup_role_name": _names(_ROLE_CHARS, 70),
    "member_role_name": _names(_ROLE_CHARS, 70),
    "management_role_name": st.one_of(st.none(), _names(_ROLE_CHARS, 70)),
    "workload_regions": st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3),
    "dr_regions": st.lists(st.sampled_from(REGIONS), min_size=1, max_size=3),
    "regions": st.lists(st.sampled_from(REGIONS), max_size=3),
    "region": st.sampled_from(REGIONS),
    "home_region": st.sampled_from(REGIONS),
    "partition": st.sampled_from(["aws", "aws-us-gov", "aws-cn"]),
    "mode": st.sampled_from(["governance", "compliance", "direct", "stackset"]),
    "destination": st.sampled_from(["central", "member"]),
    "schedule": st.one_of(
        st.sampled_from(["hourly", "daily", "weekly", "monthly", "cron(0 5 ? * * *)", "cron(0 */2 ? * * *)"]),
        st.sampled_from(["cron(0 5 ? * MON-FRI *)", "cron(61 5 ? * * *)", "cron(0 5 * * * *)", "at(2026)"]),
    ),
    "endpoint": st.sampled_from(["a@example.com", "https://example.com/x", "nobody", "+15555550100", "arn:aws:sqs"]),
    "protocol": st.sampled_from(["email", "email-json", "https", "sqs", "lambda", "sms"]),
    "targets": st.lists(st.sampled_from(["prod", "non-prod", "workloads", "r-ab12", "ou-ab12-11111111", "x"])),
    "accounts": st.lists(st.sampled_from(ACCOUNT_IDS), max_size=3),
    "exclude_accounts": st.lists(st.sampled_from(ACCOUNT_IDS), max_size=3),
    "exclude_organizational_units": st.lists(st.sampled_from(["ou-ab12-11111111", "ou-ab12-55555555"]), max_size=2),
    "resource_types": st.lists(st.sampled_from(["*", "arn:aws:ec2:*:*:volume/*", "arn:aws:rds:*:*:db:*"])),
    "formats": st.lists(st.sampled_from(["CSV", "JSON"]), max_size=2),
    "reports": st.lists(st.sampled_from(["BACKUP_JOB_REPORT", "CONTROL_COMPLIANCE_REPORT", "X"]), max_size=3),
    "resource_type": st.sampled_from(["EBS", "S3", "RDS", "Aurora", "EC2"]),
    "resource_arns": st.lists(st.sampled_from(["*", "arn:aws:ec2:us-east-1:444444444403:volume/vol-1"])),
    "source": st.sampled_from(["inventory", "listed", "discover"]),
    "managed_from": st.sampled_from(["delegated_admin", "management"]),
    "status": st.sampled_from(["ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED"]),
    "algorithm": st.sampled_from(["LATEST_WITHIN_WINDOW", "RANDOM_WITHIN_WINDOW"]),
}
_DAYS = st.one_of(st.sampled_from(EDGE_INTS[:24]), st.integers(-2, 40000), st.none())


def plausible(key: Any, current: Any = None) -> st.SearchStrategy[Any]:
    """A value shaped like what ``key`` holds; for other keys, one of the current value's type."""
    if isinstance(key, str):
        if key in PLAUSIBLE:
            return PLAUSIBLE[key]
        if key.endswith(("_days", "_minutes", "_hours")):
            return _DAYS
        if key.startswith(("enable", "force_", "lock_", "archive", "continuous", "frameworks_")) or key in (
            "enabled",
            "windows_vss",
        ):
            return st.booleans()
    if isinstance(current, bool):
        return st.booleans()
    if isinstance(current, int):
        return st.one_of(st.integers(current - 3, current + 3), st.sampled_from(EDGE_INTS))
    if isinstance(current, str):
        return st.one_of(_names(_NAME_CHARS, 20), st.sampled_from(EDGE_STRINGS), st.text(max_size=10))
    return st.one_of(st.sampled_from(EDGE_INTS), st.sampled_from(EDGE_STRINGS))


def scalars(*, yaml_only: bool) -> st.SearchStrategy[Any]:
    """Leaf values a stack file can hold (``yaml_only``) or that a caller of ``load_config`` might pass."""
    out: list[st.SearchStrategy[Any]] = [
        st.none(),
        st.booleans(),
        st.sampled_from(EDGE_INTS),
        st.integers(),
        st.sampled_from(EDGE_FLOATS),
        st.floats(),
        st.sampled_from(EDGE_STRINGS),
        st.text(max_size=40),
        st.dates(),
        st.datetimes(),
        st.binary(max_size=8),
    ]
    if not yaml_only:
        out.append(st.tuples(st.integers(), st.text(max_size=3)))
    return st.one_of(out)


def odd_values(*, yaml_only: bool) -> st.SearchStrategy[Any]:
    """A wrong-typed value: a scalar of any type, a small list, a small mapping (keys of any YAML type)."""
    leaf = scalars(yaml_only=yaml_only)
    keys = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.dates(), st.floats())
    return st.one_of(
        leaf,
        st.lists(leaf, max_size=4),
        st.dictionaries(keys, leaf, max_size=4),
        st.frozensets(st.integers(0, 9), max_size=3).map(set),
    )


# ------------------------------------------------------------------------------------------- mutations


def paths(root: Any, max_depth: int = 12) -> list[Path_]:
    """Every path into ``root`` (the root itself is ``()``), bounded in depth and safe against cycles."""
    out: list[Path_] = []
    stack: list[tuple[Path_, Any]] = [((), root)]
    seen: set[int] = set()
    while stack:
        path, value = stack.pop()
        out.append(path)
        if id(value) in seen or len(path) >= max_depth:
            continue
        if isinstance(value, dict):
            seen.add(id(value))
            stack.extend(((*path, k), v) for k, v in value.items())
        elif isinstance(value, list):
            seen.add(id(value))
            stack.extend(((*path, i), v) for i, v in enumerate(value))
    return sorted(out, key=repr)


def get_at(root: Any, path: Path_) -> Any:
    for part in path:
        root = root[part]
    return root


def set_at(root: Any, path: Path_, value: Any) -> Any:
    """Put ``value`` at ``path`` and return the (possibly new) root."""
    if not path:
        return value
    get_at(root, path[:-1])[path[-1]] = value
    return root


def delete_at(root: Any, path: Path_) -> Any:
    if path:
        parent = get_at(root, path[:-1])
        del parent[path[-1]]
    return root


def _case_variant(text: str, how: int) -> str:
    variants = [text.upper(), text.title(), text.swapcase(), text.capitalize(), f"{text} ", text.casefold()]
    return variants[how % len(variants)]


Mutation = Callable[[st.DrawFn, Any, Path_], Any]


def _replace(draw: st.DrawFn, root: Any, path: Path_, *, yaml_only: bool) -> Any:
    return set_at(root, path, draw(odd_values(yaml_only=yaml_only)))


def _plausible(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    """A value of the expected shape at a leaf (a mapping or list without a known shape is descended into)."""
    target = get_at(root, path)
    for _ in range(12):  # bounded: an earlier mutation may have made a value contain itself
        if not (isinstance(target, (dict, list)) and target) or (path and path[-1] in PLAUSIBLE):
            break
        path = (*path, draw(st.sampled_from(list(target) if isinstance(target, dict) else range(len(target)))))
        target = get_at(root, path)
    key = next((part for part in reversed(path) if isinstance(part, str)), None)
    value = draw(plausible(key, target))
    if path and isinstance(path[-1], int) and isinstance(value, list):
        value = value[0] if value else None
    return set_at(root, path, value)


def _delete(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    return delete_at(root, path)


def _unknown_key(draw: st.DrawFn, root: Any, path: Path_, *, yaml_only: bool) -> Any:
    target = get_at(root, path)
    if not isinstance(target, dict):
        return root
    key = draw(
        st.one_of(
            st.sampled_from(["nme", "Name", "retention", "lock_mode", "extra", "", " ", "__proto__", "mode "]),
            st.text(max_size=12),
            st.integers(),
            st.booleans(),
            st.none(),
            st.dates(),
        )
    )
    target[key] = draw(odd_values(yaml_only=yaml_only))
    return root


def _case_duplicate(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    target = get_at(root, path)
    how = draw(st.integers(0, 5))
    if isinstance(target, dict):
        names = [k for k in target if isinstance(k, str)]
        if names:
            name = draw(st.sampled_from(names))
            target[_case_variant(name, how)] = copy.deepcopy(target[name])
    elif isinstance(target, list) and target:
        item = copy.deepcopy(draw(st.sampled_from(target)))
        if isinstance(item, dict):
            for field in ("name", "id"):
                if isinstance(item.get(field), str):
                    item[field] = _case_variant(item[field], how)
        elif isinstance(item, str):
            item = _case_variant(item, how)
        target.append(item)
    return root


# One resize copies at most this many values: resizing a mapping and then its parent multiplies (300 plans of
# 300 rules of ...). A seed of the sections fuzzer built 23 GB before the loader ever saw the example.
MAX_RESIZE_VALUES = 20_000


def _values(node: Any, seen: set[int] | None = None) -> int:
    """How many values ``node`` holds, each container once (a shared or self-containing one is not re-walked)."""
    seen = set() if seen is None else seen
    if not isinstance(node, dict | list) or id(node) in seen:
        return 1
    seen.add(id(node))
    children = node.values() if isinstance(node, dict) else node
    return 1 + sum(_values(child, seen) for child in children)


def _resize(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    target = get_at(root, path)
    if isinstance(target, list):
        size = draw(st.sampled_from([0, 0, 2, 5, 6, 11, 50, 400]))
        return set_at(root, path, (target * size)[:size] if target else [None] * size)
    if isinstance(target, dict):
        if draw(st.booleans()) or not target:
            target.clear()
        else:
            names: list[str | None] = [k for k in target if isinstance(k, str)]
            name = draw(st.sampled_from(names or [None]))
            if name is not None:
                # A snapshot: when the value holds ``target`` itself (a recursive anchor), copying it afresh each
                # time would copy every earlier copy too and double the size with each one.
                model = copy.deepcopy(target[name])
                copies = min(draw(st.sampled_from([5, 11, 51, 300])), MAX_RESIZE_VALUES // _values(model))
                for i in range(copies):
                    target[f"{name}{i}"] = copy.deepcopy(model)
    return root


def _nest(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    value = get_at(root, path)
    for _ in range(draw(st.sampled_from([1, 2, 3, 40]))):
        value = [value] if draw(st.booleans()) else {"value": value}
    return set_at(root, path, value)


def _share(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    """The same object in two places (a YAML anchor and alias), or inside itself (a recursive anchor)."""
    if draw(st.booleans()):
        source = draw(st.sampled_from(paths(root)))
        return set_at(root, path, get_at(root, source))
    container: Any = [] if draw(st.booleans()) else {}
    if isinstance(container, list):
        container.append(container)
    else:
        container["self"] = container
    return set_at(root, path, container)


def _merge_key(draw: st.DrawFn, root: Any, path: Path_) -> Any:
    """A YAML merge key (``<<: *anchor``) in a mapping, merging another mapping of the configuration."""
    target = get_at(root, path)
    mappings = [p for p in paths(root) if isinstance(get_at(root, p), dict) and p != path]
    if isinstance(target, dict) and mappings:
        target["<<"] = get_at(root, draw(st.sampled_from(mappings)))
    return root


@st.composite
def mutated(draw: st.DrawFn, base: Any, *, yaml_only: bool, max_mutations: int = 4, structural: bool = True) -> Any:
    """``base`` (deep-copied) after 1..``max_mutations`` random edits at random paths.

    ``structural=False`` favours values of the expected shape and leaves out nesting and anchors, so that
    more of the mutated configurations load and run the whole program.
    """
    root = copy.deepcopy(base)
    ops: list[tuple[int, Mutation]] = [
        (4 if structural else 10, _plausible),
        (3 if structural else 1, lambda d, r, p: _replace(d, r, p, yaml_only=yaml_only)),
        (2 if structural else 1, _delete),
        (2 if structural else 1, lambda d, r, p: _unknown_key(d, r, p, yaml_only=yaml_only)),
        (2, _case_duplicate),
        (1, _resize),
    ]
    if structural:
        ops += [(1, _nest), (1, _share), (1, _merge_key)]
    weighted = [op for weight, op in ops for _ in range(weight)]
    for _ in range(draw(st.integers(1, max_mutations))):
        path = draw(st.sampled_from(paths(root)))
        if path and isinstance(path[0], str) and path[0].startswith("aws:"):
            continue
        root = draw(st.sampled_from(weighted))(draw, root, path)
    return root


# --------------------------------------------------------------------------------- YAML text oddities

ODD_YAML_TOKENS = [
    *("no", "on", "off", "yes", "y", "n", "~", "null", "Null", "NULL", "True", "FALSE", "1e3", "1.0e3", "0o17"),
    *("017", "0x1F", "0b101", "1_000", "+1", "-0", "12:30", "190:20:30", "2001-12-14", "2001-12-14t21:59:43.10-05:00"),
    *(".inf", "-.inf", ".nan", ".NaN", "!!binary aGVsbG8=", "!!set {a, b}", "!!omap [a: 1, b: 2]", "!!pairs [a: 1]"),
    *("!!str 12", "!!int '7'", "!!float '1'", "!!bool yes", "!!null ''", "!!timestamp 2001-12-14", "!!foo bar"),
    *("!!python/name:os.system", "!!python/object/apply:os.system ['true']", "&anchor x", "*undefined"),
    *("[a, b]", "{a: 1}", "{? [a]: 1}", "[1, [2, [3]]]", "'unterminated", '"\\xff"', '"\\ud800"', '"\\0"', "@x", "`x"),
    *("%TAG", "!<tag:yaml.org,2002:str> x", "{a: 1, a: 2}", "[]", "{}", "''", "'123456789012'", "123456789012"),
    *("0123456789012", "1.2.3", "--- x", "... x", "? x", "- - x", "a: b: c", "|", ">", "#comment", "x #c", "{,}"),
    *("[" * 60 + "]" * 60, "[" * 3000 + "]" * 3000, "{a: " * 2000 + "1" + "}" * 2000),
]
PLACEHOLDER = "ODDYAMLTOKEN"


class _Dumper(yaml.SafeDumper):
    """Dumps sets, binary and recursive values as YAML can express them; never sorts keys of mixed types."""


@st.composite
def stack_file_texts(
    draw: st.DrawFn, *, max_mutations: int = 4, structural: bool = True, stacks: tuple[str, ...] = STACKS
) -> tuple[str, str]:
    """(stack, text of a ``Pulumi.<stack>.yaml``): a mutated committed stack with raw YAML oddities spliced in."""
    stack = draw(st.sampled_from(stacks))
    config = draw(mutated(stack_config(stack), yaml_only=True, max_mutations=max_mutations, structural=structural))
    document: Any = {"config": config}
    tokens = draw(st.lists(st.sampled_from(ODD_YAML_TOKENS), max_size=2 if structural else 1))
    for _ in tokens:
        target = draw(st.sampled_from(paths(document)))
        if target and target[0] == "config" and len(target) > 1:
            document = set_at(document, target, PLACEHOLDER)
    try:
        text = yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=draw(st.booleans()))
    except (yaml.YAMLError, RecursionError, TypeError):
        text = yaml.safe_dump({"config": stack_config(stack)}, sort_keys=False)
    for token in tokens:
        text = text.replace(PLACEHOLDER, token, 1)
    return stack, text.replace(PLACEHOLDER, "x")
