"""The live journal in a real browser: pushed rows, filters, the detail view and copy as curl."""

from __future__ import annotations

import contextlib
import shlex
import subprocess
import time
from collections.abc import Callable

import httpx

from tests.console_helpers import Console, expect

AUTH = {"Authorization": "Bearer test-token"}


def test_console_journal_shows_outside_request_within_one_second(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("journal")
    expect(page.locator("#journal")).to_have_attribute("data-live", "true")
    # the page notes (wall clock, ms) when the row appears: no polling delay of the test in the figure
    page.evaluate(
        """() => new MutationObserver((_, observer) => {
            if (document.querySelector("#journal-rows tr[aria-label^='GET /v1/models']")) {
                window.rowShownAt = Date.now();
                observer.disconnect();
            }
        }).observe(document.querySelector("#journal-rows"), {childList: true})"""
    )
    httpx.get(f"{console.url}/v1/models", headers=AUTH)
    answered = time.time()
    row = page.locator("#journal-rows tr", has_text="/v1/models").first
    expect(row).to_be_visible(timeout=5000)
    shown = page.evaluate("window.rowShownAt") / 1000
    assert shown - answered < 1.0, f"row shown {shown - answered:.3f} s after the answer"
    expect(row.locator("td.status")).to_have_text("200")
    expect(row.locator("td.tenant")).to_have_text("org_default")


def test_console_journal_filters_by_method_path_status_and_tenant(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("journal")
    expect(page.locator("#journal")).to_have_attribute("data-live", "true")
    httpx.get(f"{console.url}/v1/models", headers=AUTH)
    httpx.get(f"{console.url}/v1/chats/nope", headers=AUTH)
    httpx.post(f"{console.url}/v1/datasets", headers={"Authorization": "Bearer other-org-token"}, json={"name": "x"})
    rows = page.locator("#journal-rows tr")
    expect(rows).to_have_count(3)
    page.select_option("#journal-filters select[name=method]", "POST")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.tenant")).to_have_text("org_other")
    page.select_option("#journal-filters select[name=method]", "")
    page.fill("#journal-filters input[name=status]", "4xx")
    expect(rows).to_have_count(1)
    expect(rows.first.locator("td.path")).to_have_text("/v1/chats/nope")
    page.fill("#journal-filters input[name=status]", "")
    page.fill("#journal-filters input[name=tenant]", "org_default")
    expect(rows).to_have_count(2)
    page.fill("#journal-filters input[name=path]", "/v1/models")
    expect(rows).to_have_count(1)


def test_console_journal_detail_highlights_problem_and_copies_as_curl(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("journal")
    expect(page.locator("#journal")).to_have_attribute("data-live", "true")
    httpx.post(f"{console.url}/v1/datasets", headers=AUTH, json={"name": 5})
    row = page.locator("#journal-rows tr").first
    row.focus()
    row.press("Enter")  # keyboard: focus a row, Enter opens it
    detail = page.locator("#journal-detail")
    expect(detail.locator("pre.problem")).to_contain_text("name: 5 is not of type 'string'")
    curl = detail.locator("pre.curl").inner_text()
    assert curl.startswith(f"curl -X POST '{console.url}/v1/datasets'")
    assert "-H 'authorization: Bearer test-token'" in curl
    assert """--data-raw '{"name":5}'""" in curl
    replay = subprocess.run(
        shlex.split(curl) + ["-s", "-o", "/dev/null", "-w", "%{http_code}"], capture_output=True, text=True, timeout=10
    )
    assert replay.stdout == "422"


def test_console_journal_detail_lists_stream_events_and_where_a_cut_ended_it(console_factory: Callable[..., Console]) -> None:
    console = console_factory(scenarios=("stream-cut",))
    page = console.open("journal")
    expect(page.locator("#journal")).to_have_attribute("data-live", "true")
    body = {"modelId": "0b6c7a52-5d4e-4c1f-9a57-2f4b8e1d6a01", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    with (
        httpx.stream("POST", f"{console.url}/v1/chats", headers=AUTH, json=body) as response,
        contextlib.suppress(httpx.HTTPError),
    ):
        response.read()  # the cut breaks the chunked body, as it should
    row = page.locator("#journal-rows tr", has_text="/v1/chats").first
    expect(row.locator("td.rule")).to_contain_text("cut")
    row.click()
    detail = page.locator("#journal-detail")
    expect(detail.locator(".event-list li")).not_to_have_count(0)
    expect(detail.locator(".cut")).to_contain_text("ended here without [DONE]")
    assert "[DONE]" not in detail.locator(".event-list").inner_text()


def test_console_copy_as_curl_puts_a_placeholder_for_an_unknown_redacted_token(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("journal")
    expect(page.locator("#journal")).to_have_attribute("data-live", "true")
    outsider = httpx.post(f"{console.url}/_emulator/tokens", json={"org": "org_x"}).json()["token"]  # minted outside the page
    httpx.get(f"{console.url}/v1/models", headers={"Authorization": f"Bearer {outsider}"})
    page.locator("#journal-rows tr", has_text="/v1/models").first.click()
    curl = page.locator("#journal-detail pre.curl").inner_text()
    assert outsider not in curl
    assert "export TOKEN=" in curl
    command = curl.splitlines()[-1]
    replay = subprocess.run(
        ["sh", "-c", command + " -s -o /dev/null -w '%{http_code}'"],
        env={"TOKEN": outsider, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert replay.stdout == "200"
