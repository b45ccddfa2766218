"""The offline preview as text (a terminal), Markdown (a pull-request comment) and JSON (other tools).

SARIF lives in ``org_backup.preview.sarif``. No format prints the raw configuration: only resource inputs, which is
what ``pulumi preview`` shows too.

With ``--base`` every format also says what the change does (``org_backup.preview.diff``), first, and gives one
verdict: the change's violations (a protected resource deleted or replaced) count with the pack's.
"""

from __future__ import annotations

import json
import textwrap
from collections import Counter, defaultdict
from dataclasses import replace
from typing import Any

from org_backup.preview import access_report
from org_backup.preview.diff import Change, PreviewDiff
from org_backup.preview.model import ConfigProblem, Preview, display_path
from org_backup.tables import markdown_cell, markdown_table
from policies.backup_rules.findings import IMPACTS, Finding, impact_rank
from policies.backup_rules.limits import MAX_BACKUP_POLICY_CHARS

DETAILS_AFTER_ROWS = 10
NBSP = "\u00a0"


def short_type(type_token: str) -> str:
    """``aws:backup/vault:Vault`` -> ``backup.Vault``: enough to tell resources apart in a summary."""
    parts = type_token.split(":")
    if len(parts) != 3:
        return type_token
    return f"{parts[1].split('/')[0]}.{parts[2]}"


def deployment(preview: Preview) -> dict[tuple[str | None, str | None], Counter[str]]:
    """Cloud resources counted by type, per (account, Region)."""
    out: dict[tuple[str | None, str | None], Counter[str]] = defaultdict(Counter)
    for r in preview.deployed:
        out[(r.account, r.region)][r.type] += 1
    return dict(sorted(out.items(), key=lambda item: (item[0][0] is None, item[0][0] or "", item[0][1] or "")))


def _wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text, width=116, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False, break_long_words=False
    )


def _wrap_items(items: list[str], head: str) -> list[str]:
    """Comma-separated items wrapped between items, never inside one (ARNs and names stay whole)."""
    text = ", ".join(item.replace(" ", NBSP) for item in items)
    return [line.replace(NBSP, " ") for line in _wrap(text, head, " " * len(head))]


def registrations(preview: Preview) -> str:
    """Everything the program registers, split the way the two counts of a report differ: the policies see all
    registrations, "What would be deployed" counts only the cloud resources."""
    total = len(preview.run.resources)
    providers = sum(r.type.startswith("pulumi:providers:") for r in preview.run.resources)
    components = sum(not r.custom for r in preview.run.resources)
    return (
        f"{total} registrations ({len(preview.deployed)} cloud resources, {components} components, "
        f"{providers} providers)"
    )


def judged(preview: Preview, changes: PreviewDiff | None) -> Preview:
    """The preview with the change's violations first among its own, so that every count and verdict has them."""
    if changes is None or not changes.violations:
        return preview
    return replace(preview, violations=[*changes.violations, *preview.violations])


def exit_code(preview: Preview, changes: PreviewDiff | None) -> int:
    """The command's one verdict: the pack's and the change's violations, and a ``--base`` that names nothing."""
    return max(judged(preview, changes).exit_code, changes.exit_code if changes is not None else 0)


def _summary_line(preview: Preview, changes: PreviewDiff | None = None) -> str:
    code = exit_code(preview, changes)
    preview = judged(preview, changes)
    mandatory = sum(v.mandatory for v in preview.violations)
    advisory = len(preview.violations) - mandatory
    verdict = "FAIL" if code else "PASS"
    of_change = f" ({len(changes.violations)} from the change)" if changes is not None and changes.violations else ""
    return (
        f"{verdict} (exit {code}): {mandatory} mandatory{of_change} and {advisory} advisory violation(s); "
        f"{len(preview.evaluation.rules)} policies on {registrations(preview)}; "
        f"policy evaluation {preview.evaluation.seconds:.2f} s, total {preview.wall_s:.2f} s"
    )


