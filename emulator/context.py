"""The per-request context every pipeline step and handler receives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Final

from starlette.datastructures import Headers

from .errors import PayloadTooLarge
from .params import NO_PARAMS, Params, QueryParams
from .principal import Principal

if TYPE_CHECKING:
    from starlette.types import Receive, Scope

    from .chat.reply import ScriptedReply
    from .chat.stream import StreamPlan
    from .clock import Clock
    from .ids import Ids
    from .journal import Pending
    from .ratelimit import Counted
    from .routing import Route
    from .state import EmulatorState


#: A request's path parameters before routing (or on a route without any): shared, read-only.
NO_PATH_PARAMS: Mapping[str, str] = MappingProxyType({})


#: The names the pipeline and the handlers look up, encoded once (any other name is encoded per lookup).
#: A constant: a plain dict, since a read through a mapping proxy costs twice as much.
_NAMES: Final[dict[str, bytes]] = {
    name: name.encode("latin-1")
    for name in (
        "authorization",
        "origin",
        "idempotency-key",
        "content-type",
        "content-length",
        "x-stream-format",
        "access-control-request-method",
        "access-control-request-headers",
    )
}


class RequestHeaders(Headers):
    """Starlette's read-only headers over the scope's own list (no copy), with lookups that never raise.

    ``Headers.get`` is ``Mapping.get``: a missing name (``Origin``, ``Idempotency-Key`` on most requests)
    raises and catches a ``KeyError``; this one scans the list once and returns the default. (Indexing
    the list in a dict on the first lookup costs more than the two to six lookups a request makes.)
    """

    __slots__ = ()

    @classmethod
    def of(cls, scope: Scope) -> RequestHeaders:
        raw = scope["headers"]
        if not isinstance(raw, list):  # ASGI allows any iterable
            raw = scope["headers"] = list(raw)
        headers = cls.__new__(cls)  # what ``Headers(raw=raw)`` keeps, without its argument checks
        headers._list = raw
        return headers

    def get(self, key: str, default: Any = None) -> Any:
        name = _NAMES.get(key)
        if name is None:
            name = key.lower().encode("latin-1")
        for header, value in self._list:
            if header == name:
                return value.decode("latin-1")
        return default


@dataclass(slots=True)
class Directives:
    """What a scenario rule hands the rest of the pipeline for one request."""

    #: The rule answered itself (error, literal response, connection fault): never remembered for replay.
    scripted_answer: bool = False
    #: Pacing and at most one fault for a chat stream.
    stream_plan: StreamPlan | None = None
    #: A scripted assistant reply instead of the generated one.
    reply: ScriptedReply | None = None


@dataclass(slots=True)
class RequestContext:
    """What is known about one request as it travels through the pipeline.

    Made once per request by the app with its first nine fields given by position (a call with
    keywords costs twice as much in CPython 3.11).
    """

    scope: Scope
    receive: Receive
    state: EmulatorState
    method: str
    path: str
    raw_query: str
    headers: Headers
    #: The route's path parameters: the routing step sets them (made with ``NO_PATH_PARAMS``).
    path_params: Mapping[str, str]
    #: The tenant named by a ``/_tenant/{org}/...`` URL prefix: fixture credentials act in it.
    tenant: str | None = None
    route: Route | None = None
    principal: Principal | None = None
    json: Any = None
    #: The request's place in the journal while it is in flight (the journal step).
    entry: Pending | None = None
    _directives: Directives | None = None
    #: The route's declared query parameters, parsed (the query step sets it).
    params: Params = NO_PARAMS
    #: The rate limiter's verdict on an admitted request (its headers go on the response).
    rate: Counted | None = None
    #: The scenario rule that decided this request (its label, for the journal).
    rule: str | None = None
    #: What the emulator accepted but production might not mean (``body.x: unknown field, ignored``).
    warnings: tuple[str, ...] = ()
    #: This request's number among its organisation's requests, when a shared backend handed one out
    #: (the store step); in memory the first id drawn takes the next local number.
    number: int | None = None
    _body: bytes | None = None
    _query: QueryParams | None = None
    _ids: Ids | None = None

    @property
    def directives(self) -> Directives:
        """What a scenario rule decided for this request (stream faults, scripted replies, ...); made on
        first use (most requests meet no rule)."""
        directives = self._directives
        if directives is None:
            directives = self._directives = Directives()
        return directives

    @property
    def query(self) -> QueryParams:
        """The raw query (the query step and scenario request patterns); handlers read :attr:`params`."""
        if self._query is None:
            self._query = QueryParams(self.raw_query)
        return self._query

    @property
    def clock(self) -> Clock:
        """The caller's organisation's clock (the tenant's on a tenant URL; else the server clock)."""
        org = self.principal.org_id if self.principal is not None else self.tenant
        return self.state.clocks.of(org)

    @property
    def ids(self) -> Ids:
        """The ids this request mints: derived from (seed, organisation, request number, kind), see
        :mod:`emulator.ids`."""
        ids = self._ids
        if ids is None:
            from .ids import Ids

            org = self.principal.org_id if self.principal is not None else (self.tenant or "")
            number = self.number if self.number is not None else self.state.request_numbers.next(org)
            ids = self._ids = Ids(self.state.id_key, org, number)
        return ids

    @property
    def org_id(self) -> str:
        assert self.principal is not None, "handler on an authenticated route"
        return self.principal.org_id

    async def body(self, limit: int | None = None) -> bytes:
        """The whole request body (read once); over ``limit`` bytes is a 413 problem."""
        if self._body is not None:
            return self._body
        limit = self.state.config.max_body_bytes if limit is None else limit
        declared = self.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"Request body is {declared} bytes; the limit is {limit} bytes.")
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes.")
            chunks.append(chunk)
            more = message.get("more_body", False)
        self._body = b"".join(chunks)
        return self._body

    @property
    def request_body(self) -> bytes:
        """The body as far as a step or the handler read it (empty if none did), for the journal."""
        return self._body or b""
