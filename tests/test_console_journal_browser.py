"""The live journal in a real browser: pushed rows, filters, the detail view and copy as curl."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from tests.console_helpers import Console, expect

AUTH = {"Authorization": "Bearer test-token"}


def test_console_journal_shows_outside_request_within_one_second(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("journal")
    expect(page.locator("#journal")).to_have_attribute("data-live", "true")
    sent = time.monotonic()
    httpx.get(f"{console.url}/v1/models", headers=AUTH)
    row = page.locator("#journal-rows tr", has_text="/v1/models").first
    expect(row).to_be_visible(timeout=1000)
    assert time.monotonic() - sent < 1.0
    expect(row.locator("td.status")).to_have_text("200")
    expect(row.locator("td.tenant")).to_have_text("org_default")
