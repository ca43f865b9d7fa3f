"""What the assistant answers: text, structured JSON, tool calls and reasoning, decided before streaming.

:func:`compose_reply` is a pure function of the seed, the model, the conversation and the request
options (plus an id factory for tool-call ids), so the same conversation gets the same reply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ..errors import invalid
from .generate import conversation_rng, reasoning_text, reply_text, reply_with_pieces, split_pieces
from .structured import checked_instance
from .tools import build_call, choose_tool, normalize_tools, scripted_calls, validate_tools

FinishReason = Literal["stop", "tool-calls"]


class Reply(NamedTuple):
    """The assistant's reply: ``content`` (None for a pure tool call) and how it is streamed.

    Immutable like a frozen dataclass, built in a third of the time (one per chat turn)."""

    content: str | None
    pieces: list[str]
    tool_calls: list[dict[str, Any]]
    reasoning: list[str]
    finish_reason: FinishReason


def response_schema(response_format: Any) -> tuple[str, Any] | None:
    """``("json_schema", schema)``, ``("json_object", None)`` or None (plain text) for ``responseFormat``.

    Accepts ``{"type": "json_schema", "json_schema": {...}}`` and the reference's bare
    ``{"json_schema": {...}}``; raises UnprocessableEntity (422) for anything else.
    """
    if response_format is None:
        return None
    kind = response_format.get("type", "json_schema" if "json_schema" in response_format else None)
    if kind == "text":
        return None
    if kind == "json_object":
        return ("json_object", None)
    if kind != "json_schema":
        raise invalid("/responseFormat/type", "must be 'json_schema', 'json_object' or 'text'")
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict):
        raise invalid("/responseFormat/json_schema", "required: an object with 'name' and 'schema'")
    schema = spec.get("schema")
    if schema is None:
        raise invalid("/responseFormat/json_schema/schema", "field required")
    return ("json_schema", schema)


@dataclass(frozen=True)
class ScriptedReply:
    """A reply a scenario rule wrote: text and/or tool calls (``{"name", "arguments"}``)."""

    content: str | None = None
    tool_calls: tuple[dict[str, Any], ...] = ()


def compose_reply(
    seed: int,
    model: dict[str, Any],
    history: Sequence[tuple[str, str | None]],
    body: dict[str, Any],
    new_call_id: Callable[[], str],
    scripted: ScriptedReply | None = None,
) -> Reply:
    """The reply to ``history`` given the request ``body`` (tools, responseFormat, reasoning, maxTokens).

    Raises UnprocessableEntity (422) for unusable tools or response formats, and for tools sent to a
    model that does not support them.
    """
    model_id = model["id"]
    requested = body.get("tools")
    tools = normalize_tools(requested) if requested else []
    if tools and not model.get("supportsTools", False):
        raise invalid("/tools", f"model {model_id} does not support tool calling (supportsTools is false)")
    if tools:
        validate_tools(tools, conversation_rng(seed, model_id, history, salt="tool-check"))
    structured = response_schema(body.get("responseFormat"))
    if structured is not None and structured[0] == "json_schema":
        checked_instance(
            structured[1], conversation_rng(seed, model_id, history, salt="json-check"), "/responseFormat/json_schema/schema"
        )
    reasoning: list[str] = []
    if body.get("enableReasoning") and model.get("supportsReasoning", False):
        reasoning = split_pieces(reasoning_text(seed, model_id, history, body.get("reasoningBudget")))

    if scripted is not None:
        content = scripted.content
        calls = scripted_calls(scripted.tool_calls, new_call_id)
        text = content if content else (None if calls else "")
        return Reply(text, split_pieces(text or ""), calls, reasoning, "tool-calls" if calls else "stop")

    tool = None
    if tools and not (history and history[-1][0] == "tool"):  # not while answering a tool's result
        last_user = next((content for role, content in reversed(history) if role == "user"), None)
        tool = choose_tool(tools, body.get("toolChoice"), last_user)
    if tool is not None:
        call = build_call(tool, conversation_rng(seed, model_id, history, salt="tool"), new_call_id)
        return Reply(None, [], [call], reasoning, "tool-calls")

    if structured is not None:
        rng = conversation_rng(seed, model_id, history, salt="json")
        if structured[0] == "json_schema":
            value = checked_instance(structured[1], rng, "/responseFormat/json_schema/schema")
        else:
            value = {"answer": reply_text(seed, model_id, history, None)}
        text = json.dumps(value, ensure_ascii=False)
        return Reply(text, split_pieces(text), [], reasoning, "stop")
    text, pieces = reply_with_pieces(seed, model_id, history, body.get("maxTokens"))
    return Reply(text, pieces, [], reasoning, "stop")
