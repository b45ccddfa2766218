"""One home for each fact (issue 11 item 6): the identities in ``policies.backup_rules.names`` and the ``@@``
operators in ``policies.backup_rules.backup_policy.operators`` are written nowhere else in the source tree, and
each rule id a finding reports is written once, as a constant beside its rule.

A second literal is how facts drift (the RDS rule's ids, the key tag): this test reads every module the program,
the pack and the commands are made of and reports each string constant equal to one of those facts outside its
home. Prose (docstrings, messages that mention a principal) is not a constant equal to the fact, so it passes.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from policies.access import stack as access_stack
from policies.backup_rules import names
from policies.backup_rules.backup_policy import operators

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("__main__.py", "components", "stackconfig", "deployment", "policies", "org_backup", "dev")
HOMES = {
    Path("policies/backup_rules/names.py"): names,
    Path("policies/backup_rules/backup_policy/operators.py"): operators,
}
# policies/access must import nothing outside itself (it runs as ``access`` in the pack and as
# ``policies.access`` in the preview), so it keeps its own copies; test_access_copies_match pins them.
SELF_CONTAINED = (Path("policies/access"),)


def _facts() -> dict[str, str]:
    out: dict[str, str] = {}
    for module in HOMES.values():
        for key, value in vars(module).items():
            if key.isupper() and isinstance(value, str) and not value.startswith("https://"):
                out[value] = f"{module.__name__}.{key}"
    return out


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string nodes that are docstrings (module, class, function or attribute)."""
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            out.update(
                id(stmt.value) for stmt in body if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
            )
    return out


def _sources() -> list[Path]:
    files: list[Path] = []
    for entry in SOURCES:
        path = ROOT / entry
        files += [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if ".venv" not in f.parts]


def test_each_fact_is_written_once() -> None:
    facts = _facts()
    assert "backup.amazonaws.com" in facts and "@@assign" in facts and "org-backup:backup-key" in facts
    seconds: list[str] = []
    for file in _sources():
        relative = file.relative_to(ROOT)
        if relative in HOMES or any(relative.is_relative_to(p) for p in SELF_CONTAINED):
            continue
        tree = ast.parse(file.read_text(encoding="utf-8"))
        skip = _docstrings(tree)
        seconds += [
            f"{relative}:{node.lineno}: {node.value!r} is {facts[node.value]}"
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and node.value in facts
            and id(node) not in skip
        ]
    assert not seconds, "import these instead of writing them again:\n" + "\n".join(seconds)


def test_access_copies_match() -> None:
    """The access analyser's own copies (see SELF_CONTAINED) say the same as the home."""
    assert access_stack.BACKUP_SERVICE == names.BACKUP_SERVICE_PRINCIPAL
    assert access_stack.CENTRAL_ROLE_TAG == (names.ROLE_TAG, names.CENTRAL_COPY_DESTINATION_ROLE)
    # The endpoint names kms:ViaService compares with, in every partition a stack may name.
    from typing import get_args

    from policies.access import partition as access_partition
    from policies.backup_rules import arns
    from stackconfig.model import Organization

    partitions = get_args(Organization.model_fields["partition"].annotation)
    assert "aws-cn" in partitions
    for partition in partitions:
        for region in ("us-east-1", "us-gov-west-1", "cn-northwest-1"):
            mine = access_partition.service_endpoint("backup", region, partition)
            assert mine == arns.service_endpoint("backup", region, partition)
        assert access_partition.role_arn(partition, "111122223333", "R") == arns.role_arn(
            "111122223333", "R", partition
        )


RULE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)+$")


