"""Serving on a real socket: the emulator's uvicorn protocol class, socket binding and :class:`LiveServer`.

:func:`http_protocol` returns a subclass of uvicorn's HTTP protocol (``h11`` or ``httptools``) with the
emulator's mixin in front (:mod:`emulator.protocol`: a socket per request for connection faults, HTTP
limits, accounted errors). Both :class:`LiveServer` and ``cuadra-emulator serve`` use it.
"""

from __future__ import annotations

import asyncio
import gc
import ipaddress
import socket
import threading
from types import TracebackType
from typing import Literal, Self

import uvicorn

from .app import EmulatorApp
from .protocol import EmulatorProtocolMixin, H11Limits, HttpLimits, HttptoolsLimits

HttpImpl = Literal["auto", "h11", "httptools"]


def http_protocol(
    impl: HttpImpl = "auto", app: EmulatorApp | None = None, limits: HttpLimits | None = None
) -> type[asyncio.Protocol]:
    """The uvicorn HTTP protocol class to pass as ``uvicorn.Config(http=...)``.

    ``auto`` picks ``httptools`` when it is installed, else ``h11`` (as uvicorn does). With ``app``, the
    class applies ``app.config``'s HTTP limits and records protocol errors in ``app.state.server_errors``;
    ``limits`` overrides the limits (default: ``HttpLimits()``).
    """
    if impl == "auto":
        try:
            import httptools  # noqa: F401
        except ImportError:
            impl = "h11"
        else:
            impl = "httptools"
    base: type[asyncio.Protocol]
    mixin: type[EmulatorProtocolMixin]
    if impl == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base

        mixin = HttptoolsLimits
    else:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

        mixin = H11Limits
    attributes: dict[str, object] = {}
    if app is not None:
        attributes = {"limits": HttpLimits.from_config(app.config), "server_errors": app.state.server_errors}
    if limits is not None:
        attributes["limits"] = limits
    return type(f"Cuadra{base.__name__}", (mixin, base), attributes)


def uvicorn_config(app: EmulatorApp, http: HttpImpl = "auto", **options: object) -> uvicorn.Config:
    """A uvicorn config serving ``app`` with the emulator's protocol class and limits."""
    limits = HttpLimits.from_config(app.config)
    return uvicorn.Config(
        app,
        access_log=False,
        http=http_protocol(http, app),
        # h11 refuses a head over this itself (as a 400): leave room so the emulator's 431 comes first
        h11_max_incomplete_event_size=limits.max_head_bytes + 512 * 1024,
        **options,  # type: ignore[arg-type]
    )


def settle_heap() -> None:
    """In a server process, once the app is built: move what exists now (imports, fixtures, the app)
    out of the cyclic collector's reach, so the collections a growing store triggers do not walk it
    again and again (``gc.freeze``). Objects are still freed by reference counting; only the
    ``serve`` process and its workers call this, never a test process's in-process app.
    """
    gc.collect()
    gc.freeze()


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host``:``port`` (0 = any free port). Raises ``OSError`` (e.g. port in use)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def socket_url(sock: socket.socket) -> str:
    """``http://host:port`` of a bound socket (IPv6 addresses in brackets)."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address) only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class LiveServer:
    """uvicorn serving ``app`` on ``host`` and a free port, in a daemon thread.

    Use as a context manager or call :meth:`start`/:meth:`stop`. ``url`` is valid once started.
    """

    def __init__(self, app: EmulatorApp, host: str = "127.0.0.1", port: int = 0, http: HttpImpl = "auto") -> None:
        self.app = app
        self.host = host
        self._sock = bind_socket(host, port)
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn_config(app, http, log_level="warning", lifespan="off", loop="asyncio")
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
