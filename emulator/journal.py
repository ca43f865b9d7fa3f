"""The request journal: a bounded record of what was asked and answered.

The ring keeps small tuples, formatted only when read: a request in flight is a :data:`Pending` tuple
(its arrival), a finished one a :data:`Record` (the fields of :class:`JournalEntry`, in order; the
header lists and bodies by reference, nothing decoded or rounded). Readers get :class:`JournalEntry`
objects made from them. While a console is open the ring keeps the entry objects it pushes, so a
stream's events recorded after the answer began show in the entry's detail.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import orjson

from .redact import redact_body, redact_headers

#: Request bodies are reported by the journal up to this size (file uploads can be large).
BODY_LIMIT = 64 * 1024


@dataclass(slots=True)
class JournalEntry:
    """One request/response pair as the emulator saw it."""

    seq: int
    time: float
    method: str
    path: str
    query: str
    raw_request_headers: list[tuple[bytes, bytes]]  # the ASGI scope's list, decoded only when read
    request_body: bytes = b""
    status: int | None = None
    raw_response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    org_id: str | None = None
    user_id: str | None = None
    rule: str | None = None
    duration: float | None = None  # seconds on the clock, as measured (rounded only when read)
    streamed: bool = False
    response_body: bytes | memoryview = b""  # a plain response's body (a reference, not a copy)
    stream_events: list[tuple[float, bytes]] | None = None  # recorded only while a console is open
    stream_end: str | None = None  # "ended" or "interrupted", with stream_events
    warnings: tuple[str, ...] = ()  # what was accepted but ignored (unknown body fields)

    @property
    def duration_ms(self) -> float | None:
        """The duration in milliseconds, to the microsecond (formatted when read, not per request)."""
        return None if self.duration is None else round(self.duration * 1000, 3)

    @property
    def request_headers(self) -> dict[str, str]:
        return _decode(self.raw_request_headers)

    @property
    def response_headers(self) -> dict[str, str]:
        return _decode(self.raw_response_headers)

    def to_json(self, reveal: bool = False) -> dict[str, Any]:
        """The entry as journal output shows it: credentials fingerprinted unless ``reveal`` (see ``emulator.redact``)."""
        body = self.request_body[:BODY_LIMIT].decode("utf-8", errors="replace") if self.request_body else None
        request_headers, response_headers = self.request_headers, self.response_headers
        if not reveal:
            request_headers, response_headers = redact_headers(request_headers), redact_headers(response_headers)
            body = redact_body(body) if body is not None else None
        return {
            "seq": self.seq,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "orgId": self.org_id,
            "userId": self.user_id,
            "rule": self.rule,
            "streamed": self.streamed,
            "warnings": list(self.warnings),
            "requestHeaders": request_headers,
            "requestBody": body,
            "requestBodyTruncated": len(self.request_body) > BODY_LIMIT,
            "responseHeaders": response_headers,
            "durationMs": self.duration_ms,
            "time": self.time,
        }


def _decode(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in raw}


#: A request in flight: ``(seq, time, method, path, query, raw request headers)``.
Pending: TypeAlias = tuple[int, float, str, str, str, list[tuple[bytes, bytes]]]
#: A finished request: :class:`JournalEntry`'s fields, in their order.
Record: TypeAlias = tuple[Any, ...]
Item: TypeAlias = "tuple[Any, ...] | JournalEntry"


def _view(item: Item) -> JournalEntry:
    return item if isinstance(item, JournalEntry) else JournalEntry(*item)


def _seq(item: Item) -> int:
    return item.seq if isinstance(item, JournalEntry) else int(item[0])


def encode_record(record: Record | JournalEntry) -> tuple[str | None, list[bytes]]:
    """A finished request for the shared journal (``--state redis://``): its organisation and three
    compact fields: a JSON head (everything but the bodies and the number, which the shared journal
    assigns), the request body (cut after :data:`BODY_LIMIT`, keeping one byte to tell it was cut)
    and the response body (cut at :data:`BODY_LIMIT`)."""
    entry = _view(record)
    head = (
        entry.time,
        entry.method,
        entry.path,
        entry.query,
        [[n.decode("latin-1"), v.decode("latin-1")] for n, v in entry.raw_request_headers],
        entry.status,
        [[n.decode("latin-1"), v.decode("latin-1")] for n, v in entry.raw_response_headers],
        entry.org_id,
        entry.user_id,
        entry.rule,
        entry.duration,
        entry.streamed,
        list(entry.warnings),
    )
    request_body, response_body = bytes(entry.request_body[: BODY_LIMIT + 1]), bytes(entry.response_body[:BODY_LIMIT])
    return entry.org_id, [orjson.dumps(head), request_body, response_body]


def decode_record(seq: int, fields: list[bytes]) -> JournalEntry:
    """Inverse of :func:`encode_record`, numbered ``seq``."""
    head, request_body, response_body = fields
    time, method, path, query, req, status, resp, org, user, rule, duration, streamed, warnings = orjson.loads(head)
    return JournalEntry(
        seq,
        time,
        method,
        path,
        query,
        [(n.encode("latin-1"), v.encode("latin-1")) for n, v in req],
        request_body,
        status,
        [(n.encode("latin-1"), v.encode("latin-1")) for n, v in resp],
        org,
        user,
        rule,
        duration,
        streamed,
        response_body,
        None,
        None,
        tuple(warnings),
    )


class Journal:
    """A ring buffer of requests (see the module docstring); the oldest drop off past ``size``."""

    def __init__(self, size: int) -> None:
        self._entries: deque[Item] = deque(maxlen=max(size, 0) or None)
        self._seq = 0
        self._enabled = size > 0

    def begin(self, time: float, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]]) -> Pending:
        """Number a request as it arrives and keep it, in flight, in its place in the ring."""
        self._seq += 1
        pending = (self._seq, time, method, path, query, headers)
        if self._enabled:
            self._entries.append(pending)
        return pending

    def finish(self, pending: Pending, done: Record | JournalEntry) -> None:
        """Replace the in-flight ``pending`` by the finished request (nothing if it left the ring)."""
        entries = self._entries
        if not entries:
            return
        first = entries[0]  # _seq(first), written out: this runs once per request
        index = pending[0] - (first.seq if isinstance(first, JournalEntry) else first[0])
        if 0 <= index < len(entries) and entries[index] is pending:
            entries[index] = done
            return
        for index in range(len(entries) - 1, -1, -1):  # numbers no longer dense (a tenant's entries dropped)
            if entries[index] is pending:
                entries[index] = done
                return

    def get(self, seq: int) -> JournalEntry | None:
        """The entry numbered ``seq`` if the ring still holds it (O(1): sequence numbers are dense)."""
        if not self._entries:
            return None
        index = seq - _seq(self._entries[0])
        if 0 <= index < len(self._entries):
            found = self._entries[index]
            return _view(found) if _seq(found) == seq else None
        return None

    def clear(self) -> None:
        self._entries.clear()
        self._seq = 0

    def forget_org(self, org_id: str) -> None:
        """Drop the entries of one organisation (a per-tenant reset); sequence numbers go on."""
        kept = [item for item in self._entries if _view(item).org_id != org_id]
        self._entries.clear()
        self._entries.extend(kept)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter([_view(item) for item in self._entries])

    def __len__(self) -> int:
        return len(self._entries)
