"""The auth feature's installer: JWT resolver and minted organisations."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runtime import EXTENSION, AuthRuntime

if TYPE_CHECKING:
    from ..app import EmulatorApp


def install(app: EmulatorApp) -> None:
    """Register the JWT token resolver and the auth runtime."""
    state = app.state
    runtime = AuthRuntime(state)
    state.extensions[EXTENSION] = runtime
    state.extensions["token_resolver"] = runtime.resolve
    state.on_reset(runtime.reset)
