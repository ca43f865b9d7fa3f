"""Serving on a real socket: the emulator's uvicorn protocol and :class:`LiveServer`.

:func:`http_protocol` returns a subclass of uvicorn's HTTP protocol (``h11`` or ``httptools``) that
gives every request its :class:`~emulator.faults.Connection`, so connection faults (TCP reset, close,
garbage, stream cuts) can act on the socket. Both :class:`LiveServer` and ``cuadra-emulator serve`` use it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Self

import uvicorn

from .app import EmulatorApp
from .faults import SCOPE_KEY, Connection, bind_connection, unbind_connection

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

HttpImpl = Literal["auto", "h11", "httptools"]


def _with_connection(app: ASGIApp, connection: Connection) -> ASGIApp:
    """Wrap ``app`` so each request sees ``connection`` in its scope and its task's context."""

    async def serve(scope: Scope, receive: Receive, send: Send) -> None:
        scope["extensions"] = {**(scope.get("extensions") or {}), SCOPE_KEY: connection}
        token = bind_connection(connection)
        try:
            await app(scope, receive, send)
        finally:
            unbind_connection(token)

    return serve


class ConnectionAwareMixin:
    """Mixed in front of a uvicorn HTTP protocol class: see :func:`http_protocol`."""

    app: Any
    _cuadra_connection: Connection | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)  # type: ignore[misc]
        self._cuadra_connection = Connection(transport)
        self.app = _with_connection(self.app, self._cuadra_connection)

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            super().connection_lost(exc)  # type: ignore[misc]
        finally:
            if self._cuadra_connection is not None:
                self._cuadra_connection.closed.set()


def http_protocol(impl: HttpImpl = "auto") -> type[asyncio.Protocol]:
    """The uvicorn HTTP protocol class to pass as ``uvicorn.Config(http=...)``.

    ``auto`` picks ``httptools`` when it is installed, else ``h11`` (as uvicorn does).
    """
    if impl == "auto":
        try:
            import httptools  # noqa: F401
        except ImportError:
            impl = "h11"
        else:
            impl = "httptools"
    base: type[asyncio.Protocol]
    if impl == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base
    return type(f"Cuadra{base.__name__}", (ConnectionAwareMixin, base), {})


class LiveServer:
    """uvicorn serving ``app`` on ``host`` and a free port, in a daemon thread.

    Use as a context manager or call :meth:`start`/:meth:`stop`. ``url`` is valid once started.
    """

    def __init__(self, app: EmulatorApp, host: str = "127.0.0.1", port: int = 0, http: HttpImpl = "auto") -> None:
        self.app = app
        self.host = host
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", loop="asyncio", http=http_protocol(http)
        )
        self._server = uvicorn.Server(config)
        # no signal handlers to remove: uvicorn only installs them in the main thread
        self._thread = threading.Thread(target=self._run, name="cuadra-emulator", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _run(self) -> None:
        asyncio.run(self._server.serve(sockets=[self._sock]))

    def start(self) -> Self:
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the emulator server thread exited during start-up")
            self._thread.join(0.001)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(5)
        self._sock.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
