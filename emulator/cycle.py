"""One write per response: uvicorn's request cycle, sending a checked head together with its body.

uvicorn's ``httptools`` cycle writes a response's head as soon as the app sends ``http.response.start``
(searching every header name and value with a regular expression first), and its body with the next
message: two socket writes per response, and two searches per header. The emulator's app checks each
head itself before it sends it (:func:`emulator.wire.check_head`, at least as strict as uvicorn's
patterns); when the start message also says its one body message follows at once
(:data:`CHECKED_HEAD`), :class:`CheckedHeadCycle` builds the head without searching it again, holds
it, and writes head and body with one call. Anything else (a streamed body, ``HEAD``, a length that
does not match, a message without the key) goes through uvicorn's own ``send``, after the held head.

The bytes on the wire are the same as uvicorn's (``tests/test_cycle.py`` compares them).
"""

from __future__ import annotations

from typing import Any

# uvicorn's own patterns (HEADER_RE, HEADER_VALUE_RE), applied to the server's default headers
from uvicorn.protocols.http.httptools_impl import HEADER_RE, HEADER_VALUE_RE, STATUS_LINE, RequestResponseCycle

from .wire import CHECKED_HEAD


def default_block(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The server's default header lines as uvicorn writes them; None when one would fail its checks."""
    lines = []
    for name, value in headers:
        if HEADER_RE.search(name) or HEADER_VALUE_RE.search(value):
            return None
        lines.append(b"%s: %s\r\n" % (name.lower(), value))
    return b"".join(lines)


class CheckedHeadCycle(RequestResponseCycle):
    """uvicorn's ``RequestResponseCycle``, with a short way for a checked head and its body (see above).

    ``defaults``: :func:`default_block` of this cycle's ``default_headers`` (set by the protocol that
    makes the cycle; None sends every message uvicorn's way).
    """

    defaults: bytes | None = None
    _held: bytes | None = None  # the head, written with the body that follows it

    async def send(self, message: Any) -> None:
        held = self._held
        if held is not None:
            self._held = None
            await self._send_body(held, message)
        elif (
            self.response_started
            or CHECKED_HEAD not in message
            or self.defaults is None
            or self.flow.write_paused
            or self.disconnected
        ):
            await RequestResponseCycle.send(self, message)
        else:
            self._held = self._head(message, self.defaults)

    def _head(self, message: Any, defaults: bytes) -> bytes:
        """What uvicorn's ``send`` does with a start message, less the searches and the write."""
        self.response_started = True
        self.waiting_for_100_continue = False
        status = message["status"]
        content = [STATUS_LINE[status], defaults]
        close = False
        for name, value in message["headers"]:
            if name == b"content-length":
                if self.chunked_encoding is None:
                    self.expected_content_length = int(value)
                    self.chunked_encoding = False
            elif name == b"transfer-encoding":
                if value.lower() == b"chunked":
                    self.expected_content_length = 0
                    self.chunked_encoding = True
            elif name == b"connection" and b"close" in [token.lower().strip() for token in value.split(b",")]:
                self.keep_alive = False
                close = True
            content += (name, b": ", value, b"\r\n")
        if not self.keep_alive and not close:
            content.append(b"connection: close\r\n")
        if self.chunked_encoding is None and self.scope["method"] != "HEAD" and status not in (204, 304):
            self.chunked_encoding = True
            content.append(b"transfer-encoding: chunked\r\n")
        content.append(b"\r\n")
        return b"".join(content)

    async def _send_body(self, head: bytes, message: Any) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        body = message.get("body", b"")
        if (
            message["type"] != "http.response.body"
            or message.get("more_body", False)
            or self.chunked_encoding is not False
            or len(body) != self.expected_content_length
            or self.scope["method"] == "HEAD"
        ):
            self.transport.write(head)  # uvicorn's send takes it from here, as after its own head
            await RequestResponseCycle.send(self, message)
            return
        self.expected_content_length = 0
        self.transport.write(head + body)
        self.response_complete = True
        self.message_event.set()
        if not self.keep_alive:
            self.transport.close()
        self.on_response()
