"""Identifiers, all drawn from the app's seeded RNG (never ``uuid4``)."""

from __future__ import annotations

import random
import uuid


def prefixed_id(rng: random.Random, prefix: str) -> str:
    """An id like ``chat_3f9a…`` (24 hex digits), as the Cuadra docs' examples look."""
    return f"{prefix}_{rng.getrandbits(96):024x}"


def uuid_id(rng: random.Random) -> str:
    """A version-4 UUID string drawn from ``rng`` (models use UUIDs in the reference)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))
