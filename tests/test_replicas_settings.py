"""Issue 15: run-time settings are shared by two ``serve`` processes on one Redis, with no staleness a
client can observe: the manual clock and per-tenant clock offsets, strict mode, the settings a tenant
was minted with, and held answers released by a clock move through the other replica.

Each test changes a setting through one replica and, once that control call has answered, checks the
effect through the other one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest

from tests.conftest import AUTH
from tests.test_replicas import TIMEOUT, Replicas, _serve, serving_two

# control calls wait up to 5 s for every replica's acknowledgement: httpx's 5 s default is too short under load
get = partial(httpx.get, timeout=TIMEOUT)
post = partial(httpx.post, timeout=TIMEOUT)

START = "2025-01-01T00:00:00Z"


@pytest.fixture
def replicas(redis_url: str, redis_namespace: str) -> Iterator[Replicas]:
    with serving_two(redis_url, redis_namespace) as bases:
        yield bases


def clock(base: str, org: str | None = None) -> dict[str, object]:
    response = get(f"{base}/_emulator/clock", params={"org": org} if org else None)
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def move(base: str, **body: object) -> dict[str, object]:
    response = post(f"{base}/_emulator/clock", json=body)
    assert response.status_code == 200, response.text
    moved: dict[str, object] = response.json()
    return moved


def test_replicas_settings_clock_advanced_through_one_is_read_by_the_other(replicas: Replicas) -> None:
    a, b = replicas
    start = clock(b)["epoch"]
    moved = move(a, advance=90.5)
    assert clock(b) == {**moved, "epoch": float(start) + 90.5}  # type: ignore[arg-type]
    set_through_b = move(b, set="2030-06-01T12:00:00Z")
    assert clock(a) == set_through_b and set_through_b["now"] == "2030-06-01T12:00:00Z"


def test_replicas_settings_token_expires_on_the_other_replica_when_one_advances(replicas: Replicas) -> None:
    a, b = replicas
    minted = post(f"{a}/_emulator/tokens", json={"org": "org_clock", "expiresIn": 60}).json()
    bearer = {"Authorization": f"Bearer {minted['token']}"}
    assert get(f"{b}/v1/datasets", headers=bearer).status_code == 200
    move(a, advance=60 + 30)  # expiry plus the 30 s verification leeway
    assert get(f"{b}/v1/datasets", headers=bearer).status_code == 200
    move(a, advance=1)
    assert get(f"{b}/v1/datasets", headers=bearer).status_code == 401


def test_replicas_settings_rate_window_frees_after_an_advance_through_one_replica(replicas: Replicas) -> None:
    a, b = replicas
    with httpx.Client(headers=AUTH) as client:
        for n in range(60):
            assert client.get(f"{replicas[n % 2]}/v1/datasets").status_code == 200
        assert client.get(f"{b}/v1/datasets").headers["retry-after"] == "60"
        move(a, advance=60)  # only A is told: B reads the shared clock
        assert client.get(f"{b}/v1/datasets").headers["x-ratelimit-remaining"] == "59"


def test_replicas_settings_tenant_offset_through_one_is_applied_by_the_other(replicas: Replicas) -> None:
    a, b = replicas
    minted = post(f"{a}/_emulator/tokens", json={"org": "org_late", "expiresIn": 3600}).json()
    bearer = {"Authorization": f"Bearer {minted['token']}"}
    moved = move(b, org="org_late", advance=3631)  # expiry plus the 30 s leeway
    assert moved["offset"] == 3631
    assert clock(a, "org_late") == moved
    assert clock(a)["now"] == START  # the server clock did not move
    assert get(f"{a}/v1/datasets", headers=bearer).status_code == 401  # expired in its own time only
    assert get(f"{a}/v1/datasets", headers=AUTH).status_code == 200
    assert post(f"{a}/_emulator/reset", json={"org": "org_late"}).status_code == 204
    assert clock(b, "org_late")["offset"] == 0


def test_replicas_settings_strict_requests_switched_through_one_apply_on_the_other(replicas: Replicas) -> None:
    a, b = replicas
    body = {"name": "kb", "extra": 1}
    assert post(f"{b}/v1/datasets", json=body, headers=AUTH).status_code == 201
    switched = post(f"{a}/_emulator/strict-requests", json={"strict": True})
    assert switched.status_code == 200
    refused = post(f"{b}/v1/datasets", json=body, headers=AUTH)
    assert refused.status_code == 422 and "extra" in refused.text
    assert get(f"{b}/_emulator/strict-requests").json() == switched.json()
    post(f"{b}/_emulator/strict-requests", json={"strict": False, "org": "org_default"})
    assert post(f"{a}/v1/datasets", json=body, headers=AUTH).status_code == 201  # the tenant opted out
    assert get(f"{a}/_emulator/strict-requests").json()["orgs"] == {"org_default": False}
    post(f"{b}/_emulator/reset")
    assert get(f"{a}/_emulator/strict-requests").json() == {"strict": False, "default": False, "orgs": {}}


def test_replicas_settings_tenant_minted_through_one_has_its_limits_on_the_other(replicas: Replicas) -> None:
    a, b = replicas
    minted = post(f"{a}/_emulator/tenants", json={"org": "org_tight", "settings": {"rate_limit_per_user": 2}})
    assert minted.status_code == 201
    bearer = {"Authorization": f"Bearer {minted.json()['token']}"}
    statuses = [get(f"{base}/v1/datasets", headers=bearer).status_code for base in (b, a, b)]
    assert statuses == [200, 200, 429]
    assert get(f"{b}/v1/datasets", headers=AUTH).status_code == 200  # other tenants keep the server's limits


def test_replicas_settings_tenant_clock_mode_follows_the_tenant(replicas: Replicas) -> None:
    a, b = replicas
    minted = post(f"{b}/_emulator/tenants", json={"org": "org_sys", "settings": {"clock": "system"}})
    assert minted.status_code == 201 and minted.json()["settings"] == {"clock": "system"}
    start = float(clock(a)["epoch"])  # type: ignore[arg-type]
    on_a, on_b = clock(a, "org_sys"), clock(b, "org_sys")
    # its time flows in real time from the instant it was minted (a manual one would read exactly start):
    # an offset over the system clock, the same on both replicas
    assert on_a["offset"] == on_b["offset"] and float(on_a["offset"]) < -3600  # type: ignore[arg-type]
    assert start < float(on_a["epoch"]) < float(on_b["epoch"])  # type: ignore[arg-type]


async def _until_in_flight(client: httpx.AsyncClient, base: str, path: str) -> None:
    """Poll ``base``'s journal until a call of ``path`` is there without a status (held, not answered)."""
    for _ in range(400):
        items = (await client.get(f"{base}/_emulator/requests")).json()["items"]
        if any(item["path"] == path and item["status"] is None for item in items):
            return
        await asyncio.sleep(0.025)  # waiting for another process to receive a request: wall time
    raise AssertionError(f"no call of {path} in flight on {base}")


