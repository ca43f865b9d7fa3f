"""Deterministic assistant replies.

A reply is a pure function of the server seed, the model and the conversation so far: the same
history gives the same reply whatever else happened before (request order, other chats).
"""

from __future__ import annotations

import functools
import hashlib
import random
import re
from collections.abc import Sequence

from ..responses import dumps

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


@functools.lru_cache(maxsize=256)
def prompt_tokens(text: str) -> int:
    """:func:`count_tokens` of a system prompt, memoised: every turn of every chat of a model counts its
    prompt again (~24k instructions for a 55-character prompt), and a model has one. A pure function."""
    return count_tokens(text)


def split_pieces(text: str) -> list[str]:
    """Split ``text`` into stream deltas (each word with its leading whitespace); joins back exactly."""
    pieces = _PIECE.findall(text)
    rest = len("".join(pieces))
    if rest < len(text):  # trailing whitespace
        pieces.append(text[rest:])
    return pieces


#: ``random.Random``'s C seeding, without the Python ``__init__``/``seed`` wrappers around it: for an int
#: seed they only call it and clear ``gauss_next`` (``Random(n)`` costs ~37k instructions, this ~32k).
_seed_state = random.Random.__mro__[1].seed  # type: ignore[attr-defined]


def conversation_rng(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], salt: str = "") -> random.Random:
    """A ``random.Random`` determined by seed, model and conversation (never by global state): the
    generator ``random.Random(n)`` gives, ``n`` the first 16 bytes of a SHA-256 of them."""
    digest = hashlib.sha256(dumps([seed, model_id, salt, list(history)])).digest()
    rng = random.Random.__new__(random.Random)
    _seed_state(rng, int.from_bytes(digest[:16], "big"))
    rng.gauss_next = None  # type: ignore[attr-defined]
    return rng


def _topic_words(history: Sequence[tuple[str, str | None]]) -> list[str]:
    """The words of the last user message with content (the reply quotes the first eight)."""
    for role, content in reversed(history):
        if role == "user" and content:
            return content.split()
    return []


def _pieces_after_space(texts: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(_PIECE.findall(" " + text)) for text in texts)


# Stream pieces of the fixed sentences, split once: a reply is these joined, so it needs no re-splitting.
_OPENER_PIECES = tuple(tuple(_PIECE.findall(text)) for text in _OPENERS)
_SENTENCE_PIECES = _pieces_after_space(_SENTENCES)
_CLOSER_PIECES = _pieces_after_space(_CLOSERS)


def reply_text(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], max_tokens: int | None) -> str:
    """The assistant's reply to ``history``, cut to ``max_tokens`` pieces when given."""
    return reply_with_pieces(seed, model_id, history, max_tokens)[0]


def reply_with_pieces(
    seed: int, model_id: str, history: Sequence[tuple[str, str | None]], max_tokens: int | None
) -> tuple[str, list[str]]:
    """:func:`reply_text` and its stream pieces (``split_pieces`` of it), assembled from pre-split parts.

    The parts are drawn by index with the same ``_randbelow`` calls on the same generator as
    ``rng.choice``/``rng.sample``/``rng.randint`` make (``tests/test_chat_generate.py`` compares with
    that definition), so the text is the same; every part starts and ends with a non-space, so pieces
    never span two parts.
    """
    rng = conversation_rng(seed, model_id, history)
    below = rng._randbelow  # type: ignore[attr-defined]
    opener = below(len(_OPENERS))  # rng.choice(_OPENERS)
    parts = [_OPENERS[opener]]
    pieces = list(_OPENER_PIECES[opener])
    words = _topic_words(history)
    if words:
        shown = words[:8]
        ellipsis = "…" if len(words) > 8 else ""
        topic = " ".join(shown) + ellipsis
        parts.append(f"You asked: “{topic}”.")
        # the pieces of " You asked: “w1 w2 …”.": words from str.split() hold no whitespace (as \S+)
        pieces += (" You", " asked:", f" “{shown[0]}")
        for word in shown[1:]:
            pieces.append(f" {word}")
        pieces[-1] += ellipsis + "”."
    # rng.sample(_SENTENCES, rng.randint(1, 3)), drawn the way Random.sample draws from a short population
    count = 1 + below(3)
    pool = list(range(len(_SENTENCES)))
    size = len(pool)
    for i in range(count):
        j = below(size - i)
        index = pool[j]
        pool[j] = pool[size - i - 1]
        parts.append(_SENTENCES[index])
        pieces += _SENTENCE_PIECES[index]
    closer = below(len(_CLOSERS))  # rng.choice(_CLOSERS)
    parts.append(_CLOSERS[closer])
    pieces += _CLOSER_PIECES[closer]
    if max_tokens is not None:
        pieces = pieces[:max_tokens]
        return "".join(pieces), pieces
    return " ".join(parts), pieces


_REASONING = (
    "First, restate what the user is asking for.",
    "The question is about a concrete task, so a short practical answer fits best.",
    "Consider the constraints that were mentioned earlier in the conversation.",
    "There may be more than one way to do this; prefer the simplest reliable one.",
    "Check whether any linked documents are relevant before answering.",
    "Make sure the answer does not contradict what was said before.",
    "Order the steps so each one can be verified on its own.",
    "Finally, keep the answer concise and offer a follow-up.",
)


def reasoning_text(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], budget: int | None) -> str:
    """The model's thinking before it answers ``history``, cut to ``budget`` pieces when given."""
    rng = conversation_rng(seed, model_id, history, salt="reasoning")
    count = rng.randint(3, 6)
    text = " ".join([_REASONING[0], *rng.sample(_REASONING[1:], count - 1)])
    if budget is not None:
        text = "".join(split_pieces(text)[:budget])
    return text


_TITLE_STOP = {
    "a",
    "an",
    "the",
    "i",
    "you",
    "me",
    "my",
    "is",
    "are",
    "to",
    "of",
    "and",
    "or",
    "in",
    "on",
    "for",
    "what",
    "how",
    "can",
    "please",
    "do",
    "does",
    "with",
    "it",
    "this",
    "that",
    "be",
    "your",
}


def title_text(contents: Sequence[str]) -> str:
    """A short title (at most six significant words, title-cased) for the given message texts."""
    words: list[str] = []
    for content in contents:
        for word in re.findall(r"[A-Za-z0-9][A-Za-z0-9'-]*", content):
            if word.lower() not in _TITLE_STOP and word not in words:
                words.append(word)
            if len(words) == 6:
                break
        if len(words) == 6:
            break
    if not words:
        return "New Chat"
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in words)


def artifact_text(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], title: str) -> str:
    """The markdown body of the artifact produced for ``history`` when artifacts are enabled."""
    rng = conversation_rng(seed, model_id, history, salt="artifact")
    points = rng.sample(_SENTENCES, 3)
    lines = [f"# {title}", "", rng.choice(_OPENERS), "", *(f"- {point}" for point in points), ""]
    return "\n".join(lines)
