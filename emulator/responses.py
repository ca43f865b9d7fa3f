"""Success responses: compact JSON, the way every handler renders a body."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
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


RENDERED_LIMIT = 512


def cached_json(store: Store, key: tuple[object, ...], sources: Sequence[Collection], build: Callable[[], Any]) -> Response:
    """A JSON response for a read that depends only on ``sources``, encoded once per version of them.

    Only for reads that are a pure function of the store (not of the clock or of poll counts).
    """
    full_key = (*key, *((id(col), col.version) for col in sources))
    body = store.rendered.get(full_key)
    if body is None:
        if len(store.rendered) >= RENDERED_LIMIT:
            store.rendered.clear()
        body = store.rendered[full_key] = dumps(build())
    return Response(body, media_type="application/json")


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type="application/json")


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)
