"""Pipeline step 1: record every request and its answer in the journal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from ..console.feed import record_stream
from . import Inline

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext


def open_entry(ctx: RequestContext) -> None:
    """The request's journal entry, from its arrival (later steps add the rule, warnings, the body)."""
    state = ctx.state
    ctx.entry = state.journal.begin(state.clock.now(), ctx.method, ctx.path, ctx.raw_query, ctx.scope["headers"])


def close_entry(ctx: RequestContext, response: Response) -> Response:
    """Complete the entry with the answer and the caller, and push it to open consoles."""
    state = ctx.state
    entry = ctx.entry
    assert entry is not None
    entry.status = response.status_code
    entry.raw_response_headers = response.raw_headers
    entry.streamed = isinstance(response, StreamingResponse)
    if not entry.streamed:
        entry.response_body = response.body
    if ctx.principal is not None:
        entry.org_id, entry.user_id = ctx.principal.org_id, ctx.principal.user_id
    elif ctx.tenant is not None:  # an unauthenticated call (e.g. the OAuth token endpoint) on a tenant URL
        entry.org_id = ctx.tenant
    entry.duration = state.clock.now() - entry.time
    if state.feed.subscribers:  # the only cost while no console is open
        if entry.streamed:
            record_stream(response, entry, state.clock)
        state.feed.publish(entry)
    return response


JOURNAL = Inline(enter=open_entry, leave=close_entry)