def _where(preview: Preview, v: Finding) -> str:
    if v.urn is None:
        return "the whole stack"
    place = ", ".join(x for x in (preview.label(v.account) if v.account else None, v.region) if x)
    return f"{short_type(v.resource_type or '')} {v.resource_name}" + (f" in {place}" if place else "")


def _finding_line(f: Finding) -> str:
    return f"{f.path}: {f.message} [{f.rule}]"


def _violation_lines(preview: Preview, found: list[Finding], indent: str = "  ") -> list[str]:
    """By impact, then rule: the rule's fix once, then each resource, its message and the key to change."""
    lines: list[str] = []
    for impact in IMPACTS:
        by_policy: dict[tuple[str, str], list[Finding]] = {}
        for v in found:
            if v.impact == impact:
                by_policy.setdefault((v.rule, v.enforcement), []).append(v)
        if by_policy:
            lines.append(f"{indent}{impact.upper()}")
        for (policy, enforcement), rows in by_policy.items():
            lines.append(f"{indent}  {policy} [{enforcement}] ({len(rows)})")
            if rows[0].remediation:
                lines += _wrap(f"fix: {rows[0].remediation}", f"{indent}    ", f"{indent}         ")
            for v in rows:
                lines.append(f"{indent}    - {_where(preview, v)}")
                lines += _wrap(v.message, f"{indent}      ", f"{indent}      ")
                lines.append(f"{indent}      config: {v.path or '(no single key)'}")
    return lines


CHANGE_KINDS = (("replaced", "+-"), ("removed", "- "), ("added", "+ "), ("updated", "~ "))


def _change_line(preview: Preview, c: Change) -> str:
    """A resource the change touches, shown as the other sections show resources (type, name, account, Region)."""
    where = ", ".join(x for x in (preview.label(c.account) if c.account else None, c.region) if x)
    text = f"{short_type(c.type)} {c.name}" + (f" in {where}" if where else "") + (" (protected)" if c.protect else "")
    if c.inputs:
        text += f": {', '.join(c.inputs)}"
    if c.reason:
        text += f" ({c.reason})"
    return text


def _counts(changes: PreviewDiff) -> str:
    return ", ".join(f"{len(getattr(changes, k))} {k}" for k in ("added", "removed", "updated", "replaced"))


def change_text(preview: Preview, changes: PreviewDiff) -> list[str]:
    if changes.error is not None:
        return [
            f"What this change does: not known (could not compare with {changes.base})",
            *_wrap(changes.error, "  ", "  "),
            "  The stack is judged below on its own.",
            "",
        ]
    lines = [f"What this change does (compared with {changes.base}): {_counts(changes)}"]
    lines += _wrap(changes.note, "  ", "  ") if changes.note else []
    if changes.changed:
        lines.append("  Configuration changed:")
        lines += [f"    {c}" for c in changes.changed]
    if changes.violations:
        lines.append(f"  Violations of the change ({len(changes.violations)})")
        lines += _violation_lines(preview, changes.violations, "    ")
    for kind, mark in CHANGE_KINDS:
        lines += [f"  {mark} {_change_line(preview, c)}" for c in getattr(changes, kind)]
    for c in changes.coverage:
        parts = ([f"gains {', '.join(c.gains)}"] if c.gains else []) + (
            [f"loses {', '.join(c.loses)}"] if c.loses else []
        )
        lines.append(f"  plans: {preview.label(c.account)} {c.region} {'; '.join(parts)}")
    for name, text in changes.policy_diffs.items():
        lines.append(f"  backup policy {name}:")
        lines += [f"    {line}" for line in text.splitlines()]
    return [*lines, ""]


