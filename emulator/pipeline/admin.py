"""Control-plane step: the admin token on ``/_emulator/*`` (when ``Config.admin_token`` is set)."""

from __future__ import annotations

import hmac
from typing import TYPE_CHECKING

from ..console import CONSOLE_PREFIX
from ..errors import Unauthorized
from . import Inline
from .auth import bearer_token

if TYPE_CHECKING:
    from ..context import RequestContext

#: Reachable without the admin token, so container health probes need no secret. The console's own
#: files are open too (a browser cannot send a header when it loads a page); everything they call is not.
OPEN_CONTROL_PATHS = frozenset({"/_emulator/health"})


def admin_check(token: str) -> Inline:
    """A control-plane stage requiring ``Authorization: Bearer <token>`` (401 problem otherwise)."""
    expected = token.encode()

    def check_admin(ctx: RequestContext) -> None:
        if ctx.path not in OPEN_CONTROL_PATHS and not ctx.path.startswith(CONSOLE_PREFIX):
            given = bearer_token(ctx.headers.get("authorization"))
            if given is None or not hmac.compare_digest(given.encode(), expected):
                raise Unauthorized("The control plane requires the admin token.")

    return Inline(enter=check_admin)