def _finding_rules(tree: ast.AST) -> tuple[list[ast.Constant], set[str]]:
    """Where a ``Finding`` is built (its third argument, or ``rule=``): the rule ids written as literals, and the
    names of the constants given instead."""
    literals: list[ast.Constant] = []
    names: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if called != "Finding":
            continue
        rule = node.args[2] if len(node.args) > 2 else next((k.value for k in node.keywords if k.arg == "rule"), None)
        if isinstance(rule, ast.Constant) and isinstance(rule.value, str) and RULE_ID.match(rule.value):
            literals.append(rule)
        elif isinstance(rule, ast.Name):
            names.add(rule.id)
        elif isinstance(rule, ast.Attribute):
            names.add(rule.attr)
    return literals, names


def _constants(tree: ast.Module) -> dict[str, ast.Constant]:
    """Module-level ``NAME = "some-id"`` definitions."""
    out: dict[str, ast.Constant] = {}
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1 else None
        target = node.target if isinstance(node, ast.AnnAssign) else target
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and RULE_ID.match(value.value)
        ):
            out[target.id] = value
    return out


def rule_id_seconds(files: list[Path], root: Path = ROOT) -> list[str]:
    """Every literal of a finding's rule id outside its one home: the constant beside the rule, or (where no
    constant is used) the one module that reports it under that literal.

    A rule reported from two modules, or named again elsewhere (a level table, a set of ids a caller filters on),
    must import the constant: otherwise the ids drift, as the RDS rule's once did.
    """
    trees = {f: ast.parse(f.read_text(encoding="utf-8")) for f in files}
    homes: dict[str, set[Path]] = {}
    definitions: set[int] = set()
    used_names: set[str] = set()
    for tree in trees.values():
        used_names |= _finding_rules(tree)[1]
    for file, tree in trees.items():
        for node in _finding_rules(tree)[0]:
            homes.setdefault(str(node.value), set()).add(file)
        for name, node in _constants(tree).items():
            if name in used_names:
                homes.setdefault(str(node.value), set()).add(file)
                definitions.add(id(node))
    defined = {str(c.value) for module in trees.values() for c in _constants(module).values() if id(c) in definitions}
    seconds: list[str] = []
    for file, tree in trees.items():
        skip = _docstrings(tree)
        for seen in ast.walk(tree):
            value = seen.value if isinstance(seen, ast.Constant) else None
            if not isinstance(value, str) or value not in homes:
                continue
            one_home = len(homes[value]) == 1
            if id(seen) in skip or (id(seen) in definitions and one_home):
                continue
            if one_home and homes[value] == {file} and value not in defined:
                continue  # a rule reported under its literal by one module only
            where = ", ".join(sorted(str(h.relative_to(root)) for h in homes[value]))
            seconds.append(f"{file.relative_to(root)}:{getattr(seen, 'lineno', 0)}: {value!r} (home: {where})")
    return sorted(seconds)


def test_each_rule_id_is_written_once() -> None:
    files = [f for f in _sources() if not any(f.relative_to(ROOT).is_relative_to(p) for p in SELF_CONTAINED)]
    seconds = rule_id_seconds(files)
    assert not seconds, "give the rule id one constant beside its rule and import it:\n" + "\n".join(seconds)


def test_a_second_literal_of_a_rule_id_is_found(tmp_path: Path) -> None:
    (tmp_path / "rule.py").write_text('Finding("p", None, "lock-min-range", "m")\n')
    (tmp_path / "table.py").write_text('LEVELS = {"lock-min-range": "error"}\n')
    (tmp_path / "own.py").write_text('LOCK = "lock-max-range"\nFinding("p", None, LOCK, "m")\n')
    (tmp_path / "other.py").write_text('CHECK = "lock-max-range"\n')
    (tmp_path / "again.py").write_text('LOCK = "lock-max-range"\nFinding("p", None, LOCK, "m")\n')
    found = rule_id_seconds(sorted(tmp_path.glob("*.py")), tmp_path)
    assert found == [
        "again.py:1: 'lock-max-range' (home: again.py, own.py)",
        "other.py:1: 'lock-max-range' (home: again.py, own.py)",
        "own.py:1: 'lock-max-range' (home: again.py, own.py)",
        "table.py:1: 'lock-min-range' (home: rule.py)",
    ]
