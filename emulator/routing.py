"""Routes as data, and the matcher that turns (method, path) into a route or a 404/405 problem."""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import ApiError, MethodNotAllowed, NotFound
from .params import Param, Params, QueryParams

if TYPE_CHECKING:
    from starlette.responses import Response

    from .context import RequestContext

Handler = Callable[["RequestContext"], Awaitable["Response"]]
_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)\}")


@dataclass(frozen=True)
class Route:
    """One operation: method, path template, handler and what the pipeline must do for it."""

    method: str
    path: str
    handler: Handler
    scope: str | None = None  # OAuth scope required; None with auth=True means any valid token
    body: str | None = None  # name of the request JSON Schema (emulator/schemas/requests/<name>.json)
    body_optional: bool = False
    auth: bool = True
    #: honours Idempotency-Key; None (the default) means every authenticated POST does (the guide: "For
    #: POST requests, include `Idempotency-Key` to safely retry without duplicates"), others when True
    idempotent: bool | None = None
    max_body: int | None = None  # overrides Config.max_body_bytes
    invalid_body_status: int = 422  # status of a body its schema refuses (400 where the reference says so)
    documented: bool = True  # False: inferred (no reference page was seen for it)
    status: int = 200  # success status (for the OpenAPI document)
    response: str | None = None  # name of the response JSON Schema (emulator/schemas/responses/<name>.json)
    summary: str = ""
    query: tuple[Param, ...] = ()  # query parameters: parsed by the query step, read via ctx.params
    #: path parameters with a documented type (e.g. ``uuid_path("model_id")``), checked by the query step;
    #: undeclared ones are non-empty strings
    path_params: tuple[Param, ...] = ()
    #: what the query step gives a request with no query string: the declared parameters parsed from an
    #: empty query once per route (None when one is required, so the step parses and reports it)
    no_query: Params | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "method", self.method.upper())
        undeclared = {p.name for p in self.path_params} - set(_PARAM.findall(self.path))
        if undeclared or any(p.location != "path" for p in self.path_params):
            raise ValueError(f"{self.method} {self.path}: path_params must be path parameters of the template")
        if self.idempotent is None:
            object.__setattr__(self, "idempotent", self.method == "POST" and self.auth)
        with contextlib.suppress(ApiError):
            object.__setattr__(self, "no_query", Params.parse(self.query, QueryParams("")))


@functools.lru_cache(maxsize=1024)
def template_pattern(template: str) -> re.Pattern[str]:
    """The regex matching ``template``'s paths, one named group per ``{parameter}`` (cached: every app
    builds its routers from the same templates)."""
    return re.compile("^" + _PARAM.sub(lambda m: f"(?P<{m.group(1)}>[^/]+)", template) + "$")


#: The spelling the ``routes/*.py`` modules use: ``route("GET", "/v1/models", handler, scope=...)``
#: (the constructor itself, so mypy checks every option's name and type).
route = Route


class Router:
    """Matches requests against a fixed route table; static paths are a dict lookup."""

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = list(routes)
        self._static: dict[str, dict[str, Route]] = {}
        self._dynamic: list[tuple[re.Pattern[str], dict[str, Route]]] = []
        dynamic: dict[str, dict[str, Route]] = {}
        for item in self.routes:
            tables = dynamic if _PARAM.search(item.path) else self._static
            table = tables.setdefault(item.path, {})
            if item.method in table:
                raise ValueError(f"duplicate route {item.method} {item.path}")
            table[item.method] = item
        self._dynamic.extend((template_pattern(template), table) for template, table in dynamic.items())

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route for ``method path`` and its path parameters; raises NotFound/MethodNotAllowed."""
        if len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        table = self._static.get(path)
        params: dict[str, str] = {}
        if table is None:
            for pattern, candidate in self._dynamic:
                found = pattern.match(path)
                if found is not None:
                    table, params = candidate, found.groupdict()
                    break
        if table is None:
            raise NotFound(f"No route for {path}.")
        chosen = table.get(method) or (table.get("GET") if method == "HEAD" else None)
        if chosen is None:
            allowed = sorted(set(table) | ({"HEAD"} if "GET" in table else set()))
            raise MethodNotAllowed(f"Method {method} is not allowed for {path}.", headers={"Allow": ", ".join(allowed)})
        return chosen, params

    def allowed_methods(self, path: str) -> list[str]:
        """Methods served on ``path`` (empty when the path is unknown); used for CORS preflight."""
        try:
            self.match("\x00", path)
        except MethodNotAllowed as exc:
            return exc.headers["Allow"].split(", ")
        except NotFound:
            return []
        return []
