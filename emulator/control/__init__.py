"""The control plane under ``/_emulator``: health, reset, tenants, clock, tokens, journal, scenarios, strictness, console."""

from __future__ import annotations

from ..console.routes import ROUTES as CONSOLE_ROUTES
from ..routing import Route
from . import clock, core, journal, scenarios, strictness, tenants, tokens

CONTROL_ROUTES: list[Route] = [
    *core.ROUTES,
    *tenants.ROUTES,
    *clock.ROUTES,
    *tokens.ROUTES,
    *journal.ROUTES,
    *scenarios.ROUTES,
    *CONSOLE_ROUTES,
    *strictness.ROUTES,
]
