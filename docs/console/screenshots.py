"""Regenerate the console screenshots in this folder (1280x800, Debian's chromium, no download).

    .venv/bin/python docs/console/screenshots.py

Starts an emulator on a free port (manual clock), makes some traffic (a 422, a 404, a replayed
idempotent create, a 429 from the rate-limited scenario, a cut stream) and captures each panel.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from emulator import Config, create_app  # noqa: E402
from emulator.server import LiveServer  # noqa: E402
from tests.console_helpers import CHROMIUM, CHROMIUM_ARGS, VIEWPORT  # noqa: E402

AUTH = {"Authorization": "Bearer test-token"}
CHAT = {"modelId": "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01", "messages": [{"role": "user", "content": "Hello!"}]}


def traffic(url: str) -> None:
    with httpx.Client(base_url=url, headers=AUTH) as http:
        http.get("/v1/models")
        http.post("/v1/datasets", json={"name": 5})
        http.get("/v1/chats/chat_missing")
        for _ in range(2):
            http.post("/v1/datasets", json={"name": "Handbook"}, headers={"Idempotency-Key": "k-1"})
        http.post("/v1/chats", json=CHAT)
        http.post("/_emulator/scenarios", json={"name": "stream-cut"})
        with http.stream("POST", "/v1/chats", json={**CHAT, "stream": True}) as response, contextlib.suppress(httpx.HTTPError):
            response.read()
        http.delete("/_emulator/scenarios/stream-cut")
        http.post("/_emulator/scenarios", json={"name": "rate-limited", "org": "org_other"})
        http.get("/v1/models", headers={"Authorization": "Bearer other-org-token"})


def main() -> None:
    from playwright.sync_api import sync_playwright

    app = create_app(Config(clock="manual"))
    with LiveServer(app) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(f"{server.url}/_emulator/console/#journal")
        page.wait_for_selector("#journal[data-live=true]")
        traffic(server.url)
        page.locator("#journal-rows tr", has_text="/v1/datasets").last.click()
        page.wait_for_selector("#journal-detail pre.problem")
        page.screenshot(path=HERE / "journal.png")
        page.locator("#tab-scenarios").click()
        page.fill("#yaml-editor", "name: typo\ndescription: d\nrules:\n  - name: r\n    match: {path: /v1/models}\n    error: {status: 99}\n")
        page.wait_for_selector(".gutter .error-line")
        page.screenshot(path=HERE / "scenarios.png")
        page.locator("#tab-clock").click()
        page.get_by_role("button", name="+5 min").click()
        page.wait_for_selector("#clock-message.ok")
        page.screenshot(path=HERE / "clock.png")
        page.locator("#tab-tokens").click()
        page.fill("#mint-scopes", "models:read chat:invoke")
        page.get_by_role("button", name="Mint").click()
        page.wait_for_selector("#minted-token")
        page.screenshot(path=HERE / "tokens.png")
        page.goto(f"{server.url}/_emulator/console/#tryit?op=POST%20/v1/datasets")
        page.wait_for_selector("[data-preset='401']")
        for preset in ("401", "403", "422", "idempotency"):
            page.locator(f"[data-preset='{preset}'] button").click()
            page.wait_for_selector(f"[data-preset='{preset}'] .outcome[data-status]")
        page.screenshot(path=HERE / "tryit.png")
        page.locator("#tab-state").click()
        page.wait_for_selector("[data-kind='datasets']")
        page.screenshot(path=HERE / "state.png")
        page.locator("#tab-reference").click()
        page.wait_for_selector("[data-op='POST /v1/datasets']")
        page.screenshot(path=HERE / "reference.png")
        browser.close()


if __name__ == "__main__":
    main()
