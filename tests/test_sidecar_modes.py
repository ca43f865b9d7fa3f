"""Issue 10 acceptance: the downstream example passes unchanged against the plugin's own server and
against a separately started ``cuadra-emulator serve`` (``--cuadra-url``), serially and under xdist; and
two tests running in parallel on one sidecar cannot disturb each other's tenant."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.test_examples import EXAMPLE, _environment, _expected

pytestmark = pytest.mark.slow
NO_EXTRAS = ["-p", "no:schemathesis", "-p", "no:hypothesispytest"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def sidecar() -> Iterator[str]:
    """``cuadra-emulator serve --clock manual`` in its own process, as docs/ci.md starts the sidecar."""
    port = _free_port()
    command = [sys.executable, "-m", "emulator", "serve", "--clock", "manual", "--port", str(port)]
    process = subprocess.Popen(command, env=_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/_emulator/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("the sidecar did not become healthy")
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _run(path: Path, *args: str, cwd: Path = EXAMPLE) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", "-q", "-rfE", *NO_EXTRAS, *args, str(path)]
    result = subprocess.run(command, cwd=cwd, env=_environment(), capture_output=True, text=True, check=False, timeout=600)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize("workers", [pytest.param([], id="serial"), pytest.param(["-n", "4"], id="xdist-4")])
@pytest.mark.parametrize("mode", ["plugin-server", "sidecar"])
def test_sidecar_modes_example_passes_unchanged(mode: str, workers: list[str], request: pytest.FixtureRequest) -> None:
    url = ["--cuadra-url", request.getfixturevalue("sidecar")] if mode == "sidecar" else []
    code, output = _run(EXAMPLE, *workers, *url)
    assert code == 0, output
    summary = output.strip().splitlines()[-1]
    counts = {word: int(n) for n, word in re.findall(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed)", summary)}
    tests, xfails = _expected()
    assert counts == {"passed": tests - xfails, **({"xfailed": xfails} if xfails else {})}, summary


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
        code, output = _run(
            tmp_path / "test_parallel.py", "-n", "2", "-p", "no:cacheprovider", "--cuadra-url", sidecar, cwd=tmp_path
        )
    finally:
        del os.environ["TENANT_BARRIER"]
    assert code == 0, output
    assert "2 passed" in output, output
