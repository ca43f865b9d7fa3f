"""Per-app auth state: the lazily derived signing key, a verified-token cache, minted callers."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..principal import Principal
from .keys import SigningKey, derive_signing_key
from .tokens import DEFAULT_TTL, InvalidToken, mint, verify

if TYPE_CHECKING:
    from ..ids import Ids
    from ..state import EmulatorState

_CACHE_LIMIT = 4096


class AuthRuntime:
    """Everything the JWT/OAuth features keep for one app (``state.auth``)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._key: SigningKey | None = None
        self._key_lock = threading.Lock()
        #: token -> (principal, nbf, exp): a verified signature is not checked again, the validity window always is.
        self._verified: dict[str, tuple[Principal, int, int]] = {}
        #: minted user id -> organisation id (so a user minted twice stays in one organisation)
        self._minted_users: dict[str, str] = {}

    def reset(self) -> None:
        """Forget minted users and cached verifications (the key depends on the seed only: kept)."""
        self._verified.clear()
        self._minted_users.clear()

    @property
    def key(self) -> SigningKey:
        """The signing key, derived from the seed on first use (a fraction of a second)."""
        if self._key is None:
            with self._key_lock:
                if self._key is None:
                    self._key = derive_signing_key(self.state.config.seed)
        return self._key

    def resolve(self, token: str) -> Principal | None:
        """The caller behind a JWT signed by this emulator, or None (the auth step answers 401)."""
        if token.count(".") != 2:
            return None
        cached = self._verified.get(token)
        if cached is not None:
            principal, nbf, exp = cached
            now = self.state.clock_for(principal.org_id).now()
            if now > exp + self._leeway() or nbf > now + self._leeway():
                return None
        else:
            try:
                claims = verify(self.key, token, lambda org: self.state.clock_for(org).now(), self._leeway())
            except InvalidToken:
                return None
            principal = Principal(claims.user_id, claims.org_id, claims.scopes)
            if len(self._verified) >= _CACHE_LIMIT:
                self._verified.clear()
            self._verified[token] = (principal, claims.not_before, claims.expires_at)
        self.ensure_organization(principal.org_id)
        return principal

    def ensure_organization(self, org_id: str) -> None:
        """Mint ``org_id`` as a tenant (a copy of the fixture baseline) unless it exists."""
        self.state.tenants.create(org_id, self.state.clock_for(org_id).now())

    def caller(self, user_id: str | None, org_id: str | None, ids: Ids) -> tuple[str, str]:
        """The (user, organisation) a minted token is for; missing parts are drawn from ``ids``.

        A fixture user keeps its organisation unless ``org_id`` says otherwise; a new user without
        ``org_id`` gets a new organisation (remembered, so the same user maps to it next time).
        """
        fixture_users = self.state.fixtures.users
        if user_id is None:
            user_id = ids.prefixed("member")
        if org_id is None:
            if user_id in fixture_users:
                org_id = fixture_users[user_id]["organization"]
            else:
                org_id = self._minted_users.get(user_id) or ids.prefixed("org")
        if user_id not in fixture_users:
            self._minted_users.setdefault(user_id, org_id)
        return user_id, org_id

    def mint(self, user_id: str, org_id: str, scopes: Iterable[str], expires_in: int = DEFAULT_TTL) -> str:
        """Sign a token for ``user_id`` of ``org_id`` at the current clock time; the org springs to life."""
        self.ensure_organization(org_id)
        return mint(
            self.key, user_id=user_id, org_id=org_id, scopes=scopes, now=self.state.clock_for(org_id).now(), expires_in=expires_in
        )

    def _leeway(self) -> float:
        return self.state.config.jwt_leeway
