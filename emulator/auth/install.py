"""The auth feature's installer: JWT resolver, minted organisations, CORS on both pipelines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..pipeline.cors import make_cors_step, origin_matcher
from .runtime import EXTENSION, AuthRuntime

if TYPE_CHECKING:
    from ..app import EmulatorApp


def install(app: EmulatorApp) -> None:
    """Register the JWT token resolver and the auth runtime; put CORS first on the API and control chains."""
    state = app.state
    runtime = AuthRuntime(state)
    state.extensions[EXTENSION] = runtime
    state.extensions["token_resolver"] = runtime.resolve
    state.on_reset(runtime.reset)
    allowed = origin_matcher(state.config.cors_origins)
    app.api_steps.insert(0, make_cors_step(allowed, app.api_router))
    app.control_steps.insert(0, make_cors_step(allowed, app.control_router))
    app.rebuild()
