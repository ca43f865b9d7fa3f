"""The control plane under ``/_emulator``: health and reset (scenarios, journal and clock join later)."""

from __future__ import annotations

from ..routing import Route
from . import core

CONTROL_ROUTES: list[Route] = [*core.ROUTES]
