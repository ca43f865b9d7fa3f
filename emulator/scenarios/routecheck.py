"""Scenario paths checked against the API's routes: a rule whose literal ``match.path`` can match no
route (``/v1/chat`` for ``/v1/chats``) would silently never act, so loading it is an error instead."""

from __future__ import annotations

import re
from difflib import get_close_matches
from functools import cache

from .match import compile_path

_PARAM = re.compile(r"\{[^}/]+\}")


@cache
def api_templates() -> tuple[str, ...]:
    """Path templates of every API route (``/v1/chats/{chat_id}``, ...), imported on first use."""
    from ..routes import API_ROUTES

    return tuple(dict.fromkeys(route.path for route in API_ROUTES))


def unmatched_path(path: str, templates: tuple[str, ...] | None = None) -> str | None:
    """None when the literal or templated scenario ``path`` can match some route; else a message
    naming the closest routes."""
    templates = api_templates() if templates is None else templates
    pattern = compile_path(path)
    concrete = _PARAM.sub("x", path)
    for template in templates:
        if pattern.match(_PARAM.sub("x", template)) or compile_path(template).match(concrete):
            return None
    shapes = {_PARAM.sub("{}", template): template for template in templates}
    close = get_close_matches(_PARAM.sub("{}", path), list(shapes), n=3, cutoff=0.5)
    hint = f"; closest route: {', '.join(shapes[c] for c in close)}" if close else ""
    return f"path {path!r} matches no API route{hint}"
