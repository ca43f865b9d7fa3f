"""The reply generator's fast paths give exactly what the plain definitions give."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

import pytest

from emulator.chat.generate import (
    _CLOSERS,
    _OPENERS,
    _SENTENCES,
    conversation_rng,
    reply_text,
    reply_with_pieces,
    split_pieces,
)
from emulator.clock import isoformat
from emulator.domain.usage import USD_PER_TOKEN, cost_for
from emulator.responses import dumps

HISTORIES = [
    [("user", "Hello!")],
    [("system", "Be brief."), ("user", "How do   I page\tthrough a very long list of datasets, please?")],
    [("user", "one"), ("assistant", "two"), ("user", "  spaced  out  ")],
    [("user", None)],
    [("user", "émoji 🎉 and “quotes” ,. !")],
    [("user", "one two three four five six seven eight")],
    [("user", " one two three four five six seven eight nine\n ten ")],
    [("user", "solo")],
    [("user", "   ")],
    [("user", "Question\u2003with\u00a0odd\x1fspaces\u3000here")],
]


def _plain_rng(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], salt: str = "") -> random.Random:
    digest = hashlib.sha256(dumps([seed, model_id, salt, list(history)])).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


def _plain_reply_text(seed: int, model_id: str, history: Sequence[tuple[str, str | None]], max_tokens: int | None) -> str:
    """The reply as first defined: parts drawn by value with rng.choice, rng.sample and rng.randint."""
    rng = _plain_rng(seed, model_id, history)
    parts = [rng.choice(_OPENERS)]
    last = next((content for role, content in reversed(history) if role == "user" and content), None)
    if last and last.split():
        words = last.split()
        parts.append(f"You asked: “{' '.join(words[:8]) + ('…' if len(words) > 8 else '')}”.")
    parts.extend(rng.sample(_SENTENCES, rng.randint(1, 3)))
    parts.append(rng.choice(_CLOSERS))
    text = " ".join(parts)
    if max_tokens is not None:
        text = "".join(split_pieces(text)[:max_tokens])
    return text


@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize("max_tokens", [None, 3, 7, 1000])
def test_reply_text_is_the_plain_definition(history: list[tuple[str, str | None]], max_tokens: int | None) -> None:
    for seed in range(60):
        text, pieces = reply_with_pieces(seed, "model-a", history, max_tokens)
        assert text == _plain_reply_text(seed, "model-a", history, max_tokens)
        assert pieces == split_pieces(text)


@pytest.mark.parametrize("salt", ["", "sources", "json"])
def test_conversation_rng_draws_what_random_random_draws(salt: str) -> None:
    for seed in range(20):
        fast, plain = conversation_rng(seed, "m", HISTORIES[1], salt), _plain_rng(seed, "m", HISTORIES[1], salt)
        assert [fast.random() for _ in range(700)] == [plain.random() for _ in range(700)]
        assert (fast.gauss(), fast.sample(range(50), 5), fast.getrandbits(77)) == (
            plain.gauss(),
            plain.sample(range(50), 5),
            plain.getrandbits(77),
        )


@pytest.mark.parametrize("history", HISTORIES)
@pytest.mark.parametrize("max_tokens", [None, 0, 1, 5, 40, 1000])
def test_reply_pieces_are_the_split_of_the_text(history: list[tuple[str, str | None]], max_tokens: int | None) -> None:
    for seed in range(40):
        text, pieces = reply_with_pieces(seed, "model-a", history, max_tokens)
        assert pieces == split_pieces(text)
        assert "".join(pieces) == text
        assert text == reply_text(seed, "model-a", history, max_tokens)


def test_reply_text_is_the_documented_composition_for_a_known_seed() -> None:
    text, pieces = reply_with_pieces(0, "m", [("user", "Hello!")], None)
    assert "You asked: “Hello!”." in text
    assert pieces[0] == text.split(" ")[0]
    assert all(piece.startswith(" ") for piece in pieces[1:])


@pytest.mark.parametrize("multiplier", [0, 1, 2, 3, 1.0, 2.0, 0.5, 1.5, 0.25, 1.3333])
def test_cost_is_the_decimal_cost_rounded_half_up(multiplier: float) -> None:
    for tokens in [*range(0, 300), 9_999, 10**6, 123_456_789]:
        exact = Decimal(tokens) * USD_PER_TOKEN * Decimal(str(multiplier))
        assert cost_for(tokens, multiplier) == str(exact.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("ts", [0, 0.999, 1_700_000_000, 1_700_000_000.5, 4_102_444_799])
def test_isoformat_is_memoised_per_second_without_changing_the_text(ts: float) -> None:
    from datetime import UTC, datetime

    expected = datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert isoformat(ts) == expected
    assert isoformat(ts) == expected  # the memoised second
