"""``/_emulator/requests``: the journal (filtered), clearing it, and ``verify`` (WireMock-style)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ..errors import BadRequest, ExpectationFailed, invalid
from ..journal import JournalEntry, decode_record
from ..params import ORG, Param
from ..pipeline.body import parse_json
from ..responses import json_response, no_content
from ..routing import route
from ..scenarios.match import compile_path

if TYPE_CHECKING:
    from ..context import RequestContext
    from ..state import EmulatorState

NEAR_MISSES = 3
_VERIFY_KEYS = {"method", "path", "status", "count", "org"}


@dataclass(frozen=True)
class RequestPattern:
    """What a journal filter or a verification looks for; ``None`` fields match anything."""

    method: str | None = None
    path: str | None = None
    status: int | None = None
    org: str | None = None
    warnings: bool | None = None  # True: only requests with warnings; False: only those without

    def compiled_path(self) -> re.Pattern[str] | None:
        if self.path is None:
            return None
        if self.path.startswith("regex:"):
            try:
                return re.compile(self.path[len("regex:") :])
            except re.error as exc:
                raise invalid("/path", f"invalid regex: {exc}.") from None
        return compile_path(self.path)

    def matcher(self) -> Any:
        path = self.compiled_path()

        def test(entry: JournalEntry) -> bool:
            return (
                (self.method is None or entry.method == self.method)
                and (path is None or path.search(entry.path) is not None)
                and (self.status is None or entry.status == self.status)
                and (self.org is None or entry.org_id == self.org)
                and (self.warnings is None or bool(entry.warnings) == self.warnings)
            )

        return test

    def distance(self, entry: JournalEntry) -> float:
        """How far ``entry`` is from this pattern (0 = match); used to rank near-misses."""
        score = 0.0
        if self.method is not None and entry.method != self.method:
            score += 1.0
        if self.path is not None:
            score += 1.0 - SequenceMatcher(None, self.path, entry.path).ratio()
        if self.status is not None and entry.status != self.status:
            score += 0.5
        if self.org is not None and entry.org_id != self.org:
            score += 0.5
        return round(score, 3)

    def to_json(self) -> dict[str, Any]:
        return {
            k: v
            for k, v in (("method", self.method), ("path", self.path), ("status", self.status), ("org", self.org))
            if v is not None
        }


def _status(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid("/status", f"expected an HTTP status code, got {value!r}.") from None


async def journal_entries(state: EmulatorState) -> list[JournalEntry]:
    """The journal, oldest first: this process's ring in memory; with a shared backend the shared journal
    and this replica's requests in flight."""
    if state.shared_store is None:
        return list(state.journal)
    found = [decode_record(seq, fields) for seq, fields in await state.backend.journal_read()]
    # requests still in flight on this replica (held, streaming...) show last with status null, numbered
    # after the shared entries (their number is provisional: the shared one is given when they finish)
    last = found[-1].seq if found else 0
    for entry in state.journal:
        if entry.status is None:
            last += 1
            found.append(replace(entry, seq=last))  # a copy: a console's entry in the ring keeps its number
    return found


async def list_requests(ctx: RequestContext) -> Response:
    params = ctx.params
    method = params.text("method")
    pattern = RequestPattern(
        method.upper() if method else None,
        params.text("path"),
        params.optional_integer("status"),
        params.text("org"),
        params.optional_flag("warnings"),
    )
    test = pattern.matcher()
    reveal = ctx.state.config.show_credentials
    return json_response({"items": [entry.to_json(reveal) for entry in await journal_entries(ctx.state) if test(entry)]})


async def clear_requests(ctx: RequestContext) -> Response:
    """Forget the journal; with ``?org=`` only that organisation's entries (a test on a shared server)."""
    org = ctx.params.text("org")
    state = ctx.state
    if org:
        state.journal.forget_org(org)
    else:
        state.journal.clear()
    if state.shared_store is not None:
        await state.backend.journal_clear(org or None)
    return no_content()


def _verify_request(data: Any) -> tuple[RequestPattern, int | None]:
    if not isinstance(data, dict):
        raise invalid("/", 'expected an object such as {"method": "POST", "path": "/v1/chats"}.')
    unknown = sorted(set(data) - _VERIFY_KEYS)
    if unknown:
        raise invalid(f"/{unknown[0]}", f"unknown field (expected {', '.join(sorted(_VERIFY_KEYS))}).")
    for key in ("method", "path", "org"):
        if key in data and not isinstance(data[key], str):
            raise invalid(f"/{key}", "expected a string.")
    count = data.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
        raise invalid("/count", "expected a non-negative integer.")
    method = data.get("method")
    return RequestPattern(
        method.upper() if method else None, data.get("path"), _status(data.get("status")), data.get("org")
    ), count


async def verify(ctx: RequestContext) -> Response:
    raw = await ctx.body()
    if not raw.strip():
        raise BadRequest('A JSON body such as {"method": "POST", "path": "/v1/chats", "count": 1} is required.')
    pattern, count = _verify_request(parse_json(raw))
    test = pattern.matcher()
    entries = await journal_entries(ctx.state)
    found = [entry for entry in entries if test(entry)]
    ok = len(found) >= 1 if count is None else len(found) == count
    if ok:
        return json_response(
            {"matched": len(found), "expected": pattern.to_json() | {"count": count}, "requests": [entry.seq for entry in found]}
        )
    misses = sorted((entry for entry in entries if not test(entry)), key=lambda e: (pattern.distance(e), e.seq))
    near: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int | None, str | None]] = set()
    for e in misses:  # one near-miss per distinct (method, path, status, org), closest first
        key = (e.method, e.path, e.status, e.org_id)
        if key in seen:
            continue
        seen.add(key)
        near.append(
            {
                "seq": e.seq,
                "method": e.method,
                "path": e.path,
                "status": e.status,
                "orgId": e.org_id,
                "rule": e.rule,
                "distance": pattern.distance(e),
            }
        )
        if len(near) == NEAR_MISSES:
            break
    wanted = "at least 1" if count is None else str(count)
    what = " ".join(str(v) for v in pattern.to_json().values()) or "any request"
    raise ExpectationFailed(
        f"Expected {wanted} request(s) matching {what}; found {len(found)}.",
        extensions={"expected": pattern.to_json() | {"count": count}, "matched": len(found), "nearMisses": near},
    )


ROUTES = [
    route(
        "GET",
        "/_emulator/requests",
        list_requests,
        auth=False,
        summary="The request journal",
        query=(
            Param("method", empty_is_absent=True),
            Param("path", empty_is_absent=True, description="Exact path, or regex:<pattern>"),
            Param("status", "integer", empty_is_absent=True),
            ORG,
            Param("warnings", "boolean", description="Only requests with (true) or without (false) warnings"),
        ),
    ),
    route("DELETE", "/_emulator/requests", clear_requests, auth=False, status=204, summary="Clear the journal", query=(ORG,)),
    route("POST", "/_emulator/requests/verify", verify, auth=False, summary="Verify calls were made"),
]
