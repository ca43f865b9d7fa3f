"""Small helpers shared by the route modules."""

from __future__ import annotations

from ..clock import isoformat
from ..context import RequestContext


def now_iso(ctx: RequestContext) -> str:
    return isoformat(ctx.clock.now())


def expand(ctx: RequestContext) -> frozenset[str]:
    """The route's ``expand[]`` values (declared with :func:`emulator.params.expand`)."""
    return frozenset(ctx.params.values_of("expand[]"))
