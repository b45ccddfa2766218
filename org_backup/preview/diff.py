"""``org-backup preview --base REF``: what a change does, compared with the stack as of a git ref.

The base is exported with ``git archive`` into a temporary directory (nothing in the checkout or in ``.git``
changes) and previewed there by its own code, in a separate process, so that the program and the pack of
that commit judge that commit. Both runs record every registration (``org_backup.preview.offline``); resources are matched
by URN, as Pulumi matches them:

- added / removed: a URN only in the new / only in the base run;
- updated: same URN, different inputs (which ones);
- replaced: a URN that changed while the resource stayed (same type, account, Region and name, another
  parent), or an input that forces replacement changed (``org_backup.preview.replacement``).

Deleting or replacing a resource registered with ``protect`` (vaults, locks, keys, backup policies, the
delegated administrator, the policy type, ...) is a mandatory violation: exit 1, naming what caused it: the
stack-file keys or the inventory entries that changed between the two commits (``org_backup.preview.config_diff``).
"""

from __future__ import annotations

import difflib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from org_backup.preview.config_diff import (
    ConfigChange,
    InventoryChange,
    config_changes,
    inventory_changes,
    read_inventory,
)
from org_backup.preview.model import ConfigPlaces, Preview, _chain, config_path
from org_backup.preview.offline import PROJECT_DIR, RecordedResource, mock_id
from org_backup.preview.replacement import forcing_replacement
from policies.backup_rules.backup_policy.operators import ASSIGN
from policies.backup_rules.findings import Finding

POLICY_TYPE = "aws:organizations/policy:Policy"
# Deleting or replacing a protected resource (vault, lock, key, backup policy ...): mandatory, one rule per action.
PROTECTED_DELETE = "protected-resource-delete"
PROTECTED_REPLACE = "protected-resource-replace"
PROTECTED_RULES = {"delete": PROTECTED_DELETE, "replace": PROTECTED_REPLACE}
_ACTIONS = {rule: action for action, rule in PROTECTED_RULES.items()}
PROTECTED_REMEDIATION = (
    "undo the change named as the cause (a stack-file key or an inventory entry), or make the move deliberate "
    "(README, 'See what a change does before merging it')"
)
# Where a change violation caused only by the inventory file is fixed: the stack-file key naming that file.
INVENTORY_KEY = "accounts.inventory_file"
# Pulumi refuses any deployment that would delete a protected resource, a replacement included, until someone
# unprotects it; then it deletes the vault and what it holds
# (https://www.pulumi.com/docs/iac/concepts/resources/options/protect/).
PROTECTED_IMPACT = "critical"
PROTECTED_DESCRIPTIONS = {
    PROTECTED_DELETE: "This change deletes a resource registered with protect (vault, lock, key, backup policy, "
    "delegated administrator, ...). pulumi up refuses it until the resource is unprotected; unprotected, the "
    "deletion takes its backups or their protection with it.",
    PROTECTED_REPLACE: "This change replaces a resource registered with protect (its URN or an input that forces "
    "replacement changed). A replacement deletes the old resource: pulumi up refuses it until the resource is "
    "unprotected; unprotected, the deletion takes its backups or their protection with it.",
}


class BaseError(Exception):
    """``--base`` names nothing to compare with (an unknown ref, not a git checkout, a stack file outside the
    repository): a mistake in the command, exit 2. The report is still written, with the reason."""


class UnusableBaseError(BaseError):
    """The base exists but cannot be previewed (its configuration is invalid, or its preview fails): the
    current stack is judged on its own, with a note that the change could not be compared. A pull request that
    repairs a broken main must be able to pass."""


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    name: str
    account: str | None
    region: str | None
    protect: bool
    inputs: tuple[str, ...] = ()
    reason: str = ""
    old_urn: str | None = None


@dataclass(frozen=True)
class CoverageChange:
    """An account and Region whose backup plans change."""

    account: str
    region: str
    gains: tuple[str, ...]
    loses: tuple[str, ...]


