"""What goes onto the wire: a guard that checks response headers before the server sees them.

uvicorn marks a response as started *before* it checks the header bytes, so an invalid header
(a control character from stored data, say) would otherwise end the connection without an answer
and outside the app's error handling. :class:`GuardedSend` refuses such a start message itself,
so the app can still answer with a 500 problem and record the error.
"""

from __future__ import annotations

import re
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.types import Message, Send

    Head = list[tuple[bytes, bytes]]

# The bytes RFC 9110 forbids (the checks uvicorn and h11 apply when writing a response head).
_BAD_NAME = re.compile(b'[\\x00-\\x20\\x7f()<>@,;:\\[\\]={}\\t\\\\"/?]')
_BAD_VALUE = re.compile(b"[\\x00-\\x08\\x0a-\\x1f\\x7f]")
#: The bytes :data:`_BAD_VALUE` matches (tests/test_wire.py checks all 256), for the one-pass check.
BAD_VALUE_BYTES = bytes([*range(0x09), *range(0x0A, 0x20), 0x7F])
_value = itemgetter(1)


class InvalidResponseHeader(RuntimeError):
    """A response header the emulator built could never be sent (an emulator bug, reported as such)."""


#: Response header names the emulator writes itself: valid by construction (tests/test_wire.py checks
#: each against the pattern), so a head made of them needs no per-name search.
KNOWN_NAMES = frozenset(
    {
        b"content-length",
        b"content-type",
        b"content-disposition",
        b"cache-control",
        b"x-accel-buffering",
        b"x-ratelimit-limit",
        b"x-ratelimit-remaining",
        b"x-ratelimit-reset",
        b"retry-after",
        b"x-chat-id",
        b"x-vercel-ai-ui-message-stream",
        b"idempotent-replayed",
        b"vary",
        b"allow",
        b"location",
        b"etag",
        b"www-authenticate",
        b"access-control-allow-origin",
        b"access-control-allow-credentials",
        b"access-control-expose-headers",
        b"connection",
    }
)


def check_headers(headers: list[tuple[bytes, bytes]]) -> None:
    """Raise :class:`InvalidResponseHeader` for an empty or invalid name or a value with control bytes.

    A name the emulator writes itself (:data:`KNOWN_NAMES`) is not searched; the values are searched
    once, joined (the pattern matches single bytes); only a head that fails is walked again to name the
    first bad header.
    """
    for name, _ in headers:
        if name not in KNOWN_NAMES and (not name or _BAD_NAME.search(name)):
            break
    else:
        values = b"".join(map(_value, headers))  # no comprehension: no frame of its own
        if len(values.translate(None, BAD_VALUE_BYTES)) == len(values):  # a C pass, ~2.5x a regex search
            return
    for name, value in headers:
        if not name or _BAD_NAME.search(name):
            raise InvalidResponseHeader(f"invalid response header name {name[:64]!r}")
        if _BAD_VALUE.search(value):
            raise InvalidResponseHeader(f"invalid value of response header {name[:64]!r}: {value[:64]!r}")


#: A response may carry ``(raw_headers, n)`` under this attribute: the first ``n`` headers of that very
#: list were built by the emulator from constants and numbers, so they are valid by construction
#: (``JsonResponse`` vets its own two; :func:`extend_vetted` keeps a whole vetted head vetted). Code
#: that edits a response's head in place does so after those (CORS adds or replaces its own names).
VETTED = "vetted_head"


def check_head(response: Response) -> None:
    """:func:`check_headers` for a response's head, less the part it carries as vetted."""
    headers = response.raw_headers
    vetted: tuple[Head, int] | None = getattr(response, VETTED, None)
    if vetted is None or vetted[0] is not headers:
        check_headers(headers)
    elif vetted[1] != len(headers):
        check_headers(headers[vetted[1] :])


def extend_vetted(response: Response, extra: Head) -> None:
    """Add ``extra`` (headers built from constants and numbers) to ``response``'s head; a head that
    was vetted whole stays vetted whole."""
    headers = response.raw_headers
    vetted: tuple[Head, int] | None = getattr(response, VETTED, None)
    whole = vetted is not None and vetted[0] is headers and vetted[1] == len(headers)
    headers += extra
    if whole:
        setattr(response, VETTED, (headers, len(headers)))


#: A start message carrying this key (as True) has a head the app checked (names valid and lower-case,
#: values without control bytes), and its one body message follows without the app awaiting anything
#: else: the emulator's server writes both at once (:mod:`emulator.cycle`); other servers ignore the key.
CHECKED_HEAD = "cuadra.checked_head"


class GuardedSend:
    """An ASGI ``send`` that checks a response head before passing it on and notes whether one went out."""

    __slots__ = ("_send", "started")

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            check_headers(message.get("headers", []))
            self.started = True
        await self._send(message)
