"""``--watch``: changed scenario files are reloaded; a broken edit keeps the previous version."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.scenarios.watch import Watcher
from tests.conftest import AUTH


def _write(path: Path, text: str, mtime: float) -> None:
    path.write_text(text)
    os.utime(path, (mtime, mtime))  # explicit mtimes: no sleeping for the filesystem's resolution


def test_scenario_watch_reloads_changed_file(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    _write(path, "name: mine\nrules:\n  - match: {path: /v1/models}\n    error: 500\n", 1_000_000)
    app = make_app(scenarios=(str(path),))
    runtime = app.state.scenarios
    watcher = Watcher(runtime)
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        assert client.get("/v1/models").status_code == 500
        assert watcher.check() == []  # unchanged
        _write(path, "name: mine\nrules:\n  - match: {path: /v1/models}\n    error: 502\n", 1_000_010)
        assert watcher.check() == ["mine"]
        assert client.get("/v1/models").status_code == 502
        _write(path, "name: mine\nrules:\n  - match: {path: /v1/models}\n    error: nope\n", 1_000_020)
        assert watcher.check() == []
        assert watcher.errors and f"{path}:4: rules[0].error" in str(watcher.errors[-1])
        assert client.get("/v1/models").status_code == 502  # the last good version stays
        client.post("/_emulator/reset")
        _write(path, "name: mine\nrules: []\n", 1_000_030)
        assert watcher.check() == ["mine"]
        client.post("/_emulator/reset")  # the reloaded version is now the start-up one
        assert client.get("/v1/models").status_code == 200


def test_scenario_watch_task_runs_with_the_server_lifespan(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text("name: w\nrules: []\n")
    app = make_app(scenarios=(str(path),), watch_scenarios=True, watch_interval=0.01)
    with TestClient(app, base_url="http://emulator"):  # runs lifespan start-up
        task = app.state.scenario_watch
        assert not task.done()
    assert task.cancelled() or task.done()


def test_scenario_watch_off_by_default(app: EmulatorApp) -> None:
    with TestClient(app, base_url="http://emulator"):
        assert app.state.scenario_watch is None
