"""Pipeline step 1: record every request and its answer in the journal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from ..console.feed import record_stream
from ..journal import JournalEntry
from . import Inline

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext


def open_entry(ctx: RequestContext) -> None:
    """Number the request and keep it in the journal, in flight, from its arrival."""
    state = ctx.state
    ctx.entry = state.journal.begin(state.clock.now(), ctx.method, ctx.path, ctx.raw_query, ctx.scope["headers"])


def close_entry(ctx: RequestContext, response: Response) -> Response:
    """The finished request in the journal (one tuple; see :mod:`emulator.journal`), pushed to open consoles."""
    state = ctx.state
    pending = ctx.entry
    assert pending is not None
    streamed = isinstance(response, StreamingResponse)
    principal = ctx.principal
    org_id: str | None
    user_id: str | None
    if principal is not None:
        org_id, user_id = principal.org_id, principal.user_id
    else:  # an unauthenticated call (e.g. the OAuth token endpoint) on a tenant URL names its tenant
        org_id, user_id = ctx.tenant, None
    time = pending[1]
    record = (
        *pending,
        ctx.request_body,
        response.status_code,
        response.raw_headers,
        org_id,
        user_id,
        ctx.rule,
        state.clock.now() - time,  # seconds on the clock, rounded only when read
        streamed,
        b"" if streamed else response.body,
        None,
        None,
        ctx.warnings,
    )
    feed = state.feed
    if not feed.subscribers:  # the only cost while no console is open
        state.journal.finish(pending, record)
        return response
    entry = JournalEntry(*record)
    state.journal.finish(pending, entry)  # the object itself: a stream's events are added to it as they go
    if streamed:
        record_stream(response, entry, state.clock)
    feed.publish(entry)
    return response


JOURNAL = Inline(enter=open_entry, leave=close_entry)
