"""Mint and verify the emulator's RS256 JWTs. Pure functions: the key and ``now`` are arguments."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .keys import SigningKey

ALGORITHM = "RS256"
#: ``iss`` of every token the emulator signs (the real issuer's value is not documented).
ISSUER = "cuadra-emulator"
#: Clock skew tolerated on ``exp``, ``nbf`` and ``iat`` (seconds).
LEEWAY = 30.0
#: Lifetime of M2M tokens ("M2M tokens expire after 1 hour").
DEFAULT_TTL = 3600


class InvalidToken(ValueError):
    """The token is malformed, signed by another key or algorithm, expired or not yet valid."""


@dataclass(frozen=True)
class Claims:
    """What a verified token says about its bearer."""

    user_id: str
    org_id: str
    scopes: frozenset[str]
    issued_at: int
    expires_at: int
    #: ``nbf`` when the token has one (RFC 7519 §4.1.5), else ``issued_at``.
    not_before: int = 0


def mint(key: SigningKey, *, user_id: str, org_id: str, scopes: Iterable[str], now: float, expires_in: int = DEFAULT_TTL) -> str:
    """A signed JWT for ``user_id`` of ``org_id``; ``iat`` = ``now``, ``exp`` = ``now + expires_in``.

    RS256 (PKCS#1 v1.5) signatures are deterministic, so equal inputs give equal bytes.
    """
    import jwt

    issued = int(now)
    payload = {
        "iss": ISSUER,
        "sub": user_id,
        "org": org_id,
        "scope": " ".join(scopes),
        "iat": issued,
        "exp": issued + int(expires_in),
    }
    return jwt.encode(payload, key.private, algorithm=ALGORITHM, headers={"kid": key.kid})


def verify(key: SigningKey, token: str, now: float | Callable[[str], float], leeway: float = LEEWAY) -> Claims:
    """Check signature (RS256 with ``key`` only: ``none``, HMAC and other keys fail), then time.

    Expiry and ``nbf`` (not before) are judged against ``now`` (the emulator's clock), not the wall
    clock; a callable ``now`` is asked for the time of the token's organisation (each tenant has its own
    clock). Raises
    :class:`InvalidToken`.
    """
    import jwt

    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM or header.get("kid", key.kid) != key.kid:
            raise InvalidToken("unexpected algorithm or key id")
        payload: dict[str, Any] = jwt.decode(
            token,
            key.public,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"verify_exp": False, "verify_iat": False, "verify_nbf": False, "require": ["iss", "sub", "exp", "iat"]},
        )
    except jwt.PyJWTError as exc:
        raise InvalidToken(str(exc)) from None
    exp, iat, org, sub = payload.get("exp"), payload.get("iat"), payload.get("org"), payload.get("sub")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or not isinstance(iat, int | float) or isinstance(iat, bool):
        raise InvalidToken("exp and iat must be numbers")
    if not isinstance(org, str) or not org or not isinstance(sub, str) or not sub:
        raise InvalidToken("sub and org must be non-empty strings")
    if callable(now):
        now = now(org)
    if now > exp + leeway:
        raise InvalidToken("token expired")
    if iat > now + leeway:
        raise InvalidToken("token issued in the future")
    nbf = payload.get("nbf", iat)
    if not isinstance(nbf, int | float) or isinstance(nbf, bool):
        raise InvalidToken("nbf must be a number")
    if nbf > now + leeway:
        raise InvalidToken("token not valid yet (nbf)")
    scope = payload.get("scope", "")
    if not isinstance(scope, str):
        raise InvalidToken("scope must be a space-separated string")
    return Claims(sub, org, frozenset(scope.split()), int(iat), int(exp), int(nbf))
