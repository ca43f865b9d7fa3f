"""Shared fixtures for the emulator's own tests.

- ``make_app(**config)``: a fresh app (manual clock by default).
- ``client``: a sync client for the default app (in-process, via Starlette's TestClient).
- ``live``: the default app served on a real socket (uvicorn on port 0) — for timing and faults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Config, EmulatorApp, create_app
from emulator.server import LiveServer
from tests.console_helpers import browser, console_factory  # noqa: F401  (the console's browser fixtures)

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SUPPORT_BOT = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"  # a custom model of org_default (fixtures/models.yaml)


@pytest.hookimpl(tryfirst=True)  # before the mark plugin deselects by -m
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every pytester test runs a nested pytest in a subprocess (seconds each): it is ``slow`` by nature."""
    for item in items:
        if "pytester" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def make_app() -> Callable[..., EmulatorApp]:
    def factory(**options: Any) -> EmulatorApp:
        options.setdefault("clock", "manual")
        options.setdefault("rate_limit", "off")  # rate-limit tests opt in with rate_limit="on"
        return create_app(Config(**options))

    return factory


@pytest.fixture
def app(make_app: Callable[..., EmulatorApp]) -> EmulatorApp:
    return make_app()


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://emulator", headers=AUTH, raise_server_exceptions=True) as test_client:
        yield test_client
    assert not app.state.server_errors, app.state.server_errors


@pytest.fixture
def anon(app: EmulatorApp) -> Iterator[TestClient]:
    """A client that sends no Authorization header."""
    with TestClient(app, base_url="http://emulator") as test_client:
        yield test_client


@pytest.fixture
def live(app: EmulatorApp) -> Iterator[LiveServer]:
    with LiveServer(app) as server:
        yield server
    assert not app.state.server_errors, app.state.server_errors


def chat_body(text: str = "Hello!", **extra: Any) -> dict[str, Any]:
    return {"modelId": SUPPORT_BOT, "messages": [{"role": "user", "content": text}], **extra}


def sse_events(text: str) -> list[str]:
    """The ``data:`` payloads of an SSE body, in order."""
    return [block[len("data: ") :] for block in text.split("\n\n") if block.startswith("data: ")]


# --- shared state (issue 15): a real Redis for the backend tests ---
REDIS_URL_ENV = "CUADRA_TEST_REDIS_URL"


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of the test Redis (``.ci/run`` starts one); skipped locally without one, a failure in CI."""
    import os

    url = os.environ.get(REDIS_URL_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{REDIS_URL_ENV} is not set: .ci/run must start redis-server for the shared-state tests")
        pytest.skip(f"no test Redis ({REDIS_URL_ENV} unset)")
    return url


@pytest.fixture
def redis_namespace(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test only, so parallel test workers sharing one Redis never meet."""
    import hashlib
    import os

    digest = hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:12]
    return f"test-{os.getpid()}-{digest}"
