"""The emulator's HTTP protocol: uvicorn's, plus a socket per request, HTTP limits and accounted errors.

:class:`EmulatorProtocolMixin` goes in front of uvicorn's ``h11`` or ``httptools`` protocol class
(:func:`emulator.server.http_protocol` builds the class). It

- hands every request its :class:`~emulator.faults.Connection` in ``scope["extensions"]`` (connection
  faults act on the socket);
- bounds the request head: more than ``max_head_bytes`` before the head is complete is a 431, a head
  still incomplete ``head_timeout`` seconds after it began is a 408 (a connection that sent nothing
  is closed), a header line over ``max_header_line`` bytes or more than ``max_header_fields`` fields is
  a 431, and an HTTP/1.1 request without ``Host`` is a 400 (RFC 9112 §3.2);
- answers requests the parser refuses with an RFC 7807 problem instead of uvicorn's plain text;
- records any exception raised while handling bytes in ``state.server_errors`` and answers with a
  500 problem when no response has started for the request (else the connection is closed).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .bounds import bound_problem
from .errors import ApiError, BadRequest, HeaderFieldsTooLarge, InternalError, RequestTimeout, problem_response
from .faults import SCOPE_KEY, Connection
from .responses import dumps

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from .config import Config

logger = logging.getLogger("cuadra_emulator")
#: How long a connection answered with a protocol-level error keeps draining input before it closes.
LINGER_SECONDS = 2.0
_REASONS = {400: b"Bad Request", 408: b"Request Timeout", 431: b"Request Header Fields Too Large", 500: b"Internal Server Error"}


@dataclass(frozen=True)
class HttpLimits:
    """Bounds on a request head (see docs/security.md; each has a ``serve`` option)."""

    max_header_line: int = 8 * 1024  # bytes of one ``name: value`` line
    max_header_fields: int = 100
    max_head_bytes: int = 64 * 1024  # request line plus every header line
    head_timeout: float = 10.0  # seconds from a head's first byte (or the connection) to its end

    @classmethod
    def from_config(cls, config: Config) -> HttpLimits:
        return cls(
            config.http_max_header_line, config.http_max_header_fields, config.http_max_head_bytes, config.http_head_timeout
        )


def raw_problem(error: ApiError) -> bytes:
    """A complete ``Connection: close`` HTTP/1.1 response for ``error``, for when no ASGI cycle exists."""
    body = bound_problem(error.body(), dumps)
    reason = _REASONS.get(error.status_code, b"Error")
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/problem+json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % (
        error.status_code,
        reason,
        len(body),
    )
    return head + body


def head_problem(scope: Scope, limits: HttpLimits) -> ApiError | None:
    """What is wrong with a complete request head, judged from its ASGI scope (None: nothing).

    One pass over the header list; the checks are reported in a fixed order: the head's size, the
    number of fields, the first over-long line, then a missing ``Host``.
    """
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    size = len(scope.get("raw_path", b"")) + len(scope.get("query_string", b""))
    longest = limits.max_header_line - 2
    too_long: bytes | None = None
    host = False
    for name, value in headers:
        length = len(name) + len(value)
        size += length + 4
        if length > longest and too_long is None:
            too_long = name
        if name == b"host":
            host = True
    if size > limits.max_head_bytes:  # a head that arrived in one read is only measured once complete
        return HeaderFieldsTooLarge(f"The request head is larger than {limits.max_head_bytes} bytes.")
    if len(headers) > limits.max_header_fields:
        return HeaderFieldsTooLarge(
            f"The request has {len(headers)} header fields; at most {limits.max_header_fields} are accepted."
        )
    if too_long is not None:
        field = too_long[:64].decode("latin-1")
        return HeaderFieldsTooLarge(f"Header field {field!r} is longer than {limits.max_header_line} bytes.")
    if not host and scope.get("http_version") == "1.1":
        return BadRequest("HTTP/1.1 requests must carry a Host header (RFC 9112, section 3.2).")
    return None


def _wrap(app: ASGIApp, connection: Connection, limits: HttpLimits) -> ASGIApp:
    """``app`` with the head checks and ``connection`` in each request's scope (``extensions``)."""
    own = {SCOPE_KEY: connection}  # one per connection: the server's scopes carry no extensions of their own

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            problem = head_problem(scope, limits)
            if problem is not None:
                problem.headers["Connection"] = "close"
                await problem_response(problem)(scope, receive, send)
                return
        extensions = scope.get("extensions")
        scope["extensions"] = {**extensions, SCOPE_KEY: connection} if extensions else own
        await app(scope, receive, send)

    return serve


