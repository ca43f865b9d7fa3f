"""The scenario parts of the CLI (CliRunner, no server): validate, scenarios, serve options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from emulator import cli
from emulator.resources import bundled_dir


def test_cli_validate_accepts_bundled_files() -> None:
    files = [str(p) for p in sorted(bundled_dir("scenarios").glob("*.yaml"))]
    result = CliRunner().invoke(cli.main, ["validate", *files])
    assert result.exit_code == 0, result.output
    assert result.output.count("ok: ") == len(files) == 12


def test_cli_validate_reports_file_line_and_key(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("name: good\nrules: []\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrules:\n  - match: {path: /v1/models}\n    delay: soon\n")
    result = CliRunner().invoke(cli.main, ["validate", str(good), str(bad)])
    assert result.exit_code == 1
    assert f"ok: {good}: scenario 'good' (0 rules)" in result.output
    assert f"error: {bad}:4: rules[0].delay: invalid duration 'soon'" in result.output


def test_cli_validate_missing_file_fails() -> None:
    result = CliRunner().invoke(cli.main, ["validate", "/nonexistent/x.yaml"])
    assert result.exit_code == 1 and "cannot read scenario file" in result.output


def test_cli_scenarios_lists_ready_made_with_descriptions() -> None:
    result = CliRunner().invoke(cli.main, ["scenarios"])
    assert result.exit_code == 0
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert {
        "happy-path",
        "rate-limited",
        "flaky-5xx",
        "slow-first-token",
        "stream-cut",
        "stream-stall",
        "in-band-error",
        "expired-token",
        "insufficient-credits",
        "file-processing-failure",
        "idempotent-retry",
        "maintenance",
    } == set(lines)
    assert "503" in lines["maintenance"]


def test_cli_serve_bad_scenario_exits_2_naming_file_line_key(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\nrules:\n  - match: {path: /v1/models}\n    when: {state: nowhere}\n    error: 500\n")
    result = CliRunner().invoke(cli.main, ["serve", "--scenario", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:4: rules[0].when.state: unknown state 'nowhere'" in result.output


def test_cli_serve_unknown_scenario_name_exits_2() -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--scenario", "no-such-thing"])
    assert result.exit_code == 2 and "no scenario named 'no-such-thing'" in result.output


def test_cli_serve_scenario_options_reach_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, Any] = {}

    def fake_run(server: Any, sockets: Any = None) -> None:  # stop where uvicorn would start serving
        app = server.config.app
        seen["config"] = app.config
        seen["active"] = [a.scenario.name for a in app.state.scenarios.active]
        for sock in sockets or ():
            sock.close()

    import uvicorn

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    env = {"EMULATOR_SCENARIOS": "maintenance,stream-cut", "EMULATOR_ADMIN_TOKEN": "tok", "EMULATOR_PORT": "0"}
    result = CliRunner().invoke(
        cli.main, ["serve", "--scenario", "flaky-5xx", "--scenarios-dir", str(tmp_path), "--watch"], env=env
    )
    assert result.exit_code == 0, result.output
    config = seen["config"]
    assert config.scenarios == ("flaky-5xx",)  # the flag wins over the environment
    assert config.scenarios_dir == tmp_path and config.admin_token == "tok" and config.watch_scenarios
    assert seen["active"] == ["flaky-5xx"]


def test_cli_serve_scenarios_from_environment_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    import uvicorn

    def fake_run(server: Any, sockets: Any = None) -> None:
        seen["config"] = server.config.app.config
        for sock in sockets or ():
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", fake_run)
    result = CliRunner().invoke(cli.main, ["serve"], env={"EMULATOR_SCENARIOS": "maintenance, stream-cut", "EMULATOR_PORT": "0"})
    assert result.exit_code == 0, result.output
    assert seen["config"].scenarios == ("maintenance", "stream-cut")
