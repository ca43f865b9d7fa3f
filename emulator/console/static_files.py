"""Serving the console's files from ``emulator/console/static`` (shipped in the wheel as package data)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import Response

from ..errors import NotFound

if TYPE_CHECKING:
    from ..context import RequestContext

STATIC_DIR = Path(__file__).resolve().parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
#: Everything the page loads comes from this server; no inline script or style, no frames, no plugins.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def _file(name: str) -> Response:
    path = STATIC_DIR / name
    media = TYPES.get(path.suffix)
    # only plain names of files that are there: the route's {name} cannot hold a '/', and no dot-files
    if media is None or name.startswith(".") or not path.is_file():
        raise NotFound(f"The console has no file {name!r}.")
    return Response(path.read_bytes(), media_type=media, headers=SECURITY_HEADERS)


async def index(ctx: RequestContext) -> Response:
    return _file("index.html")


async def asset(ctx: RequestContext) -> Response:
    return _file(ctx.path_params["name"])
