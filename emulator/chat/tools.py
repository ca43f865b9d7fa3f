"""Tool calling: normalise tool definitions, decide whether and which tool is called, build the calls."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..errors import invalid
from .structured import checked_instance

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = {"a", "an", "the", "of", "to", "for", "and", "or", "in", "on", "get", "set", "is", "with", "by"}
ARGUMENT_FRAGMENT = 12  # characters per streamed ``function.arguments`` fragment


def normalize_tools(tools: Sequence[Any] | None) -> list[dict[str, Any]]:
    """``[{"name", "description", "parameters"}]`` from OpenAI-style or flattened definitions.

    Raises UnprocessableEntity (422) for a definition without a valid name, a duplicate name or a
    ``type`` other than ``function``.
    """
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, tool in enumerate(tools or []):
        pointer = f"/tools/{index}"
        if not isinstance(tool, dict):
            raise invalid(pointer, "must be an object")
        if tool.get("type", "function") != "function":
            raise invalid(f"{pointer}/type", "only 'function' tools are supported")
        function = tool.get("function")
        spec: dict[str, Any] = function if isinstance(function, dict) else tool
        name = spec.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            raise invalid(f"{pointer}/function/name", "required: 1-64 letters, digits, '_' or '-'")
        if name in seen:
            raise invalid(f"{pointer}/function/name", f"duplicate tool name {name!r}")
        seen.add(name)
        parameters = spec.get("parameters")
        if parameters is None:
            parameters = {"type": "object", "properties": {}}
        description = spec.get("description")
        out.append(
            {
                "name": name,
                "description": description if isinstance(description, str) else "",
                "parameters": parameters,
                "pointer": f"{pointer}/function/parameters" if "function" in tool else f"{pointer}/parameters",
            }
        )
    return out


def _words(text: str) -> set[str]:
    words = set()
    for word in _WORD.findall(text.lower()):
        if word not in _STOP and len(word) > 2:
            words.add(word)
            if word.endswith("s"):
                words.add(word[:-1])
    return words


def choose_tool(tools: list[dict[str, Any]], tool_choice: Any, last_user: str | None) -> dict[str, Any] | None:
    """The tool the assistant calls, or None for a text reply.

    ``toolChoice`` ``"none"`` means no call; ``{"type": "function", "function": {"name": X}}`` (or
    ``{"name": X}``) forces X (422 if unknown). Otherwise the first tool whose name or description
    words appear in the last user message is called, else the first tool.
    """
    if not tools or tool_choice == "none":
        return None
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function")
        spec: dict[str, Any] = function if isinstance(function, dict) else tool_choice
        forced = spec.get("name")
        for tool in tools:
            if tool["name"] == forced:
                return tool
        raise invalid("/toolChoice", f"unknown tool {forced!r}")
    asked = _words(last_user or "")
    for tool in tools:
        if _words(tool["name"].replace("_", " ").replace("-", " ")) & asked:
            return tool
    for tool in tools:
        if _words(tool["description"]) & asked:
            return tool
    return tools[0]


def validate_tools(tools: Iterable[dict[str, Any]], rng: random.Random) -> None:
    """Check every tool's ``parameters`` is a usable JSON Schema (422 naming the tool otherwise)."""
    for tool in tools:
        checked_instance(tool["parameters"], rng, tool["pointer"])


def build_call(tool: dict[str, Any], rng: random.Random, new_id: Callable[[], str]) -> dict[str, Any]:
    """One stored ``ToolCall`` with arguments (a JSON string) valid against the tool's parameters."""
    arguments = checked_instance(tool["parameters"], rng, tool["pointer"])
    return {
        "id": new_id(),
        "type": "function",
        "function": {"name": tool["name"], "arguments": json.dumps(arguments, ensure_ascii=False)},
    }


def scripted_calls(calls: Sequence[dict[str, Any]], new_id: Callable[[], str]) -> list[dict[str, Any]]:
    """Tool calls given by a scenario (``{"name", "arguments": dict}``) in the stored shape."""
    out = []
    for call in calls:
        arguments = call.get("arguments", {})
        text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
        out.append({"id": call.get("id") or new_id(), "type": "function", "function": {"name": call["name"], "arguments": text}})
    return out


def fragments(arguments: str, size: int = ARGUMENT_FRAGMENT) -> list[str]:
    """``arguments`` cut into stream fragments that concatenate back to it."""
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]
