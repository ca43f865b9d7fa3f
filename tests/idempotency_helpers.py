"""Helpers for the Idempotency-Key tests: drive the ASGI app by hand to hold a stream in flight."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from emulator import EmulatorApp
from emulator.pipeline import Next, Step

Message = dict[str, Any]


@dataclass
class Answer:
    """What an ASGI call sent back."""

    messages: list[Message] = field(default_factory=list)

    @property
    def status(self) -> int:
        return next(m["status"] for m in self.messages if m["type"] == "http.response.start")

    @property
    def headers(self) -> dict[str, str]:
        start = next(m for m in self.messages if m["type"] == "http.response.start")
        return {k.decode(): v.decode() for k, v in start["headers"]}

    @property
    def body(self) -> bytes:
        return b"".join(m.get("body", b"") for m in self.messages if m["type"] == "http.response.body")

    def json(self) -> Any:
        return json.loads(self.body)


def http_scope(method: str, path: str, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("emulator", 80),
    }


def request_headers(token: str, key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/json", "idempotency-key": key}


async def call(
    app: EmulatorApp,
    method: str,
    path: str,
    headers: dict[str, str],
    body: bytes,
    on_send: Callable[[Message], Awaitable[None]] | None = None,
    disconnect: asyncio.Event | None = None,
) -> Answer:
    """One request through the app. ``on_send`` may block to hold the response mid-flight; the client
    "disconnects" when ``disconnect`` is set (until then the request never ends)."""
    answer = Answer()
    gone = disconnect or asyncio.Event()
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        answer.messages.append(message)
        if on_send is not None:
            await on_send(message)

    await app(http_scope(method, path, headers), receive, send)
    return answer


def insert_after_idempotency(app: EmulatorApp, step: Step) -> None:
    """Put ``step`` right inside the idempotency step (where scenario rules would act)."""
    app.add_step(step, after="idempotency")


def failing_once(make_failure: Callable[[], Exception]) -> Step:
    """A step that raises ``make_failure()`` on the first request carrying an Idempotency-Key."""
    failed = False

    async def step(ctx: Any, call_next: Next) -> Any:
        nonlocal failed
        if not failed and "idempotency-key" in ctx.headers:
            failed = True
            raise make_failure()
        return await call_next(ctx)

    return step
