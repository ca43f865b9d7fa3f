"""Browser fixtures for the console tests: Debian's chromium driven by playwright (no browser download).

Where chromium or playwright is missing the tests skip, except in CI (``CI`` set), where they fail:
the console must be exercised by every CI run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips (or, in CI, fails) with the reason
    expect = None  # type: ignore[assignment]

from emulator import Config, EmulatorApp, create_app
from emulator.server import LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module: playwright's sync API keeps an event loop running in this thread
    while it is started, which would break ``asyncio.run`` in the next modules of the same worker."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[test]')")
        raise
    if not os.path.exists(CHROMIUM):
        _unavailable("chromium is not installed (apt-get install -y chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass
class Console:
    """A live emulator, a page showing its console, and what the page did off-script."""

    app: EmulatorApp
    server: LiveServer
    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.server.url

    def open(self, panel: str = "journal") -> Any:
        self.page.goto(f"{self.url}/_emulator/console/#{panel}")
        return self.page


def _js_error(message: Any) -> bool:
    """A console error other than Chromium's network notes ("Failed to load resource: ..." on a 4xx/5xx
    answer or a cut stream): exploring error paths makes those on purpose. Page errors are always kept."""
    return bool(message.type == "error" and not message.text.startswith("Failed to load resource:"))


@pytest.fixture
def console_factory(browser: Any) -> Iterator[Callable[..., Console]]:
    made: list[tuple[Console, Any]] = []

    def make(**options: Any) -> Console:
        options.setdefault("clock", "manual")
        app = create_app(Config(**options))
        server = LiveServer(app).start()
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        console = Console(app, server, page)
        page.on("request", lambda request: console.requests.append(request.url))
        page.on("pageerror", lambda error: console.errors.append(f"pageerror: {error}"))
        page.on("console", lambda msg: console.errors.append(f"console.{msg.type}: {msg.text}") if _js_error(msg) else None)
        made.append((console, context))
        return console

    yield make
    for console, context in made:
        context.close()
        console.server.stop()
        # Every console test also checks: nothing left the machine, no JavaScript error was logged.
        foreign = [url for url in console.requests if not url.startswith((console.url, "data:"))]
        assert not foreign, f"requests off the machine: {foreign}"
        assert not console.errors, console.errors
        assert not console.app.state.server_errors, console.app.state.server_errors
