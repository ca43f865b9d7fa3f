"""Acceptance (issue 15): two ``serve`` processes on one Redis act as one emulator, and so do the two
workers of ``serve --workers 2``.

Both replicas run the manual clock, shared through Redis: it moves only when told (through either
replica), so the expected ``Retry-After`` values are exact.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import AUTH, chat_body

Replicas = list[str]
#: Seconds a call may take: control calls wait for every replica's acknowledgement, slow on a loaded machine.
TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/_emulator/health", timeout=0.5).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"emulator at {base} did not start: {process.stderr.read() if process.stderr else ''!r}")
        time.sleep(0.05)  # polling a subprocess's start-up: no virtual clock applies here


def _serve(redis_url: str, namespace: str, *extra: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    args = ["--port", str(port), "--state", redis_url, "--state-namespace", namespace, "--clock", "manual", *extra]
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "serve", *args],
        env={k: v for k, v in os.environ.items() if not k.startswith("EMULATOR_")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, process)
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        if process.stderr:
            process.stderr.close()


@contextmanager
def serving_two(redis_url: str, namespace: str, *extra: str) -> Iterator[Replicas]:
    """Two ``serve`` processes on one Redis namespace (with ``extra`` options), reset before and after."""
    servers = [_serve(redis_url, namespace, *extra) for _ in range(2)]
    try:
        bases = [next(server)[0] for server in servers]
        httpx.post(f"{bases[0]}/_emulator/reset", timeout=TIMEOUT)
        yield bases
        httpx.post(f"{bases[0]}/_emulator/reset", timeout=TIMEOUT)
    finally:
        for server in servers:
            server.close()


@pytest.fixture
def replicas(redis_url: str, redis_namespace: str) -> Iterator[Replicas]:
    with serving_two(redis_url, redis_namespace) as bases:
        yield bases


def advance(bases: Replicas, seconds: float) -> None:
    """Move the shared manual clock through the first replica only: every replica reads it."""
    assert httpx.post(f"{bases[0]}/_emulator/clock", json={"advance": seconds}, timeout=TIMEOUT).status_code == 200


def chat_total(base: str) -> int:
    return int(httpx.get(f"{base}/v1/chats", headers=AUTH, timeout=TIMEOUT).json()["totalCount"])


def test_replicas_32_concurrent_same_key_posts_create_exactly_one_chat(replicas: Replicas) -> None:
    async def post_all() -> list[httpx.Response]:
        async with httpx.AsyncClient(headers={**AUTH, "Idempotency-Key": "one-chat"}, timeout=20) as client:
            return await asyncio.gather(*(client.post(f"{replicas[n % 2]}/v1/chats", json=chat_body("race")) for n in range(32)))

    responses = asyncio.run(post_all())
    fresh = [r for r in responses if r.status_code == 200 and "idempotent-replayed" not in r.headers]
    replayed = [r for r in responses if r.status_code == 200 and r.headers.get("idempotent-replayed") == "true"]
    in_flight = [r for r in responses if r.status_code == 409]
    assert len(fresh) == 1, [r.status_code for r in responses]
    assert len(fresh) + len(replayed) + len(in_flight) == 32
    assert all(r.content == fresh[0].content for r in replayed)
    assert chat_total(replicas[0]) == chat_total(replicas[1]) == 1  # one object, seen through both


def test_replicas_61st_call_of_a_user_across_both_is_429_with_exact_retry_after(replicas: Replicas) -> None:
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        for n in range(60):
            assert client.get(f"{replicas[n % 2]}/v1/datasets").status_code == 200
        advance(replicas, 25)
        for base in replicas:
            response = client.get(f"{base}/v1/datasets")
            assert response.status_code == 429
            assert response.headers["retry-after"] == "35"
            assert response.json()["detail"] == "Rate limit exceeded. Retry after 35 seconds."
        advance(replicas, 35)
        assert client.get(f"{replicas[1]}/v1/datasets").headers["x-ratelimit-remaining"] == "59"


def test_replicas_reset_through_one_is_seen_by_the_other(replicas: Replicas) -> None:
    a, b = replicas
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        first = client.post(f"{a}/v1/chats", json=chat_body("kept?"), headers={"Idempotency-Key": "before-reset"})
        assert first.status_code == 200
        for _ in range(59):
            assert client.get(f"{a}/v1/datasets").status_code == 200
        assert client.get(f"{b}/v1/datasets").status_code == 429
        assert client.post(f"{a}/_emulator/reset").status_code == 204
        after = client.get(f"{b}/v1/datasets")
        assert after.status_code == 200 and after.headers["x-ratelimit-remaining"] == "59"
        again = client.post(f"{b}/v1/chats", json=chat_body("kept?"), headers={"Idempotency-Key": "before-reset"})
        assert again.status_code == 200 and "idempotent-replayed" not in again.headers  # the key was forgotten


def test_replicas_a_chat_created_through_one_is_read_and_listed_through_the_other(replicas: Replicas) -> None:
    a, b = replicas
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        created = client.post(f"{a}/v1/chats", json=chat_body("made on a"))
        assert created.status_code == 200
        chat_id = created.json()["id"]
        read = client.get(f"{b}/v1/chats/{chat_id}")
        assert read.status_code == 200 and [m["content"] for m in read.json()["messages"]][0] == "made on a"
        assert [item["id"] for item in client.get(f"{b}/v1/chats").json()["items"]] == [chat_id]
        more = client.post(f"{b}/v1/chats", json={"chatId": chat_id, "messages": [{"role": "user", "content": "on b"}]})
        assert more.status_code == 200
        assert client.get(f"{a}/v1/chats/{chat_id}").json() == client.get(f"{b}/v1/chats/{chat_id}").json()
        assert len(client.get(f"{a}/v1/chats/{chat_id}").json()["messages"]) == 4


def test_replicas_a_cursor_issued_by_one_pages_the_other(replicas: Replicas) -> None:
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        for n in range(4):
            assert client.post(f"{replicas[n % 2]}/v1/datasets", json={"name": f"d{n}"}).status_code == 201
        whole = [item["id"] for item in client.get(f"{replicas[0]}/v1/datasets", params={"limit": 100}).json()["items"]]
        assert whole == [item["id"] for item in client.get(f"{replicas[1]}/v1/datasets", params={"limit": 100}).json()["items"]]
        seen, cursor, turn = [], None, 0
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = client.get(f"{replicas[turn % 2]}/v1/datasets", params=params)
            assert page.status_code == 200, page.text
            seen += [item["id"] for item in page.json()["items"]]
            cursor, turn = page.json()["nextCursor"], turn + 1
            if cursor is None:
                break
        assert seen == whole and len(whole) == 6 and turn == 3


def test_replicas_dataset_created_on_a_updated_on_b_deleted_on_a_is_gone_on_both(replicas: Replicas) -> None:
    a, b = replicas
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        dataset = client.post(f"{a}/v1/datasets", json={"name": "travels"}).json()
        url = f"/v1/datasets/{dataset['id']}"
        updated = client.patch(f"{b}{url}", json={"name": "renamed on b"})
        assert updated.status_code == 200
        assert client.get(f"{a}{url}").json()["name"] == "renamed on b"
        assert client.delete(f"{a}{url}").status_code == 204
        assert [client.get(f"{base}{url}").status_code for base in replicas] == [404, 404]
        lists = [[item["id"] for item in client.get(f"{base}/v1/datasets").json()["items"]] for base in replicas]
        assert lists[0] == lists[1] and dataset["id"] not in lists[0]


def test_replicas_resources_reset_through_one_are_reset_on_the_other(replicas: Replicas) -> None:
    a, b = replicas
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        tenant = client.post(f"{a}/_emulator/tenants", json={"org": "org_replica"}).json()
        auth = {"Authorization": f"Bearer {tenant['token']}"}
        made = client.post(f"{a}/v1/datasets", json={"name": "tenant's"}, headers=auth).json()
        assert client.get(f"{b}/v1/datasets/{made['id']}", headers=auth).status_code == 200
        fixture_made = client.post(f"{b}/v1/datasets", json={"name": "default's"}).json()
        assert client.post(f"{b}/_emulator/reset", json={"org": "org_replica"}).status_code == 204
        assert client.get(f"{a}/v1/datasets/{made['id']}", headers=auth).status_code == 404
        assert client.get(f"{a}/v1/datasets/{fixture_made['id']}").status_code == 200  # another tenant kept its own
        assert client.post(f"{a}/_emulator/reset").status_code == 204
        assert client.get(f"{b}/v1/datasets/{fixture_made['id']}").status_code == 404


def test_replicas_workers_2_on_redis_share_limits_and_keys(redis_url: str, redis_namespace: str) -> None:
    server = _serve(redis_url, redis_namespace, "--workers", "2")
    base, _ = next(server)
    try:
        httpx.post(f"{base}/_emulator/reset", timeout=TIMEOUT)
        statuses = []
        for _ in range(61):
            with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:  # a new connection each time: the kernel spreads them
                statuses.append(client.get(f"{base}/v1/datasets").status_code)
        assert statuses == [200] * 60 + [429]
        with httpx.Client(headers={**AUTH, "Idempotency-Key": "w"}, timeout=TIMEOUT) as client:
            assert client.post(f"{base}/_emulator/reset").status_code == 204
            first = client.post(f"{base}/v1/chats", json=chat_body("workers"))
        with httpx.Client(headers={**AUTH, "Idempotency-Key": "w"}, timeout=TIMEOUT) as client:
            second = client.post(f"{base}/v1/chats", json=chat_body("workers"))
        assert (first.status_code, second.status_code) == (200, 200)
        assert second.headers["idempotent-replayed"] == "true" and second.content == first.content
        assert httpx.post(f"{base}/_emulator/reset", timeout=TIMEOUT).status_code == 204  # 60 calls below: the minute's budget
        for n in range(20):  # a new connection each time: creates and reads land on either worker
            with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
                made = client.post(f"{base}/v1/datasets", json={"name": f"w{n}"})
            with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
                assert client.get(f"{base}/v1/datasets/{made.json()['id']}").status_code == 200
            with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
                listed = client.get(f"{base}/v1/datasets", params={"limit": 100}).json()["items"]
                assert made.json()["id"] in [item["id"] for item in listed]
    finally:
        server.close()


def test_replicas_scenario_rule_calls_3_fires_exactly_once_across_both(
    redis_url: str, redis_namespace: str, tmp_path: Path
) -> None:
    scenario = tmp_path / "third.yaml"
    scenario.write_text("name: third\nrules:\n  - match: {path: /v1/datasets}\n    when: {calls: [3]}\n    error: 503\n")
    with (
        serving_two(redis_url, redis_namespace, "--scenario", str(scenario)) as bases,
        httpx.Client(headers=AUTH, timeout=TIMEOUT) as client,
    ):
        statuses = [client.get(f"{bases[n % 2]}/v1/datasets").status_code for n in range(8)]
    assert statuses == [200, 200, 503, 200, 200, 200, 200, 200]


def _journal(base: str, **filters: str) -> list[tuple[str, str, int, str | None]]:
    items = httpx.get(f"{base}/_emulator/requests", params=filters, timeout=TIMEOUT).json()["items"]
    return [(item["method"], item["path"], item["status"], item["orgId"]) for item in items]


def test_replicas_journal_through_either_shows_both_in_order_filters_and_per_tenant_reset(replicas: Replicas) -> None:
    a, b = replicas
    with httpx.Client(headers=AUTH, timeout=TIMEOUT) as client:
        tenant = client.post(f"{a}/_emulator/tenants", json={"org": "org_journal"}).json()
        auth = {"Authorization": f"Bearer {tenant['token']}"}
        assert client.get(f"{a}/v1/datasets").status_code == 200
        assert client.post(f"{b}/v1/datasets", json={"name": "on b"}, headers=auth).status_code == 201
        assert client.get(f"{b}/v1/datasets/nope").status_code == 404
        assert client.get(f"{a}/v1/datasets", headers=auth).status_code == 200
        served = [
            ("GET", "/v1/datasets", 200, "org_default"),
            ("POST", "/v1/datasets", 201, "org_journal"),
            ("GET", "/v1/datasets/nope", 404, "org_default"),
            ("GET", "/v1/datasets", 200, "org_journal"),
        ]
        assert _journal(a) == _journal(b) == served  # each read right after the other replica answered
        seqs = [item["seq"] for item in client.get(f"{b}/_emulator/requests").json()["items"]]
        assert seqs == sorted(seqs) and len(set(seqs)) == 4
        assert _journal(b, status="404") == [served[2]]
        assert _journal(a, org="org_journal", method="GET") == [served[3]]
        assert _journal(a, path="regex:^/v1/datasets/") == [served[2]]
        verify = client.post(f"{b}/_emulator/requests/verify", json={"method": "POST", "path": "/v1/datasets", "count": 1})
        assert verify.status_code == 200 and verify.json()["matched"] == 1
        assert client.post(f"{b}/_emulator/reset", json={"org": "org_journal"}).status_code == 204
        assert _journal(a) == _journal(b) == [served[0], served[2]]  # only that tenant's entries are gone
        assert client.delete(f"{a}/_emulator/requests", params={"org": "org_default"}).status_code == 204
        assert _journal(b) == []
        assert client.get(f"{b}/v1/datasets").status_code == 200
        assert _journal(a) == [served[0]]
        assert client.post(f"{a}/_emulator/reset").status_code == 204
        assert _journal(b) == []
