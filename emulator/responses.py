"""Success responses: compact JSON, the way every handler renders a body."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.responses import Response

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def dumps(data: Any) -> bytes:
    """Compact UTF-8 JSON bytes (the same bytes ``json.dumps(..., separators=(",", ":"),
    ensure_ascii=False)`` gives; orjson does it an order of magnitude faster)."""
    try:
        return orjson.dumps(data)
    except (TypeError, orjson.JSONEncodeError):  # e.g. integers beyond 64 bits: the stdlib copes
        return _encode(data).encode()


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(data), status_code=status, headers=headers, media_type="application/json")


def no_content(headers: dict[str, str] | None = None) -> Response:
    return Response(status_code=204, headers=headers)
