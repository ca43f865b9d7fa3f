"""Issue 10 acceptance: the downstream example and every README test snippet pass unchanged in the
plugin's three modes — in-process (the default: the emulator served from a thread of the pytest
process), a ``cuadra-emulator serve`` child process the plugin starts (``--cuadra-server subprocess``),
and a separately started ``cuadra-emulator serve`` (``--cuadra-url``) — serially and under xdist; and
two tests running in parallel on one sidecar cannot disturb each other's tenant."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import Config
from emulator.server_process import ServerProcess
from tests.test_examples import EXAMPLE, _environment, _expected

pytestmark = pytest.mark.slow
NO_EXTRAS = ["-p", "no:schemathesis", "-p", "no:hypothesispytest", "-p", "no:cacheprovider"]
README = Path(__file__).resolve().parent.parent / "README.md"


def readme_test_snippets() -> list[str]:
    """The README's ```python blocks that define tests, unchanged (its in-process script is run by
    tests/test_readme.py)."""
    blocks = re.findall(r"^```python\n(.*?)^```", README.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL)
    return [block for block in blocks if re.search(r"^def test_", block, re.MULTILINE)]


@pytest.fixture(scope="module")
def sidecar() -> Iterator[str]:
    """``cuadra-emulator serve --clock manual`` in its own process, as docs/ci.md starts the sidecar."""
    with ServerProcess(Config(clock="manual", manual_waits="hold")) as server:
        yield server.url


def _run(paths: list[Path], *args: str, cwd: Path = EXAMPLE) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-rfE", "-x", *NO_EXTRAS, *args, *map(str, paths)]
    result = subprocess.run(command, cwd=cwd, env=_environment(), capture_output=True, text=True, check=False, timeout=600)
    return result.returncode, result.stdout + result.stderr


def _counts(output: str) -> dict[str, int]:
    summary = output.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", summary)}


def test_sidecar_modes_readme_has_test_snippets_that_name_the_plugin_fixtures() -> None:
    tests = readme_test_snippets()
    assert tests, "README.md lost its pytest example"
    assert all("cuadra_" in block for block in tests)


@pytest.mark.parametrize("workers", [pytest.param([], id="serial"), pytest.param(["-n", "4"], id="xdist-4")])
@pytest.mark.parametrize("mode", ["in-process", "subprocess", "sidecar"])
def test_sidecar_modes_example_and_readme_pass_unchanged(
    mode: str, workers: list[str], request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    tests = readme_test_snippets()
    for n, block in enumerate(tests):
        (tmp_path / f"test_readme_{n}.py").write_text(block, encoding="utf-8")
    option = ["--cuadra-server", "subprocess"] if mode == "subprocess" else []
    if mode == "sidecar":
        option = ["--cuadra-url", request.getfixturevalue("sidecar")]
    # the example's own pytest.ini (its rootdir) puts `support_bot`, the README's stand-in client, on sys.path
    code, output = _run([EXAMPLE / "tests", tmp_path], "-c", str(EXAMPLE / "pytest.ini"), *workers, *option)
    assert code == 0, output
    example_tests, xfails = _expected()
    readme_count = sum(len(re.findall(r"^def test_", block, re.MULTILINE)) for block in tests)
    expected = {"passed": example_tests - xfails + readme_count, **({"xfailed": xfails} if xfails else {})}
    assert _counts(output) == expected, output


PARALLEL = """
import os, time
from pathlib import Path

import httpx
import pytest

MODEL = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"
BARRIER = Path(os.environ["TENANT_BARRIER"])


def wait_for(name):
    for _ in range(600):
        if (BARRIER / name).exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {name}")


def test_a_jumps_a_day_and_resets(cuadra_emulator):
    wait_for("b-ready")
    cuadra_emulator.clock.advance(86400)
    with cuadra_emulator.client() as client:
        assert client.get("/v1/models").status_code == 401  # its own token expired
    cuadra_emulator.reset()
    (BARRIER / "a-done").touch()


@pytest.mark.cuadra(scenario="maintenance", rate_limit_per_user=3)
def test_b_is_untouched(cuadra_emulator):
    with cuadra_emulator.client() as client:
        assert client.post("/v1/datasets", json={"name": "mine"}).status_code == 503  # the scenario acts
        cuadra_emulator.use_scenario("happy-path")
        statuses = [client.get("/v1/models").status_code for _ in range(3)]
        assert statuses == [503, 503, 429]  # window full: 3 a minute for this tenant
        before = cuadra_emulator.clock.now()
        (BARRIER / "b-ready").touch()
        wait_for("a-done")
        assert cuadra_emulator.clock.now() == before  # not moved by the other test
        assert client.get("/v1/models").status_code == 429  # token valid, window still full
        assert [e["status"] for e in cuadra_emulator.journal("GET", "/v1/models")] == [503, 503, 429, 429]
        cuadra_emulator.clock.advance(60)
        assert client.get("/v1/models").status_code == 503  # scenario still active, window passed
"""


def test_sidecar_modes_parallel_tests_do_not_disturb_each_other(sidecar: str, tmp_path: Path) -> None:
    (tmp_path / "test_parallel.py").write_text(PARALLEL, encoding="utf-8")
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    os.environ["TENANT_BARRIER"] = str(barrier)
    try:
        code, output = _run([tmp_path / "test_parallel.py"], "-n", "2", "--cuadra-url", sidecar, cwd=tmp_path)
    finally:
        del os.environ["TENANT_BARRIER"]
    assert code == 0, output
    assert "2 passed" in output, output
