"""What the package promises its users: typed fixtures (``py.typed`` ships), one version, release metadata."""

from __future__ import annotations

import ast
from pathlib import Path

import emulator

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(emulator.__file__).resolve().parent


def _fixture_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    def is_fixture(decorator: ast.expr) -> bool:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return ast.unparse(target) == "pytest.fixture"

    return [node for node in tree.body if isinstance(node, ast.FunctionDef) and any(map(is_fixture, node.decorator_list))]


def test_packaging_ships_py_typed() -> None:
    assert (PACKAGE / "py.typed").is_file()


def test_packaging_plugin_fixtures_declare_precise_return_types() -> None:
    tree = ast.parse((PACKAGE / "pytest_plugin.py").read_text(encoding="utf-8"))
    fixtures = _fixture_functions(tree)
    public = {f.name for f in fixtures if not f.name.startswith("_")}
    loose = [f.name for f in fixtures if f.returns is None or "Any" in ast.unparse(f.returns)]

    assert {"cuadra_config", "cuadra_emulator", "cuadra_app", "cuadra_client"} <= public
    assert not loose, f"fixtures without a precise return type: {loose}"
