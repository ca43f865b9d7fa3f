"""Pipeline step 7: read, parse and validate the JSON body a route declares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from ..errors import BadRequest, UnprocessableEntity, UnsupportedMediaType

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from ..validation import Validators
    from . import Next, Step


def is_json_type(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body strictly (RFC 8259): anything else is a 400 problem.

    orjson refuses what the stdlib lets through and the emulator could not store or echo safely:
    invalid UTF-8, lone surrogate escapes (``"\\ud800"``), ``NaN``/``Infinity``, numbers that overflow a
    double, a byte-order mark, and nesting deeper than 1024 levels.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON: {exc}.") from None


def make_body_step(validators: Validators) -> Step:
    async def body_step(ctx: RequestContext, call_next: Next) -> Response:
        route = ctx.route
        assert route is not None
        if route.body is not None:
            raw = await ctx.body(route.max_body)
            if not raw.strip():
                if not route.body_optional:
                    raise UnprocessableEntity(
                        "body: a JSON request body is required.",
                        extensions={"errors": [{"pointer": "/", "detail": "field required"}]},
                    )
                data: Any = {}
            else:
                content_type = ctx.headers.get("content-type", "")
                if not is_json_type(content_type):
                    raise UnsupportedMediaType(f"Content-Type must be application/json (got {content_type or 'none'}).")
                data = parse_json(raw)
            validators.validate(route.body, data)
            ctx.json = data
        return await call_next(ctx)

    return body_step
