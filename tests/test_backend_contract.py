"""One contract for shared state, run on the memory backend and on a real Redis.

Rate-limit windows, Idempotency-Key claims (atomic across concurrent callers), replays, mismatches,
retention on the emulator's clock, counters and reset: the Redis backend must decide exactly like
the in-process one (which is itself checked against the pure logic).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from emulator.backend import StateBackend, check_state_option
from emulator.backend.memory import MemoryBackend
from emulator.backend.redis_backend import RedisBackend
from emulator.backend.shared_store import SharedStore
from emulator.clock import ManualClock
from emulator.config import Config
from emulator.idempotency import RETENTION_SECONDS, InFlight, Mismatch, Proceed, Replay, StoredResponse, scope_key
from emulator.journal import BODY_LIMIT, JournalEntry, decode_record, encode_record
from emulator.ratelimit import RateLimiter, Verdict
from emulator.state import EmulatorState
from emulator.tenants.settings import parse_settings

pytestmark = pytest.mark.anyio
T0 = 1_735_689_600.0
USER = "u:org:u1"
ORG = "o:org"
K1 = scope_key("org", "u1", "k1")  # as the pipeline scopes a key: organisation, user, key
SIG = ("POST", "/v1/chats", "ab" * 32)
RESPONSE = StoredResponse(201, ((b"content-type", b"application/json"), (b"x-odd", b"\xe9t\xe9")), b'{"id":"c1"}\n\x00\xff')


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(params=["memory", "redis"])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[StateBackend]:
    if request.param == "memory":
        yield MemoryBackend()
        return
    url = request.getfixturevalue("redis_url")
    shared = RedisBackend(url, namespace=request.getfixturevalue("redis_namespace"))
    await shared.reset()
    yield shared
    await shared.reset()
    await shared.aclose()


async def fill(backend: StateBackend, buckets: list[tuple[str, int]], count: int, now: float) -> None:
    for _ in range(count):
        assert (await backend.rate_hit(buckets, now)).allowed


async def test_contract_rate_admits_up_to_the_limit_then_refuses(backend: StateBackend) -> None:
    verdicts = [await backend.rate_hit([(USER, 3)], T0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    assert verdicts[0] == Verdict(True, 3, 2, 60)


async def test_contract_rate_retry_after_is_exact(backend: StateBackend) -> None:
    await backend.rate_hit([(USER, 2)], T0)
    await backend.rate_hit([(USER, 2)], T0 + 20)
    assert await backend.rate_hit([(USER, 2)], T0 + 25) == Verdict(False, 2, 0, 35, 35)
    assert not (await backend.rate_hit([(USER, 2)], T0 + 25 + 34)).allowed
    assert (await backend.rate_hit([(USER, 2)], T0 + 25 + 35)).allowed


async def test_contract_rate_fractions_round_up_and_refusals_consume_nothing(backend: StateBackend) -> None:
    await backend.rate_hit([(USER, 1)], T0 + 0.25)
    for _ in range(5):
        verdict = await backend.rate_hit([(USER, 1)], T0 + 0.5)
        assert (verdict.allowed, verdict.retry_after) == (False, 60)
    assert (await backend.rate_hit([(USER, 1)], T0 + 0.5 + 60)).allowed


async def test_contract_rate_reports_tightest_bucket_and_the_one_that_frees_last(backend: StateBackend) -> None:
    await fill(backend, [("u:org:other", 100), (ORG, 10)], 8, T0)
    verdict = await backend.rate_hit([(USER, 5), (ORG, 10)], T0 + 30)
    assert (verdict.limit, verdict.remaining, verdict.reset) == (10, 1, 30)
    await backend.rate_hit([(USER, 5), (ORG, 10)], T0 + 40)
    refused = await backend.rate_hit([(USER, 5), (ORG, 10)], T0 + 50)
    assert (refused.allowed, refused.limit, refused.retry_after) == (False, 10, 10)


async def test_contract_rate_matches_the_pure_limiter_on_a_random_workload(backend: StateBackend) -> None:
    oracle = RateLimiter()
    rng = random.Random(7)
    now = T0
    for _ in range(400):
        now += rng.choice([0.0, 0.0, 0.3, 1.0, 2.5, 7.0])
        user = f"u:org:{rng.randrange(3)}"
        buckets = [(user, 4), ("o:org", 9)]
        assert await backend.rate_hit(buckets, now) == oracle.hit(buckets, now), now - T0


async def test_contract_idempotency_claim_in_flight_then_replay(backend: StateBackend) -> None:
    first = await backend.idem_begin(K1, SIG, T0)
    assert isinstance(first, Proceed)
    assert isinstance(await backend.idem_begin(K1, SIG, T0 + 1), InFlight)
    assert await backend.idem_complete(K1, first.entry, RESPONSE)
    replay = await backend.idem_begin(K1, SIG, T0 + 2)
    assert isinstance(replay, Replay) and replay.response == RESPONSE


async def test_contract_idempotency_mismatch_and_scopes(backend: StateBackend) -> None:
    assert isinstance(await backend.idem_begin(K1, SIG, T0), Proceed)
    assert isinstance(await backend.idem_begin(K1, ("POST", "/v1/chats", "cd" * 32), T0), Mismatch)
    assert isinstance(await backend.idem_begin(scope_key("org", "u2", "k1"), SIG, T0), Proceed)


async def test_contract_idempotency_abandon_lets_a_retry_proceed(backend: StateBackend) -> None:
    first = await backend.idem_begin(K1, SIG, T0)
    assert isinstance(first, Proceed)
    await backend.idem_abandon(K1, first.entry)
    again = await backend.idem_begin(K1, SIG, T0)
    assert isinstance(again, Proceed)
    await backend.idem_abandon(K1, first.entry)  # a stale claim releases nothing
    assert isinstance(await backend.idem_begin(K1, SIG, T0), InFlight)


async def test_contract_idempotency_retention_follows_the_clock(backend: StateBackend) -> None:
    first = await backend.idem_begin(K1, SIG, T0)
    assert isinstance(first, Proceed)
    assert await backend.idem_complete(K1, first.entry, RESPONSE)
    assert isinstance(await backend.idem_begin(K1, SIG, T0 + RETENTION_SECONDS - 1), Replay)
    fresh = await backend.idem_begin(K1, SIG, T0 + RETENTION_SECONDS)
    assert isinstance(fresh, Proceed)
    assert not await backend.idem_complete(K1, first.entry, RESPONSE)  # the old claim is gone


async def test_contract_idempotency_concurrent_claims_let_exactly_one_proceed(backend: StateBackend) -> None:
    decisions = await asyncio.gather(*(backend.idem_begin(scope_key("org", "u1", "race"), SIG, T0) for _ in range(32)))
    assert sum(isinstance(d, Proceed) for d in decisions) == 1
    assert sum(isinstance(d, InFlight) for d in decisions) == 31


async def test_contract_counters_count_from_one(backend: StateBackend) -> None:
    assert [await backend.incr("a") for _ in range(3)] == [1, 2, 3]
    assert await backend.incr("b") == 1


async def test_contract_hash_counters_and_state(backend: StateBackend) -> None:
    assert await backend.hash_incr("scn", ["org:0", "org:2"], "org:state") == ([1, 1], None)
    await backend.hash_set("scn", "org:state", "degraded")
    assert await backend.hash_incr("scn", ["org:2"], "org:state") == ([2], "degraded")
    assert await backend.hash_incr("scn", [], "other:state") == ([], None)
    await backend.delete("scn")
    assert await backend.hash_incr("scn", ["org:2"], "org:state") == ([1], None)


async def test_contract_concurrent_hash_increments_never_lose_a_call(backend: StateBackend) -> None:
    results = await asyncio.gather(*(backend.hash_incr("scn", ["org:0"], "org:state") for _ in range(20)))
    assert sorted(values[0] for values, _ in results) == list(range(1, 21))


async def test_contract_reset_forgets_windows_keys_and_counters(backend: StateBackend) -> None:
    await fill(backend, [(USER, 1)], 1, T0)
    claim = await backend.idem_begin(K1, SIG, T0)
    assert isinstance(claim, Proceed)
    await backend.incr("a")
    await backend.hash_incr("scn", ["org:0"], "org:state")
    await backend.reset()
    assert (await backend.rate_hit([(USER, 1)], T0)).allowed
    assert isinstance(await backend.idem_begin(K1, SIG, T0), Proceed)
    assert await backend.incr("a") == 1
    assert await backend.hash_incr("scn", ["org:0"], "org:state") == ([1], None)


async def test_contract_forget_org_drops_one_organisations_windows_and_keys(backend: StateBackend) -> None:
    other = "u:org2:u1"
    await fill(backend, [(USER, 1)], 1, T0)
    await fill(backend, [(other, 1), ("o:org2", 5)], 1, T0)
    assert isinstance(await backend.idem_begin(K1, SIG, T0), Proceed)
    assert isinstance(await backend.idem_begin(scope_key("org2", "u1", "k1"), SIG, T0), Proceed)
    await backend.forget_org("org")
    assert (await backend.rate_hit([(USER, 1)], T0)).allowed
    assert isinstance(await backend.idem_begin(K1, SIG, T0), Proceed)
    assert not (await backend.rate_hit([(other, 1), ("o:org2", 5)], T0)).allowed  # org2 untouched
    assert not isinstance(await backend.idem_begin(scope_key("org2", "u1", "k1"), SIG, T0), Proceed)


async def test_contract_forget_org_drops_its_scenario_calls_and_state_only(backend: StateBackend) -> None:
    await backend.hash_incr("scn", ["org:0", "org2:0"], "org:state")
    await backend.hash_set("scn", "org:state", "broken")
    await backend.hash_set("scn", "org2:state", "broken")
    await backend.forget_org("org")
    assert await backend.hash_incr("scn", ["org:0"], "org:state") == ([1], None)
    assert await backend.hash_incr("scn", ["org2:0"], "org2:state") == ([2], "broken")


def _manual_state(backend: StateBackend) -> EmulatorState:
    state = EmulatorState(Config(clock="manual"))
    state.backend = backend
    return state


async def test_contract_settings_fields_are_written_deleted_and_reset(backend: StateBackend) -> None:
    assert await backend.settings_read() == {}
    await backend.settings_write({"clock": "1735689660.5", "strict": "1", "toff:org": "30.0"})
    await backend.settings_write({"strict": None, "toff:org": "-2.25", "missing": None})
    assert await backend.settings_read() == {"clock": "1735689660.5", "toff:org": "-2.25"}
    await backend.reset()
    assert await backend.settings_read() == {}


async def test_contract_settings_carry_clock_offsets_and_switches_to_another_state(backend: StateBackend) -> None:
    """What one process changed (manual clock, a tenant's offset and clock mode, strict mode, tenant
    settings) reads the same in another process once it applied the backend's fields."""
    a, b = _manual_state(backend), _manual_state(backend)
    assert isinstance(a.clock, ManualClock)
    a.clock.advance(90.1)
    a.clocks.own("org_x").advance(3600.7)
    a.clocks.use_system_time("org_sys")
    a.strictness.set(True)
    a.strictness.set(False, "org_x")
    a.tenant_settings["org_x"] = parse_settings({"rate_limit_per_user": 2, "file_processing": "polls:3"}, "on")
    sync = a.settings_sync
    await backend.settings_write(sync.server_fields() | sync.org_fields("org_x") | sync.org_fields("org_sys"))
    b.settings_sync.apply(await backend.settings_read())
    assert b.clock.now() == a.clock.now() == T0 + 90.1
    assert b.clock_for("org_x").now() == a.clock_for("org_x").now() and b.clocks.offset("org_x") == 3600.7
    assert abs(b.clock_for("org_sys").now() - a.clock_for("org_sys").now()) < 1  # both flow in real time
    assert b.strictness.to_json() == a.strictness.to_json() == {"strict": True, "default": False, "orgs": {"org_x": False}}
    assert b.tenant_settings == a.tenant_settings
    assert b.file_lifecycle("org_x") == a.file_lifecycle("org_x") != b.file_lifecycle("org_default")


