"""The managed-state lifecycle (pure functions) and its configuration."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from emulator.cli import build_config, main
from emulator.lifecycle import Lifecycle, parse_lifecycle, phase


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("immediate", Lifecycle(), id="immediate"),
        pytest.param("polls:3", Lifecycle("polls", 3.0), id="polls"),
        pytest.param(" Seconds:2.5 ", Lifecycle("seconds", 2.5), id="seconds"),
    ],
)
def test_lifecycle_parse(text: str, expected: Lifecycle) -> None:
    assert parse_lifecycle(text) == expected
    assert parse_lifecycle(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "later", "polls", "polls:x", "polls:1.5", "seconds:-1", "seconds:nan", "minutes:3"])
def test_lifecycle_parse_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="immediate"):
        parse_lifecycle(text)


@pytest.mark.parametrize(
    ("lifecycle", "polls", "elapsed", "done", "progress"),
    [
        pytest.param(Lifecycle(), 0, 0.0, True, 100, id="immediate"),
        pytest.param(Lifecycle("polls", 4), 0, 99.0, False, 0, id="polls-none"),
        pytest.param(Lifecycle("polls", 4), 2, 0.0, False, 50, id="polls-half"),
        pytest.param(Lifecycle("polls", 4), 4, 0.0, True, 100, id="polls-done"),
        pytest.param(Lifecycle("seconds", 10), 99, 2.5, False, 25, id="seconds-quarter"),
        pytest.param(Lifecycle("seconds", 10), 0, 10.0, True, 100, id="seconds-done"),
        pytest.param(Lifecycle("seconds", 0), 0, 0.0, True, 100, id="zero-is-immediate"),
    ],
)
def test_lifecycle_phase(lifecycle: Lifecycle, polls: int, elapsed: float, done: bool, progress: int) -> None:
    result = phase(lifecycle, started_at=1000.0, polls=polls, now=1000.0 + elapsed)
    assert (result.done, result.progress) == (done, progress)
    assert (result.finished_at is not None) == done


def test_lifecycle_recorded_finish_wins() -> None:
    result = phase(Lifecycle("polls", 5), started_at=0.0, polls=0, now=50.0, finished_at=7.0)
    assert (result.done, result.finished_at) == (True, 7.0)


def test_lifecycle_cli_option_maps_to_config() -> None:
    assert build_config(file_processing="seconds:5").file_processing == "seconds:5"
    assert build_config().file_processing == "polls:2"  # the documented lifecycle (test_files_default_lifecycle.py)


def test_lifecycle_cli_rejects_a_bad_value() -> None:
    result = CliRunner().invoke(main, ["serve", "--file-processing", "sometimes"])
    assert result.exit_code == 2
    assert "immediate" in result.output


def test_lifecycle_cli_reads_the_environment() -> None:
    result = CliRunner().invoke(main, ["serve"], env={"EMULATOR_FILE_PROCESSING": "polls:oops"})
    assert result.exit_code == 2 and "polls:N" in result.output