class EmulatorProtocolMixin:
    """Mixed in front of a uvicorn HTTP protocol class (see the module docstring).

    ``limits`` and ``server_errors`` are class attributes set per server by ``http_protocol``.
    """

    limits: HttpLimits = HttpLimits()
    server_errors: list[BaseException] | None = None
    app: Any
    cycle: Any
    transport: asyncio.Transport
    _cuadra_connection: Connection | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _discarding = False

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._cuadra_connection = Connection(transport)
        self.app = _wrap(self.app, self._cuadra_connection, self.limits)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        try:
            super().connection_lost(exc)  # type: ignore[misc]
        finally:
            if self._cuadra_connection is not None:
                self._cuadra_connection.closed.set()

    def data_received(self, data: bytes) -> None:
        if self._discarding:  # answered and half-closed: drain until the client closes
            return
        before = self.cycle
        try:
            super().data_received(data)  # type: ignore[misc]
        except Exception as exc:  # a protocol-level bug: accounted for, answered when still possible
            self._fail(exc)
            return
        if self._discarding or self.transport.is_closing():
            return
        if self.cycle is not before:  # these bytes completed a request head
            self._disarm_head_timer()
        elif self._head_timer is None and (self.cycle is None or self.cycle.response_complete):
            self._arm_head_timer()  # bytes between requests (a head begins, or blank lines): the clock runs
        pending = self._pending_head(data)
        if pending is not None and pending > self.limits.max_head_bytes:
            self._answer_and_close(HeaderFieldsTooLarge(f"The request head is larger than {self.limits.max_head_bytes} bytes."))

    def _pending_head(self, data: bytes) -> int | None:
        """Bytes of a request head received but not yet complete after ``data`` (None: no head pending)."""
        raise NotImplementedError

    def send_400_response(self, msg: str) -> None:
        """The parser refused the bytes: an RFC 7807 problem instead of uvicorn's plain text.

        httptools reports an exception raised in one of uvicorn's parser callbacks as a parse error too
        (the original is its ``__context__``): that is a bug, accounted for as such.
        """
        failure = sys.exc_info()[1]
        cause = failure.__context__ if failure is not None and type(failure).__name__ == "HttpParserCallbackError" else None
        if isinstance(cause, Exception):
            self._fail(cause)
            return
        self._answer_and_close(BadRequest(f"Malformed HTTP request: {msg.rstrip('.')}."))

    def _answer_and_close(self, error: ApiError) -> None:
        """Send ``error`` and end the connection gracefully.

        Closing a socket with unread bytes in its receive buffer sends a TCP reset, which can destroy
        the answer before the client reads it; so: answer, half-close, discard what still arrives, and
        close when the client does (or after :data:`LINGER_SECONDS`).
        """
        self._disarm_head_timer()
        if self.transport.is_closing() or self._discarding:
            return
        self.transport.write(raw_problem(error))
        self._discarding = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            asyncio.get_running_loop().call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    def _fail(self, exc: Exception) -> None:
        if self.server_errors is not None:
            self.server_errors.append(exc)
        logger.error("unhandled error in the HTTP protocol", exc_info=exc)
        if self.cycle is None or not self.cycle.response_started:
            self._answer_and_close(InternalError())
        else:
            self.transport.close()

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        loop = asyncio.get_running_loop()
        # Socket housekeeping on the server's loop, not emulator logic: the emulator clock does not apply.
        self._head_timer = loop.call_later(self.limits.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._discarding or self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        if self._pending_head(b""):  # part of a head arrived: say why the connection ends
            self._answer_and_close(RequestTimeout())
        else:  # an idle connection: just close it
            self.transport.close()


class H11Limits(EmulatorProtocolMixin):
    """For uvicorn's ``h11`` protocol: h11 buffers an incomplete head, so its size is exact."""

    conn: Any

    def _pending_head(self, data: bytes) -> int | None:
        import h11

        if self.conn.their_state is not h11.IDLE:
            return None
        buffered = len(self.conn.trailing_data[0])
        return buffered or None


class HttptoolsLimits(EmulatorProtocolMixin):
    """For uvicorn's ``httptools`` protocol: the parser's callbacks say where a head begins and ends."""

    _head_bytes: int | None = None  # counted per chunk: a chunk that also ends a previous body counts whole

    def on_message_begin(self) -> None:
        self._head_bytes = 0
        super().on_message_begin()  # type: ignore[misc]

    def on_headers_complete(self) -> None:
        self._head_bytes = None
        super().on_headers_complete()  # type: ignore[misc]

    def _pending_head(self, data: bytes) -> int | None:
        if self._head_bytes is not None:
            self._head_bytes += len(data)
        return self._head_bytes
