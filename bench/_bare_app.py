"""The ceiling for this stack: a bare Starlette app answering the benchmarked paths with fixed bytes.

``create_app()`` reads the bytes to return from the JSON file named by ``BENCH_SAMPLES`` (written by
``throughput.py`` from real emulator responses, so both servers send the same bytes); without it, small
placeholders are served (enough for ``startup.py``'s liveness probe). No auth, no validation, no store;
the chat handler parses the JSON body (orjson, as the emulator) since any real handler must: what is
left is Starlette routing + uvicorn + the parse, i.e. the best the emulator could do on this stack.
The stream is sent one event per body message, as a Starlette SSE handler does; with
``BENCH_BARE_STREAM=joined`` all events go in one message (what the emulator does when nothing paces
or cuts the stream), the ceiling for a stream sent at once.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

_PLACEHOLDER: dict[str, Any] = {
    "models": '{"items":[],"hasMore":false,"nextCursor":null}',
    "chat": '{"id":"chat_0","message":{},"usage":{}}',
    "chat_headers": {},
    "stream_events": ["data: [DONE]\n\n"],
    "stream_headers": {},
}


def create_app(samples: dict[str, Any] | None = None) -> Starlette:
    """Build the bare app from ``samples``, else ``$BENCH_SAMPLES`` (see the module docstring)."""
    path = os.environ.get("BENCH_SAMPLES")
    if samples is None:
        samples = _PLACEHOLDER
        if path:
            with open(path, encoding="utf-8") as fh:
                samples = json.load(fh)
    models = samples["models"].encode()
    chat = samples["chat"].encode()
    chat_headers = dict(samples["chat_headers"])
    events = [event.encode() for event in samples["stream_events"]]
    if os.environ.get("BENCH_BARE_STREAM") == "joined":  # every event in one body message (one chunk)
        events = [b"".join(events)]
    stream_headers = dict(samples["stream_headers"])
    liveness = b'{"status":"ok"}'

    async def health(request: Request) -> Response:
        return Response(liveness, media_type="application/json")

    async def list_models(request: Request) -> Response:
        return Response(models, media_type="application/json")

    async def stream() -> AsyncIterator[bytes]:
        for event in events:
            yield event

    async def create_chat(request: Request) -> Response:
        # Parse the body as the emulator must (with the same parser): a handler gets a request's JSON.
        parsed = orjson.loads(await request.body())
        if parsed.get("stream") is True:
            return StreamingResponse(stream(), media_type="text/event-stream", headers=stream_headers)
        return Response(chat, media_type="application/json", headers=chat_headers)

    return Starlette(
        routes=[
            Route("/v1/health/liveness", health),
            Route("/v1/models", list_models),
            Route("/v1/chats", create_chat, methods=["POST"]),
        ]
    )