@pytest.mark.parametrize("org", [pytest.param(None, id="server-clock"), pytest.param("org_held", id="tenant-clock")])
def test_replicas_settings_held_answer_on_one_is_released_by_an_advance_through_the_other(
    redis_url: str, redis_namespace: str, tmp_path: Path, org: str | None
) -> None:
    scenario = tmp_path / "held.yaml"
    scenario.write_text("name: held\nrules:\n  - match: {path: /v1/datasets}\n    delay: 30s\n")
    with serving_two(redis_url, redis_namespace, "--scenario", str(scenario)) as (a, b):
        headers = AUTH
        if org is not None:  # a tenant's request waits on the tenant's own clock; only its offset moves
            headers = {"Authorization": f"Bearer {post(f'{a}/_emulator/tokens', json={'org': org}).json()['token']}"}

        async def held_then_advanced() -> tuple[bool, httpx.Response]:
            async with httpx.AsyncClient(headers=headers, timeout=20) as client:
                request = asyncio.ensure_future(client.get(f"{a}/v1/datasets"))
                await _until_in_flight(client, a, "/v1/datasets")
                still_held = not request.done()
                move = {"advance": 30} if org is None else {"advance": 30, "org": org}
                assert (await client.post(f"{b}/_emulator/clock", json=move)).status_code == 200
                return still_held, await asyncio.wait_for(request, 10)

        still_held, response = asyncio.run(held_then_advanced())
    assert still_held
    assert response.status_code == 200 and "items" in response.json()


def test_replicas_settings_workers_2_all_read_a_clock_moved_through_one(redis_url: str, redis_namespace: str) -> None:
    server = _serve(redis_url, redis_namespace, "--workers", "2")
    base, _ = next(server)
    try:
        post(f"{base}/_emulator/reset")
        with httpx.Client() as client:
            moved = client.post(f"{base}/_emulator/clock", json={"advance": 3600}).json()
            switched = client.post(f"{base}/_emulator/strict-requests", json={"strict": True}).json()
        seen = set()
        for _ in range(12):
            with httpx.Client() as client:  # a new connection each time: the kernel spreads them over both workers
                seen.add(client.get(f"{base}/_emulator/clock").json()["now"])
                assert client.get(f"{base}/_emulator/strict-requests").json() == switched
        assert seen == {moved["now"]} and moved["now"] == "2025-01-01T01:00:00Z"
    finally:
        post(f"{base}/_emulator/reset")
        server.close()
