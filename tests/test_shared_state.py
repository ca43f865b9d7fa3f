"""Two emulators on one Redis (``--state redis://...``) behave as one: limits, keys and reset are shared.

In-process apps here (fast, manual clocks); ``tests/test_replicas.py`` does the same with two real
``serve`` processes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from tests.conftest import AUTH, chat_body

Pair = tuple[EmulatorApp, TestClient, EmulatorApp, TestClient]


@pytest.fixture
def pair(make_app: Callable[..., EmulatorApp], redis_url: str, redis_namespace: str) -> Iterator[Pair]:
    """Two apps sharing one Redis namespace, each with its own client (and event loop)."""
    apps = [make_app(state=redis_url, state_namespace=redis_namespace, rate_limit="on") for _ in range(2)]
    with ExitStack() as stack:
        clients = [stack.enter_context(TestClient(a, base_url="http://emulator", headers=AUTH)) for a in apps]
        clients[0].post("/_emulator/reset")
        yield apps[0], clients[0], apps[1], clients[1]
        clients[0].post("/_emulator/reset")
    for a in apps:
        assert not a.state.server_errors, a.state.server_errors


def test_shared_61st_call_over_two_apps_is_429_with_exact_retry_after(pair: Pair) -> None:
    a, ca, b, cb = pair
    for n in range(60):
        assert (ca if n % 2 else cb).get("/v1/datasets").status_code == 200
    for app in (a, b):
        app.state.clock.advance(25)
    response = cb.get("/v1/datasets")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "35"
    assert response.json()["detail"] == "Rate limit exceeded. Retry after 35 seconds."
    assert ca.get("/v1/datasets").headers["retry-after"] == "35"


def test_shared_idempotency_key_replays_through_the_other_app(pair: Pair) -> None:
    _, ca, _, cb = pair
    first = ca.post("/v1/chats", json=chat_body("once"), headers={"Idempotency-Key": "k-shared"})
    assert first.status_code == 200
    again = cb.post("/v1/chats", json=chat_body("once"), headers={"Idempotency-Key": "k-shared"})
    assert again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    # one chat, created once (by the first app) and seen by both
    assert [int(c.get("/v1/chats").json()["totalCount"]) for c in (ca, cb)] == [1, 1]
    other = cb.post("/v1/chats", json=chat_body("changed"), headers={"Idempotency-Key": "k-shared"})
    assert other.status_code == 422


def test_shared_reset_through_one_app_is_seen_by_the_other(pair: Pair) -> None:
    _, ca, _, cb = pair
    for _ in range(60):
        assert ca.get("/v1/datasets").status_code == 200
    assert cb.get("/v1/datasets").status_code == 429
    assert ca.post("/_emulator/reset").status_code == 204
    response = cb.get("/v1/datasets")
    assert response.status_code == 200
    assert response.headers["x-ratelimit-remaining"] == "59"


THIRD_CALL = "name: third\nrules:\n  - match: {path: /v1/datasets}\n    when: {calls: [3]}\n    error: 503\n"
STATEFUL = (
    "name: breaker\nrules:\n"
    "  - match: {path: /v1/datasets}\n    when: {calls: [2]}\n    then: {set_state: broken}\n    error: 500\n"
    "  - match: {path: /v1/datasets}\n    when: {state: broken}\n    error: 502\n"
)
FLAKY = "name: flaky\nseed: 3\nrules:\n  - match: {path: /v1/datasets}\n    when: {probability: 0.5}\n    error: 500\n"


def activate(client: TestClient, text: str) -> None:
    response = client.post("/_emulator/scenarios", content=text.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 201, response.text


def test_shared_scenario_calls_3_fires_once_across_two_apps(pair: Pair) -> None:
    _, ca, _, cb = pair
    for client in (ca, cb):
        activate(client, THIRD_CALL)
    statuses = [(ca if n % 2 else cb).get("/v1/datasets").status_code for n in range(6)]
    assert statuses == [200, 200, 503, 200, 200, 200]
    calls = ca.get("/_emulator/scenarios").json()["active"][0]["organizations"]["org_default"]["calls"]
    assert list(calls.values()) == [6]  # the shared count, as of the 6th call (served by this app)


def test_shared_scenario_state_set_through_one_app_holds_on_the_other(pair: Pair) -> None:
    _, ca, _, cb = pair
    for client in (ca, cb):
        activate(client, STATEFUL)
    assert [ca.get("/v1/datasets").status_code, cb.get("/v1/datasets").status_code] == [200, 500]
    assert [ca.get("/v1/datasets").status_code, cb.get("/v1/datasets").status_code] == [502, 502]


def test_shared_scenario_probability_does_not_depend_on_which_app_serves(pair: Pair) -> None:
    _, ca, _, cb = pair
    for client in (ca, cb):
        activate(client, FLAKY)
    alone = [ca.get("/v1/datasets").status_code for _ in range(12)]
    for client in (ca, cb):
        activate(client, FLAKY)  # re-activating starts the shared counters over
    spread = [(ca if n % 3 else cb).get("/v1/datasets").status_code for n in range(12)]
    assert alone == spread
    assert set(alone) == {200, 500}


def test_shared_token_minted_through_one_app_works_on_the_other_with_one_budget(pair: Pair) -> None:
    _, ca, _, cb = pair
    minted = ca.post("/_emulator/tokens", json={"user": "member_minted", "org": "org_minted"})
    assert minted.status_code == 201
    auth = {"Authorization": f"Bearer {minted.json()['token']}"}
    for n in range(60):
        assert (ca if n % 2 else cb).get("/v1/datasets", headers=auth).status_code == 200
    assert cb.get("/v1/datasets", headers=auth).status_code == 429
    assert cb.get("/v1/datasets").status_code == 200  # the fixture user's budget is its own


def test_shared_tenant_reset_through_one_app_frees_that_tenant_on_the_other(pair: Pair) -> None:
    _, ca, _, cb = pair
    minted = ca.post("/_emulator/tokens", json={"user": "member_t", "org": "org_t"}).json()
    auth = {"Authorization": f"Bearer {minted['token']}"}
    for _ in range(60):
        assert ca.get("/v1/datasets", headers=auth).status_code == 200
        ca.get("/v1/datasets")
    assert cb.get("/v1/datasets", headers=auth).status_code == 429
    assert ca.post("/_emulator/reset", json={"org": "org_t"}).status_code == 204
    assert cb.get("/v1/datasets", headers=auth).status_code == 200
    assert cb.get("/v1/datasets").status_code == 429  # another organisation keeps its windows


SLOW = "name: slow\nrules:\n  - match: {path: /v1/datasets}\n    delay: 30s\n"


def test_shared_skipped_wait_moves_the_clock_the_other_app_reads(pair: Pair) -> None:
    _, ca, _, cb = pair  # manual clocks with --manual-waits skip: a scripted wait jumps virtual time
    activate(ca, SLOW)
    start = cb.get("/_emulator/clock").json()["epoch"]
    assert ca.get("/v1/datasets").status_code == 200
    assert cb.get("/_emulator/clock").json()["epoch"] == start + 30


def test_shared_tenant_skipped_wait_moves_its_own_clock_on_the_other_app(pair: Pair) -> None:
    _, ca, _, cb = pair
    activate(ca, SLOW)
    minted = ca.post("/_emulator/tokens", json={"user": "member_w", "org": "org_w"}).json()
    start = cb.get("/_emulator/clock").json()["epoch"]
    assert ca.get("/v1/datasets", headers={"Authorization": f"Bearer {minted['token']}"}).status_code == 200
    assert cb.get("/_emulator/clock", params={"org": "org_w"}).json()["offset"] == 30
    assert cb.get("/_emulator/clock").json()["epoch"] == start  # the tenant's wait moved only its own time


def test_shared_scenario_activated_through_one_app_acts_on_the_other(pair: Pair) -> None:
    _, ca, _, cb = pair
    activate(ca, THIRD_CALL)
    assert [entry["name"] for entry in cb.get("/_emulator/scenarios").json()["active"]] == ["third"]
    statuses = [(cb if n % 2 else ca).get("/v1/datasets").status_code for n in range(4)]
    assert statuses == [200, 200, 503, 200]
    assert cb.delete("/_emulator/scenarios/third").status_code == 204
    assert ca.get("/_emulator/scenarios").json()["active"] == []


def test_shared_scenario_of_a_tenant_goes_with_its_reset_on_the_other_app(pair: Pair) -> None:
    _, ca, _, cb = pair
    response = ca.post("/_emulator/scenarios", json={"name": "maintenance", "org": "org_default"})
    assert response.status_code == 201
    assert cb.get("/v1/datasets").status_code == 503
    assert ca.post("/_emulator/reset", json={"org": "org_default"}).status_code == 204
    assert cb.get("/_emulator/scenarios").json()["active"] == []
    assert cb.get("/v1/datasets").status_code == 200


def test_shared_full_reset_through_one_app_drops_the_others_run_time_scenarios(pair: Pair) -> None:
    _, ca, _, cb = pair
    activate(cb, THIRD_CALL)
    assert ca.post("/_emulator/reset").status_code == 204
    assert cb.get("/_emulator/scenarios").json()["active"] == []


def test_shared_settings_listener_subscribes_again_after_its_connection_is_killed(redis_url: str, redis_namespace: str) -> None:
    """A listener whose Redis connection dies (a Redis restart, a killed client) subscribes again and
    re-reads the settings, so later changes still reach its process."""
    from emulator.backend.redis_backend import RedisBackend

    async def scenario() -> list[dict[str, str]]:
        writer, listener = (RedisBackend(redis_url, namespace=redis_namespace) for _ in range(2))
        seen: list[dict[str, str]] = []
        task = asyncio.ensure_future(listener.settings_listen(seen.append))
        client = writer._redis()
        channel = writer.key("settings-changed")

        async def subscribers() -> int:
            return int(dict(await client.pubsub_numsub(channel))[channel.encode()])

        try:
            for _ in range(500):  # wall-time polling of another connection's state, bounded (5 s)
                if await subscribers() == 1:
                    break
                await asyncio.sleep(0.01)
            await client.client_kill_filter(_type="pubsub")
            await writer.settings_write({"strict": "1"})  # written while the listener is away
            for _ in range(500):
                if await subscribers() == 1 and seen[-1] == {"strict": "1"}:
                    break
                await asyncio.sleep(0.01)
            await writer.settings_write({"clock": "1.5"})
            assert await writer.settings_announce() == 1
            return seen
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await writer.reset()
            for backend in (writer, listener):
                await backend.aclose()

    seen = asyncio.run(scenario())
    assert seen[-1] == {"strict": "1", "clock": "1.5"}


def test_shared_resources_written_through_one_app_are_in_the_others_console_tables(pair: Pair) -> None:
    _, ca, _, cb = pair
    made = ca.post("/v1/datasets", json={"name": "seen in b's console"}).json()
    minted = ca.post("/_emulator/tenants", json={"org": "org_console"})
    assert minted.status_code == 201
    tables = cb.get("/_emulator/state", params={"org": "org_default"}).json()["tables"]
    assert made["id"] in [row["id"] for row in tables["datasets"]["rows"]]
    assert cb.get("/_emulator/state", params={"org": "org_console"}).status_code == 200  # minted through a


def test_shared_unnamed_tenants_and_callers_minted_through_two_apps_never_share_a_name(pair: Pair) -> None:
    _, ca, _, cb = pair
    tenants = [client.post("/_emulator/tenants", json={}).json()["org"] for client in (ca, cb)]
    callers = [client.post("/_emulator/tokens", json={}).json() for client in (ca, cb)]
    assert tenants[0] != tenants[1]
    assert callers[0]["user"] != callers[1]["user"] and callers[0]["org"] != callers[1]["org"]
