"""The app factory: ``create_app(config)`` builds one self-contained emulator (a plain ASGI app)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from starlette.datastructures import Headers
from starlette.responses import StreamingResponse

from .config import Config
from .context import RequestContext
from .errors import ApiError, InternalError, problem_response
from .pipeline import Next, Step, compose, step_applies
from .pipeline.auth import auth_step
from .pipeline.body import make_body_step
from .pipeline.idempotency import idempotency_step
from .pipeline.journal import journal_step
from .pipeline.ratelimit import ratelimit_step
from .pipeline.route import make_route_step
from .pipeline.scenarios import scenario_step
from .routing import Router
from .state import EmulatorState
from .validation import Validators

if TYPE_CHECKING:
    from starlette.types import Message, Receive, Scope, Send

    from .fixtures import FixtureSet

logger = logging.getLogger("cuadra_emulator")
CONTROL_PREFIX = "/_emulator"


async def _dispatch(ctx: RequestContext) -> object:
    assert ctx.route is not None
    return await ctx.route.handler(ctx)


class EmulatorApp:
    """A plain ASGI application holding its own :class:`EmulatorState` (``app.state``)."""

    def __init__(self, config: Config, state: EmulatorState, api: Router, control: Router) -> None:
        self.config = config
        self.state = state
        self.api_router = api
        self.control_router = control
        self.validators = Validators()
        body = make_body_step(self.validators)
        api_steps: list[Step] = [
            journal_step,
            make_route_step(api),
            auth_step,
            ratelimit_step,
            idempotency_step,
            scenario_step,
            body,
        ]
        self.api_steps = api_steps
        #: The control plane's shorter chain (no journal, auth or limits); features may insert steps.
        self.control_steps: list[Step] = [make_route_step(control), body]
        #: Coroutines run when the server's lifespan starts / stops (e.g. the scenario file watcher).
        self.startup_hooks: list[Callable[[], Awaitable[None]]] = []
        self.shutdown_hooks: list[Callable[[], Awaitable[None]]] = []
        self._api: Next = self._compose(self.api_steps, api)
        self._control: Next = self._compose(self.control_steps, control)

    def rebuild(self) -> None:
        """Recompose both chains after a feature changed ``api_steps`` or ``control_steps``.

        Steps after the routing step are composed once per route, leaving out the steps that declare
        (``pipeline.applies_to``) they do not concern it.
        """
        self._api = self._compose(self.api_steps, self.api_router)
        self._control = self._compose(self.control_steps, self.control_router)

    @staticmethod
    def _compose(steps: list[Step], router: Router) -> Next:
        index = next((i for i, s in enumerate(steps) if getattr(s, "is_router", False)), None)
        if index is None:
            return compose(steps, _dispatch)  # type: ignore[arg-type]
        after = steps[index + 1 :]
        chains = {
            id(r): compose([s for s in after if step_applies(s, r)], _dispatch)  # type: ignore[arg-type]
            for r in router.routes
        }
        return compose([*steps[:index], make_route_step(router, chains)], _dispatch)  # type: ignore[arg-type]

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
        ctx = RequestContext(
            scope=scope,
            receive=receive,
            state=self.state,
            method=scope["method"],
            path=path,
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=Headers(scope=scope),
        )
        chain = self._control if path.startswith(CONTROL_PREFIX) else self._api
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            response = await chain(ctx)
        except ApiError as error:  # raised by an unguarded outermost step (e.g. a refused CORS preflight)
            response = problem_response(error)
        except Exception as exc:  # an emulator bug: never a traceback on the wire
            self._report(exc, ctx)
            await problem_response(InternalError())(scope, receive, send)
            return
        if not isinstance(response, StreamingResponse):
            # A plain response is fully built: sending it can only fail if the client is gone.
            await response(scope, receive, send)
            return
        try:
            await response(scope, receive, tracking_send)
        except Exception as exc:  # a bug in a stream body
            self._report(exc, ctx)
            if not started:
                await problem_response(InternalError())(scope, receive, send)

    def _report(self, exc: Exception, ctx: RequestContext) -> None:
        self.state.server_errors.append(exc)
        logger.exception("unhandled error serving %s %s", ctx.method, ctx.path)


def create_app(config: Config | None = None, *, fixtures: FixtureSet | None = None) -> EmulatorApp:
    """Build an emulator from ``config`` (defaults: bundled fixtures, seed 0, system clock)."""
    from .control import CONTROL_ROUTES
    from .routes import API_ROUTES

    config = config or Config()
    state = EmulatorState(config, fixtures)
    app = EmulatorApp(config, state, Router(API_ROUTES), Router(CONTROL_ROUTES))
    for install in _features():
        install(app)
    return app


def _features() -> list[Callable[[EmulatorApp], None]]:
    """Feature installers: each may register reset hooks, extensions and pipeline steps on the app."""
    installers: list[Callable[[EmulatorApp], None]] = []
    # --- feature installers (one line each; imported here so `import emulator` stays light) ---
    from .auth.install import install as auth
    from .domain.prompt_templates import install as prompt_templates
    from .limits import install as limits
    from .openapi import install as openapi
    from .scenarios.install import install as scenarios

    installers += [prompt_templates, openapi, scenarios, auth, limits]
    return installers
