"""What an acting rule does to a request: errors, literal responses, delays, scripted replies,
stream plans and connection faults. Errors are raised as :class:`~emulator.errors.ApiError` so the one
renderer writes every problem body."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from .. import errors
from ..responses import dumps
from .model import DelayAction, ErrorAction, FaultAction, FaultKind, ReplyAction, RespondAction, StreamAction

if TYPE_CHECKING:
    import random

    from starlette.types import Receive

    from ..chat.stream import StreamPlan
    from ..context import RequestContext
    from ..pipeline import Next
    from .runtime import Decision


_DEFAULT_DETAILS = {
    502: "The upstream model provider returned an invalid response.",
    504: "The upstream model provider did not answer in time.",
}
#: The documented 429 always carries ``Retry-After`` (the guide's example uses 60 seconds).
DEFAULT_RETRY_AFTER_429 = 60


def build_error(action: ErrorAction, rng: random.Random) -> errors.ApiError:
    """The :class:`ApiError` for an ``error:`` action; several statuses -> one picked with ``rng``."""
    status = action.statuses[0] if len(action.statuses) == 1 else rng.choice(action.statuses)
    headers = dict(action.headers)
    retry_after = action.retry_after
    if status == 429 and retry_after is None:
        retry_after = DEFAULT_RETRY_AFTER_429
    detail = action.detail
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
        if status == 429:
            headers.setdefault("X-RateLimit-Remaining", "0")
            detail = detail or f"Rate limit exceeded. Retry after {retry_after} seconds."
    cls = errors.STATUS_CLASSES.get(status)
    if cls is not None:
        error = cls(detail, title=action.title)
        error.headers.update(headers)
        return error
    phrase = errors.status_title(status)
    return errors.ApiError(
        detail or _DEFAULT_DETAILS.get(status, f"{phrase}."), status=status, title=action.title or phrase, headers=headers
    )


def literal_response(action: RespondAction) -> Response:
    """A fully literal ``respond:`` (body or problem); problems go through the one error renderer."""
    headers = dict(action.headers)
    if action.problem is not None:
        problem = dict(action.problem)
        title = problem.pop("title", None)
        detail = problem.pop("detail", None)
        cls = errors.STATUS_CLASSES.get(action.status, errors.ApiError)
        error = cls(
            detail, status=action.status, title=title or errors.status_title(action.status), headers=headers, extensions=problem
        )  # a "type" member overrides about:blank in place
        return errors.problem_response(error)
    body = action.body
    if not action.has_body or body is None:
        return Response(b"", status_code=action.status, headers=headers, media_type=action.content_type)
    if isinstance(body, str):
        return Response(
            body.encode(),
            status_code=action.status,
            headers=headers,
            media_type=action.content_type or "text/plain; charset=utf-8",
        )
    return Response(dumps(body), status_code=action.status, headers=headers, media_type=action.content_type or "application/json")


def deep_merge(base: Any, patch: Any) -> Any:
    """``patch`` over ``base``: objects merge key by key, anything else replaces."""
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = deep_merge(base.get(key), value)
        return merged
    return patch


def merged_response(response: Response, patch: dict[str, Any]) -> Response:
    """The normal answer with ``patch`` merged into its JSON body (2xx JSON answers only)."""
    media = response.headers.get("content-type", "")
    if not 200 <= response.status_code < 300 or "json" not in media or not hasattr(response, "body"):
        return response
    data = deep_merge(json.loads(bytes(response.body)), patch)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return Response(dumps(data), status_code=response.status_code, headers=headers, media_type=media)


def stream_plan(options: dict[str, Any], default_interval: float) -> StreamPlan:
    """The :class:`~emulator.chat.stream.StreamPlan` of a ``stream:`` action (its keys are the plan's
    fields: the scenario schema allows no other), paced at ``default_interval`` unless it says otherwise."""
    from ..chat.stream import StreamPlan

    return StreamPlan(**{"first_token_delay": default_interval, "token_interval": default_interval, **options})


def fault(kind: FaultKind) -> Response:
    """The connection fault ``kind`` (``reset``/``close``/``garbage``) from :mod:`emulator.faults`."""
    from ..faults import fault_response

    return fault_response(kind)


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def hold(ctx: RequestContext, seconds: float) -> None:
    """Wait ``seconds`` of clock time, or until the client hangs up (nobody left to answer)."""
    sleeper = asyncio.ensure_future(ctx.state.wait(ctx.clock, seconds))
    watcher = asyncio.ensure_future(_disconnected(ctx.receive))
    try:
        await asyncio.wait({sleeper, watcher}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (sleeper, watcher):
            task.cancel()


async def perform(decision: Decision, ctx: RequestContext, call_next: Next) -> Response:
    """Run the acting rule: optional delay, then its action (or the normal handling)."""
    rule = decision.rule
    delay: DelayAction | None = rule.delay
    if delay is not None and not delay.after_handling:
        await hold(ctx, delay.seconds)
    action = rule.action
    if isinstance(action, (ErrorAction, FaultAction)) or (isinstance(action, RespondAction) and action.merge is None):
        # answered by the script, not by the API: an Idempotency-Key must not remember it
        ctx.directives.scripted_answer = True
    if isinstance(action, ErrorAction):
        raise build_error(action, decision.rng)
    if isinstance(action, FaultAction):
        return fault(action.kind)
    if isinstance(action, RespondAction) and action.merge is None:
        return literal_response(action)
    if isinstance(action, ReplyAction):
        from ..chat.reply import ScriptedReply

        ctx.directives.reply = ScriptedReply(action.content, tuple(dict(c) for c in action.tool_calls))
    elif isinstance(action, StreamAction):
        ctx.directives.stream_plan = stream_plan(action.options, ctx.state.config.stream_token_interval)
    response = await call_next(ctx)
    if isinstance(action, RespondAction) and action.merge is not None:
        response = merged_response(response, action.merge)
    if delay is not None and delay.after_handling:
        await hold(ctx, delay.seconds)
    return response