def render_text(preview: Preview, changes: PreviewDiff | None = None) -> str:
    lines = [
        f"org-backup offline preview: stack {preview.stack} ({display_path(preview.config_file)})",
        "The program ran under Pulumi's mock engine (no cloud credentials) and the policy pack judged what it "
        "registered.",
        "",
        *(change_text(preview, changes) if changes is not None else []),
        f"Configuration warnings ({len(preview.warnings)})",
    ]
    lines += [f"  ! {_finding_line(f)}" for f in preview.warnings] or ["  (none)"]
    groups = deployment(preview)
    accounts = {account for account, _ in groups}
    lines += ["", f"What would be deployed: {len(preview.deployed)} cloud resources in {len(accounts)} account(s)"]
    current: str | None = "-"
    for (account, region), counts in groups.items():
        if account != current:
            lines.append(f"  {preview.label(account)}")
            current = account
        head = f"    {region or '(no Region)':<15}{sum(counts.values()):>4}  "
        lines += _wrap_items([f"{n} {short_type(t)}" for t, n in sorted(counts.items())], head)
    lines += [
        "",
        f"Backup policies ({len(preview.backup_policies)}, at most {MAX_BACKUP_POLICY_CHARS:,} characters each)",
    ]
    for p in preview.backup_policies:
        lines.append(
            f"  {p.name}  {p.size:,} characters ({p.size * 100 // MAX_BACKUP_POLICY_CHARS}%)  plans: {', '.join(p.plans)}"
        )
        targets = [preview.label(t) for t in p.targets] or ["nothing"]
        lines += _wrap_items(targets, "    attached to ")
        lines.append(f"    reaches {len(p.reaches)} account(s); config: {p.config_path}")
    locks = preview.compliance_locks
    lines += ["", f"Compliance-mode Vault Locks ({len(locks)}): irreversible after their grace period"]
    lines += [
        f"  ! {lock.vault} in {lock.where}: can be removed only until {lock.irreversible_from.isoformat()} "
        f"({lock.changeable_for_days} days after creation); after that nobody can shorten retention or delete it"
        for lock in locks
    ] or ["  (none)"]
    lines += access_report.text_section(preview.access) if preview.access else []
    lines += ["", f"Policy violations ({len(preview.violations)})"]
    if not preview.violations:
        lines.append("  (none)")
    lines += _violation_lines(preview, preview.violations)
    lines += ["", _summary_line(preview, changes)]
    return "\n".join(lines) + "\n"


def _collapsible(summary: str, body: list[str], rows: int) -> list[str]:
    if rows <= DETAILS_AFTER_ROWS:
        return [f"**{summary}**", "", *body]
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>"]


def _violations_by_rule(preview: Preview, found: list[Finding]) -> list[str]:
    """Expanded (never folded away: they are what blocks the change), one section per rule, most severe first;
    the rule's remediation is said once, above the rows it applies to."""
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for v in found:
        by_rule[v.rule].append(v)
    out: list[str] = []
    for rule, rows in sorted(by_rule.items(), key=lambda item: (impact_rank(item[1][0].impact), item[0])):
        first = rows[0]
        out += [f"**`{rule}`** ({first.impact}, {len(rows)}): {markdown_cell(first.remediation)}", ""]
        out += markdown_table(
            ["Resource", "Config", "Message"],
            [[_where(preview, v), f"`{v.path}`" if v.path else "", v.message] for v in rows],
        )
        out.append("")
    return out


def change_markdown(preview: Preview, changes: PreviewDiff) -> list[str]:
    """The pull-request comment's first section: violations expanded, one fix per rule, then the resources."""
    if changes.error is not None:
        return [
            f"### :warning: What this change does: not compared with `{changes.base}`",
            "",
            "```",
            changes.error,
            "```",
            "",
            "The stack is judged below on its own.",
            "",
        ]
    mark = ":x:" if changes.violations else ":arrows_counterclockwise:"
    lines = [f"### {mark} What this change does (compared with `{changes.base}`)", "", f"{_counts(changes)}.", ""]
    lines += [f"_{markdown_cell(changes.note)}_", ""] if changes.note else []
    if changes.violations:
        lines += [f"#### Protected resources deleted or replaced ({len(changes.violations)})", ""]
        lines += _violations_by_rule(preview, changes.violations)
    if changes.changed:
        lines += ["Configuration changed: " + ", ".join(f"`{markdown_cell(c)}`" for c in changes.changed), ""]
    for kind, _ in CHANGE_KINDS:
        found = getattr(changes, kind)
        if found:
            lines += [f"**{kind.capitalize()} ({len(found)})**", ""]
            lines += [f"- {markdown_cell(_change_line(preview, c))}" for c in found] + [""]
    if changes.coverage:
        lines += ["**Accounts and Regions whose plans change**", ""]
        lines += markdown_table(
            ["Account", "Region", "Gains", "Loses"],
            [[preview.label(c.account), c.region, ", ".join(c.gains), ", ".join(c.loses)] for c in changes.coverage],
        )
        lines.append("")
    for name, text in changes.policy_diffs.items():
        lines += [
            f"<details><summary>Backup policy <code>{name}</code></summary>",
            "",
            "```diff",
            text.rstrip(),
            "```",
            "",
            "</details>",
            "",
        ]
    return lines


