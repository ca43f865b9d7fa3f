"""Deterministic assistant replies.

A reply is a pure function of the server seed, the model and the conversation so far: the same
history gives the same reply whatever else happened before (request order, other chats).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Sequence

_TOKEN = re.compile(r"\w+|[^\w\s]")
_PIECE = re.compile(r"\s*\S+")

_OPENERS = (
    "Sure, here is a short answer.",
    "Good question.",
    "Happy to help with that.",
    "Here is what I can tell you.",
    "Let me walk you through it.",
)
_SENTENCES = (
    "The key point is to start small and verify each step before moving on.",
    "Most teams solve this by keeping the configuration in one place.",
    "You can retry safely as long as the request carries an idempotency key.",
    "The documentation recommends exponential backoff for transient errors.",
    "In practice the simplest option is usually the most reliable one.",
    "Streaming responses arrive as server-sent events, one delta at a time.",
    "A cursor lets you page through long lists without missing items.",
    "Check the response status before parsing the body.",
    "Rate limits reset within a minute, so a short wait is enough.",
    "Datasets linked to a model are searched for relevant passages first.",
    "Keep prompts concise to reduce token usage and cost.",
    "Each answer includes token counts so you can track credits.",
)
_CLOSERS = (
    "Let me know if you want more detail.",
    "I hope this helps.",
    "Feel free to ask a follow-up question.",
)


def count_tokens(text: str | None) -> int:
    """Tokens as the emulator counts them: words and punctuation marks (documented in fidelity.md)."""
    return len(_TOKEN.findall(text or ""))


def split_pieces(text: str) -> list[str]:
    """Split ``text`` into stream deltas (each word with its leading whitespace); joins back exactly."""
    pieces = _PIECE.findall(text)
    rest = len("".join(pieces))
    if rest < len(text):  # trailing whitespace
        pieces.append(text[rest:])
    return pieces


def conversation_rng(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], salt: str = "") -> random.Random:
    """A ``random.Random`` determined by seed, model and conversation (never by global state)."""
    digest = hashlib.sha256(
        json.dumps([seed, model_id, salt, list(history)], ensure_ascii=False, separators=(",", ":")).encode()
    ).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def _topic(history: Sequence[tuple[str, str | None]]) -> str | None:
    for role, content in reversed(history):
        if role == "user" and content:
            words = content.split()
            return " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return None


def reply_text(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], max_tokens: int | None) -> str:
    """The assistant's reply to ``history``, cut to ``max_tokens`` pieces when given."""
    rng = conversation_rng(seed, model_id, history)
    parts = [rng.choice(_OPENERS)]
    topic = _topic(history)
    if topic:
        parts.append(f"You asked: “{topic}”.")
    parts.extend(rng.sample(_SENTENCES, rng.randint(1, 3)))
    parts.append(rng.choice(_CLOSERS))
    text = " ".join(parts)
    if max_tokens is not None:
        text = "".join(split_pieces(text)[:max_tokens])
    return text
