"""Pipeline step 5: ``Idempotency-Key`` — replay a finished request, refuse a reused or busy key.

Applies to routes declared ``idempotent=True``; keys are claimed, completed and replayed through
``state.backend`` (this process, or Redis shared by every worker and replica). Keys are scoped per
caller — (organisation, user; an OAuth client acts as its user) — as Stripe and the IETF
Idempotency-Key draft do, so one caller's key never replays another caller's response. The first
response is stored byte for byte (status, headers, body) unless it is a
5xx or carries an injected fault; a streamed response is recorded while it is sent and stored only if
it was sent in full. A faulted stream (cut, stall, error event) is never stored, but its key stays in
flight until the stream ends, so a retry during a stall is a 409.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.responses import Response, StreamingResponse

from ..errors import BadRequest, Conflict, invalid
from ..idempotency import (
    InFlight,
    Mismatch,
    RawHeaders,
    Replay,
    StoredResponse,
    key_problem,
    multipart_boundary,
    request_signature,
    scope_key,
)

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from ..context import RequestContext
    from . import Next

REPLAYED_HEADER = (b"idempotent-replayed", b"true")
_NO_BODY_STATUSES = frozenset({204, 304})


def replay_response(stored: StoredResponse) -> Response:
    """The stored response again, headers untouched, plus ``Idempotent-Replayed: true``."""
    response = Response(stored.body, status_code=stored.status)
    response.raw_headers = [*stored.headers, REPLAYED_HEADER]
    return response


def _with_length(headers: list[tuple[bytes, bytes]], status: int, body: bytes) -> RawHeaders:
    """A streamed response's headers for a replay in one piece: add ``content-length`` if it had none."""
    names = {name for name, _ in headers}
    if b"content-length" not in names and status >= 200 and status not in _NO_BODY_STATUSES:
        headers = [*headers, (b"content-length", str(len(body)).encode("latin-1"))]
    return tuple(headers)


class RecordingStreamingResponse(StreamingResponse):
    """Sends ``original`` unchanged while keeping a copy of every chunk.

    ``on_complete(body)`` runs if the whole body went out, ``on_abort()`` otherwise (client gone, error);
    both are awaited shielded, so a cancelled sender still releases or stores the key.
    Headers are shared with ``original`` so outer steps (rate-limit headers, CORS) still apply.
    """

    def __init__(
        self,
        original: StreamingResponse,
        on_complete: Callable[[bytes], Awaitable[object]],
        on_abort: Callable[[], Awaitable[object]],
    ) -> None:
        # super().__init__ is not called on purpose: it would rebuild the headers.
        self.status_code = original.status_code
        self.media_type = original.media_type
        self.background = original.background
        self.raw_headers = original.raw_headers
        self._chunks: list[bytes] = []
        self._exhausted = False
        self._on_complete = on_complete
        self._on_abort = on_abort
        self.body_iterator = self._tee(original.body_iterator)

    async def _tee(self, source: AsyncIterable[str | bytes | memoryview]) -> AsyncIterator[bytes]:
        async for chunk in source:
            data = chunk.encode(self.charset) if isinstance(chunk, str) else bytes(chunk)
            self._chunks.append(data)
            yield data
        self._exhausted = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        sent_in_full = False
        try:
            await super().__call__(scope, receive, send)
            # a client disconnect cancels the sender without raising: check the body really ran out
            sent_in_full = self._exhausted
        finally:
            if sent_in_full:
                await asyncio.shield(self._on_complete(b"".join(self._chunks)))
            else:
                await asyncio.shield(self._on_abort())


def _faulted(ctx: RequestContext) -> bool:
    """Whether a scenario answered this request itself (error, literal response, connection fault) or
    asked for a stream fault (cut, stall, error event...): such answers are never replayed."""
    if ctx.directives.scripted_answer:
        return True
    plan = ctx.directives.stream_plan
    return plan is not None and plan.fault is not None


def no_key(ctx: RequestContext) -> bool:
    """A request without ``Idempotency-Key``: the idempotency step only passes it on."""
    return ctx.headers.get("idempotency-key") is None


async def idempotency_step(ctx: RequestContext, call_next: Next) -> Response:
    route = ctx.route
    backend = ctx.state.backend
    key = ctx.headers.get("idempotency-key")
    if key is None or route is None or not route.idempotent:
        return await call_next(ctx)
    problem = key_problem(key)
    if problem is not None:
        raise BadRequest(problem)
    body = await ctx.body(route.max_body)  # cached on ctx: the body step reads it from there
    principal = ctx.principal
    org_id, user_id = (principal.org_id, principal.user_id) if principal is not None else ("", "")
    scope = scope_key(org_id, user_id, key)
    boundary = multipart_boundary(ctx.headers.get("content-type", ""))
    signature = request_signature(ctx.method, ctx.path, body, boundary)
    # idem_begin looks the key up and marks it in flight atomically (one synchronous call in memory,
    # one Lua script in Redis), so concurrent requests with this key cannot both proceed.
    decision = await backend.idem_begin(scope, signature, ctx.clock.now())
    if isinstance(decision, Replay):
        return replay_response(decision.response)
    if isinstance(decision, Mismatch):
        raise invalid(
            "#/header/Idempotency-Key",
            "already used for a different request",
            message=f"'{key}' was already used for a different request (method, path or body differ). "
            "Use a new key for a new request.",
        )
    if isinstance(decision, InFlight):
        raise Conflict(f"A request with Idempotency-Key '{key}' is still in progress. Retry after it completes.")
    entry = decision.entry
    try:
        response = await call_next(ctx)
    except BaseException:
        await asyncio.shield(backend.idem_abandon(scope, entry))
        raise
    status = response.status_code
    if isinstance(response, StreamingResponse) and _faulted(ctx):
        # in flight while the faulted stream runs (a retry is a 409), then forgotten: a retry executes again
        async def forget(*_: object) -> None:
            await backend.idem_abandon(scope, entry)

        return RecordingStreamingResponse(response, forget, forget)
    if not 200 <= status < 500 or _faulted(ctx):
        # 5xx, a connection fault (status 0), a scripted answer or a faulted stream: a retry executes again
        await backend.idem_abandon(scope, entry)
        return response
    if isinstance(response, StreamingResponse):
        headers = list(response.raw_headers)  # before outer steps add their per-request headers

        async def on_complete(data: bytes) -> bool:
            stored = StoredResponse(status, _with_length(headers, status, data), data)
            return await backend.idem_complete(scope, entry, stored)

        return RecordingStreamingResponse(response, on_complete, lambda: backend.idem_abandon(scope, entry))
    data = getattr(response, "body", None)
    if not isinstance(data, bytes | memoryview):
        await backend.idem_abandon(scope, entry)  # not a response we know how to replay
        return response
    await backend.idem_complete(scope, entry, StoredResponse(status, tuple(response.raw_headers), bytes(data)))
    return response
