"""The console's control routes: its page and files, and the journal's detail and live stream."""

from __future__ import annotations

from ..routes.openapi import openapi_json
from ..routing import route
from . import CONSOLE_PREFIX
from .journal import get_request, stream_requests
from .state_view import tenant_state
from .static_files import asset, index

ROUTES = [
    route("GET", CONSOLE_PREFIX, index, auth=False, summary="The web console (HTML)"),
    route("GET", CONSOLE_PREFIX + "/{name}", asset, auth=False, summary="A file of the web console"),
    # the same document as GET /openapi.json, read by the console without adding rows to the journal it shows
    route("GET", "/_emulator/openapi.json", openapi_json, auth=False, summary="The OpenAPI document (as /openapi.json)"),
    route("GET", "/_emulator/state", tenant_state, auth=False, summary="One tenant's records as tables (read-only)"),
    route("GET", "/_emulator/requests/stream", stream_requests, auth=False, summary="Journal rows as server-sent events"),
    route("GET", "/_emulator/requests/{seq}", get_request, auth=False, summary="One journal entry in full"),
]
