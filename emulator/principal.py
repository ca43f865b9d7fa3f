"""Who is calling: the identity every request is resolved to by the auth step."""

from __future__ import annotations

from dataclasses import dataclass

ALL_SCOPES = "*"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user of one organisation holding some scopes."""

    user_id: str
    org_id: str
    scopes: frozenset[str]

    def has_scope(self, scope: str) -> bool:
        return ALL_SCOPES in self.scopes or scope in self.scopes or "org:admin" in self.scopes