@dataclass
class PreviewDiff:
    base: str
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    replaced: list[Change] = field(default_factory=list)
    policy_diffs: dict[str, str] = field(default_factory=dict)
    coverage: list[CoverageChange] = field(default_factory=list)
    config_changes: list[ConfigChange] = field(default_factory=list)
    violations: list[Finding] = field(default_factory=list)
    inventory_changes: list[InventoryChange] = field(default_factory=list)
    inventory_file: Path | None = None
    """The current inventory file, when the stack reads one (SARIF points inventory causes at it)."""
    note: str = ""
    """Said with the comparison (a new stack: its file does not exist at the base)."""
    error: str | None = None
    """Why the change could not be compared with the base; nothing else is known then."""
    refused: bool = False
    """``error`` is a mistake in ``--base`` itself (exit 2), not a base that cannot be previewed."""

    @property
    def exit_code(self) -> int:
        if self.refused:
            return 2
        return 1 if self.violations else 0

    @property
    def changed(self) -> list[str]:
        """What changed in the configuration: stack-file keys, then inventory entries."""
        return [str(c) for c in self.config_changes] + [str(c) for c in self.inventory_changes]

    def to_json(self) -> dict[str, Any]:
        """The report's ``changes`` member; only ``base`` and ``error`` when the base could not be compared."""
        if self.error is not None:
            return {"base": self.base, "error": self.error}
        return {
            **{kind: [asdict(c) for c in getattr(self, kind)] for kind in ("added", "removed", "updated", "replaced")},
            "base": self.base,
            **({"note": self.note} if self.note else {}),
            "backup_policy_diffs": self.policy_diffs,
            "coverage": [asdict(c) for c in self.coverage],
            "config_changes": self.changed,
            "violations": [protected_change_json(v) for v in self.violations],
        }


# --- the base run ----------------------------------------------------------------------------------------


def _git(args: list[str], cwd: Path, *, binary: bool = False) -> Any:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=not binary, check=False)
    if result.returncode != 0:
        err = result.stderr if isinstance(result.stderr, str) else result.stderr.decode(errors="replace")
        raise BaseError(f"git {' '.join(args)}: {err.strip()}")
    return result.stdout


def export_ref(ref: str, project_dir: Path, into: Path) -> None:
    """The project directory as of ``ref``, written under ``into`` (``git archive``: read-only for the repo)."""
    prefix = _git(["rev-parse", "--show-prefix"], project_dir).strip()
    try:
        commit = _git(["rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}"], project_dir).strip()
    except BaseError as exc:
        raise BaseError(f"{ref!r} is not a commit of this repository (a branch, tag or commit id; {exc})") from None
    archive = _git(["archive", "--format=tar", f"{commit}:{prefix}" if prefix else commit], project_dir, binary=True)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def base_report(
    ref: str,
    stack: str,
    config_file: Path | None,
    project_dir: Path = PROJECT_DIR,
    inventory_file: Path | None = None,
) -> dict[str, Any]:
    """The base's own offline preview, as JSON, plus its stack file's config (``_config``) and the inventory
    file at ``inventory_file``'s place, when it exists there (``_inventory``).

    A stack file that does not exist at the base is a new stack: the base is empty (``_new``), and everything
    the stack registers is added.
    """
    with tempfile.TemporaryDirectory(prefix="org-backup-base-") as tmp:
        root = Path(tmp)
        export_ref(ref, project_dir, root)
        stack_path = Path(f"Pulumi.{stack}.yaml")
        if config_file is not None:
            try:
                stack_path = config_file.resolve().relative_to(project_dir.resolve())
            except ValueError:
                raise BaseError(f"{config_file} is outside the repository: no version of it exists at {ref}") from None
        if not (root / stack_path).is_file():
            return {"resources": [], "backup_policies": [], "_config": {}, "_inventory": None, "_new": str(stack_path)}
        # Commits older than the `org-backup` command ran their preview as `python -m tools.preview`.
        command = ["org_backup", "preview"] if (root / "org_backup" / "__main__.py").is_file() else ["tools.preview"]
        argv = [sys.executable, "-m", *command, "--stack", stack, "--config", str(root / stack_path)]
        env = {**os.environ, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [*argv, "--format", "json"], cwd=root, env=env, capture_output=True, text=True, check=False
        )
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:
            raise UnusableBaseError(f"the preview at {ref} failed: {done.stderr.strip()[-2000:]}") from None
        if report.get("config_errors"):
            errors = "; ".join(f"{e['path']}: {e['message']}" for e in report["config_errors"])
            raise UnusableBaseError(f"the configuration at {ref} is invalid: {errors}")
        raw = yaml.safe_load((root / stack_path).read_text(encoding="utf-8")) or {}
        report["_config"] = raw.get("config") or {}
        inside = _inside(inventory_file, project_dir)
        report["_inventory"] = read_inventory(root / inside) if inside is not None else None
        return dict(report)


