"""The scenarios feature installer: runtime in ``state.extensions["scenarios"]``, reset hook,
start-up scenarios, the optional admin token on ``/_emulator/*`` and the optional ``--watch`` task."""

from __future__ import annotations

import asyncio
import hmac
from typing import TYPE_CHECKING

from ..errors import Unauthorized
from ..pipeline.auth import bearer_token
from .loader import resolve, search_dirs
from .runtime import ScenarioRuntime
from .watch import Watcher

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..app import EmulatorApp
    from ..context import RequestContext
    from ..pipeline import Next, Step


def install(app: EmulatorApp) -> None:
    """Load the start-up scenarios (a bad one raises :class:`~emulator.yamlsource.SourceError`)."""
    config, state = app.config, app.state
    dirs = search_dirs(config.scenarios_dir)
    startup = [resolve(spec, dirs) for spec in config.scenarios]
    runtime = ScenarioRuntime(config.seed, startup, dirs)
    state.extensions["scenarios"] = runtime
    state.on_reset(runtime.reset)
    if config.admin_token:
        app.control_steps.insert(0, make_admin_step(config.admin_token))
        app.rebuild()
    if config.watch_scenarios:
        watch_on_startup(app, Watcher(runtime), config.watch_interval)


#: Reachable without the admin token, so container health probes need no secret.
OPEN_CONTROL_PATHS = frozenset({"/_emulator/health"})


def make_admin_step(token: str) -> Step:
    """A control-plane step requiring ``Authorization: Bearer <token>`` (401 problem otherwise)."""
    expected = token.encode()

    async def admin_step(ctx: RequestContext, call_next: Next) -> Response:
        if ctx.path not in OPEN_CONTROL_PATHS:
            given = bearer_token(ctx.headers.get("authorization"))
            if given is None or not hmac.compare_digest(given.encode(), expected):
                raise Unauthorized("The control plane requires the admin token.")
        return await call_next(ctx)

    return admin_step


def watch_on_startup(app: EmulatorApp, watcher: Watcher, interval: float) -> None:
    """Start ``watcher`` when the server's lifespan starts, stop it at shutdown."""
    tasks: list[asyncio.Future[None]] = []

    async def start() -> None:
        task = asyncio.ensure_future(watcher.run(interval))
        app.state.extensions["scenarios_watch_task"] = task
        tasks.append(task)

    async def stop() -> None:
        for task in tasks:
            task.cancel()

    app.startup_hooks.append(start)
    app.shutdown_hooks.append(stop)
