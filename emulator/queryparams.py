"""Query-parameter readers (a bad value is a 422 problem naming `#/query/<name>`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import UnprocessableEntity


def _invalid(name: str, detail: str) -> UnprocessableEntity:
    return UnprocessableEntity(f"{name}: {detail}", extensions={"errors": [{"pointer": f"#/query/{name}", "detail": detail}]})


def enum_param(query: Mapping[str, str], name: str, allowed: Iterable[str]) -> str | None:
    """``?name=`` when it is one of ``allowed``; absent or empty is None; anything else is a 422."""
    value = query.get(name)
    if not value:
        return None
    choices = tuple(allowed)
    if value not in choices:
        raise _invalid(name, f"must be one of {', '.join(choices)}")
    return value


def int_param(query: Mapping[str, str], name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    """``?name=`` as an integer in ``[minimum, maximum]`` (``default`` when absent); else a 422."""
    text = query.get(name)
    if text is None:
        return default
    try:
        value = int(text)
    except ValueError:
        raise _invalid(name, "must be an integer") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise _invalid(name, f"must be {bound}")
    return value
