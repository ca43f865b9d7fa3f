"""README examples are tests: the Python snippet runs, and every documented flag exists."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from emulator.cli import main

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_readme_in_process_snippet_runs() -> None:
    section = README.split("## In-process use", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    namespace: dict[str, object] = {}
    exec(compile(code.group(1), "README.md", "exec"), namespace)  # noqa: S102 - our own README
    namespace["client"].close()  # type: ignore[attr-defined]


def test_readme_documents_only_real_flags_and_variables() -> None:
    help_text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output
    table = README.split("## Options", 1)[1].split("\n## ", 1)[0]
    flags = set(re.findall(r"`(--[a-z-]+)", table))
    assert flags, "the options table lists flags"
    for flag in flags:
        assert flag in help_text, f"README documents {flag}, which serve does not have"
    for variable in set(re.findall(r"`(EMULATOR_[A-Z_]+)`", table)):
        flag = "--" + variable.removeprefix("EMULATOR_").lower().replace("_", "-")
        assert flag in help_text or variable == "EMULATOR_SCENARIOS", variable
