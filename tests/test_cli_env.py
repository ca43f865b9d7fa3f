"""``EMULATOR_*`` variables on the CLI: shown in ``serve --help``, named when invalid, warned about when unknown."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from emulator.cli import EXIT_CONFIG_ERROR, main, serve
from emulator.config import Config
from emulator.envvars import option_variables, unknown_variables


def invoke_serve(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], *args: str) -> tuple[Result, list[Config]]:
    """Run ``serve`` up to the point where it would build the app (no server starts)."""
    built: list[Config] = []

    def fake_create_app(config: Config) -> None:
        built.append(config)
        raise SystemExit(0)

    monkeypatch.setattr("emulator.app.create_app", fake_create_app)
    return CliRunner().invoke(main, ["serve", *args], env=env), built


def test_cli_env_help_shows_every_flags_variable() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    text = " ".join(result.output.split())
    variables = option_variables(serve.params)

    assert result.exit_code == 0
    assert len(variables) >= 15
    missing = [name for name in variables if f"env var: {name}" not in text]
    assert not missing, f"serve --help does not show {missing}"


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("EMULATOR_CLOCK", "virtual", id="choice"),
        pytest.param("EMULATOR_PORT", "eighty", id="integer"),
        pytest.param("EMULATOR_PORT", "70000", id="range"),
        pytest.param("EMULATOR_RATE_LIMIT", "maybe", id="on-off"),
        pytest.param("EMULATOR_FILE_PROCESSING", "soon", id="lifecycle-callback"),
    ],
)
def test_cli_env_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    result, built = invoke_serve(monkeypatch, {variable: value})

    assert result.exit_code == EXIT_CONFIG_ERROR
    assert f"Invalid value for environment variable {variable}" in result.output
    assert value in result.output
    assert not built


def test_cli_env_invalid_flag_still_names_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    result, _ = invoke_serve(monkeypatch, {}, "--clock", "virtual")

    assert result.exit_code == EXIT_CONFIG_ERROR
    assert "Invalid value for '--clock'" in result.output
    assert "environment variable" not in result.output


def test_cli_env_unknown_variable_is_warned_about_with_the_closest_name(monkeypatch: pytest.MonkeyPatch) -> None:
    result, built = invoke_serve(monkeypatch, {"EMULATOR_SCENARIO": "rate-limited", "EMULATOR_SEED": "7"})

    assert result.exit_code == 0, result.output
    assert "warning: EMULATOR_SCENARIO is not a setting and is ignored; did you mean EMULATOR_SCENARIOS?" in result.output
    assert built[0].seed == 7 and built[0].scenarios == ()


def test_cli_env_known_and_foreign_variables_are_not_warned_about(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"EMULATOR_SCENARIOS": "rate-limited", "EMULATOR_WATCH": "1", "CUADRA_EMULATOR_URL": "http://x", "MY_EMULATOR_X": "1"}
    result, built = invoke_serve(monkeypatch, env)

    assert result.exit_code == 0, result.output
    assert "warning" not in result.output
    assert built[0].scenarios == ("rate-limited",)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        pytest.param(
            {"EMULATOR_PROT": "1"}, ["EMULATOR_PROT is not a setting and is ignored; did you mean EMULATOR_PORT?"], id="typo"
        ),
        pytest.param({"EMULATOR_COLOUR": "red"}, ["EMULATOR_COLOUR is not a setting and is ignored"], id="no-close-name"),
        pytest.param({"EMULATOR_PORT": "1", "PATH": "/bin"}, [], id="known-and-foreign"),
    ],
)
def test_cli_env_unknown_variables_lines(environ: dict[str, str], expected: list[str]) -> None:
    known = {"EMULATOR_PORT", "EMULATOR_SCENARIOS"}

    assert unknown_variables(environ, known) == [f"cuadra-emulator: warning: {line}" for line in expected]