def render_markdown(preview: Preview, changes: PreviewDiff | None = None) -> str:
    mark = ":x:" if exit_code(preview, changes) else ":white_check_mark:"
    lines = [
        f"## {mark} org-backup offline preview: `{preview.stack}`",
        "",
        f"{_summary_line(preview, changes)}.",
        "",
        "_Run under Pulumi's mock engine: no cloud credentials, same program and policy pack as "
        "`pulumi preview --policy-pack policies`._",
        "",
        *(change_markdown(preview, changes) if changes is not None else []),
        "### Policy violations",
        "",
    ]
    if not preview.violations:
        lines.append("None.")
    for enforcement in ("mandatory", "advisory"):
        found = [v for v in preview.violations if v.enforcement == enforcement]
        if found:
            lines += [f"#### {enforcement.capitalize()} ({len(found)})", "", *_violations_by_rule(preview, found)]
    locks = preview.compliance_locks
    lines += ["", f"### :warning: Compliance-mode Vault Locks ({len(locks)})", ""]
    lines += (
        markdown_table(
            ["Vault", "Where", "Grace (days)", "Irreversible from"],
            [
                [f"`{lock.vault}`", lock.where, str(lock.changeable_for_days), lock.irreversible_from.isoformat()]
                for lock in locks
            ],
        )
        if locks
        else ["None."]
    )
    lines += access_report.markdown_section(preview.access) if preview.access else []
    lines += ["", "### Backup policies", ""]
    rows = [
        [
            f"`{p.name}`",
            f"{p.size:,} / {MAX_BACKUP_POLICY_CHARS:,} ({p.size * 100 // MAX_BACKUP_POLICY_CHARS}%)",
            ", ".join(p.plans),
            ", ".join(preview.label(t) for t in p.targets),
            str(len(p.reaches)),
        ]
        for p in preview.backup_policies
    ]
    lines += markdown_table(["Policy", "Characters", "Plans", "Attached to", "Accounts reached"], rows)
    groups = deployment(preview)
    rows = [
        [
            preview.label(account),
            region or "",
            str(sum(c.values())),
            ", ".join(f"{n} {short_type(t)}" for t, n in sorted(c.items())),
        ]
        for (account, region), c in groups.items()
    ]
    summary = (
        f"What would be deployed: {len(preview.deployed)} cloud resources in {len({a for a, _ in groups})} account(s)"
    )
    lines += ["", *_collapsible(summary, markdown_table(["Account", "Region", "Resources", "Types"], rows), len(rows))]
    lines += ["", f"### Configuration warnings ({len(preview.warnings)})", ""]
    lines += [f"- `{f.path}`: {markdown_cell(f.message)} (`{f.rule}`)" for f in preview.warnings] or ["None."]
    return "\n".join(lines) + "\n"


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"path": f.path, "value": f.value, "rule": f.rule, "message": f.message, "severity": f.severity}


def violation_json(v: Finding) -> dict[str, Any]:
    """A pack result under the keys the preview's JSON has always had (README, "JSON"): ``policy`` is the rule,
    ``severity`` its impact, ``config_path`` the finding's path."""
    return {
        "policy": v.rule,
        "enforcement": v.enforcement,
        "severity": v.impact,
        "urn": v.urn,
        "resource_type": v.resource_type,
        "resource_name": v.resource_name,
        "account": v.account,
        "region": v.region,
        "message": v.message,
        "remediation": v.remediation,
        "config_path": v.path or None,
    }


