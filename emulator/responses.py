"""Success responses: compact JSON, the way every handler renders a body."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from .store import Collection, Store

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode
_encode_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON bytes (the same bytes ``json.dumps(..., separators=(",", ":"),
    ensure_ascii=False)`` gives; orjson does it an order of magnitude faster)."""
    try:
        return orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits: the stdlib copes
        try:
            return _encode(data).encode()
        except UnicodeEncodeError:  # a lone surrogate (from a URL, say): escape it, stay valid JSON
            return _encode_ascii(data).encode()


_JSON_TYPE = (b"content-type", b"application/json")
_FILLED = (b"content-length", b"content-type")


class JsonResponse(Response):
    """A response whose body is already JSON bytes; its usual two headers are built pre-encoded.

    Starlette's ``init_headers`` encodes the media type and length field by field for every response;
    for a status with a body this gives the same list directly (``tests/test_responses_head.py``).
    ``raw``: header lines already encoded (lower-case names, neither ``content-length`` nor
    ``content-type``), for a status with a body: they come first, as ``headers`` would, without
    being encoded again (a chat turn's ``X-Chat-Id``); ``vetted``: the caller knows them valid (constant
    names, values without control bytes), so the head needs no search (:data:`emulator.wire.VETTED`).
    """

    media_type = "application/json"
    #: The head built here is vetted (see :data:`emulator.wire.VETTED`): the length and the constant type.
    vetted_head: tuple[list[tuple[bytes, bytes]], int] | None = None

    def __init__(
        self,
        content: bytes,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
        *,
        raw: Sequence[tuple[bytes, bytes]] = (),
        vetted: bool = False,
    ) -> None:
        # Response.__init__ without what JSON bytes never need: rendering, a media type, a background task
        self.status_code = status_code
        self.background = None
        self.body = content
        if raw:
            self.raw_headers = raw_headers = [*raw, (b"content-length", b"%d" % len(content)), _JSON_TYPE]
            if vetted:
                self.vetted_head = (raw_headers, len(raw_headers))
        else:
            self.init_headers(headers)

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        if self.status_code < 200 or self.status_code in (204, 304):
            super().init_headers(headers)
            return
        length = (b"content-length", b"%d" % len(self.body))
        if headers is None:
            self.raw_headers = raw_headers = [length, _JSON_TYPE]
            self.vetted_head = (raw_headers, 2)
            return
        # Starlette's order: the given headers, then the length and type it fills in
        raw = []
        for key, value in headers.items():
            name = key.lower().encode("latin-1")
            if name in _FILLED:  # the caller sets one of them itself
                super().init_headers(headers)
                return
            raw.append((name, value.encode("latin-1")))
        raw += (length, _JSON_TYPE)
        self.raw_headers = raw


class EventStream(StreamingResponse):
    """A ``text/event-stream`` response whose events are all known before it starts, to go out at once.

    Nothing paces or cuts such a stream, so it is sent as its head and **one** body message holding every
    frame (``events``: the ``data: ...`` frames joined, each ending in a blank line): the client reads
    the same bytes as when they are sent frame by frame, for two ASGI messages instead of one per event,
    and without StreamingResponse's task listening for a disconnect (nothing waits between frames). When
    a wrapper has replaced ``body_iterator`` (the console's recorder times each frame), it is sent frame
    by frame as any StreamingResponse. ``on_close`` runs once, when the body is sent or abandoned.
    """

    media_type = "text/event-stream"

    def __init__(
        self, events: bytes, headers: Mapping[str, str] | None = None, on_close: Callable[[], None] | None = None
    ) -> None:
        self.events = events  # not ``body``: Starlette would give the stream a content-length
        self._on_close = on_close
        self._own = self._each()
        super().__init__(self._own, headers=headers)

    def frames(self) -> list[bytes]:
        """The frames one by one (a frame's JSON holds no blank line: control characters are escaped)."""
        return [data + b"\n\n" for data in self.events.split(b"\n\n")[:-1]]

    async def _each(self) -> AsyncIterator[bytes]:
        try:
            for data in self.frames():
                yield data
        finally:
            self._closed()

    def _closed(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.body_iterator is not self._own:
            await super().__call__(scope, receive, send)
            return
        try:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            await send({"type": "http.response.body", "body": self.events, "more_body": False})
        except OSError:  # as StreamingResponse: a server of ASGI spec 2.4 raises it for a gone client
            raise ClientDisconnect() from None
        finally:
            self._closed()
        if self.background is not None:
            await self.background()


def cached_json(store: Store, key: tuple[object, ...], sources: Sequence[Collection], build: Callable[[], Any]) -> Response:
    """A JSON response for a read that depends only on ``sources``, encoded once per version of them.

    Only for reads that are a pure function of the store (not of the clock or of poll counts).
    """
    full_key = key
    for col in sources:  # a loop, not a generator: no frame of its own
        full_key += (id(col), col.version)
    body = store.rendered.get(full_key)
    if body is None:
        body = store.rendered.put(full_key, kept(dumps(build())))
    return JsonResponse(body)


def json_response(
    data: Any,
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    raw: Sequence[tuple[bytes, bytes]] = (),
    vetted: bool = False,
) -> Response:
    """``data`` as a JSON response; ``raw`` (and ``vetted``): pre-encoded header lines for a status with
    a body (see :class:`JsonResponse`), cheaper than ``headers`` on a path every request takes."""
    return JsonResponse(kept(dumps(data)), status, headers, raw=raw, vetted=vetted)


def kept(body: bytes) -> bytes:
    """``body`` in an object of its own size, for bytes that outlive the request (the journal, the
    Idempotency-Key cache and the rendered cache hold response bodies): orjson hands back its whole
    write buffer, 8 KB or more for a body of a few hundred bytes. The copy costs well under a microsecond."""
    return memoryview(body).tobytes()


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)
