"""Scenarios, clock and tokens panels in a real browser, checked through what an API client then sees."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from tests.console_helpers import Console, expect

AUTH = {"Authorization": "Bearer test-token"}


def test_console_activating_rate_limited_makes_next_call_429_naming_rule(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("scenarios")
    page.get_by_role("button", name="Activate rate-limited").click()
    expect(page.locator("[data-active='rate-limited']")).to_be_visible()

    response = httpx.get(f"{console.url}/v1/models", headers=AUTH)

    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    page.locator("#tab-journal").click()
    row = page.locator("#journal-rows tr", has_text="/v1/models").first
    expect(row.locator("td.status")).to_have_text("429")
    expect(row.locator("td.rule")).to_contain_text("storm")
    page.locator("#tab-scenarios").click()
    expect(page.locator("[data-active='rate-limited']")).to_contain_text("storm: 1")


def test_console_scenario_for_one_tenant_leaves_others_alone(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("scenarios")
    page.fill("#scenario-org", "org_other")
    page.get_by_role("button", name="Activate rate-limited").click()
    expect(page.locator("[data-active='rate-limited']")).to_contain_text("tenant org_other")

    assert httpx.get(f"{console.url}/v1/models", headers=AUTH).status_code == 200
    assert httpx.get(f"{console.url}/v1/models", headers={"Authorization": "Bearer other-org-token"}).status_code == 429
    page.get_by_role("button", name="Deactivate rate-limited").click()
    expect(page.locator("#scenarios-active")).to_contain_text("None")
    assert httpx.get(f"{console.url}/v1/models", headers={"Authorization": "Bearer other-org-token"}).status_code == 200


def test_console_yaml_editor_marks_the_error_line_and_activates_on_save(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("scenarios")
    editor = page.locator("#yaml-editor")
    broken = (
        "name: typo\ndescription: a bad status\nrules:\n  - name: r\n    match: {path: /v1/models}\n    error: {status: 99}\n"
    )
    editor.fill(broken)
    expect(page.locator(".gutter span.error-line")).to_have_attribute("data-line", "6")
    expect(page.locator("#yaml-status")).to_contain_text("editor.yaml:6: rules[0].error.status")
    page.locator("#yaml-save").click()
    expect(page.locator("#scenario-notice")).to_contain_text("Fix the error")

    editor.fill(broken.replace("status: 99", "status: 503"))
    expect(page.locator("#yaml-status")).to_contain_text("Valid")
    expect(page.locator(".gutter span.error-line")).to_have_count(0)
    page.locator("#yaml-save").click()
    expect(page.locator("[data-active='typo']")).to_be_visible()
    assert httpx.get(f"{console.url}/v1/models", headers=AUTH).status_code == 503


def test_console_advancing_the_clock_expires_a_minted_token(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("tokens")
    page.fill("#mint-scopes", "models:read")
    page.fill("#mint-ttl", "60")
    page.get_by_role("button", name="Mint").click()
    token = page.locator("#minted-token").inner_text().strip()
    bearer = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{console.url}/v1/models", headers=bearer).status_code == 200

    page.locator("#tab-clock").click()
    before = page.locator("#clock-now").inner_text()
    page.get_by_role("button", name="+5 min").click()
    expect(page.locator("#clock-now")).not_to_have_text(before)

    expired = httpx.get(f"{console.url}/v1/models", headers=bearer)
    assert expired.status_code == 401
    assert expired.headers["content-type"] == "application/problem+json"


def test_console_clock_custom_advance_and_set(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("clock")
    page.fill("#clock-custom", "1h30m")
    page.locator("#clock-custom").press("Enter")
    expect(page.locator("#clock-now")).to_have_text("2025-01-01T01:30:00Z")
    page.fill("#clock-set", "2030-06-01T12:00:00Z")
    page.locator("#clock-set").press("Enter")
    expect(page.locator("#clock-now")).to_have_text("2030-06-01T12:00:00Z")
    assert httpx.get(f"{console.url}/_emulator/clock").json()["now"] == "2030-06-01T12:00:00Z"
    page.fill("#clock-set", "yesterday")
    page.locator("#clock-set").press("Enter")
    expect(page.locator("#clock-message")).to_contain_text("not an ISO 8601 timestamp")


def test_console_fixture_tokens_and_reset_everything(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("tokens")
    expect(page.locator("#fixture-tokens")).to_contain_text("read-only-token")
    httpx.post(f"{console.url}/_emulator/clock", json={"advance": 100})
    page.locator("#reset-all").click()
    expect(page.locator("#tenant-result")).to_contain_text("back to the fixtures")
    assert httpx.get(f"{console.url}/_emulator/clock").json()["now"] == "2025-01-01T00:00:00Z"


def test_console_admin_token_is_asked_for_and_kept_for_the_session(console_factory: Callable[..., Console]) -> None:
    console = console_factory(admin_token="s3cret")
    page = console.open("clock")
    expect(page.locator("#admin-form")).to_be_visible()
    page.fill("#admin-token", "s3cret")
    page.locator("#admin-token").press("Enter")
    expect(page.locator("#admin-form")).to_be_hidden()
    expect(page.locator("#clock-now")).to_have_text("2025-01-01T00:00:00Z")
    assert page.evaluate("sessionStorage.getItem('cuadra-emulator.admin-token')") == "s3cret"
    assert page.evaluate("localStorage.length") == 0


def test_console_tenant_create_own_clock_and_reset(console_factory: Callable[..., Console]) -> None:
    console = console_factory()
    page = console.open("tokens")
    page.fill("#tenant-org", "org_console")
    page.get_by_role("button", name="Create tenant").click()
    expect(page.locator("#tenant-result")).to_contain_text("Tenant org_console ready")
    token = httpx.post(f"{console.url}/_emulator/tokens", json={"org": "org_console", "user": "member_default"}).json()["token"]
    tenant = {"Authorization": f"Bearer {token}"}
    made = httpx.post(f"{console.url}/v1/datasets", headers=tenant, json={"name": "tenant-only"}).json()

    page.locator("#tab-clock").click()
    page.fill("#clock-org", "org_console")
    page.locator("#clock-org").press("Enter")
    page.get_by_role("button", name="+1 day").click()
    expect(page.locator("#clock-mode")).to_contain_text("Tenant org_console: server clock +86400 s")
    assert httpx.get(f"{console.url}/_emulator/clock").json()["now"] == "2025-01-01T00:00:00Z"

    page.locator("#tab-tokens").click()
    page.fill("#reset-org", "org_console")
    page.locator("#reset-one").click()
    expect(page.locator("#tenant-result")).to_contain_text("Tenant org_console is back to the fixtures")
    assert httpx.get(f"{console.url}/v1/datasets/{made['id']}", headers=tenant).status_code == 404
