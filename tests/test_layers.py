"""The layers import only downwards, so each can be read, tested and reused without the ones above it.

``policies.backup_rules`` (AWS's rules) < ``stackconfig`` (what the user wrote) < ``components.documents``
(pure builders of what is deployed) < ``deployment`` (the layout and the loader's entry points with the
document checks) < ``components`` (Pulumi resources) < ``org_backup`` (the command line). Function-level
imports count: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package directory -> module prefixes it must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "policies/backup_rules": ("stackconfig", "deployment", "components", "org_backup", "pulumi"),
    "stackconfig": ("deployment", "components", "org_backup", "pulumi"),
    "components/documents": ("components", "deployment", "org_backup", "pulumi"),
    "deployment": ("org_backup",),
    "components": ("org_backup",),
}
# Allowed exceptions, each with its reason.
ALLOWED: dict[str, set[str]] = {
    # The builders may import one another, but no Pulumi component.
    "components/documents": {"components.documents"},
    # The delegation-policy provider runs these functions in Pulumi's provider host, pickled by value by this
    # pure helper (no Pulumi import of its own).
    "components/documents/delegation_policy.py": {"components.by_value"},
    # The loader's entry point inside a Pulumi program reads the engine's config (nothing else of Pulumi).
    "deployment/load.py": {"pulumi.runtime"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.add(node.module)
    return out


def _allowed(relative: str, module: str) -> bool:
    return any(
        (relative == key or relative.startswith(f"{key}/"))
        and any(module == a or module.startswith(f"{a}.") for a in names)
        for key, names in ALLOWED.items()
    )


def violations(package: str, root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for file in sorted((root / package).rglob("*.py")):
        relative = file.relative_to(root).as_posix()
        for module in sorted(imported_modules(file)):
            for prefix in FORBIDDEN[package]:
                if package == "components" and prefix == "components":
                    continue
                if (module == prefix or module.startswith(f"{prefix}.")) and not _allowed(relative, module):
                    found.append(f"{relative} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_only_downwards(package: str) -> None:
    assert violations(package) == []


def test_the_scan_sees_lazy_imports(tmp_path: Path) -> None:
    module = tmp_path / "lazy.py"
    module.write_text("def f():\n    from components.documents.iam import statement\n    import pulumi\n")
    assert imported_modules(module) == {"components.documents.iam", "pulumi"}


def test_a_loader_module_that_imports_a_builder_is_caught(tmp_path: Path) -> None:
    """The dependency this layering removed: ``stackconfig`` judging documents through the builders."""
    (tmp_path / "stackconfig").mkdir()
    (tmp_path / "stackconfig" / "copy_paths.py").write_text(
        "from components.documents.kms import central_backup_key_policy\n"
    )
    (tmp_path / "deployment").mkdir()
    (tmp_path / "deployment" / "load.py").write_text("from pulumi.runtime import config\nimport org_backup.main\n")
    assert violations("stackconfig", tmp_path) == ["stackconfig/copy_paths.py imports components.documents.kms"]
    assert violations("deployment", tmp_path) == ["deployment/load.py imports org_backup.main"]
