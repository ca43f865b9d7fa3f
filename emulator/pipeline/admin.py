"""Control-plane step: the admin token on ``/_emulator/*`` (when ``Config.admin_token`` is set)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..console import CONSOLE_PREFIX
from ..errors import Unauthorized
from .auth import bearer_token

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..context import RequestContext
    from . import Next, Step

#: Reachable without the admin token, so container health probes need no secret. The console's own
#: files are open too (a browser cannot send a header when it loads a page); everything they call is not.
OPEN_CONTROL_PATHS = frozenset({"/_emulator/health"})


def make_admin_step(token: str) -> Step:
    """A control-plane step requiring ``Authorization: Bearer <token>`` (401 problem otherwise)."""
    expected = token.encode()

    async def admin_step(ctx: RequestContext, call_next: Next) -> Response:
        if ctx.path not in OPEN_CONTROL_PATHS and not ctx.path.startswith(CONSOLE_PREFIX):
            given = bearer_token(ctx.headers.get("authorization"))
            if given is None or not hmac.compare_digest(given.encode(), expected):
                raise Unauthorized("The control plane requires the admin token.")
        return await call_next(ctx)

    return admin_step
