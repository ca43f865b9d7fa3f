"""The app factory: ``create_app(config)`` builds one self-contained emulator (a plain ASGI app)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.responses import Response

from .config import Config
from .console.doors import DOORS, door
from .context import NO_PATH_PARAMS, RequestContext, RequestHeaders
from .errors import InternalError, problem_response
from .pipeline import Next, Stage, Step, build
from .pipeline.plan import plan
from .responses import EventStream, JsonResponse
from .routing import Router
from .state import EmulatorState
from .tenants.routing import PREFIX as TENANT_PREFIX
from .tenants.routing import split_tenant
from .validation import Validators
from .wire import CHECKED_HEAD, GuardedSend, check_head

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from .fixtures import FixtureSet

logger = logging.getLogger("cuadra_emulator")
CONTROL_PREFIX = "/_emulator"
#: Responses whose whole answer is their head (``raw_headers``, fixed once built) and one body message
#: (an EventStream sent frame by frame for the console's recorder still sends that head first).
_HEAD_AND_BODY = frozenset({Response, JsonResponse, EventStream})


class EmulatorApp:
    """A plain ASGI application holding its own :class:`EmulatorState` (``app.state``)."""

    def __init__(self, config: Config, state: EmulatorState, api: Router, control: Router) -> None:
        self.config = config
        self.state = state
        self.api_router = api
        self.control_router = control
        self.validators = Validators()
        #: The step lists (see :func:`emulator.pipeline.plan.plan` for the order).
        self.api_chain, self.control_chain = plan(config, api, control, self.validators)
        #: Coroutines run when the server's lifespan starts / stops (e.g. the scenario file watcher).
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = [state.backend.aclose]
        self._fuse = True
        self._api: Next = build(self.api_chain, api)
        self._control: Next = build(self.control_chain, control)

    def recompose(self, *, fuse: bool = True) -> None:
        """Compose both chains again; ``fuse=False`` serves the plain nested chains (the fused ones answer
        alike, only faster: see :mod:`emulator.pipeline.fuse`; tests compare the two)."""
        self._fuse = fuse
        self._api = build(self.api_chain, self.api_router, fuse=fuse)
        self._control = build(self.control_chain, self.control_router, fuse=fuse)

    def add_step(self, step: Step, *, after: str | None = None, name: str = "extra") -> None:
        """Insert an extra API step right after the stage named ``after`` (last when None) and recompose.

        For tests and embedders (e.g. a probe or a scripted stream plan); the emulator's own order is
        :func:`emulator.pipeline.plan.plan`.
        """
        self.api_chain = self.api_chain.with_stage(Stage(name, step), after=after)
        self._api = build(self.api_chain, self.api_router, fuse=self._fuse)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:  # websockets are not part of the API
            await send({"type": "websocket.close", "code": 1000})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                for hook in self.startup_hooks:
                    await hook()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for hook in self.shutdown_hooks:
                    await hook()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if path in DOORS:  # a browser opening the emulator's address: send it to the console
            redirect = door(scope["method"], path, Headers(scope=scope))
            if redirect is not None:
                await redirect(scope, receive, send)
                return
        tenant = None
        if path.startswith(TENANT_PREFIX):
            tenant, path = split_tenant(path)
        ctx = RequestContext(  # by position: scope, receive, state, method, path, query, headers, path params, tenant
            scope,
            receive,
            self.state,
            scope["method"],
            path,
            scope.get("query_string", b"").decode("latin-1"),
            RequestHeaders.of(scope),
            NO_PATH_PARAMS,
            tenant,
        )
        chain = self._control if path.startswith(CONTROL_PREFIX) else self._api
        started = False
        guarded: GuardedSend | None = None
        try:
            response = await chain(ctx)  # every step renders an ApiError at its own boundary
            kind = type(response)
            if kind in _HEAD_AND_BODY:  # their head is known now: checked here, sent without a wrapper
                check_head(response)
                started = True
                if kind is JsonResponse:  # the usual answer: the server is told its head was checked (one write)
                    await send(
                        {
                            "type": "http.response.start",
                            "status": response.status_code,
                            "headers": response.raw_headers,
                            CHECKED_HEAD: True,
                        }
                    )
                    await send({"type": "http.response.body", "body": response.body})
                else:
                    await response(scope, receive, send)
            else:
                guarded = GuardedSend(send)
                await response(scope, receive, guarded)
        except Exception as exc:  # an emulator bug (handler, stream body, unsendable header): never a traceback on the wire
            self._report(exc, ctx)
            if not (started or (guarded is not None and guarded.started)):
                await problem_response(InternalError())(scope, receive, send)
            # else: returning with the response incomplete makes the server close the connection cleanly

    def _report(self, exc: Exception, ctx: RequestContext) -> None:
        self.state.server_errors.append(exc)
        logger.exception("unhandled error serving %s %s", ctx.method, ctx.path)


def create_app(config: Config | None = None, *, fixtures: FixtureSet | None = None) -> EmulatorApp:
    """Build an emulator from ``config`` (defaults: bundled fixtures, seed 0, system clock)."""
    from .control import CONTROL_ROUTES
    from .routes import API_ROUTES

    config = config or Config()
    state = EmulatorState(config, fixtures, API_ROUTES, CONTROL_ROUTES)
    app = EmulatorApp(config, state, Router(API_ROUTES), Router(CONTROL_ROUTES))
    for install in _features():
        install(app)
    return app


def _features() -> list[Callable[[EmulatorApp], None]]:
    """Feature installers: each may register reset hooks, extensions and lifespan hooks on the app.

    Imported here so ``import emulator`` stays light.
    """
    from .domain.prompt_templates import install as prompt_templates
    from .scenarios.install import install as scenarios
    from .settings_sync import install as settings_sync

    return [prompt_templates, scenarios, settings_sync]
