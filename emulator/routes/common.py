"""Small helpers shared by the route modules."""

from __future__ import annotations

from ..clock import isoformat
from ..context import RequestContext


def now_iso(ctx: RequestContext) -> str:
    return isoformat(ctx.state.clock.now())


def expand(ctx: RequestContext) -> set[str]:
    """The values of repeated ``expand[]`` (also ``expand``) query parameters."""
    return set(ctx.query.getlist("expand[]")) | set(ctx.query.getlist("expand"))
