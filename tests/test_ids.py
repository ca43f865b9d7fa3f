"""Ids a request mints: keyed BLAKE2b of (organisation, request number, kind, position), as documented."""

from __future__ import annotations

import random
import uuid
from hashlib import blake2b

from emulator.ids import IdKey, Ids

KEY = bytes(range(32))


def _digest(org: str, number: int, kind: str, position: int, size: int) -> bytes:
    return blake2b(f"{org}\x1f{number}\x1f{kind}\x1f{position}".encode(), key=KEY, digest_size=size).digest()


def test_ids_are_the_documented_hashes_in_draw_order() -> None:
    ids = Ids(IdKey(KEY), "org_a", 7)
    drawn = [ids.prefixed("chat"), ids.uuid(), ids.prefixed("msg"), ids.rng("name").random(), ids.prefixed("msg")]
    assert drawn == [
        f"chat_{_digest('org_a', 7, 'chat', 1, 12).hex()}",
        str(uuid.UUID(bytes=_digest("org_a", 7, "uuid", 2, 16), version=4)),
        f"msg_{_digest('org_a', 7, 'msg', 3, 12).hex()}",
        random.Random(int.from_bytes(_digest("org_a", 7, "name", 4, 16), "big")).random(),
        f"msg_{_digest('org_a', 7, 'msg', 5, 12).hex()}",
    ]


def test_ids_depend_on_organisation_and_number() -> None:
    assert Ids(IdKey(KEY), "org_a", 1).prefixed("chat") != Ids(IdKey(KEY), "org_b", 1).prefixed("chat")
    assert Ids(IdKey(KEY), "org_a", 1).prefixed("chat") != Ids(IdKey(KEY), "org_a", 2).prefixed("chat")
