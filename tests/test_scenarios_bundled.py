"""Every ready-made scenario, through a real socket (uvicorn on port 0): what a client sees."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from emulator import Config, create_app
from emulator.server import LiveServer
from tests.conftest import AUTH, chat_body
from tests.scenario_helpers import native_chunks

Serve = Callable[..., Any]


@contextmanager
def served(**options: Any) -> Iterator[tuple[LiveServer, httpx.Client]]:
    options.setdefault("clock", "manual")
    options.setdefault("rate_limit", "off")
    app = create_app(Config(**options))
    with LiveServer(app) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as client:
        yield server, client
    assert not app.state.server_errors, app.state.server_errors


def stream_chat(
    client: httpx.Client, text: str = "Tell me a long story about a lighthouse keeper", **kwargs: Any
) -> tuple[int, list[dict[str, Any]], bool]:
    """POST a streamed chat; returns status, the JSON chunks received and whether [DONE] came. A cut
    connection ends the read (whatever error the transport reports)."""
    raw = b""
    with client.stream("POST", "/v1/chats", json=chat_body(text, stream=True), **kwargs) as response:
        status = response.status_code
        try:
            for piece in response.iter_raw():
                raw += piece
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout):
            pass
    chunks, done = native_chunks(raw.decode())
    return status, chunks, done


def deltas(chunks: list[dict[str, Any]]) -> list[str]:
    return [c["delta"] for c in chunks if not c.get("finished") and c.get("delta")]


def test_scenario_happy_path_changes_nothing() -> None:
    with served(scenarios=("happy-path",)) as (_, client):
        status, chunks, done = stream_chat(client)
        assert status == 200 and done and chunks[-1]["finished"] and "usage" in chunks[-1]
        assert client.get("/v1/models").status_code == 200
        assert {e["rule"] for e in client.get("/_emulator/requests").json()["items"]} == {None}


def test_scenario_rate_limited_storm_then_recovery() -> None:
    with served(scenarios=("rate-limited",)) as (_, client):
        responses = [client.get("/v1/models") for _ in range(5)]
    assert [r.status_code for r in responses] == [429, 429, 429, 200, 200]
    storm = responses[0]
    assert storm.headers["retry-after"] == "2" and storm.headers["x-ratelimit-remaining"] == "0"
    assert storm.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": "Rate limit exceeded. Retry after 2 seconds.",
    }


def _flaky_run() -> list[int]:
    with served(scenarios=("flaky-5xx",)) as (_, client):
        return [client.get("/v1/models").status_code for _ in range(30)]


def test_scenario_flaky_5xx_same_seed_same_failures() -> None:
    first, second = _flaky_run(), _flaky_run()
    assert first == second
    failures = [s for s in first if s != 200]
    assert failures and set(failures) <= {500, 502, 503}
    assert 2 <= len(failures) <= 12  # about 20% of 30


def test_scenario_slow_first_token_on_the_manual_clock() -> None:
    with served(scenarios=("slow-first-token",)) as (server, client):
        clock = server.app.state.clock
        before, wall = clock.now(), time.monotonic()
        status, chunks, done = stream_chat(client)
        elapsed_wall = time.monotonic() - wall
        pieces = deltas(chunks)
        assert status == 200 and done and len(pieces) > 1
        # 1.5 s before the first delta, 20 ms before each later one: nothing else moves the clock
        assert clock.now() - before == pytest.approx(1.5 + 0.02 * (len(pieces) - 1))
        assert elapsed_wall < 1.0


def test_scenario_stream_cut_exactly_five_deltas_no_done() -> None:
    with served(scenarios=("stream-cut",)) as (_, client):
        status, chunks, done = stream_chat(client)
        assert status == 200
        assert len(chunks) == 5 and all(not c["finished"] for c in chunks)
        assert not done


def test_scenario_stream_stall_keeps_connection_open_after_three_deltas() -> None:
    with served(scenarios=("stream-stall",)) as (_, client):
        wall = time.monotonic()
        received = b""
        with (
            pytest.raises(httpx.ReadTimeout),
            client.stream(
                "POST",
                "/v1/chats",
                json=chat_body("Tell me a long story", stream=True),
                timeout=httpx.Timeout(5, read=0.5),
            ) as response,
        ):
            assert response.status_code == 200
            for piece in response.iter_raw():
                received += piece
        chunks, done = native_chunks(received.decode())
        assert len(chunks) == 3 and not done
        assert time.monotonic() - wall < 3


def test_scenario_in_band_error_after_three_deltas() -> None:
    with served(scenarios=("in-band-error",)) as (_, client):
        status, chunks, done = stream_chat(client)
    assert status == 200 and done
    assert [c["finished"] for c in chunks] == [False, False, False, True]
    assert chunks[-1]["error"]["code"] == "service_error" and chunks[-1]["error"]["message"]


def test_scenario_in_band_error_ai_sdk_format() -> None:
    with (
        served(scenarios=("in-band-error",)) as (_, client),
        client.stream(
            "POST",
            "/v1/chats",
            json=chat_body("Tell me a long story", stream=True),
            headers={"X-Stream-Format": "ai-sdk"},
        ) as response,
    ):
        text = response.read().decode()
    parts = [json.loads(b[6:]) for b in text.split("\n\n") if b.startswith("data: {")]
    assert [p["type"] for p in parts].count("text-delta") == 3
    assert parts[-1]["type"] == "error" and parts[-1]["errorText"]


def test_scenario_expired_token_after_two_calls() -> None:
    with served(scenarios=("expired-token",)) as (_, client):
        responses = [client.get("/v1/models") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 401, 401]
    assert responses[2].json()["detail"] == "Invalid or expired token."
    assert responses[2].headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_scenario_insufficient_credits_refuses_chats_only() -> None:
    with served(scenarios=("insufficient-credits",)) as (_, client):
        chat = client.post("/v1/chats", json=chat_body())
        models = client.get("/v1/models")
        chats = client.get("/v1/chats").json()["items"]
    assert chat.status_code == 402 and models.status_code == 200
    assert chat.json() == {
        "type": "about:blank",
        "title": "Insufficient Credits",
        "status": 402,
        "detail": "Insufficient credits. Required: 75 credits. Available: 50 credits.",
    }
    assert chats == []  # nothing was stored


def test_scenario_file_processing_failure_shows_failed_status() -> None:
    with served(scenarios=("file-processing-failure",)) as (_, client):
        upload = client.post("/v1/files", files={"file": ("report.pdf", b"%PDF-1.4 hello", "application/pdf")})
        assert upload.status_code in (200, 201), upload.text
        file_id = upload.json()["id"]
        polled = client.get(f"/v1/files/{file_id}")
        missing = client.get("/v1/files/file_missing")
    assert polled.status_code == 200
    body = polled.json()
    assert body["id"] == file_id and body["filename"] == "report.pdf"
    assert body["status"] == "failed" and body["processedAt"] is None
    assert body["processingStatus"] == {"progress": 0, "error": "Failed to extract text from PDF"}
    assert missing.status_code == 404  # only real files are rewritten


def test_scenario_idempotent_retry_first_attempt_times_out_after_the_work() -> None:
    # The answer is held 30 s of *clock* time or until the client hangs up: on the system clock the
    # client's 0.5 s timeout ends the hold, so the test takes about half a second.
    with served(scenarios=("idempotent-retry",), clock="system") as (_, client):
        headers = {"Idempotency-Key": "4f1c1a57-0c0e-4f7e-9d44-7b5a3c1f2e90"}
        wall = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            client.post("/v1/chats", json=chat_body("Book a table"), headers=headers, timeout=0.5)
        deadline = time.monotonic() + 3
        stored: list[dict[str, Any]] = []
        while not stored and time.monotonic() < deadline:  # the work is done although no answer came
            stored = client.get("/v1/chats").json()["items"]
        assert len(stored) == 1
        retry = client.post("/v1/chats", json=chat_body("Book a table"), headers=headers)
        assert retry.status_code == 200
        assert time.monotonic() - wall < 3
        journal = client.get("/_emulator/requests", params={"method": "POST"}).json()["items"]
        assert journal[0]["rule"] == "idempotent-retry#lost-answer" and journal[1]["rule"] is None


def test_scenario_maintenance_everything_503() -> None:
    with served(scenarios=("maintenance",)) as (_, client):
        responses = [client.get("/v1/models"), client.post("/v1/chats", json=chat_body()), client.get("/v1/health/liveness")]
        health = client.get("/_emulator/health")
    for response in responses:
        assert response.status_code == 503 and response.headers["retry-after"] == "120"
        assert response.json()["detail"] == "The API is down for scheduled maintenance."
    assert health.status_code == 200  # the control plane is never in maintenance


@pytest.mark.parametrize("kind", ["reset", "close", "garbage"])
def test_scenario_fault_breaks_the_connection(kind: str) -> None:
    text = f"name: f\nrules:\n  - match: {{path: /v1/models}}\n    fault: {kind}\n"
    with served() as (_, client):
        assert client.post("/_emulator/scenarios", json={"yaml": text}).status_code == 201
        with pytest.raises(httpx.TransportError):
            client.get("/v1/models")
        assert client.get("/v1/usage").status_code == 200  # the next connection is fine
        entry = client.get("/_emulator/requests", params={"path": "/v1/models"}).json()["items"][0]
        assert entry["rule"] == "f#0"
