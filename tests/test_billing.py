"""Billing periods from the organisation's anchor and clock, roll-over, spend order (guides.md §13.2)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.domain.billing import org_period, parse_instant, period_at, spend
from tests.conftest import AUTH, chat_body
from tests.fixture_helpers import fixtures_with


def at(text: str) -> float:
    return parse_instant(text).timestamp()


@pytest.mark.parametrize(
    ("anchor", "cycle", "now", "start", "end"),
    [
        pytest.param(
            "2025-01-01T00:00:00Z",
            "monthly",
            "2025-01-15T12:00:00Z",
            "2025-01-01T00:00:00Z",
            "2025-01-31T23:59:59Z",
            id="first-month",
        ),
        pytest.param(
            "2025-01-01T00:00:00Z",
            "monthly",
            "2026-04-30T23:59:59Z",
            "2026-04-01T00:00:00Z",
            "2026-04-30T23:59:59Z",
            id="last-second",
        ),
        pytest.param(
            "2025-01-01T00:00:00Z",
            "monthly",
            "2026-05-01T00:00:00Z",
            "2026-05-01T00:00:00Z",
            "2026-05-31T23:59:59Z",
            id="rolls-at-end",
        ),
        pytest.param(
            "2025-01-31T09:00:00Z",
            "monthly",
            "2025-02-20T00:00:00Z",
            "2025-01-31T09:00:00Z",
            "2025-02-28T08:59:59Z",
            id="clamped-to-feb",
        ),
        pytest.param(
            "2025-01-31T09:00:00Z",
            "monthly",
            "2025-03-01T00:00:00Z",
            "2025-02-28T09:00:00Z",
            "2025-03-31T08:59:59Z",
            id="day-restored",
        ),
        pytest.param(
            "2025-03-15T00:00:00Z",
            "monthly",
            "2025-01-20T00:00:00Z",
            "2025-01-15T00:00:00Z",
            "2025-02-14T23:59:59Z",
            id="before-anchor",
        ),
        pytest.param(
            "2025-01-01T00:00:00Z", "yearly", "2026-06-01T00:00:00Z", "2026-01-01T00:00:00Z", "2026-12-31T23:59:59Z", id="yearly"
        ),
    ],
)
def test_billing_period_follows_the_anchor(anchor: str, cycle: str, now: str, start: str, end: str) -> None:
    period = period_at(parse_instant(anchor), cycle, at(now))
    assert period.to_json() == {"periodStart": start, "periodEnd": end}


@pytest.mark.parametrize(
    ("used", "purchased", "amount", "after"),
    [
        pytest.param(100, 50, 30, (130, 50), id="subscription-only"),
        pytest.param(990, 50, 30, (1000, 30), id="spills-into-purchased"),
        pytest.param(1000, 50, 30, (1000, 20), id="purchased-only"),
    ],
)
def test_billing_spends_subscription_credits_before_purchased(
    used: int, purchased: int, amount: int, after: tuple[int, int]
) -> None:
    org = {"id": "o", "credits": {"limit": 1000}}
    result = spend(org, {"periodStart": 0.0, "used": used, "purchasedBalance": purchased}, amount)
    assert (result["used"], result["purchasedBalance"]) == after


def credits(client: TestClient) -> dict[str, Any]:
    response = client.get("/v1/usage")
    assert response.status_code == 200
    return response.json()["credits"]


def test_billing_fixture_period_and_purchased_balance(client: TestClient) -> None:
    got = credits(client)
    assert got["periodStart"] == "2025-01-01T00:00:00Z" and got["periodEnd"] == "2025-01-31T23:59:59Z"
    assert (got["used"], got["limit"], got["available"]) == (7500, 50000, 42500)
    assert (got["purchasedBalance"], got["totalAvailable"]) == (100000, 142500)


def test_billing_period_rolls_over_and_resets_subscription_credits(app: EmulatorApp, client: TestClient) -> None:
    assert client.post("/v1/chats", json=chat_body("Hello there")).status_code == 200
    before = client.get("/v1/usage").json()
    assert before["credits"]["used"] > 7500 and before["models"]
    client.post("/_emulator/clock", json={"set": "2025-01-31T23:59:59Z"})
    assert credits(client)["used"] == before["credits"]["used"]  # still January
    client.post("/_emulator/clock", json={"advance": 1})
    after = client.get("/v1/usage").json()
    assert after["credits"]["periodStart"] == "2025-02-01T00:00:00Z"
    assert after["credits"]["periodEnd"] == "2025-02-28T23:59:59Z"
    assert (after["credits"]["used"], after["credits"]["available"]) == (0, 50000)
    assert after["credits"]["purchasedBalance"] == 100000  # purchased credits never expire
    assert after["models"] == []  # the per-model breakdown covers the current period
    assert client.post("/v1/chats", json=chat_body("Hello again")).status_code == 200
    assert 0 < credits(client)["used"] < 100


def test_billing_period_on_the_system_clock_contains_today(make_app: Callable[..., EmulatorApp]) -> None:
    with TestClient(make_app(clock="system"), headers=AUTH) as client:
        got = credits(client)
    now = time.time()
    assert at(got["periodStart"]) <= now <= at(got["periodEnd"]) + 1
    assert got["periodStart"].endswith("-01T00:00:00Z")  # the fixture anchor is the 1st at midnight
    assert datetime.fromtimestamp(now, tz=UTC).strftime("%Y-%m") == got["periodStart"][:7]


def test_billing_spends_purchased_credits_once_the_subscription_is_used_up(
    make_app: Callable[..., EmulatorApp], tmp_path: Path
) -> None:
    fixtures = fixtures_with(
        tmp_path, org_default={"credits": {"limit": 7501, "used": 7500, "purchasedBalance": 40, "hardCap": True}}
    )
    with TestClient(make_app(fixtures_dir=fixtures), headers=AUTH) as client:
        reply = client.post("/v1/chats", json=chat_body("Tell me about the refund policy"))
        assert reply.status_code == 200
        usage = client.get("/v1/usage").json()
        got, spent = usage["credits"], usage["models"][0]["credits"]
        assert spent >= 2
        assert (got["used"], got["available"]) == (7501, 0)
        assert got["purchasedBalance"] == 40 - (spent - 1)
        assert got["totalAvailable"] == got["purchasedBalance"]


def test_billing_minted_organisation_is_anchored_on_its_first_month(client: TestClient) -> None:
    client.post("/_emulator/clock", json={"set": "2025-03-17T10:00:00Z"})
    token = client.post("/_emulator/tokens", json={}).json()["token"]
    got = client.get("/v1/usage", headers={"Authorization": f"Bearer {token}"}).json()["credits"]
    assert (got["periodStart"], got["periodEnd"]) == ("2025-03-01T00:00:00Z", "2025-03-31T23:59:59Z")


def test_billing_period_follows_the_tenants_own_clock(client: TestClient) -> None:
    def tenant(org: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {client.post('/_emulator/tenants', json={'org': org}).json()['token']}"}

    tenant("org_t1")
    two = tenant("org_t2")
    client.post("/_emulator/clock", json={"org": "org_t1", "set": "2025-03-10T00:00:00Z"})
    moved = client.get("/v1/usage", headers=tenant("org_t1")).json()["credits"]  # a token minted on its clock
    stayed = client.get("/v1/usage", headers=two).json()["credits"]
    assert (moved["periodStart"], moved["periodEnd"], moved["used"]) == ("2025-03-01T00:00:00Z", "2025-03-31T23:59:59Z", 0)
    assert (stayed["periodStart"], stayed["used"]) == ("2025-01-01T00:00:00Z", 7500)


@pytest.mark.parametrize("cycle", ["monthly", "yearly"])
@pytest.mark.parametrize(
    "anchor",
    ["2025-01-31T00:00:00Z", "2025-01-30T12:00:00Z", "2024-02-29T23:59:59Z", "2025-03-01T00:00:00Z", "2025-01-15T06:30:00Z"]
    + ["2025-01-15T06:30:00.5Z", "2025-01-31T23:59:59.75Z"],
)
def test_billing_org_period_is_the_period_at_every_second_near_boundaries(anchor: str, cycle: str) -> None:
    """The per-month memo behind a chat turn's period gives what the date arithmetic gives: every
    instant within a second of each boundary over four years, plus a sweep of every 6 hours."""
    org = {"id": "o", "billingAnchor": anchor, "plan": {"billingCycle": cycle}}
    base = period_at(parse_instant(anchor), cycle, at("2024-01-01T00:00:00Z"))
    instants: list[float] = [at("2024-01-01T00:00:00Z") + hours * 3600 for hours in range(0, 4 * 365 * 24, 6)]
    period = base
    while period.start < at("2028-01-01T00:00:00Z"):
        instants += [period.start - 1, period.start - 0.5, period.start, period.start + 0.25, period.end, period.end + 0.75]
        instants += [period.start - 0.25, period.end + 0.25, period.end + 0.999]
        period = period_at(parse_instant(anchor), cycle, period.end + 1)
    for instant in instants:
        assert org_period(org, instant) == period_at(parse_instant(anchor), cycle, instant), instant
