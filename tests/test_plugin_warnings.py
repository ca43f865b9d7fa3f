"""The test handle sees the emulator's warnings (ignored unknown fields) and switches strict mode.

Acceptance for issue 17: requests with unknown fields in default mode (200, warnings recorded and
visible through the control plane and the handle) and in strict mode (422 naming the field), on a
private server and per tenant on a shared one. The marker ``strict=True`` is run through pytester.
"""

from __future__ import annotations

from collections.abc import Iterator
from textwrap import dedent

import httpx
import pytest

from emulator import EmulatorApp
from emulator.server import LiveServer
from emulator.testing import EmulatorHandle
from tests.conftest import SUPPORT_BOT, TOKEN

DATASET = {"name": "kb", "extra": 1}
CHAT = {"modelId": SUPPORT_BOT, "messages": [{"role": "user", "content": "Hi", "mood": "curious"}]}


@pytest.fixture
def handle(live: LiveServer, app: EmulatorApp) -> Iterator[EmulatorHandle]:
    emulator = EmulatorHandle(live.url, TOKEN, app=app)
    yield emulator
    emulator.close()


def _send_typos(api: httpx.Client) -> list[int]:
    return [
        api.post("/v1/datasets", json=DATASET).status_code,
        api.post("/v1/chats", json=CHAT).status_code,
        api.get("/v1/models").status_code,
    ]


def test_plugin_warnings_default_mode_accepts_and_reports_unknown_fields(handle: EmulatorHandle) -> None:
    with handle.client() as api:
        assert _send_typos(api) == [201, 200, 200]
    assert handle.warnings == [
        "POST /v1/datasets: body.extra: unknown field, ignored",
        "POST /v1/chats: body.messages.0.mood: unknown field, ignored",
    ]
    with httpx.Client(base_url=handle.url) as control:
        journal = control.get("/_emulator/requests", params={"warnings": "true"}).json()["items"]
    assert [(e["path"], e["status"], e["warnings"]) for e in journal] == [
        ("/v1/datasets", 201, ["body.extra: unknown field, ignored"]),
        ("/v1/chats", 200, ["body.messages.0.mood: unknown field, ignored"]),
    ]
    with pytest.raises(AssertionError, match=r"warned about 2 thing\(s\)[\s\S]*POST /v1/datasets: body.extra"):
        handle.assert_no_warnings()


def test_plugin_warnings_assert_no_warnings_passes_for_a_clean_client(handle: EmulatorHandle) -> None:
    with handle.client() as api:
        assert api.post("/v1/datasets", json={"name": "kb"}).status_code == 201
    assert handle.warnings == []
    handle.assert_no_warnings()


def test_plugin_warnings_strict_mode_rejects_naming_the_field(handle: EmulatorHandle) -> None:
    handle.strict_requests()
    with handle.client() as api:
        assert _send_typos(api) == [422, 422, 200]
        detail = api.post("/v1/datasets", json=DATASET).json()["detail"]
    assert detail == "extra: unknown field"
    assert handle.warnings == []
    handle.strict_requests(None)
    with handle.client() as api:
        assert api.post("/v1/datasets", json=DATASET).status_code == 201


def test_plugin_warnings_are_per_tenant_on_a_shared_server(live: LiveServer) -> None:
    strict = EmulatorHandle.for_tenant(live.url, "org_strict_team")
    relaxed = EmulatorHandle.for_tenant(live.url, "org_relaxed_team")
    try:
        strict.strict_requests()
        with strict.client() as api:
            response = api.post("/v1/datasets", json=DATASET)
            assert response.status_code == 422 and response.json()["errors"][0]["pointer"] == "/extra"
        with relaxed.client() as api:
            assert _send_typos(api) == [201, 200, 200]
        assert len(relaxed.warnings) == 2 and strict.warnings == []
        relaxed.reset()  # the tenant's journal (and so its warnings) go with its reset
        assert relaxed.warnings == []
    finally:
        strict.close()
        relaxed.close()


PLUGIN_TESTS = dedent(
    """
    import pytest

    DATASET = {"name": "kb", "extra": 1}


    def test_default_mode_warns(cuadra_emulator):
        with cuadra_emulator.client() as api:
            assert api.post("/v1/datasets", json=DATASET).status_code == 201
        assert cuadra_emulator.warnings == ["POST /v1/datasets: body.extra: unknown field, ignored"]


    @pytest.mark.cuadra(strict=True)
    def test_strict_marker(cuadra_emulator):
        with cuadra_emulator.client() as api:
            response = api.post("/v1/datasets", json=DATASET)
        assert response.status_code == 422 and response.json()["detail"] == "extra: unknown field"


    def test_strict_marker_does_not_leak(cuadra_emulator):
        with cuadra_emulator.client() as api:
            assert api.post("/v1/datasets", json=DATASET).status_code == 201
        cuadra_emulator.assert_no_warnings()  # fails: the client sent an unknown field
    """
)
IN_PROCESS_TESTS = dedent(
    """
    import pytest


    @pytest.mark.cuadra(strict=True)
    def test_strict_in_process(cuadra_client):
        assert cuadra_client.post("/v1/datasets", json={"name": "kb", "extra": 1}).status_code == 422
    """
)


@pytest.mark.parametrize("remote", [pytest.param(False, id="plugin-server"), pytest.param(True, id="cuadra-url")])
def test_plugin_warnings_marker_strict_and_handle(pytester: pytest.Pytester, make_app, remote: bool) -> None:
    pytester.makepyfile(test_strict=PLUGIN_TESTS, test_in_process=IN_PROCESS_TESTS)
    args = ["-p", "no:cacheprovider", "--strict-markers", "-W", "error", "-p", "no:randomly"]
    if not remote:
        result = pytester.runpytest_subprocess(*args)
    else:
        with LiveServer(make_app()) as server:
            result = pytester.runpytest_subprocess(*args, "--cuadra-url", server.url, "test_strict.py")
    outcomes = result.parseoutcomes()
    assert (outcomes.get("passed"), outcomes.get("failed")) == (2 if remote else 3, 1), result.stdout.str()
    result.stdout.fnmatch_lines(["*test_strict_marker_does_not_leak*", "*warned about 1 thing(s)*"])
