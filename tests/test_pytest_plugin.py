"""The pytest plugin, tested the way a downstream project uses it (pytester runs generated test files)."""

from __future__ import annotations

import pytest

DOWNSTREAM = """
import httpx
import pytest

MODEL = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"


def test_live_server_serves_the_api(cuadra_emulator):
    with cuadra_emulator.client() as client:
        models = client.get("/v1/models").json()
        assert models["items"]
        created = client.post("/v1/datasets", json={"name": "mine"})
        assert created.status_code == 201
    cuadra_emulator.assert_called("POST", "/v1/datasets", times=1)
    cuadra_emulator.assert_called("GET", "/v1/models")


def test_each_test_starts_from_the_fixtures(cuadra_emulator):
    with cuadra_emulator.client() as client:
        names = [d["name"] for d in client.get("/v1/datasets").json()["items"]]
    assert "mine" not in names
    assert len(cuadra_emulator.requests) == 1


def test_in_process_client(cuadra_client):
    response = cuadra_client.post("/v1/chats", json={"modelId": MODEL, "messages": [{"role": "user", "content": "hi"}]})
    assert response.status_code == 200
    assert response.json()["message"]["role"] == "assistant"


@pytest.mark.cuadra(seed=7)
def test_marker_seed_gets_its_own_server(cuadra_emulator, cuadra_app):
    assert cuadra_app.config.seed == 7
    with httpx.Client(base_url=cuadra_emulator.url) as client:
        assert client.get("/_emulator/health").json()["seed"] == 7
"""


def test_pytest_plugin_fixtures_work_without_conftest(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-W", "error")
    result.assert_outcomes(passed=4)


SUBPROCESS_ONLY = """
import httpx
import pytest


def test_each_session_is_a_tenant_of_the_child_process(cuadra_emulator):
    assert cuadra_emulator.app is None and "/_tenant/org_pytest_" in cuadra_emulator.url
    with cuadra_emulator.client() as client:
        assert client.get("/v1/datasets/ds_product_docs").status_code == 200  # a copy of the fixtures


@pytest.mark.cuadra(auth="off", rate_limit_per_user=1)
def test_a_process_setting_gets_a_child_process_of_its_own(cuadra_emulator):
    assert "/_tenant/" not in cuadra_emulator.url
    with httpx.Client(base_url=cuadra_emulator.url) as client:
        assert client.get("/_emulator/health").json()["auth"] == "off"
        assert [client.get("/v1/models").status_code for _ in range(2)] == [200, 429]  # no token needed
"""


def test_pytest_plugin_subprocess_server_runs_the_same_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM, test_subprocess_only=SUBPROCESS_ONLY)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--strict-markers", "-W", "error", "--cuadra-server", "subprocess"
    )
    result.assert_outcomes(passed=6)


def test_pytest_plugin_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["*@pytest.mark.cuadra(scenario=None, seed=None*"])


def test_pytest_plugin_rejects_unknown_marker_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.cuadra(colour="red")
def test_x(cuadra_emulator):
    pass
"""
    )
    result = pytester.runpytest_subprocess()
    result.stdout.fnmatch_lines(["*unknown option(s)*colour*"])


def test_pytest_plugin_server_error_fails_the_test_that_caused_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_boom="""
import httpx

def test_boom(cuadra_emulator):
    app = cuadra_emulator.app
    route = next(r for r in app.api_router.routes if r.path == "/v1/usage")
    original = route.handler

    async def boom(ctx):
        raise RuntimeError("kaboom inside the emulator")

    object.__setattr__(route, "handler", boom)
    app.recompose()  # each route's chain ends in the handler it was composed with
    try:
        with cuadra_emulator.client() as client:
            assert client.get("/v1/usage").status_code == 500
    finally:
        object.__setattr__(route, "handler", original)
        app.recompose()


def test_next_one_is_clean(cuadra_emulator):
    with cuadra_emulator.client() as client:
        assert client.get("/v1/usage").status_code == 200
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: kaboom inside the emulator*"])


def test_pytest_plugin_works_after_a_plain_pip_install(pytester: pytest.Pytester, tmp_path_factory) -> None:
    """The acceptance path of a downstream project: a fresh virtualenv, `pip install <path>`, a test
    file using the fixture and the marker, no conftest."""
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    venv = tmp_path_factory.mktemp("fresh-venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", str(repo), "pytest"], capture_output=True, text=True
    )
    assert install.returncode == 0, install.stderr[-3000:]
    pytester.makepyfile(
        test_downstream="""
import pytest


@pytest.mark.cuadra(scenario="stream-cut")
def test_scenario_from_the_marker(cuadra_emulator):
    with cuadra_emulator.client() as client:
        assert client.get("/v1/models").status_code == 200
    import httpx

    active = httpx.get(cuadra_emulator.url + "/_emulator/scenarios").json()["active"]
    assert [s["name"] for s in active] == ["stream-cut"]
    # the web console's files are package data of the wheel
    page = httpx.get(cuadra_emulator.url + "/_emulator/console/")
    assert page.status_code == 200 and "app.js" in page.text
    assert httpx.get(cuadra_emulator.url + "/_emulator/console/journal.js").status_code == 200
"""
    )
    result = pytester.run(str(python), "-m", "pytest", "-p", "no:cacheprovider", "--strict-markers", "-q")
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.stdout.fnmatch_lines(["*1 passed*"])