def to_json(preview: Preview, changes: PreviewDiff | None = None) -> dict[str, Any]:
    """The report; with ``changes``, their violations are in ``violations`` and every count too."""
    code = exit_code(preview, changes)
    preview = judged(preview, changes)
    counts = preview.counts()
    by_severity = {s: sum(counts[e].get(s, 0) for e in counts) for s in IMPACTS}
    return {
        "stack": preview.stack,
        "config_file": display_path(preview.config_file),
        "exit_code": code,
        **({"changes": changes.to_json()} if changes is not None else {}),
        "compliance_locks": [
            {
                "vault": lock.vault,
                "where": lock.where,
                "changeable_for_days": lock.changeable_for_days,
                "irreversible_from": lock.irreversible_from.isoformat(),
            }
            for lock in preview.compliance_locks
        ],
        "resources": [
            {
                "type": r.type,
                "name": r.name,
                "urn": r.urn,
                "parent_urn": r.parent_urn,
                "provider_urn": r.provider_urn,
                "custom": r.custom,
                "account": r.account,
                "region": r.region,
                "inputs": r.inputs,
                "outputs": r.outputs,
                "protect": r.protect,
                "retain_on_delete": r.retain_on_delete,
                "ignore_changes": r.ignore_changes,
                "dependencies": sorted(r.dependencies),
                "property_dependencies": {k: sorted(v) for k, v in sorted(r.property_dependencies.items())},
                "aliases": r.aliases,
            }
            # By URN, not in registration order: the engine registers concurrently, and a report compared across
            # runs (a pull request's preview against its base) must differ only where the stack does.
            for r in sorted(preview.run.resources, key=lambda r: r.urn)
        ],
        "backup_policies": [
            {
                "name": p.name,
                "content": p.content,
                "size": p.size,
                "limit": MAX_BACKUP_POLICY_CHARS,
                "plans": list(p.plans),
                "targets": list(p.targets),
                "reaches": list(p.reaches),
                "config_path": p.config_path,
            }
            for p in preview.backup_policies
        ],
        "policies_evaluated": preview.evaluation.rule_names,
        "rules": [vars(r) for r in preview.evaluation.rules],
        "violations": [violation_json(v) for v in preview.violations],
        "summary": {
            "violations": {e: sum(counts[e].values()) for e in ("mandatory", "advisory")},
            "by_severity": by_severity,
            "by_enforcement_and_severity": counts,
            "resources": len(preview.run.resources),
            "deployed": len(preview.deployed),
            "policies": len(preview.evaluation.rules),
            "policy_eval_s": round(preview.evaluation.seconds, 4),
            "wall_s": round(preview.wall_s, 4),
            "exit_code": code,
        },
        "warnings": [_finding_json(f) for f in preview.warnings],
        "access": access_report.json_section(preview.access) if preview.access else None,
        "config_errors": [],
    }


def render_json(preview: Preview, changes: PreviewDiff | None = None) -> str:
    return json.dumps(to_json(preview, changes), indent=2, default=str) + "\n"


def problem_text(problem: ConfigProblem) -> str:
    return problem.report() + "\n"


def problem_markdown(problem: ConfigProblem) -> str:
    lines = [
        f"## :x: org-backup offline preview: `{problem.stack}`",
        "",
        f"The configuration in `{display_path(problem.config_file)}` is invalid (exit 2); nothing was previewed.",
        "",
    ]
    rows = [[f.severity, f"`{f.path}`", f"`{f.rule}`", f.message] for f in problem.findings]
    return "\n".join([*lines, *markdown_table(["Severity", "Config", "Rule", "Message"], rows)]) + "\n"


def problem_json(problem: ConfigProblem) -> str:
    document = {
        "stack": problem.stack,
        "config_file": display_path(problem.config_file),
        "exit_code": 2,
        "config_errors": [_finding_json(f) for f in problem.findings if f.mandatory],
        "warnings": [_finding_json(f) for f in problem.findings if not f.mandatory],
    }
    return json.dumps(document, indent=2, default=str) + "\n"
