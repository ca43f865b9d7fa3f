"""Connection-level faults: TCP reset, close without a response, bytes that are not HTTP.

ASGI does not expose the socket, so the emulator's uvicorn protocol (:func:`emulator.server.http_protocol`)
hands each request its :class:`Connection` in ``scope["extensions"]["cuadra.connection"]``
(:func:`connection_from_scope`; a stream's body is handed it by the handler that makes the body).

Without a connection (in-process transports such as httpx's ``ASGITransport`` or Starlette's
``TestClient``) there is no socket to break: a :class:`FaultResponse` then sends nothing at all
(in-process clients raise an ``AssertionError`` about a missing response; the emulator records no
server error) and stream cuts and stalls simply end the body. A bare uvicorn started without the
emulator's protocol class would answer such a silent response with its own plain-text 500.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from starlette.responses import Response

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

FaultKind = Literal["reset", "close", "garbage"]
FAULT_KINDS: tuple[FaultKind, ...] = ("reset", "close", "garbage")
SCOPE_KEY = "cuadra.connection"
#: What ``garbage`` writes: no status line, binary noise, then a close.
GARBAGE = b"\x00\x15\x03\x03 this is not HTTP \xff\xfe\xfd\r\n\r\n"

logger = logging.getLogger("cuadra_emulator")


@dataclass
class Connection:
    """One client connection as the emulator's uvicorn protocol sees it."""

    transport: asyncio.Transport
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def reset(self) -> None:
        """Abort with a TCP RST: ``SO_LINGER`` 0, then close without flushing."""
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # already gone: nothing left to reset
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def close(self) -> None:
        """A clean close (FIN) once what was written has been flushed."""
        self.transport.close()

    def drop(self, how: Literal["fin", "rst"]) -> None:
        """End the connection the way a stream plan's ``drop`` says."""
        self.reset() if how == "rst" else self.close()

    async def wait_closed(self) -> None:
        """Wait until the connection is gone (closed by us or by the client)."""
        await self.closed.wait()


def connection_from_scope(scope: Scope) -> Connection | None:
    """The connection the emulator's protocol put into ``scope``, if any."""
    found = scope.get("extensions", {}).get(SCOPE_KEY)
    return found if isinstance(found, Connection) else None


class FaultResponse(Response):
    """A "response" that breaks the connection instead of answering.

    ``status_code`` is 0 (no HTTP status reaches the client) and there are no headers; the journal
    records it as such. ``kind`` is kept for whoever wants to name the fault.
    """

    def __init__(self, kind: FaultKind) -> None:
        if kind not in FAULT_KINDS:
            raise ValueError(f"fault: expected one of {', '.join(FAULT_KINDS)} (got {kind!r})")
        super().__init__(status_code=0)
        self.kind: FaultKind = kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = connection_from_scope(scope)
        if connection is None:
            logger.debug("fault %r needs a socket; in-process, nothing is sent", self.kind)
            return
        if self.kind == "reset":
            connection.reset()
        else:
            if self.kind == "garbage":
                connection.transport.write(GARBAGE)
            connection.close()
        # Returning before uvicorn notices the loss would make it answer 500 itself.
        await connection.wait_closed()


def fault_response(kind: FaultKind) -> Response:
    """A response object that, when served, resets (RST), closes (FIN) or garbles the connection.

    Raises ValueError for an unknown ``kind``.
    """
    return FaultResponse(kind)
