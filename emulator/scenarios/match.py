"""Pure request matching: path templates, JSON-subset bodies, headers and query (no HTTP, no state)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .model import Match, Regex

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
#: Marks "the body was not read or is not JSON" (distinct from a JSON ``null`` body).
NO_BODY: Any = object()


def compile_path(template: str) -> re.Pattern[str]:
    """``/v1/models/{id}`` -> an anchored pattern with a named group per ``{param}`` (one segment)."""
    out, last = [], 0
    for found in _PARAM.finditer(template):
        out.append(re.escape(template[last : found.start()]))
        out.append(f"(?P<{found.group(1)}>[^/]+)")
        last = found.end()
    out.append(re.escape(template[last:]))
    return re.compile("^" + "".join(out) + "/?$")


@dataclass(frozen=True)
class RequestView:
    """What matching looks at; ``json`` is :data:`NO_BODY` until (and unless) a body pattern needs it."""

    method: str
    path: str
    headers: Any  # case-insensitive mapping (starlette Headers)
    query: Any  # QueryParams-like mapping: first value per name
    json: Any = NO_BODY


def text_matches(pattern: str | Regex, value: str | None) -> bool:
    """Exact string equality, or ``re.search`` for a :class:`Regex`; a missing value never matches."""
    if value is None:
        return False
    if isinstance(pattern, Regex):
        return pattern.pattern.search(value) is not None
    return value == pattern


def body_matches(pattern: Any, value: Any) -> bool:
    """JSON subset match: every key of a pattern object must match; every item of a pattern list must
    match some item of the list; :class:`Regex` leaves search strings; other leaves compare equal
    (``true`` never equals ``1``)."""
    if isinstance(pattern, Regex):
        return isinstance(value, str) and pattern.pattern.search(value) is not None
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(key in value and body_matches(sub, value[key]) for key, sub in pattern.items())
    if isinstance(pattern, list):
        return isinstance(value, list) and all(any(body_matches(sub, item) for item in value) for sub in pattern)
    if isinstance(pattern, bool) or isinstance(value, bool):
        return type(pattern) is type(value) and pattern == value
    return bool(pattern == value)


def matches_without_body(match: Match, request: RequestView) -> bool:
    """Method, path, query and headers (cheap checks first)."""
    if match.methods is not None and request.method not in match.methods:
        return False
    if match.path is not None and match.path.match(request.path) is None:
        return False
    for name, expected in match.query:
        if not text_matches(expected, request.query.get(name)):
            return False
    return all(text_matches(expected, request.headers.get(name)) for name, expected in match.headers)


def matches(match: Match, request: RequestView) -> bool:
    """Everything, including the body pattern (a body that is not JSON matches no body pattern)."""
    if not matches_without_body(match, request):
        return False
    if match.has_body:
        return request.json is not NO_BODY and body_matches(match.body, request.json)
    return True
