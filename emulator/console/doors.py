"""The browser's way in: ``GET /`` (and ``/docs``, ``/_emulator``) asked for as HTML redirects to the
console; an API client (no ``text/html`` in ``Accept``) still gets the 404 problem."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import RedirectResponse, Response

from . import CONSOLE_PREFIX

DOORS = {
    "/": f"{CONSOLE_PREFIX}/",
    "/docs": f"{CONSOLE_PREFIX}/#reference",
    "/_emulator": f"{CONSOLE_PREFIX}/",
    "/_emulator/": f"{CONSOLE_PREFIX}/",
}


def door(method: str, path: str, headers: Headers) -> Response | None:
    """A redirect to the console for a browser's page request on a door path, else None."""
    target = DOORS.get(path)
    if target is None or method not in ("GET", "HEAD") or "text/html" not in headers.get("accept", ""):
        return None
    return RedirectResponse(target, status_code=302)
