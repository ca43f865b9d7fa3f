"""The OAuth scopes of the Cuadra API (guides.md §1.4) and scope-string helpers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..principal import Principal

#: guides.md §1.4, verbatim and in order.
DOCUMENTED_SCOPES: tuple[str, ...] = (
    "chat:invoke",
    "chat:read",
    "chat:write",
    "models:read",
    "models:write",
    "datasets:read",
    "datasets:write",
    "files:read",
    "files:write",
    "particles:read",
    "particles:write",
    "system-prompts:read",
    "system-prompts:write",
    "usage:read",
    "org:admin",
)
#: Scopes that grant every other scope (see :meth:`emulator.principal.Principal.has_scope`).
SUPER_SCOPES = frozenset({"*", "org:admin"})


def known_scopes(route_scopes: Iterable[str | None] = ()) -> frozenset[str]:
    """Documented scopes plus any scope a route declares (features may add undocumented ones)."""
    return frozenset(DOCUMENTED_SCOPES) | {scope for scope in route_scopes if scope}


def refused_scopes(client_scopes: Iterable[str], requested: Iterable[str], known: frozenset[str]) -> list[str]:
    """The requested scopes the client may not have (empty: every one can be granted).

    A client holding ``*`` or ``org:admin`` may narrow to any known scope; otherwise only to its own.
    """
    held = set(client_scopes)
    pool = known | held if held & SUPER_SCOPES else held
    return [scope for scope in requested if scope not in pool]


def is_org_admin(principal: Principal, users: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether the caller sees admin-only fields (guides.md §13.1 "Admins Only"): its user has the
    fixture role ``admin``, or its token holds ``org:admin`` (``*`` included)."""
    user = users.get(principal.user_id)
    return bool(principal.scopes & SUPER_SCOPES) or (user is not None and user.get("role") == "admin")
