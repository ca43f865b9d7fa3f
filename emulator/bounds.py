"""Size and shape bounds on what the emulator accepts and what it echoes back (see docs/security.md).

Pure functions and constants: JSON nesting depth is bounded before any validator or renderer recurses
into a body, and every problem document is bounded in size, truncating echoed values.
"""

from __future__ import annotations

from typing import Any

#: Deepest JSON nesting accepted in a request body (objects and arrays count one level each).
#: Validators and encoders recurse; a hostile body must never reach Python's recursion limit.
MAX_JSON_DEPTH = 64
#: Largest problem document the emulator sends (bytes of JSON).
MAX_PROBLEM_BYTES = 8 * 1024
#: Longest string kept in a problem document that is over :data:`MAX_PROBLEM_BYTES` (characters).
MAX_ECHO_CHARS = 256
#: Most list items kept in a problem document that is over :data:`MAX_PROBLEM_BYTES`.
MAX_ECHO_ITEMS = 10
#: Longest file name accepted on upload (characters; most file systems stop at 255 bytes).
MAX_FILENAME_CHARS = 255
_CORE_MEMBERS = ("type", "title", "status", "detail")


def nesting_exceeds(raw: bytes, data: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the parsed JSON ``data`` (from ``raw``) nests deeper than ``limit`` levels.

    Iterative, so it cannot hit the recursion limit itself; bodies with fewer brackets than ``limit``
    (nearly all) are answered by two byte counts.
    """
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return False
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def has_control_chars(text: str) -> bool:
    """Whether ``text`` holds a C0/C1 control character or DEL (never valid in a header or a file name)."""
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in text)


def truncate(text: str, limit: int = MAX_ECHO_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


def _shrink(value: Any) -> Any:
    if isinstance(value, str):
        return truncate(value)
    if isinstance(value, dict):
        return {truncate(str(k), 64): _shrink(v) for k, v in list(value.items())[: MAX_ECHO_ITEMS * 3]}
    if isinstance(value, list | tuple):
        kept = [_shrink(v) for v in value[:MAX_ECHO_ITEMS]]
        if len(value) > MAX_ECHO_ITEMS:
            kept.append(f"… ({len(value) - MAX_ECHO_ITEMS} more)")
        return kept
    return value


def bound_problem(doc: dict[str, Any], encode: Any, limit: int = MAX_PROBLEM_BYTES) -> bytes:
    """``doc`` encoded with ``encode``, at most ``limit`` bytes.

    Over the limit, long strings are truncated and long lists cut (saying how many items were left
    out); if that is still too large only the RFC 7807 members are kept, with ``"truncated": true``.
    """
    body: bytes = encode(doc)
    if len(body) <= limit:
        return body
    shrunk = _shrink(doc)
    body = encode(shrunk)
    if len(body) <= limit:
        return body
    core = {key: shrunk[key] for key in _CORE_MEMBERS if key in shrunk}
    core["truncated"] = True
    body = encode(core)
    return body if len(body) <= limit else encode({"title": truncate(str(core.get("title", "")), 64), "truncated": True})
