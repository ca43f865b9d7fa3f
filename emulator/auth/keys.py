"""The emulator's RS256 signing key: derived from the server seed, never stored on disk.

``cryptography`` cannot generate a key from a seed, so the primes are drawn from a seeded
``random.Random`` (incremental search over a sieved window, then Miller-Rabin) and the key is
assembled from its numbers. Same seed, same key, same JWT bytes. Derivation takes a fraction of a
second, so it runs lazily on the first JWT use and is cached per app (see :mod:`emulator.auth`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import random
from dataclasses import dataclass
from functools import cache
from typing import Any

KEY_BITS = 2048
PUBLIC_EXPONENT = 65537
_SIEVE_LIMIT = 30_000
_WINDOW = 4096  # odd candidates examined per sieve window
_MR_ROUNDS = 8  # random 1024-bit candidates: FIPS 186-5 asks for fewer; an emulator key needs no more


@cache
def _small_primes() -> tuple[int, ...]:
    """Odd primes below the sieve limit (immutable, computed once per process)."""
    flags = bytearray([1]) * _SIEVE_LIMIT
    flags[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(_SIEVE_LIMIT) + 1):
        if flags[i]:
            flags[i * i :: i] = bytearray(len(flags[i * i :: i]))
    return tuple(i for i in range(3, _SIEVE_LIMIT) if flags[i])


def is_probable_prime(n: int, rng: random.Random, rounds: int = _MR_ROUNDS) -> bool:
    """Miller-Rabin with bases drawn from ``rng`` (deterministic for a seeded ``rng``)."""
    if n < 4:
        return n in (2, 3)
    if n % 2 == 0:
        return False
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 1), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def random_prime(rng: random.Random, bits: int) -> int:
    """A ``bits``-bit prime ``p`` (top two bits set) with ``gcd(e, p - 1) == 1``, drawn from ``rng``."""
    primes = _small_primes()
    while True:
        start = rng.getrandbits(bits) | (0b11 << (bits - 2)) | 1
        # Sieve the odd numbers start, start + 2, ... start + 2 * (_WINDOW - 1).
        alive = bytearray([1]) * _WINDOW
        for p in primes:
            first = (-start * pow(2, -1, p)) % p  # smallest k with start + 2k = 0 (mod p)
            alive[first::p] = bytearray(len(alive[first::p]))
        for k in range(_WINDOW):
            if not alive[k]:
                continue
            candidate = start + 2 * k
            if candidate.bit_length() != bits or (candidate - 1) % PUBLIC_EXPONENT == 0:
                continue
            if is_probable_prime(candidate, rng):
                return candidate


@dataclass(frozen=True)
class SigningKey:
    """The private key (a ``cryptography`` object), its public twin, its ``kid`` and its JWK."""

    private: Any
    public: Any
    kid: str
    jwk: dict[str, str]

    def jwks(self) -> dict[str, Any]:
        """The JWK Set document served at the JWKS URLs."""
        return {"keys": [self.jwk]}


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@cache  # a memo of a pure function: apps with the same seed (e.g. one per test) derive the key once
def derive_signing_key(seed: int | str) -> SigningKey:
    """The RSA key for ``seed``: deterministic, ``KEY_BITS`` bits, ``kid`` = RFC 7638 thumbprint."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    rng = random.Random(f"cuadra-emulator:jwt-signing-key:{seed}")
    half = KEY_BITS // 2
    p = random_prime(rng, half)
    q = random_prime(rng, half)
    while q == p:
        q = random_prime(rng, half)
    if p < q:
        p, q = q, p
    n = p * q
    d = pow(PUBLIC_EXPONENT, -1, math.lcm(p - 1, q - 1))
    public_numbers = rsa.RSAPublicNumbers(PUBLIC_EXPONENT, n)
    numbers = rsa.RSAPrivateNumbers(
        p=p,
        q=q,
        d=d,
        dmp1=d % (p - 1),
        dmq1=d % (q - 1),
        iqmp=rsa.rsa_crt_iqmp(p, q),
        public_numbers=public_numbers,
    )
    private = numbers.private_key()
    essentials = {"e": _b64url_uint(PUBLIC_EXPONENT), "kty": "RSA", "n": _b64url_uint(n)}
    canonical = json.dumps(essentials, separators=(",", ":"), sort_keys=True).encode()
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode("ascii")
    jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": essentials["n"], "e": essentials["e"]}
    return SigningKey(private, private.public_key(), kid, jwk)
