"""``--state`` and ``--workers``: the flags, their EMULATOR_* twins, and the start-up refusals."""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from emulator.cli import EXIT_CONFIG_ERROR, build_config, main


def capture_config(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def fake_create_app(config: Any) -> None:  # stop before a server would start
        seen["config"] = config
        raise SystemExit(0)

    monkeypatch.setattr("emulator.app.create_app", fake_create_app)
    return seen


def test_cli_state_defaults_to_memory_and_one_worker() -> None:
    config = build_config()
    assert (config.state, config.workers) == ("memory", 1)


@pytest.mark.parametrize(
    "args, env",
    [
        pytest.param(["--state", "redis://127.0.0.1:6390/2", "--workers", "3"], {}, id="flags"),
        pytest.param([], {"EMULATOR_STATE": "redis://127.0.0.1:6390/2", "EMULATOR_WORKERS": "3"}, id="environment"),
    ],
)
def test_cli_state_and_workers_reach_the_config(monkeypatch: pytest.MonkeyPatch, args: list[str], env: dict[str, str]) -> None:
    seen = capture_config(monkeypatch)
    result = CliRunner().invoke(main, ["serve", *args], env=env)
    assert result.exit_code == 0, result.output
    assert (seen["config"].state, seen["config"].workers) == ("redis://127.0.0.1:6390/2", 3)


def test_cli_workers_without_shared_state_is_a_clear_start_up_error(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = capture_config(monkeypatch)
    result = CliRunner().invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code == EXIT_CONFIG_ERROR
    assert "--workers 2 needs a shared state: add --state redis://host:port/db" in result.output
    assert "config" not in seen  # refused before any app was built


def test_cli_state_rejects_an_unknown_backend() -> None:
    result = CliRunner().invoke(main, ["serve", "--state", "postgres://db"])
    assert result.exit_code == 2
    assert "--state must be 'memory' or a Redis URL" in result.output
