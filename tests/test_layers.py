"""Data flows forward: no module imports a later stage of the pipeline (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("corpus", "index", "assistant", "eval", "ui")  # ui holds the chat, API and command line


def imported_packages(path: Path) -> set[str]:
    """Top-level project packages a module imports, at module level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names & set(LAYERS)


@pytest.mark.parametrize("layer", LAYERS)
def test_no_module_imports_a_later_layer(layer: str) -> None:
    rank = LAYERS.index(layer)
    later = set(LAYERS[rank + 1 :])
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & later)
        for path in sorted((ROOT / layer).rglob("*.py"))
        if imported_packages(path) & later
    }
    assert offenders == {}
