"""Pipeline step 4: per-user and per-organisation rate limits (sliding window on the emulator's clock).

In the chain only with ``rate_limit="on"`` (``pipeline/plan.py``); the windows live in ``state.backend``
(this process, or Redis shared by every worker and replica). Only authenticated API routes count;
health and the control plane do not. In memory the count is one plain call (:meth:`Admission.admit`);
a shared backend is awaited (:meth:`Admission.admit_shared`); both leave the verdict on the context
for :meth:`Admission.report`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..backend.memory import MemoryBackend
from ..domain.models import SYSTEM_ORG
from ..errors import TooManyRequests
from ..ratelimit import Counted, Verdict, limit_pair, raw_lines
from ..tenants import ORG_KIND
from ..wire import extend_vetted
from . import Inline

if TYPE_CHECKING:
    from starlette.responses import Response

    from ..config import Config
    from ..context import RequestContext
    from ..state import EmulatorState
    from ..store import Collection
    from ..tenants.settings import TenantSettings


def resolve_limits(config: Config, own: TenantSettings | None, org: dict[str, Any]) -> tuple[int, int] | None:
    """An organisation's ``(per_user, per_org)`` limits, or None when its requests are not counted: its
    tenant settings (``own``) first, then the server's, with the organisation record's ``rateLimits``
    winning over both (:func:`emulator.ratelimit.limit_pair`)."""
    if own is None:
        return limit_pair(org, config.rate_limit_per_user, config.rate_limit_per_org)
    if own.rate_limit == "off":
        return None
    per_user = own.rate_limit_per_user if own.rate_limit_per_user is not None else config.rate_limit_per_user
    per_org = own.rate_limit_per_org if own.rate_limit_per_org is not None else config.rate_limit_per_org
    return limit_pair(org, per_user, per_org)


class Admission:
    """The rate-limit stage of one app: counts requests and remembers each organisation's limits.

    The limits are a function of the frozen config, the organisation's tenant settings (a frozen
    object, replaced whole when they change) and its organisation record: they are resolved again only
    when the settings are another object than last time or the organisation records were written since
    (the collection's version, the witness cached renderings use too: another store after a reset,
    a tenant minted or reset), so a change takes effect on the next request.
    """

    __slots__ = ("_limits", "_limit_lines")

    def __init__(self) -> None:
        #: org id -> (the settings, organisation records and their version the limits come from, the limits)
        self._limits: dict[str, tuple[TenantSettings | None, Collection, int, tuple[int, int] | None]] = {}
        #: limit -> its ``X-RateLimit-Limit`` line, encoded once (a handful of distinct limits in practice)
        self._limit_lines: dict[int, tuple[bytes, bytes]] = {}

    def limits(self, state: EmulatorState, org_id: str) -> tuple[int, int] | None:
        """:func:`resolve_limits` for ``org_id`` as the state says now (memoised, see the class)."""
        own = state.tenant_settings.get(org_id)
        orgs = state.store.collection(SYSTEM_ORG, ORG_KIND)
        found = self._limits.get(org_id)
        if found is not None and found[0] is own and found[1] is orgs and found[2] == orgs.version:
            return found[3]
        limits = resolve_limits(state.config, own, state.organization(org_id))
        self._limits[org_id] = (own, orgs, orgs.version, limits)
        return limits

    def counted(self, ctx: RequestContext) -> tuple[str, str, int, int] | None:
        """``(org id, user id, per-user limit, per-org limit)`` of a request that counts, else None."""
        principal = ctx.principal
        if principal is None:
            return None
        org_id = principal.org_id
        limits = self.limits(ctx.state, org_id)
        if limits is None:
            return None
        return org_id, principal.user_id, limits[0], limits[1]

    def admit(self, ctx: RequestContext) -> None:
        """Count the request in the in-memory windows (a 429 problem when over a limit); no await.

        The request path's form of :meth:`counted` and :meth:`limits`: a caller whose limits are
        remembered, still valid, and whose lane is open costs one lookup each, and no call but the count.
        """
        principal = ctx.principal
        if principal is None:
            return
        org_id = principal.org_id
        state = ctx.state
        found = self._limits.get(org_id)
        orgs = state.store.collection(SYSTEM_ORG, ORG_KIND)
        if found is not None and found[0] is state.tenant_settings.get(org_id) and found[1] is orgs and found[2] == orgs.version:
            limits = found[3]
        else:
            limits = self.limits(state, org_id)
        if limits is None:
            return
        backend = state.backend
        assert isinstance(backend, MemoryBackend)
        now = state.clocks.now_of(org_id)
        limiter = backend.org_limiters.get(org_id)  # a caller seen before counts through its lane: one call
        verdict = None if limiter is None else limiter.hit_lane(principal.user_id, limits[0], limits[1], now)
        if verdict is None:  # a new caller (or one the idle sweep dropped): the backend opens its lane
            verdict = backend.rate_hit_now(org_id, principal.user_id, limits[0], limits[1], now)
        if not verdict[0]:
            _refuse(verdict)
        ctx.rate = verdict

    async def admit_shared(self, ctx: RequestContext) -> None:
        """:meth:`admit` against a shared backend (one round trip)."""
        counted = self.counted(ctx)
        if counted is None:
            return
        org_id, user_id, per_user, per_org = counted
        state = ctx.state
        buckets = ((f"u:{org_id}:{user_id}", per_user), (f"o:{org_id}", per_org))
        shared = state.shared_store
        now = state.clocks.of(org_id).now()
        if shared is None:
            verdict = await state.backend.rate_hit(buckets, now)
        else:  # the tenant's log is read in the same round trip (the store step then skips its own)
            verdict, ctx.number = await shared.rate_hit(org_id, buckets, now)
        if not verdict.allowed:
            _refuse(verdict)
        ctx.rate = verdict

    def report(self, ctx: RequestContext, response: Response) -> Response:
        """The ``X-RateLimit-*`` headers of an admitted request on its response (a scripted 429 from a
        scenario keeps the headers it chose): :func:`~emulator.ratelimit.raw_lines`, with the limit's line
        encoded once per limit."""
        verdict = ctx.rate
        if verdict is not None and response.status_code != 429:
            limit = verdict[1]
            line = self._limit_lines.get(limit)
            if line is None:
                if len(self._limit_lines) >= _LIMIT_LINES:
                    self._limit_lines.clear()
                line = self._limit_lines[limit] = (b"x-ratelimit-limit", b"%d" % limit)
            extend_vetted(response, raw_lines(verdict, line))  # numbers and constant names: the head stays vetted
        return response


#: At most this many limits keep an encoded line (more means limits are being changed: start again).
_LIMIT_LINES = 64


def _refuse(counted: Counted) -> None:
    verdict = Verdict(*counted)
    raise TooManyRequests(f"Rate limit exceeded. Retry after {verdict.retry_after} seconds.", headers=verdict.headers())


def limiter(shared: bool) -> Inline:
    """The rate-limit stage for a state kept in memory (``shared=False``: no await) or in a shared backend."""
    admission = Admission()
    if shared:
        return Inline(wait=admission.admit_shared, leave=admission.report)
    return Inline(enter=admission.admit, leave=admission.report)
