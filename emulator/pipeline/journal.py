"""Pipeline step 1: record every request and its answer in the journal.

In memory the step is inline (:data:`JOURNAL`). With a shared backend (:func:`shared_journal_step`)
the finished request is also appended to the shared journal (a Redis stream). The append is *sent*
before the response is returned, and its reply read in the background: no round trip on the request's
path, and a client that got its answer and then reads the journal through any replica finds its request
(the append reached Redis before the response left; see docs/scale.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from ..console.feed import record_stream
from ..journal import JournalEntry, encode_record
from . import Inline

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next


def open_entry(ctx: RequestContext) -> None:
    """Number the request and keep it in the journal, in flight, from its arrival."""
    state = ctx.state
    ctx.entry = state.journal.begin(state.clock.now(), ctx.method, ctx.path, ctx.raw_query, ctx.scope["headers"])


def close_entry(ctx: RequestContext, response: Response) -> Response:
    """The finished request in the journal (one tuple; see :mod:`emulator.journal`), pushed to open consoles."""
    finish_entry(ctx, response)
    return response


def finish_entry(ctx: RequestContext, response: Response) -> tuple[object, ...] | JournalEntry:
    """:func:`close_entry`'s work; returns what the journal now holds for the request."""
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
    record = pending + (  # a tuple concatenation: cheaper than unpacking ``pending`` into a new one
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
        return record
    entry = JournalEntry(*record)
    state.journal.finish(pending, entry)  # the object itself: a stream's events are added to it as they go
    if streamed:
        record_stream(response, entry, state.clock)
    feed.publish(entry)
    return entry


JOURNAL = Inline(enter=open_entry, leave=close_entry)


async def shared_journal_step(ctx: RequestContext, call_next: Next) -> Response:
    """:data:`JOURNAL`, then the finished request sent to the shared journal before the response goes."""
    open_entry(ctx)
    response = await call_next(ctx)
    done = finish_entry(ctx, response)
    state = ctx.state
    if state.config.journal_size > 0:
        org, fields = encode_record(done)
        await state.backend.journal_send(org, fields, state.config.journal_size)
    return response
