"""One home for each fact (issue 11 item 6): the identities in ``policies.backup_rules.names`` and the ``@@``
operators in ``policies.backup_rules.backup_policy.operators`` are written nowhere else in the source tree.

A second literal is how facts drift (the RDS rule's ids, the key tag): this test reads every module the program,
the pack and the commands are made of and reports each string constant equal to one of those facts outside its
home. Prose (docstrings, messages that mention a principal) is not a constant equal to the fact, so it passes.
"""

from __future__ import annotations

import ast
from pathlib import Path

from policies.access import stack as access_stack
from policies.backup_rules import names
from policies.backup_rules.backup_policy import operators

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("__main__.py", "components", "stackconfig", "policies", "org_backup", "dev")
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