def _inside(path: Path | None, project_dir: Path) -> Path | None:
    """``path`` relative to the project; None when there is none or it lies outside (no version at the base)."""
    if path is None:
        return None
    try:
        return path.resolve().relative_to(project_dir.resolve())
    except ValueError:
        return None


# --- comparing -------------------------------------------------------------------------------------------


def _recorded(row: Mapping[str, Any]) -> RecordedResource:
    names = {f.name for f in fields(RecordedResource)}
    return RecordedResource(**{k: v for k, v in row.items() if k in names})


def _changed_inputs(old: Mapping[str, Any], new: Mapping[str, Any]) -> set[str]:
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def _coverage(policies: Iterable[Mapping[str, Any]]) -> set[tuple[str, str, str]]:
    """(account, Region, plan) for every plan a backup policy carries to an account it reaches."""
    out: set[tuple[str, str, str]] = set()
    for policy in policies:
        try:
            plans = json.loads(policy["content"]).get("plans", {})
        except (TypeError, ValueError, AttributeError):
            continue
        for plan, body in plans.items():
            regions = (body.get("regions") or {}).get(ASSIGN) or [] if isinstance(body, dict) else []
            out |= {(a, r, plan) for a in policy.get("reaches", []) for r in regions}
    return out


def coverage_changes(old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]]) -> list[CoverageChange]:
    before, after = _coverage(old), _coverage(new)
    places = sorted({(a, r) for a, r, _ in before ^ after})
    return [
        CoverageChange(
            a,
            r,
            tuple(sorted(p for x, y, p in after - before if (x, y) == (a, r))),
            tuple(sorted(p for x, y, p in before - after if (x, y) == (a, r))),
        )
        for a, r in places
    ]


