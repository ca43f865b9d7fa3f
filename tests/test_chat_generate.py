"""The reply generator's fast paths give exactly what the plain definitions give."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest

from emulator.chat.generate import reply_text, reply_with_pieces, split_pieces
from emulator.clock import isoformat
from emulator.domain.usage import USD_PER_TOKEN, cost_for

HISTORIES = [
    [("user", "Hello!")],
    [("system", "Be brief."), ("user", "How do   I page\tthrough a very long list of datasets, please?")],
    [("user", "one"), ("assistant", "two"), ("user", "  spaced  out  ")],
    [("user", None)],
    [("user", "émoji 🎉 and “quotes” ,. !")],
]


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
