"""The scenarios feature: the app's runtime with its start-up scenarios, and the optional ``--watch`` task."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from .loader import resolve, search_dirs
from .runtime import ScenarioRuntime
from .watch import Watcher

if TYPE_CHECKING:
    from ..app import EmulatorApp
    from ..config import Config


def startup_runtime(config: Config) -> ScenarioRuntime:
    """The runtime with ``config.scenarios`` active (a bad one raises :class:`~emulator.yamlsource.SourceError`)."""
    dirs = search_dirs(config.scenarios_dir)
    return ScenarioRuntime(config.seed, [resolve(spec, dirs) for spec in config.scenarios], dirs)


def install(app: EmulatorApp) -> None:
    """With ``watch_scenarios``, poll the scenario files while the server runs."""
    if app.config.watch_scenarios:
        watch_on_startup(app, Watcher(app.state.scenarios), app.config.watch_interval)


def watch_on_startup(app: EmulatorApp, watcher: Watcher, interval: float) -> None:
    """Start ``watcher`` when the server's lifespan starts, stop it at shutdown."""
    tasks: list[asyncio.Future[None]] = []

    async def start() -> None:
        task = asyncio.ensure_future(watcher.run(interval))
        app.state.scenario_watch = task
        tasks.append(task)

    async def stop() -> None:
        for task in tasks:
            task.cancel()

    app.startup_hooks.append(start)
    app.shutdown_hooks.append(stop)
