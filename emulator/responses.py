"""Success responses: compact JSON, the way every handler renders a body."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response

if TYPE_CHECKING:
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


class JsonResponse(Response):
    """A response whose body is already JSON bytes; its usual two headers are built pre-encoded.

    Starlette's ``init_headers`` encodes the media type and length field by field for every response;
    for the common case (no extra headers, a status with a body) this gives the same list directly.
    """

    media_type = "application/json"

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        if headers is None and self.status_code >= 200 and self.status_code not in (204, 304):
            self.raw_headers = [(b"content-length", b"%d" % len(self.body)), _JSON_TYPE]
        else:
            super().init_headers(headers)


def cached_json(store: Store, key: tuple[object, ...], sources: Sequence[Collection], build: Callable[[], Any]) -> Response:
    """A JSON response for a read that depends only on ``sources``, encoded once per version of them.

    Only for reads that are a pure function of the store (not of the clock or of poll counts).
    """
    full_key = (*key, *((id(col), col.version) for col in sources))
    body = store.rendered.get(full_key)
    if body is None:
        body = store.rendered.put(full_key, kept(dumps(build())))
    return JsonResponse(body)


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JsonResponse(kept(dumps(data)), status_code=status, headers=headers)


def kept(body: bytes) -> bytes:
    """``body`` in an object of its own size, for bytes that outlive the request (the journal, the
    Idempotency-Key cache and the rendered cache hold response bodies): orjson hands back its whole
    write buffer, 8 KB or more for a body of a few hundred bytes. The copy costs well under a microsecond."""
    return bytes(memoryview(body))


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)
