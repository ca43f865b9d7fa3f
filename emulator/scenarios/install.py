"""The scenarios feature installer: runtime in ``state.extensions["scenarios"]``, reset hook,
start-up scenarios and the optional ``--watch`` task."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .loader import resolve, search_dirs
from .runtime import ScenarioRuntime
from .watch import Watcher

if TYPE_CHECKING:
    from ..app import EmulatorApp


def install(app: EmulatorApp) -> None:
    """Load the start-up scenarios (a bad one raises :class:`~emulator.yamlsource.SourceError`)."""
    config, state = app.config, app.state
    dirs = search_dirs(config.scenarios_dir)
    startup = [resolve(spec, dirs) for spec in config.scenarios]
    runtime = ScenarioRuntime(config.seed, startup, dirs)
    state.extensions["scenarios"] = runtime
    state.on_reset(runtime.reset)
    if config.watch_scenarios:
        watch_on_startup(app, Watcher(runtime), config.watch_interval)


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
