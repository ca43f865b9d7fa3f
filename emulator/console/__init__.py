"""The web console under ``/_emulator/console/``: static files (no build step), the live journal feed
(:mod:`.feed`), the browser way in (:mod:`.doors`) and the control routes that serve them (:mod:`.routes`)."""

from __future__ import annotations

CONSOLE_PREFIX = "/_emulator/console"
