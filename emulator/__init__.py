"""cuadra-emulator: a deterministic local emulator of the Cuadra AI REST API."""

from __future__ import annotations

from .app import EmulatorApp, create_app
from .config import Config

__all__ = ["Config", "EmulatorApp", "create_app"]
__version__ = "0.1.0"
