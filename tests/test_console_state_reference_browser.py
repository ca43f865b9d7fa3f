"""State tables and the API reference in a real browser."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.console_helpers import Console, expect

AUTH = {"Authorization": "Bearer test-token"}


def test_console_state_shows_a_tenants_records_and_usage(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    created = httpx.post(f"{console.url}/v1/datasets", headers=AUTH, json={"name": "Made outside"}).json()
    page = console.open("state")
    datasets = page.locator("[data-kind='datasets']")
    expect(datasets).to_contain_text(created["id"])
    expect(datasets).to_contain_text("Made outside")
    expect(page.locator("[data-kind='usage']")).to_contain_text("credits.limit")
    for kind in ("chats", "models", "files"):
        expect(page.locator(f"[data-kind='{kind}']")).to_be_visible()
    page.select_option("#state-org", "org_other")
    expect(page.locator("[data-kind='datasets']")).not_to_contain_text("Made outside")


def test_console_reference_lists_api_and_control_plane_with_try_it_links(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("reference")
    expect(page.locator("[data-op='POST /v1/datasets']")).to_contain_text("datasets:write")
    expect(page.locator("[data-op='POST /_emulator/clock']")).to_contain_text("Control plane")
    page.fill("#reference-filter", "scenarios")
    expect(page.locator("[data-op='POST /v1/datasets']")).to_have_count(0)
    expect(page.locator("[data-op='POST /_emulator/scenarios']")).to_be_visible()
    page.locator("[data-op='POST /_emulator/scenarios/validate']").get_by_role("link", name="Try it").click()
    expect(page.locator("#tryit-send")).to_have_text("Send POST /_emulator/scenarios/validate")
    expect(page.locator("#tryit-presets li")).to_have_count(0)  # no API error paths for the control plane


def test_console_keyboard_moves_between_tabs(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("journal")
    page.locator("#tab-journal").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-scenarios")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#scenarios")).to_be_visible()
    page.keyboard.press("End")
    expect(page.locator("#tab-reference")).to_be_focused()
    expect(page.locator("#reference")).to_be_visible()
