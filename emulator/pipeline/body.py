"""Pipeline step 7: read, parse and validate the JSON body a route declares.

On the API (``lenient=True``), a field the schema does not know is removed and recorded as a warning
on the context and the journal entry, unless strict mode is on for the caller's organisation; the
control plane is always strict (a typo in a test's set-up should fail).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from ..bounds import MAX_JSON_DEPTH, nesting_exceeds
from ..errors import BadRequest, UnprocessableEntity, UnsupportedMediaType, invalid
from . import Inline

if TYPE_CHECKING:
    from ..context import RequestContext
    from ..validation import Validators

logger = logging.getLogger("cuadra_emulator")


def is_json_type(content_type: str) -> bool:
    if content_type == "application/json":  # the usual header, as sent: no parsing
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body strictly (RFC 8259): anything else is a 400 problem.

    orjson refuses what the stdlib lets through and the emulator could not store or echo safely:
    invalid UTF-8, lone surrogate escapes (``"\\ud800"``), ``NaN``/``Infinity``, numbers that overflow a
    double, a byte-order mark. Nesting deeper than :data:`~emulator.bounds.MAX_JSON_DEPTH` levels is a 422
    (validators and encoders recurse: a hostile body must never reach Python's recursion limit).
    """
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"Malformed JSON: {exc}.") from None
    if nesting_exceeds(raw, data):
        raise invalid(
            "/", f"nested deeper than {MAX_JSON_DEPTH} levels", message=f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
        )
    return data


def body_reader(validators: Validators, *, lenient: bool = False) -> Inline:
    """The body stage; ``lenient``: unknown fields are ignored with a warning unless the caller is strict."""

    async def read_body(ctx: RequestContext) -> None:
        route = ctx.route
        assert route is not None
        if route.body is not None:
            try:
                ctx.json = await _read(ctx, route.body, validators, lenient)
            except UnprocessableEntity as error:
                if route.invalid_body_status == 400:  # the reference answers 400 here (source feedback)
                    raise BadRequest(error.detail, extensions=error.extensions) from None
                raise

    return Inline(wait=read_body)


async def _read(ctx: RequestContext, schema: str, validators: Validators, lenient: bool) -> Any:
    route = ctx.route
    assert route is not None
    raw = await ctx.body(route.max_body)
    if not raw.strip():
        if not route.body_optional:
            raise invalid("/", "field required", message="a JSON request body is required.")
        return {}
    content_type = ctx.headers.get("content-type", "")
    if not is_json_type(content_type):
        raise UnsupportedMediaType(f"Content-Type must be application/json (got {content_type or 'none'}).")
    data = parse_json(raw)
    if validators.is_valid(schema, data):
        return data
    if lenient and not ctx.state.strictness.strict_for(ctx.principal.org_id if ctx.principal else None):
        data, warnings = validators.ignore_unknown(schema, data)
        if warnings:
            _warn(ctx, warnings)
    validators.validate(schema, data)
    return data


def _warn(ctx: RequestContext, warnings: tuple[str, ...]) -> None:
    ctx.warnings += warnings  # the journal records them with the request
    logger.warning("%s %s: %s", ctx.method, ctx.path, "; ".join(warnings))