async def test_contract_settings_deleted_fields_bring_the_defaults_back_in_place(backend: StateBackend) -> None:
    a, b = _manual_state(backend), _manual_state(backend)
    a.clocks.own("org_x").advance(60)
    a.strictness.set(True, "org_x")
    await backend.settings_write(a.settings_sync.org_fields("org_x"))
    b.settings_sync.apply(await backend.settings_read())
    held = b.clock_for("org_x")  # a wait in progress holds this very clock
    assert held.now() == T0 + 60 and b.strictness.strict_for("org_x")
    a.clocks.forget("org_x")  # what a per-tenant reset does to both
    a.strictness.reset("org_x")
    await backend.settings_write(a.settings_sync.org_fields("org_x"))
    b.settings_sync.apply(await backend.settings_read())
    assert held.now() == T0 and not b.strictness.strict_for("org_x")


async def test_contract_settings_announce_returns_once_every_listener_applied(backend: StateBackend) -> None:
    """A listener (another process; in memory there is none) has applied the newest fields when
    ``settings_announce`` returns, and counts as one acknowledgement."""
    other = RedisBackend(backend.url, namespace=backend.namespace) if isinstance(backend, RedisBackend) else backend
    seen: list[dict[str, str]] = []
    ready = asyncio.Event()

    def apply(fields: dict[str, str]) -> None:
        seen.append(fields)
        ready.set()

    listener = asyncio.ensure_future(other.settings_listen(apply))
    waiting = asyncio.ensure_future(ready.wait())
    await asyncio.wait({listener, waiting}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
    try:
        assert ready.is_set() == backend.shared  # the current fields are applied once subscribed
        for n in range(3):
            await backend.settings_write({"clock": f"{T0 + n}"})
            assert await backend.settings_announce() == (1 if backend.shared else 0)
            assert not backend.shared or seen[-1] == {"clock": f"{T0 + n}"}
    finally:
        for task in (listener, waiting):
            task.cancel()
        await asyncio.gather(listener, waiting, return_exceptions=True)
        if other is not backend:
            await other.aclose()


@pytest.mark.parametrize(
    "value, ok",
    [
        pytest.param("memory", True, id="memory"),
        pytest.param("redis://127.0.0.1:6379/0", True, id="redis-url"),
        pytest.param("unix:///run/redis.sock", True, id="unix-socket"),
        pytest.param("postgres://x", False, id="other-scheme"),
        pytest.param("", False, id="empty"),
    ],
)
def test_state_option_accepts_memory_or_a_redis_url(value: str, ok: bool) -> None:
    if ok:
        assert check_state_option(value) == value
    else:
        with pytest.raises(ValueError, match="--state must be 'memory' or a Redis URL"):
            check_state_option(value)


# --- resources: per-tenant write logs (emulator/backend/shared_store.py) ---
OWNER = "org_default"


async def test_contract_log_read_reserves_numbers_and_returns_only_unseen_writes(backend: StateBackend) -> None:
    first = await backend.log_read(OWNER, "", 0, True)
    assert (first.number, first.start, first.ops) == (1, 0, [])
    assert await backend.log_append(OWNER, first.epoch, 0, [b"a", b"b"]) == (0, [])
    tail = await backend.log_read(OWNER, first.epoch, 1, True)
    assert (tail.epoch, tail.number, tail.start, tail.ops) == (first.epoch, 2, 1, [b"b"])
    whole = await backend.log_read(OWNER, "not-this-log", 7, False)  # another epoch: the whole log
    assert (whole.number, whole.start, whole.ops) == (0, 0, [b"a", b"b"])
    assert (await backend.log_read("org_other", "", 0, True)).number == 1  # numbers count per tenant


async def test_contract_log_append_hands_back_others_writes_and_refuses_a_stale_epoch(backend: StateBackend) -> None:
    epoch = (await backend.log_read(OWNER, "", 0, False)).epoch
    assert await backend.log_append(OWNER, epoch, 0, [b"mine"]) == (0, [])
    assert await backend.log_append(OWNER, epoch, 0, [b"theirs"]) == (1, [b"mine"])  # appended after it anyway
    assert (await backend.log_read(OWNER, epoch, 0, True)).ops == [b"mine", b"theirs"]
    fresh = await backend.log_restart(OWNER, [b"mint"])
    assert fresh != epoch
    assert await backend.log_append(OWNER, epoch, 2, [b"late"]) == (-1, [])  # the reset wins
    after = await backend.log_read(OWNER, epoch, 2, True)
    assert (after.epoch, after.start, after.ops, after.number) == (fresh, 0, [b"mint"], 1)


async def test_contract_full_reset_gives_every_log_a_new_epoch(backend: StateBackend) -> None:
    before = (await backend.log_read(OWNER, "", 0, True)).epoch
    await backend.log_append(OWNER, before, 0, [b"w"])
    await backend.reset()
    after = await backend.log_read(OWNER, before, 1, True)
    assert after.epoch != before and (after.start, after.ops, after.number) == (0, [], 1)


def _view(backend: StateBackend) -> EmulatorState:
    """An emulator state whose store is a view of ``backend``'s logs."""
    state = EmulatorState(Config(clock="manual"))
    state.shared_store = SharedStore(state, backend)
    state.store = state.fresh_store()
    return state


def _shared(state: EmulatorState) -> SharedStore:
    assert state.shared_store is not None
    return state.shared_store


def _listing(state: EmulatorState) -> list[tuple[int | None, str, str]]:
    """(sequence number, id, name) of every dataset of OWNER, paged one at a time through keyset cursors."""
    col, out, after = state.store.collection(OWNER, "datasets"), [], None
    while True:
        items, more, after = col.page_after(after, 1)
        out += [(after, item["id"], item["name"]) for item in items]
        if not more:
            return out


async def test_contract_store_writes_reach_another_view_with_the_same_order_and_cursors(backend: StateBackend) -> None:
    a, b = _view(backend), _view(backend)
    await _shared(a).sync(OWNER)
    for n in range(4):
        a.store.insert(OWNER, "datasets", f"ds_{n}", {"id": f"ds_{n}", "name": f"n{n}", "_content": b"\x00\xff"})
    await _shared(a).flush()
    await _shared(b).sync(OWNER)
    assert _listing(b) == _listing(a) and len(_listing(a)) == 4 + 2  # two fixture datasets first
    assert b.store.get(OWNER, "datasets", "ds_1")["_content"] == b"\x00\xff"
    cursor_seq = _listing(a)[3][0]  # a cursor issued by one view pages the other alike
    assert b.store.collection(OWNER, "datasets").page_after(cursor_seq, 2) == a.store.collection(OWNER, "datasets").page_after(
        cursor_seq, 2
    )
    b.store.replace(OWNER, "datasets", "ds_2", {"id": "ds_2", "name": "renamed"})
    await _shared(b).flush()
    await _shared(a).sync(OWNER)
    a.store.remove(OWNER, "datasets", "ds_0")
    await _shared(a).flush()
    await _shared(b).sync(OWNER)
    assert _listing(a) == _listing(b)
    assert [name for _, _, name in _listing(b)][-3:] == ["n1", "renamed", "n3"]


async def test_contract_concurrent_writers_converge_on_the_log_order(backend: StateBackend) -> None:
    a, b = _view(backend), _view(backend)
    for view in (a, b):
        await _shared(view).sync(OWNER)
    a.store.insert(OWNER, "datasets", "ds_a", {"id": "ds_a", "name": "from a"})
    b.store.insert(OWNER, "datasets", "ds_b", {"id": "ds_b", "name": "from b"})  # same sequence number as ds_a here
    await _shared(a).flush()
    await _shared(b).flush()  # sees a's write: re-materialises in log order
    await _shared(a).sync(OWNER)
    assert _listing(a) == _listing(b)
    assert [name for _, _, name in _listing(a)][-2:] == ["from a", "from b"]
    assert _shared(b).rebuilds >= 2  # first sight, then the conflict


async def test_contract_restarted_log_rebuilds_the_tenant_in_every_view(backend: StateBackend) -> None:
    a, b = _view(backend), _view(backend)
    await _shared(a).sync(OWNER)
    a.store.insert(OWNER, "datasets", "ds_x", {"id": "ds_x", "name": "gone after the reset"})
    await _shared(a).flush()
    await _shared(b).sync(OWNER)
    assert len(_listing(b)) == 3
    a.tenants.reset(OWNER, a.clock.now())
    await _shared(a).restart(OWNER)
    await _shared(b).sync(OWNER)
    assert _listing(a) == _listing(b) and len(_listing(b)) == 2


async def test_contract_concurrent_requests_of_two_views_lose_nothing_and_agree(backend: StateBackend) -> None:
    views = [_view(backend), _view(backend)]

    async def request(view: EmulatorState, name: str) -> None:  # what the store step does around a handler
        await _shared(view).sync(OWNER)
        view.store.insert(OWNER, "datasets", name, {"id": name, "name": name})
        await _shared(view).flush()

    await asyncio.gather(*(request(views[n % 2], f"ds_{n:02}") for n in range(24)))
    for view in views:
        await _shared(view).sync(OWNER)
    assert _listing(views[0]) == _listing(views[1])
    assert sorted(name for _, _, name in _listing(views[0]) if name.startswith("ds_")) == [f"ds_{n:02}" for n in range(24)]


# --- the shared journal (GET /_emulator/requests with --state redis://) ---
def _record(org: str | None, path: str, body: bytes = b"") -> tuple[str | None, list[bytes]]:
    entry = JournalEntry(0, T0, "POST", path, "a=1", [(b"x-odd", b"\xe9")], body, 201, [(b"content-type", b"text/plain")], org)
    entry.warnings = ("/extra: unknown field, ignored",)
    return encode_record(entry)


async def test_contract_journal_appends_in_order_and_numbers_from_one(backend: StateBackend) -> None:
    assert await backend.journal_read() == []
    numbers = [await backend.journal_append(*_record(org, f"/v1/{n}"), 10) for n, org in enumerate(["a", "b", None])]
    assert numbers == [1, 2, 3]
    read = [decode_record(seq, fields) for seq, fields in await backend.journal_read()]
    assert [(e.seq, e.path, e.org_id) for e in read] == [(1, "/v1/0", "a"), (2, "/v1/1", "b"), (3, "/v1/2", None)]
    first = read[0]
    assert (first.method, first.query, first.status, first.time) == ("POST", "a=1", 201, T0)
    assert first.request_headers == {"x-odd": "\xe9"} and first.response_headers == {"content-type": "text/plain"}
    assert first.warnings == ("/extra: unknown field, ignored",)


async def test_contract_journal_keeps_the_latest_bound_entries(backend: StateBackend) -> None:
    for n in range(5):
        await backend.journal_append(*_record("a", f"/v1/{n}"), 3)
    assert [seq for seq, _ in await backend.journal_read()] == [3, 4, 5]


async def test_contract_journal_request_body_is_cut_after_the_limit_keeping_the_truncated_flag(backend: StateBackend) -> None:
    await backend.journal_append(*_record("a", "/v1/files", b"x" * (BODY_LIMIT + 500)), 10)
    entry = decode_record(*(await backend.journal_read())[0])
    shown = entry.to_json()
    assert shown["requestBodyTruncated"] is True and len(shown["requestBody"]) == BODY_LIMIT


async def test_contract_journal_clear_of_one_org_then_everything(backend: StateBackend) -> None:
    for org in ["a", "b", "a"]:
        await backend.journal_append(*_record(org, "/v1/chats"), 10)
    await backend.journal_clear("a")
    assert [seq for seq, _ in await backend.journal_read()] == [2]
    await backend.journal_append(*_record("a", "/v1/later"), 10)  # the org's later requests show again
    assert [seq for seq, _ in await backend.journal_read()] == [2, 4]
    await backend.forget_org("b")  # a per-tenant reset clears its entries too
    assert [seq for seq, _ in await backend.journal_read()] == [4]
    await backend.journal_clear(None)
    assert await backend.journal_read() == []
    assert await backend.journal_append(*_record("a", "/v1/chats"), 10) == 1  # numbers start over


async def test_contract_journal_is_emptied_by_a_full_reset(backend: StateBackend) -> None:
    await backend.journal_append(*_record("a", "/v1/chats"), 10)
    await backend.reset()
    assert await backend.journal_read() == []
    assert await backend.journal_append(*_record("a", "/v1/chats"), 10) == 1


async def test_contract_journal_send_is_seen_by_another_process_reading_right_after(backend: StateBackend) -> None:
    other: StateBackend = backend
    if isinstance(backend, RedisBackend):  # another replica: its own client and connections
        other = RedisBackend(backend.url, namespace=backend.namespace)
    try:
        replies = [await backend.journal_send(*_record("a", f"/v1/{n}"), 50) for n in range(20)]
        assert [seq for seq, _ in await other.journal_read()] == list(range(1, 21))  # no reply awaited yet
        assert [await reply for reply in replies] == list(range(1, 21))
        await backend.journal_clear("a")  # waits for this process's own appends first
        assert await other.journal_read() == []
    finally:
        if other is not backend:
            await other.aclose()
