"""``GET``/``POST /_emulator/clock``: read the emulator's clock, move a manual one."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..clock import ManualClock, isoformat, parse_iso
from ..context import RequestContext
from ..errors import Conflict, invalid
from ..params import ORG
from ..responses import json_response
from ..routing import route

#: Latest instant the clock may show (9999-12-31T23:59:59Z): ISO 8601 has four-digit years.
MAX_EPOCH = 253402300799.0


def clock_out(ctx: RequestContext, org: str | None = None) -> dict[str, Any]:
    state = ctx.state
    now = state.clock_for(org).now()
    out = {"now": isoformat(now), "epoch": now, "mode": "manual" if isinstance(state.clock, ManualClock) else "system"}
    if org is not None:
        out |= {"org": org, "offset": state.clocks.offset(org)}
    return out


def target_time(body: dict[str, Any], now: float) -> float:
    """The instant ``{"advance": s}`` or ``{"set": iso}`` asks for; a 422 problem if it is not one."""
    if ("advance" in body) == ("set" in body):
        raise invalid("/", 'give exactly one of "advance" (seconds) or "set" (ISO 8601 timestamp).')
    if "advance" in body:
        target = now + float(body["advance"])
        if target > MAX_EPOCH:
            raise invalid("/advance", "moves the clock past 9999-12-31T23:59:59Z")
        return target
    try:
        target = parse_iso(body["set"])
    except (ValueError, OverflowError):
        raise invalid("/set", f"not an ISO 8601 timestamp: {body['set']!r}") from None
    if not 0 <= target <= MAX_EPOCH:
        raise invalid("/set", "must be between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z")
    return target


async def get_clock(ctx: RequestContext) -> Response:
    """The server clock, or with ``?org=`` that organisation's (server time plus its offset)."""
    return json_response(clock_out(ctx, ctx.params.text("org")))


async def move_clock(ctx: RequestContext) -> Response:
    """Advance or set the server's manual clock (409 on the system clock), or with ``"org"`` only that
    organisation's clock (an offset over the server clock: works on either clock, others untouched)."""
    org = ctx.json.get("org")
    if org is not None:
        own = ctx.state.clocks.own(org)
        target = target_time(ctx.json, own.now())
        if "advance" in ctx.json:  # exact on a flowing system clock too
            own.advance(float(ctx.json["advance"]))
        else:
            own.set(target)
        await ctx.state.settings_sync.publish_org(org)  # every replica moves before this answers
        return json_response(clock_out(ctx, org))
    clock = ctx.state.clock
    if not isinstance(clock, ManualClock):
        raise Conflict(
            "The emulator runs on the system clock; start it with --clock manual to move time "
            "(one organisation's clock moves on either: pass org)."
        )
    clock.set(target_time(ctx.json, clock.now()))
    await ctx.state.settings_sync.publish_server()
    return json_response(clock_out(ctx))


ROUTES = [
    route("GET", "/_emulator/clock", get_clock, auth=False, summary="Read the clock", query=(ORG,)),
    route(
        "POST",
        "/_emulator/clock",
        move_clock,
        auth=False,
        body="emulator_clock_update",
        summary="Advance or set the manual clock",
    ),
]
