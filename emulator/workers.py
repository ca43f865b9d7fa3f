"""Entry points that uvicorn imports by name in each process of ``serve --workers N``.

The parent process put its CLI options in ``CUADRA_WORKER_OPTIONS``; every worker builds the same
:class:`~emulator.config.Config` from them and its own app, sharing state through the backend
(``--state redis://...``, required for more than one worker).
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .app import EmulatorApp


def app() -> EmulatorApp:
    """The app of one worker (``uvicorn.run("emulator.workers:app", factory=True, ...)``)."""
    from .app import create_app
    from .cli import WORKER_OPTIONS_ENV, build_config
    from .server import settle_heap

    built = create_app(build_config(**json.loads(os.environ[WORKER_OPTIONS_ENV])))
    settle_heap()
    return built


def __getattr__(name: str) -> object:
    # ``HttpProtocol``: the connection-aware protocol (faults act on the socket), made on first import
    if name == "HttpProtocol":
        from .cli import WORKER_OPTIONS_ENV, build_config
        from .protocol import HttpLimits
        from .server import http_protocol

        config = build_config(**json.loads(os.environ.get(WORKER_OPTIONS_ENV, "{}")))
        return http_protocol(limits=HttpLimits.from_config(config))
    raise AttributeError(name)
