"""What the package promises its users: typed fixtures (``py.typed`` ships), one version, release metadata."""

from __future__ import annotations

import ast
import importlib.metadata
import tomllib
from pathlib import Path

import yaml
from click.testing import CliRunner

import emulator
from emulator.cli import main

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


def test_packaging_pre_commit_runs_the_checks_of_ci() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    checks = [line for line in ci if line.startswith((".venv/bin/ruff", ".venv/bin/mypy", ".venv/bin/actionlint"))]

    assert [hook["entry"] for hook in hooks] == checks
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)


def test_packaging_version_has_one_source() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["hatch"]["version"]["path"] == "emulator/__init__.py"
    assert importlib.metadata.version("cuadra-emulator") == emulator.__version__
    assert f"## [{emulator.__version__}]" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_packaging_cli_reports_the_package_version() -> None:
    result = CliRunner().invoke(main, ["--version"])

    assert result.exit_code == 0 and emulator.__version__ in result.output


def test_packaging_metadata_names_license_python_and_classifiers() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    assert project["license"] == "MIT" and "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert project["requires-python"] == ">=3.11"
    assert "Typing :: Typed" in project["classifiers"] and "Framework :: Pytest" in project["classifiers"]
    assert project["urls"]


def test_packaging_docker_build_context_leaves_out_venv_git_and_caches() -> None:
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()

    assert {".venv", ".git", ".mypy_cache", ".ruff_cache", ".pytest_cache", "**/__pycache__"} <= set(ignored)
    assert not {"emulator", "fixtures", "scenarios", "pyproject.toml", "README.md"} & set(ignored)


def test_packaging_readme_commands_install_lean_then_test_as_ci_does() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Two commands on a fresh machine", 1)[1].split("\n## ", 1)[0]
    commands = [
        line for line in section.split("```bash", 1)[1].split("```", 1)[0].splitlines() if line and not line.startswith("#")
    ]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()

    assert len(commands) == 2
    assert "pip install -e . " in commands[0] and "[test]" not in commands[0] and commands[0].endswith("cuadra-emulator serve")
    assert "pip install -e '.[test]'" in commands[1]
    test_command = commands[1].split("&& ", 1)[1]
    assert test_command in ci, "CI runs the README's test command"
    assert "3.11" in section and "/openapi.json" in readme
