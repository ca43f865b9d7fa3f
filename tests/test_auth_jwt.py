"""JWT session tokens: RS256 signed with the seed-derived key, verified against the emulator's clock."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.auth.keys import derive_signing_key, is_probable_prime, random_prime
from emulator.auth.tokens import ISSUER, InvalidToken, verify
from tests import auth_helpers
from tests.auth_helpers import INVALID_TOKEN, START, UNAUTHORIZED, bearer, hs256, mint, parts, unsigned

shared_app, jwt_app, web = auth_helpers.shared_app, auth_helpers.jwt_app, auth_helpers.web


def signing_key(app: EmulatorApp) -> Any:
    return app.state.auth.key


@pytest.mark.parametrize(
    "n, prime",
    [
        pytest.param(2, True, id="two"),
        pytest.param(97, True, id="97"),
        pytest.param(561, False, id="carmichael-561"),
        pytest.param(2**61 - 1, True, id="mersenne-61"),
        pytest.param((2**61 - 1) * (2**31 - 1), False, id="semiprime"),
        pytest.param(1, False, id="one"),
        pytest.param(10**18, False, id="even"),
    ],
)
def test_keys_miller_rabin_classifies(n: int, prime: bool) -> None:
    assert is_probable_prime(n, random.Random(0)) is prime


def test_keys_random_prime_is_a_deterministic_function_of_the_rng() -> None:
    first, second = random_prime(random.Random("k"), 256), random_prime(random.Random("k"), 256)
    assert first == second
    assert first.bit_length() == 256 and is_probable_prime(first, random.Random(1))


def test_keys_app_key_is_the_seed_derived_key(jwt_app: EmulatorApp) -> None:
    key = signing_key(jwt_app)
    assert key.private.key_size == 2048
    assert derive_signing_key(jwt_app.config.seed).jwk == key.jwk


def test_jwt_minted_token_carries_documented_claims(web: TestClient, jwt_app: EmulatorApp) -> None:
    token = mint(web, user="member_x", org="org_x", scopes=["chat:read", "usage:read"], expiresIn=600)
    header, payload = parts(token)
    assert token.startswith("eyJhbGciOiJSUzI1NiIs")  # the documented RS256 prefix
    assert header == {"alg": "RS256", "kid": signing_key(jwt_app).kid, "typ": "JWT"}
    assert payload == {
        "iss": ISSUER,
        "sub": "member_x",
        "org": "org_x",
        "scope": "chat:read usage:read",
        "iat": START,
        "exp": START + 600,
    }


def test_jwt_accepted_until_expiry_plus_leeway(web: TestClient, jwt_app: EmulatorApp) -> None:
    token = mint(web, expiresIn=60)
    assert web.get("/v1/usage", headers=bearer(token)).status_code == 200
    jwt_app.state.clock.advance(60 + 30)  # exp + 30 s leeway: still accepted
    assert web.get("/v1/usage", headers=bearer(token)).status_code == 200
    jwt_app.state.clock.advance(1)
    response = web.get("/v1/usage", headers=bearer(token))
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == INVALID_TOKEN


def _forgeries(token: str, app: EmulatorApp) -> dict[str, str]:
    header, payload = parts(token)
    signature = token.rsplit(".", 1)[1]
    key = signing_key(app)
    public_pem = key.public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    def ours(**changes: Any) -> str:
        return jwt.encode({**payload, **changes}, key.private, algorithm="RS256", headers={"kid": key.kid})

    no_org = {k: v for k, v in payload.items() if k != "org"}
    return {
        "tampered-payload": unsigned(header, {**payload, "org": "org_other"}, signature),
        "bad-signature": token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB"),
        "alg-none": unsigned({"alg": "none", "typ": "JWT"}, payload),
        "alg-none-keeping-signature": unsigned({**header, "alg": "none"}, payload, signature),
        "hs256-with-public-key": hs256({"alg": "HS256", "typ": "JWT", "kid": key.kid}, payload, public_pem),
        "wrong-key": jwt.encode(payload, other_key, algorithm="RS256"),
        "wrong-key-our-kid": jwt.encode(payload, other_key, algorithm="RS256", headers={"kid": key.kid}),
        "foreign-kid": jwt.encode(payload, key.private, algorithm="RS256", headers={"kid": "someone-else"}),
        "expired": ours(iat=START - 7200, exp=START - 3600),
        "issued-in-the-future": ours(iat=START + 3600, exp=START + 7200),
        "not-before-in-an-hour": ours(nbf=START + 3600),
        "string-nbf": ours(nbf="soon"),
        "other-issuer": ours(iss="https://evil.example"),
        "missing-org": jwt.encode(no_org, key.private, algorithm="RS256", headers={"kid": key.kid}),
        "string-exp": ours(exp="never"),
        "not-a-jwt": "a.b.c",
        "two-segments": f"{token.rsplit('.', 1)[0]}",
    }


FORGERIES = [
    "tampered-payload",
    "bad-signature",
    "alg-none",
    "alg-none-keeping-signature",
    "hs256-with-public-key",
    "wrong-key",
    "wrong-key-our-kid",
    "foreign-kid",
    "expired",
    "issued-in-the-future",
    "not-before-in-an-hour",
    "string-nbf",
    "other-issuer",
    "missing-org",
    "string-exp",
    "not-a-jwt",
    "two-segments",
]


@pytest.mark.parametrize("kind", FORGERIES)
def test_jwt_forged_or_invalid_token_is_401(web: TestClient, jwt_app: EmulatorApp, kind: str) -> None:
    token = mint(web, user="member_default", org="org_default")
    assert web.get("/v1/usage", headers=bearer(token)).status_code == 200  # the genuine one works
    forged = _forgeries(token, jwt_app)[kind]
    response = web.get("/v1/usage", headers=bearer(forged))
    assert response.status_code == 401, response.text
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == INVALID_TOKEN
    assert response.headers["content-type"] == "application/problem+json"


def test_jwt_verify_is_pure_and_judges_time_by_the_given_now(jwt_app: EmulatorApp, web: TestClient) -> None:
    key = signing_key(jwt_app)
    token = mint(web, user="u1", org="o1", scopes=[], expiresIn=100)
    claims = verify(key, token, now=START + 100 + 30)
    assert (claims.user_id, claims.org_id, claims.scopes, claims.expires_at) == ("u1", "o1", frozenset(), START + 100)
    with pytest.raises(InvalidToken):
        verify(key, token, now=START + 131)
    with pytest.raises(InvalidToken):
        verify(key, token, now=START + 101, leeway=0)
    assert verify(key, token, now=START + 1000, leeway=900).org_id == "o1"


def test_jwt_nbf_is_judged_by_the_clock_and_rechecked_for_cached_tokens(web: TestClient, jwt_app: EmulatorApp) -> None:
    token = mint(web, user="member_default", org="org_default")
    _, payload = parts(token)
    key = signing_key(jwt_app)
    later = jwt.encode({**payload, "nbf": START + 600}, key.private, algorithm="RS256", headers={"kid": key.kid})
    assert web.get("/v1/usage", headers=bearer(later)).status_code == 401
    jwt_app.state.clock.advance(600 - 30)  # nbf - 30 s leeway: accepted
    assert web.get("/v1/usage", headers=bearer(later)).status_code == 200
    jwt_app.state.clock.set(START)  # rewound (a reset): the cached verification must not bypass nbf
    assert web.get("/v1/usage", headers=bearer(later)).status_code == 401
    assert verify(key, later, now=START + 600).not_before == START + 600


@pytest.mark.parametrize(
    "token, org",
    [
        pytest.param("test-token", "org_default", id="test-token"),
        pytest.param("other-org-token", "org_other", id="other-org-token"),
    ],
)
def test_jwt_static_fixture_tokens_keep_working(web: TestClient, token: str, org: str) -> None:
    response = web.get("/v1/usage", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["plan"]["tier"] == ("pro" if org == "org_default" else "free")


def test_jwt_scope_claim_is_enforced(web: TestClient) -> None:
    token = mint(web, scopes=["models:read"])
    assert web.get("/v1/models", headers=bearer(token)).status_code == 200
    response = web.get("/v1/usage", headers=bearer(token))
    assert response.status_code == 403
    assert response.json()["detail"] == "Missing required scope: usage:read"


@pytest.mark.parametrize("path", ["/_emulator/jwks.json", "/.well-known/jwks.json"])
def test_jwks_public_key_verifies_minted_tokens(web: TestClient, path: str) -> None:
    token = mint(web, user="member_default", org="org_default", scopes=["chat:read"])
    response = web.get(path)
    assert response.status_code == 200
    jwks = response.json()
    [jwk] = jwks["keys"]
    assert jwk["kty"] == "RSA" and jwk["alg"] == "RS256" and jwk["use"] == "sig"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(jwk)  # public parts only
    assert parts(token)[0]["kid"] == jwk["kid"]
    key = jwt.PyJWKSet.from_dict(jwks)[jwk["kid"]]
    decoded = jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    assert decoded["sub"] == "member_default" and decoded["scope"] == "chat:read"


def test_jwks_kid_is_the_rfc7638_thumbprint(web: TestClient) -> None:
    jwk = web.get("/_emulator/jwks.json").json()["keys"][0]
    # RFC 7638: SHA-256 over {"e","kty","n"} in lexicographic order without whitespace.
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True)
    expected = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    assert jwk["kid"] == expected
