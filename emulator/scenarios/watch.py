"""``--watch``: reload scenario files when they change (mtime polling: cheap, simple, portable)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from ..yamlsource import SourceError
from .loader import load_file
from .runtime import ScenarioRuntime

logger = logging.getLogger("cuadra_emulator.scenarios")


def _mtime(path: Path) -> float | None:
    try:
        return path.stat().st_mtime
    except OSError:
        return None


class Watcher:
    """Remembers the mtime of every active scenario's file; :meth:`check` reloads the changed ones."""

    def __init__(self, runtime: ScenarioRuntime) -> None:
        self.runtime = runtime
        self._seen: dict[Path, float | None] = {}
        self.errors: list[SourceError] = []
        self.check()

    def check(self) -> list[str]:
        """Reload changed files; returns the reloaded names. A broken file is logged and kept out
        (the previous version stays active) until it is fixed."""
        reloaded: list[str] = []
        for entry in list(self.runtime.active):
            path = entry.scenario.path
            if path is None:
                continue
            mtime = _mtime(path)
            if path not in self._seen:
                self._seen[path] = mtime
                continue
            if mtime == self._seen[path]:
                continue
            self._seen[path] = mtime
            try:
                scenario = load_file(path)
            except SourceError as exc:
                self.errors.append(exc)
                logger.error("scenario file not reloaded: %s", exc)
                continue
            if self.runtime.reload(scenario):
                reloaded.append(scenario.name)
                logger.warning("scenario %s reloaded from %s", scenario.name, path)
        return reloaded

    async def run(self, interval: float) -> None:
        """Poll every ``interval`` seconds until cancelled (real time: file changes are real events)."""
        while True:
            await asyncio.sleep(interval)
            self.check()
