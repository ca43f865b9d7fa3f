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

Every request pays for this, so the default parser's path is lean (issue 16): with ``httptools`` the
complete head is checked in the parser's ``on_headers_complete`` callback, before uvicorn makes the
request's cycle, and nothing wraps the app; a head that fails a check gets a problem app for its cycle
only. A head that arrived in fewer bytes than :attr:`HttpLimits.quick_head_bytes` cannot break the size
or line bounds, so only its field count and ``Host`` are looked at. ``h11`` has no such callback: its
app is wrapped by a coroutine that checks each request's scope.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .bounds import bound_problem
from .errors import ApiError, BadRequest, HeaderFieldsTooLarge, InternalError, RequestTimeout, problem_response
from .faults import SCOPE_KEY, Connection
from .responses import dumps

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle

    from .cycle import CheckedHeadCycle, default_block
except ImportError:  # httptools is optional: without it, http_protocol() picks h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

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
    #: A head of at most this many bytes on the wire is within the size and line bounds, whatever its fields
    #: (:func:`head_problem` counts 4 bytes of punctuation per field, the wire may carry 2).
    quick_head_bytes: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        quick = min(self.max_header_line - 2, self.max_head_bytes - 2 * self.max_header_fields)
        object.__setattr__(self, "quick_head_bytes", quick)

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


def head_problem(headers: list[tuple[bytes, bytes]], target: int, http_version: str, limits: HttpLimits) -> ApiError | None:
    """What is wrong with a complete request head (None: nothing); ``target``: the request target's bytes.

    One pass over the header list; the checks are reported in a fixed order: the head's size, the
    number of fields, the first over-long line, then a missing ``Host``.
    """
    size = target
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
        shown = too_long[:64].decode("latin-1")
        return HeaderFieldsTooLarge(f"Header field {shown!r} is longer than {limits.max_header_line} bytes.")
    if not host and http_version == "1.1":
        return BadRequest("HTTP/1.1 requests must carry a Host header (RFC 9112, section 3.2).")
    return None


