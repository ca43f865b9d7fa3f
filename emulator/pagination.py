"""Opaque keyset cursors bound to the query that made them, and the list envelope.

A cursor is ``base64url("<last_seq>.<query_hash>.<mac>")``: the last item's sequence number, a hash
of the list's identity (organisation, collection, filters) and an HMAC over both with the app's
secret. A cursor that was tampered with, comes from another list or organisation, or was made with
other filters is a 400 problem, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from .errors import BadRequest
from .store import Collection, Record

if TYPE_CHECKING:
    from .params import Params


def query_hash(*parts: object) -> str:
    """A short, stable hash of a list query's identity (org, kind, filters...)."""
    text = "\x1f".join(repr(part) for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _mac(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()[:16]


def encode_cursor(last_seq: int, qhash: str, secret: bytes) -> str:
    payload = f"{last_seq}.{qhash}"
    raw = f"{payload}.{_mac(secret, payload)}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, qhash: str, secret: bytes) -> int:
    """Return the sequence number a cursor points after; raises :class:`BadRequest` if invalid."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        seq_text, cursor_qhash, mac = raw.split(".")
        seq = int(seq_text)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("Invalid cursor: it is not a cursor this API issued.") from None
    if not hmac.compare_digest(mac, _mac(secret, f"{seq_text}.{cursor_qhash}")):
        raise BadRequest("Invalid cursor: it is not a cursor this API issued.")
    if cursor_qhash != qhash:
        raise BadRequest("Invalid cursor: it was issued for a different query; restart from the first page.")
    return seq


def whole_list(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The envelope of a list the reference shows without paging (filters only): one page, all items."""
    return {"items": items, "nextCursor": None, "hasMore": False}


def paginate(
    collection: Collection | Sequence[Collection],
    params: Params,
    secret: bytes,
    identity: tuple[object, ...],
    render: Callable[[Record], dict[str, Any]],
    predicate: Callable[[Record], bool] | None = None,
    total_count: bool = False,
    total: int | None = None,
) -> dict[str, Any]:
    """Build the ``{"items", "hasMore", "nextCursor"}`` envelope for one page of ``collection``.

    Several collections are paged as one list, in order; their sequence numbers must be ascending
    across them (the system catalog is created before any organisation's records). ``params`` holds the
    route's ``limit`` and ``cursor`` (:data:`emulator.params.PAGE`).
    """
    collections = [collection] if isinstance(collection, Collection) else list(collection)
    limit = params.integer("limit")
    qhash = query_hash(*identity)
    cursor = params.text("cursor")
    after = decode_cursor(cursor, qhash, secret) if cursor else None
    records, has_more, last_seq = _page(collections, after, limit, predicate)
    envelope: dict[str, Any] = {
        "items": [render(record) for record in records],
        "hasMore": has_more,
        "nextCursor": encode_cursor(last_seq, qhash, secret) if has_more and last_seq is not None else None,
    }
    if total is not None:  # a count the caller keeps up to date (O(1))
        envelope["totalCount"] = total
    elif total_count:
        envelope["totalCount"] = sum(col.count(predicate) for col in collections)
    return envelope


def _page(
    collections: list[Collection], after: int | None, limit: int, predicate: Callable[[Record], bool] | None
) -> tuple[list[Record], bool, int | None]:
    items: list[Record] = []
    last_seq: int | None = None
    for col in collections:
        got, more, last = col.page_after(after, limit - len(items), predicate)
        items.extend(got)
        if last is not None:
            last_seq = last
        if more:
            return items, True, last_seq
    return items, False, last_seq