def policy_diffs(
    old: Iterable[Mapping[str, Any]], new: Iterable[Mapping[str, Any]], renamed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Per backup policy whose content changed (or that appears or goes): a unified diff of its JSON.

    ``renamed`` maps a base policy's name to the name it has now (a Pulumi alias: the same policy, renamed in
    place); its content is compared with the renamed policy's, not shown as gone and new.
    """

    def pretty(content: str | None) -> list[str]:
        if content is None:
            return []
        try:
            return json.dumps(json.loads(content), indent=2, sort_keys=True).splitlines(keepends=True)
        except ValueError:
            return content.splitlines(keepends=True)

    renames = {old_name: new_name for old_name, new_name in (renamed or {}).items() if old_name != new_name}
    before = {renames.get(p["name"], p["name"]): (p["name"], p.get("content")) for p in old}
    after = {p["name"]: p.get("content") for p in new}
    out = {}
    for name in sorted(set(before) | set(after)):
        was, content = before.get(name, (name, None))
        if content != after.get(name) or was != name:
            lines = difflib.unified_diff(pretty(content), pretty(after.get(name)), f"base/{was}", f"new/{name}", n=2)
            out[name] = "".join(lines) or f"renamed from {was}, content unchanged\n"
    return out


def _change(r: RecordedResource, **extra: Any) -> Change:
    return Change(r.urn, r.type, r.name, r.account, r.region, r.protect, **extra)


def _same_resource(old: RecordedResource, new: RecordedResource) -> bool:
    return (old.type, old.name, old.account, old.region) == (new.type, new.name, new.account, new.region)


def _renamed(
    old: Mapping[str, RecordedResource], new: Mapping[str, RecordedResource]
) -> tuple[dict[str, str], dict[str, str]]:
    """Resources Pulumi follows through an alias: new URN -> the base URN it declares as an alias (a base URN
    no new resource has, each claimed once), and each such resource's mock id in the base -> its new one.

    Renamed, a resource keeps its cloud id; the mocks derive ids from names (``mock_id``), so inputs holding
    the old id (an attachment's ``policyId``) are read with the new one.
    """
    renamed: dict[str, str] = {}
    for urn in sorted(set(new) - set(old)):
        alias = next((a for a in new[urn].aliases if a in old and a not in new and a not in renamed.values()), None)
        if alias is not None:
            renamed[urn] = alias
    return renamed, {mock_id(old[o].name): mock_id(new[n].name) for n, o in renamed.items()}


def _with_ids(value: Any, ids: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, Mapping):
        return {k: _with_ids(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_ids(v, ids) for v in value]
    return value


def compare(
    preview: Preview,
    base: Mapping[str, Any],
    new_config: Mapping[str, Any],
    ref: str,
    backup_role_name: str = "",
    new_inventory: Mapping[str, Any] | None = None,
) -> PreviewDiff:
    """What changes from ``base`` (a JSON report with ``_config`` and ``_inventory``) to ``preview``."""
    old_all = {r["urn"]: _recorded(r) for r in base.get("resources", [])}
    new_all = preview.run.by_urn()
    old = {u: r for u, r in old_all.items() if r.custom}
    new = {u: r for u, r in new_all.items() if r.custom}
    diff = PreviewDiff(
        base=ref,
        config_changes=config_changes(base.get("_config") or {}, new_config),
        inventory_changes=inventory_changes(base.get("_inventory"), new_inventory),
    )
    renamed, ids = _renamed(old, new)
    gone = [old[u] for u in sorted(set(old) - set(new) - set(renamed.values()))]
    fresh = [new[u] for u in sorted(set(new) - set(old) - set(renamed))]
    for r in gone:
        twin = next((n for n in fresh if _same_resource(r, n)), None)
        if twin is not None:
            fresh.remove(twin)
            diff.replaced.append(_change(twin, reason="its URN changed (another parent)", old_urn=r.urn))
        else:
            diff.removed.append(_change(r))
    diff.added = [_change(r) for r in fresh]
    for urn in sorted(set(old) & set(new) | set(renamed)):
        before = old[renamed.get(urn, urn)]
        changed = _changed_inputs(_with_ids(before.inputs, ids), new[urn].inputs)
        if not changed:
            continue
        moved = {"old_urn": before.urn} if before.urn != urn else {}
        forcing = forcing_replacement(new[urn].type, changed)
        if forcing:
            reason = f"{', '.join(forcing)} changed, which forces replacement"
            diff.replaced.append(_change(new[urn], inputs=tuple(sorted(changed)), reason=reason, **moved))
        else:
            diff.updated.append(_change(new[urn], inputs=tuple(sorted(changed)), **moved))
    new_policies = [{"name": p.name, "content": p.content, "reaches": list(p.reaches)} for p in preview.backup_policies]
    policy_renames = {
        str(old[renamed[urn]].inputs.get("name")): str(new[urn].inputs.get("name"))
        for urn in renamed
        if new[urn].type == POLICY_TYPE
    }
    diff.policy_diffs = policy_diffs(base.get("backup_policies", []), new_policies, policy_renames)
    diff.coverage = coverage_changes(base.get("backup_policies", []), new_policies)
    places = ConfigPlaces({p.name: p.config_path for p in preview.backup_policies}, backup_role_name)
    diff.violations = _protected(diff, old_all, new_all, places)
    return diff


def protected_change_json(finding: Finding) -> dict[str, Any]:
    """The ``changes.violations`` entry: the URN, the action, why, and the stack-file keys that caused it."""
    return {
        "urn": finding.resource,
        "action": _ACTIONS[finding.rule],
        "message": finding.message,
        "config_changes": list(finding.value),
    }


def _within(a: str, b: str) -> bool:
    """``a`` is the key ``b`` or lies under it (``plans.weekly.rules`` is within ``plans.weekly``, not
    within ``plans.week``)."""
    return a == b or a.startswith((f"{b}.", f"{b}["))


def _causes(diff: PreviewDiff, section: str, account: str | None) -> tuple[list[ConfigChange], list[InventoryChange]]:
    """The config changes under (or above) the resource's section and the inventory changes of its account;
    when none relates, every change (the link is then not known)."""
    keys = [
        c for c in diff.config_changes if section and any(_within(k, section) or _within(section, k) for k in c.keys)
    ]
    moves = [c for c in diff.inventory_changes if account in c.accounts]
    if keys or moves:
        return keys, moves
    return list(diff.config_changes), list(diff.inventory_changes)


def _protected(
    diff: PreviewDiff,
    old_all: Mapping[str, RecordedResource],
    new_all: Mapping[str, RecordedResource],
    places: ConfigPlaces,
) -> list[Finding]:
    """One finding per protected resource deleted or replaced. Its ``path`` is the changed key that causes it
    when one is known (else the section the resource comes from); ``value`` every cause, as reported."""
    out = []
    cases = [(c, "delete", old_all) for c in diff.removed] + [(c, "replace", new_all) for c in diff.replaced]
    for change, action, run in cases:
        resource = run.get(change.urn)
        before = old_all.get(change.old_urn or change.urn)
        if resource is None or not (change.protect or (before is not None and before.protect)):
            continue
        section = config_path(_chain(resource, run), None, "", places) or ""
        keys, moves = _causes(diff, section, change.account)
        why = f" ({change.reason})" if change.reason else ""
        where = ", ".join(x for x in (change.account, change.region) if x)
        said = [f"the config change of {', '.join(map(str, keys))}"] if keys else []
        said += [str(m) for m in moves]
        cause = (
            f"caused by {'; '.join(said)}"
            if said
            else "neither a stack-file key nor the inventory changed: the code or a dependency did"
        )
        out.append(
            Finding(
                keys[0].current_key if keys else INVENTORY_KEY if moves else section,
                tuple(str(c) for c in [*keys, *moves]),
                PROTECTED_RULES[action],
                f"this change would {action} the protected {change.type} {change.name}"
                + (f" in {where}" if where else "")
                + f"{why}; {cause}",
                remediation=PROTECTED_REMEDIATION,
                account=change.account,
                region=change.region,
                resource=change.urn,
                impact=PROTECTED_IMPACT,
            )
        )
    return out


# --- the hook in org_backup.preview.command ---------------------------------------------------------------


def changes_since(preview: Preview, ref: str) -> PreviewDiff:
    """What the change does since ``ref``. Never raises for a base that cannot be compared: the diff then
    carries the ``error`` (``refused`` when ``--base`` itself is wrong), and the report says it."""
    from deployment.load import load_config
    from stackconfig.inventory import inventory_path
    from stackconfig.load import read_stack_file, sections_from_pulumi_config

    config = load_config(sections_from_pulumi_config(read_stack_file(preview.config_file))).config
    inventory = None if config.accounts.source == "listed" else inventory_path(config, preview.stack, PROJECT_DIR)
    default = (PROJECT_DIR / f"Pulumi.{preview.stack}.yaml").resolve()
    given = None if preview.config_file.resolve() == default else preview.config_file
    try:
        base = base_report(ref, preview.stack, given, inventory_file=inventory)
    except UnusableBaseError as exc:
        return PreviewDiff(base=ref, error=str(exc))
    except BaseError as exc:
        return PreviewDiff(base=ref, error=str(exc), refused=True)
    new_config = yaml.safe_load(preview.config_file.read_text(encoding="utf-8")).get("config") or {}
    current = read_inventory(inventory) if inventory is not None else None
    diff = compare(preview, base, new_config, ref, config.vaults.backup_role_name, current)
    diff.inventory_file = inventory if current is not None else None
    if base.get("_new"):
        diff.note = f"{base['_new']} does not exist at {ref}: a new stack, compared with an empty one"
    return diff
