"""Try it in a real browser: the error-path presets of an operation each get their documented status."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.console_helpers import Console, expect


def test_console_every_preset_of_post_datasets_returns_its_status(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("tryit?op=POST%20/v1/datasets")
    expect(page.locator("#tryit-send")).to_have_text("Send POST /v1/datasets")
    presets = page.locator("#tryit-presets li")
    ids = presets.evaluate_all("items => items.map(li => li.dataset.preset)")
    assert ids == ["401", "403", "422", "idempotency", "429"]
    expected = {"401": "401", "403": "403", "422": "422", "idempotency": "422", "429": "429"}
    for preset, status in expected.items():
        item = page.locator(f"[data-preset='{preset}']")
        item.get_by_role("button").click()
        outcome = item.locator(".outcome")
        expect(outcome).to_have_attribute("data-status", status, timeout=15000)
        expect(outcome).to_have_class("outcome ok")
    expect(page.locator("[data-preset='422'] .outcome")).to_contain_text("name: field required")
    expect(page.locator("[data-preset='idempotency'] .outcome")).to_contain_text("Idempotent-Replayed: true")
    expect(page.locator("[data-preset='429'] .outcome")).to_contain_text("retry-after:")
    expect(page.locator("[data-preset='429'] .outcome")).to_contain_text("x-ratelimit-limit: 60")
    expect(page.locator("#tryit-result pre.problem")).to_contain_text('"status": 429')


def test_console_send_uses_the_prefilled_example_and_chosen_token(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("tryit?op=POST%20/v1/datasets")
    page.locator("#tryit-send").click()
    expect(page.locator("#tryit-result .answer")).to_have_attribute("data-status", "201")
    page.select_option("#tryit-token", "other-org-token")
    page.locator("#tryit-send").click()
    expect(page.locator("#tryit-result .answer")).to_have_attribute("data-status", "201")
    orgs = [item["orgId"] for item in httpx.get(f"{console.url}/_emulator/requests?path=/v1/datasets").json()["items"]]
    assert orgs == ["org_default", "org_other"]


@pytest.mark.parametrize(
    ("preset", "shows"),
    [
        pytest.param("stream-cut", "no [DONE]", id="cut"),
        pytest.param("stream-stall", "stalled", id="stall"),
        pytest.param("in-band-error", "in-band error event", id="in-band-error"),
        pytest.param("slow-first-token", "first delta at +1.5 s of the clock", id="slow-first-token"),
    ],
)
def test_console_chat_stream_fault_presets(console_factory: Callable[..., Console], preset: str, shows: str) -> None:
    console = console_factory()
    page = console.open("tryit?op=POST%20/v1/chats")
    item = page.locator(f"[data-preset='{preset}']")
    item.get_by_role("button").click()
    outcome = item.locator(".outcome")
    expect(outcome).to_contain_text(shows, timeout=10000)
    expect(outcome).to_contain_text("200 ✓")
    assert httpx.get(f"{console.url}/_emulator/scenarios").json()["active"] == []
