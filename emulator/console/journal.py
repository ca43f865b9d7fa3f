"""The console's view of the journal: a compact row per entry, the full detail of one, and the SSE
stream that pushes rows as requests happen (``GET /_emulator/requests/stream``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response, StreamingResponse

from ..errors import NotFound
from ..journal import BODY_LIMIT
from ..responses import json_response

if TYPE_CHECKING:
    from ..context import RequestContext
    from ..journal import JournalEntry

#: Rows sent when a console connects (the most recent ones).
BACKLOG = 200
#: Minimum gap between two pushes to one console: rows arriving meanwhile go out as one batch.
PACE_SECONDS = 0.05
#: A comment line this often keeps idle connections (and proxies) alive.
HEARTBEAT_SECONDS = 15.0
_ROW_HEADERS = {b"x-ratelimit-remaining": "rateLimitRemaining", b"retry-after": "retryAfter", b"idempotent-replayed": "replayed"}


def row(entry: JournalEntry) -> dict[str, Any]:
    """The journal row the console lists (cheap: no body is decoded)."""
    out: dict[str, Any] = {
        "seq": entry.seq,
        "time": entry.time,
        "method": entry.method,
        "path": entry.path,
        "query": entry.query,
        "status": entry.status,
        "orgId": entry.org_id,
        "userId": entry.user_id,
        "rule": entry.rule,
        "streamed": entry.streamed,
        "durationMs": entry.duration_ms,
    }
    for name, value in entry.raw_response_headers:
        key = _ROW_HEADERS.get(name.lower())
        if key is not None:
            out[key] = value.decode("latin-1")
    warnings = getattr(entry, "warnings", None)  # lenient mode's notes, when the journal has them
    if warnings:
        out["warnings"] = warnings
    return out


def detail(entry: JournalEntry) -> dict[str, Any]:
    """Everything the journal knows about one request, plus the response body or the stream's events."""
    out = entry.to_json()
    body = entry.response_body
    out["responseBody"] = bytes(body[:BODY_LIMIT]).decode("utf-8", errors="replace") if body else None
    out["responseBodyTruncated"] = len(body) > BODY_LIMIT
    if entry.stream_events is not None:
        out["streamEvents"] = [{"time": t, "data": data.decode("utf-8", errors="replace")} for t, data in entry.stream_events]
        out["streamEnd"] = entry.stream_end
    return out


async def get_request(ctx: RequestContext) -> Response:
    raw = ctx.path_params["seq"]
    entry = ctx.state.journal.get(int(raw)) if raw.isdigit() else None
    if entry is None:
        raise NotFound(f"The journal holds no request number {raw} (it keeps the latest {ctx.state.config.journal_size}).")
    return json_response(detail(entry))


def _frame(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


async def stream_requests(ctx: RequestContext) -> Response:
    """Server-sent events: ``rows`` (a batch of journal rows, ``dropped`` = rows a slow reader missed)."""
    state = ctx.state
    feed = state.feed

    async def body() -> AsyncIterator[bytes]:
        subscriber = feed.subscribe()  # here, not in the handler: a body never started must not leak one
        backlog = [row(entry) for entry in list(state.journal)[-BACKLOG:]]
        try:
            yield _frame("rows", {"rows": backlog, "dropped": 0, "backlog": True})
            while True:
                try:
                    await asyncio.wait_for(subscriber.wake.wait(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                entries, dropped = subscriber.take()
                yield _frame("rows", {"rows": [row(entry) for entry in entries], "dropped": dropped})
                await asyncio.sleep(PACE_SECONDS)  # transport pacing (wall time), not emulated time
        finally:
            feed.unsubscribe(subscriber)

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