class EmulatorProtocolMixin:
    """Mixed in front of a uvicorn HTTP protocol class (see the module docstring).

    ``limits`` and ``server_errors`` are class attributes set per server by ``http_protocol``.
    """

    # Slots, not instance-dict entries: uvicorn's protocol instance dict is built in its ``__init__``;
    # keys added later leave CPython's shared-key layout, which slows every attribute access in uvicorn's
    # code (~2k instructions per request).
    __slots__ = ("_cuadra_connection", "_extensions", "_head_timer", "_discarding")
    limits: HttpLimits = HttpLimits()
    server_errors: list[BaseException] | None = None
    app: Any
    cycle: Any
    transport: asyncio.Transport
    _cuadra_connection: Connection
    _extensions: dict[str, object]  # what each request's scope["extensions"] gets (one per connection)
    _head_timer: asyncio.TimerHandle | None
    _discarding: bool

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._cuadra_connection = Connection(transport)
        self._extensions = {SCOPE_KEY: self._cuadra_connection}
        self._head_timer = None
        self._discarding = False
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        try:
            super().connection_lost(exc)  # type: ignore[misc]
        finally:
            self._cuadra_connection.closed.set()

    def _head_in_progress(self) -> bool:
        """Whether part of a request head arrived and its end did not."""
        raise NotImplementedError

    def _add_extensions(self, scope: Scope) -> None:
        extensions = scope.get("extensions")
        scope["extensions"] = {**extensions, **self._extensions} if extensions else self._extensions

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

    def _idle(self) -> bool:
        """No request is being answered (bytes that arrive now start the head clock)."""
        return self.cycle is None or self.cycle.response_complete

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        if self._discarding or self.transport.is_closing():
            return
        loop = asyncio.get_running_loop()
        # Socket housekeeping on the server's loop, not emulator logic: the emulator clock does not apply.
        self._head_timer = loop.call_later(self.limits.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._discarding or self.transport.is_closing() or not self._idle():
            return
        if self._head_in_progress():  # part of a head arrived: say why the connection ends
            self._answer_and_close(RequestTimeout())
        else:  # an idle connection: just close it
            self.transport.close()

    def _head_too_large(self) -> None:
        self._answer_and_close(HeaderFieldsTooLarge(f"The request head is larger than {self.limits.max_head_bytes} bytes."))


class H11Limits(EmulatorProtocolMixin):
    """For uvicorn's ``h11`` protocol: h11 buffers an incomplete head, so its size is exact; each
    request's scope is checked by a coroutine around the app."""

    __slots__ = ()
    conn: Any

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self.app = _checking(self.app, self)

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
        elif self._head_timer is None and self._idle():
            self._arm_head_timer()  # bytes between requests (a head begins, or blank lines): the clock runs
        if self._buffered_head() > self.limits.max_head_bytes:
            self._head_too_large()

    def _buffered_head(self) -> int:
        import h11

        return len(self.conn.trailing_data[0]) if self.conn.their_state is h11.IDLE else 0

    def _head_in_progress(self) -> bool:
        return self._buffered_head() > 0


def _checking(app: ASGIApp, protocol: EmulatorProtocolMixin) -> ASGIApp:
    """``app`` with the head checks and the connection in each request's scope (for ``h11``)."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            target = len(scope["raw_path"]) + len(scope["query_string"])
            problem = head_problem(scope["headers"], target, scope["http_version"], protocol.limits)
            if problem is not None:
                problem.headers["Connection"] = "close"
                await problem_response(problem)(scope, receive, send)
                return
        protocol._add_extensions(scope)
        await app(scope, receive, send)

    return serve


class HttptoolsLimits(EmulatorProtocolMixin):
    """For uvicorn's ``httptools`` protocol: the parser's callbacks say where a head ends.

    uvicorn makes a new ``scope`` when a message begins; its head is incomplete until
    :meth:`on_headers_complete` marks it ``_checked``. uvicorn's methods are called as
    ``HttpToolsProtocol.method(self)``, not through ``super()``, which costs ~1k instructions a call.
    """

    __slots__ = ("_checked", "_head_bytes", "_chunk", "_defaults_of", "_defaults")
    scope: Any
    server_state: Any
    headers: list[tuple[bytes, bytes]]
    url: bytes
    parser: Any
    _checked: object  # the scope whose head was checked last
    _head_bytes: int  # bytes of the pending head in earlier chunks (a chunk that also ends a body counts whole)
    _chunk: int  # bytes of the chunk being parsed
    _defaults_of: object  # the server's default header list ``_defaults`` was made from
    _defaults: bytes | None  # its lines, for the cycles of this connection (see emulator.cycle)

    def connection_made(self, transport: asyncio.Transport) -> None:
        self._checked = None  # uvicorn's scope before the first request
        self._head_bytes = self._chunk = 0
        self._defaults_of = self._defaults = None
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self._discarding:  # answered and half-closed: drain until the client closes
            return
        self._chunk = len(data)
        try:
            HttpToolsProtocol.data_received(self, data)  # type: ignore[arg-type]
        except Exception as exc:  # a protocol-level bug: accounted for, answered when still possible
            self._fail(exc)
            return
        if self.scope is not self._checked:  # a head began and is not complete
            self._head_pending(len(data))
        elif (self.cycle is None or self.cycle.response_complete) and self._head_timer is None:
            self._arm_head_timer()  # bytes between requests (e.g. blank lines): the clock runs

    def _head_pending(self, size: int) -> None:
        if self._discarding or self.transport.is_closing():
            return
        self._head_bytes += size
        if self._head_bytes > self.limits.max_head_bytes:
            self._head_too_large()
        elif self._head_timer is None and self._idle():
            self._arm_head_timer()

    def _head_in_progress(self) -> bool:
        return self.scope is not self._checked

    def on_headers_complete(self) -> None:
        scope = self._checked = self.scope
        if self._head_timer is not None:
            self._disarm_head_timer()
        headers, limits = self.headers, self.limits
        quick = self._head_bytes + self._chunk <= limits.quick_head_bytes and len(headers) <= limits.max_header_fields
        self._head_bytes = 0
        if quick and headers and headers[0][0] == b"host" and "extensions" not in scope:  # clients send Host first
            scope["extensions"] = self._extensions
        else:
            problem = head_problem(headers, len(self.url), self.parser.get_http_version(), limits)
            if problem is not None:
                self._answer_cycle(problem)
                return
            self._add_extensions(scope)
        HttpToolsProtocol.on_headers_complete(self)  # type: ignore[arg-type]
        cycle = self.cycle
        if type(cycle) is RequestResponseCycle:  # made just now (an upgrade makes none)
            cycle.__class__ = CheckedHeadCycle  # its task has not started: every send goes through the subclass
            defaults = cycle.default_headers
            if defaults is not self._defaults_of:  # uvicorn makes a new list when the date changes
                self._defaults_of, self._defaults = defaults, default_block(defaults)
            cycle.defaults = self._defaults  # type: ignore[attr-defined]

    def _answer_cycle(self, problem: ApiError) -> None:
        """Let uvicorn make this request's cycle with ``problem`` as its app (and close after it)."""
        problem.headers["Connection"] = "close"
        app, self.app = self.app, problem_response(problem)
        try:
            HttpToolsProtocol.on_headers_complete(self)  # type: ignore[arg-type]
        finally:
            self.app = app
