"""The pure Idempotency-Key logic: key rules, fingerprints, retention, in-flight marks, memory bound."""

from __future__ import annotations

import pytest

from emulator.idempotency import (
    MAX_KEY_LENGTH,
    RETENTION_SECONDS,
    IdempotencyCache,
    InFlight,
    Mismatch,
    Proceed,
    Replay,
    StoredResponse,
    key_problem,
    multipart_boundary,
    request_signature,
)

T0 = 1_735_689_600.0
SIG = request_signature("POST", "/v1/datasets", b'{"name":"a"}')
OK = StoredResponse(201, ((b"content-type", b"application/json"),), b'{"id":"ds_1"}')


def started(
    cache: IdempotencyCache, key: object = ("org", "k"), signature: tuple[str, str, str] = SIG, now: float = T0
) -> Proceed:
    decision = cache.begin(key, signature, now)
    assert isinstance(decision, Proceed)
    return decision


@pytest.mark.parametrize(
    "key, ok",
    [
        pytest.param("a", True, id="one-char"),
        pytest.param("x" * MAX_KEY_LENGTH, True, id="255-chars"),
        pytest.param("x" * (MAX_KEY_LENGTH + 1), False, id="256-chars"),
        pytest.param("", False, id="empty"),
        pytest.param("   ", False, id="blank"),
    ],
)
def test_key_problem_accepts_1_to_255_characters(key: str, ok: bool) -> None:
    assert (key_problem(key) is None) is ok


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(("PATCH", "/v1/datasets", b'{"name":"a"}'), id="method"),
        pytest.param(("POST", "/v1/models", b'{"name":"a"}'), id="path"),
        pytest.param(("POST", "/v1/datasets", b'{"name": "a"}'), id="body-bytes"),
    ],
)
def test_request_signature_differs_when_any_part_differs(other: tuple[str, str, bytes]) -> None:
    assert request_signature(*other) != SIG


def test_request_signature_ignores_trailing_slash_and_method_case() -> None:
    assert request_signature("post", "/v1/datasets/", b'{"name":"a"}') == SIG


@pytest.mark.parametrize(
    "content_type, boundary",
    [
        pytest.param("multipart/form-data; boundary=abc123", "abc123", id="plain"),
        pytest.param('multipart/form-data; charset=utf-8; BOUNDARY="x y"', "x y", id="quoted"),
        pytest.param("application/json", None, id="not-multipart"),
        pytest.param("multipart/form-data", None, id="no-boundary"),
    ],
)
def test_multipart_boundary(content_type: str, boundary: str | None) -> None:
    assert multipart_boundary(content_type) == boundary


def test_request_signature_ignores_the_multipart_boundary_but_not_the_parts() -> None:
    def form(boundary: str, content: bytes) -> bytes:
        return (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n'.encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )

    first = request_signature("POST", "/v1/files", form("b1", b"hello"), "b1")
    assert request_signature("POST", "/v1/files", form("other", b"hello"), "other") == first
    assert request_signature("POST", "/v1/files", form("b1", b"hellO"), "b1") != first


def test_cache_replays_completed_response() -> None:
    cache = IdempotencyCache()
    first = started(cache)
    assert cache.complete(("org", "k"), first.entry, OK)
    assert cache.begin(("org", "k"), SIG, T0 + 5) == Replay(OK)


def test_cache_reports_in_flight_until_completed() -> None:
    cache = IdempotencyCache()
    started(cache)
    assert isinstance(cache.begin(("org", "k"), SIG, T0), InFlight)


def test_cache_reports_mismatch_before_in_flight() -> None:
    cache = IdempotencyCache()
    started(cache)
    other = request_signature("POST", "/v1/datasets", b"{}")
    assert isinstance(cache.begin(("org", "k"), other, T0), Mismatch)


def test_cache_scopes_keys() -> None:
    cache = IdempotencyCache()
    cache.complete(("org_a", "k"), started(cache, ("org_a", "k")).entry, OK)
    started(cache, ("org_b", "k"))


def test_cache_abandon_lets_a_retry_proceed() -> None:
    cache = IdempotencyCache()
    first = started(cache)
    cache.abandon(("org", "k"), first.entry)
    started(cache)


def test_cache_forgets_keys_after_retention() -> None:
    cache = IdempotencyCache()
    cache.complete(("org", "k"), started(cache).entry, OK)
    assert isinstance(cache.begin(("org", "k"), SIG, T0 + RETENTION_SECONDS - 1), Replay)
    started(cache, now=T0 + RETENTION_SECONDS)


def test_cache_sweep_drops_expired_keys_without_access() -> None:
    cache = IdempotencyCache(retention=10, sweep_interval=5)
    for i in range(5):
        cache.complete(("org", i), started(cache, ("org", i)).entry, OK)
    started(cache, ("org", "late"), now=T0 + 10)
    assert len(cache) == 1


def test_cache_clear_prevents_storing_in_flight_entries() -> None:
    cache = IdempotencyCache()
    first = started(cache)
    cache.clear()
    assert not cache.complete(("org", "k"), first.entry, OK)
    started(cache)


def test_cache_complete_of_stale_entry_does_not_overwrite_newer_one() -> None:
    cache = IdempotencyCache(retention=10)
    stale = started(cache)
    fresh = started(cache, now=T0 + 10)  # the first expired while in flight
    assert not cache.complete(("org", "k"), stale.entry, OK)
    assert isinstance(cache.begin(("org", "k"), SIG, T0 + 11), InFlight)
    assert cache.complete(("org", "k"), fresh.entry, OK)


def test_cache_memory_is_bounded_by_capacity() -> None:
    cache = IdempotencyCache(capacity=100)
    for i in range(1000):
        cache.complete(("org", i), started(cache, ("org", i)).entry, OK)
    assert len(cache) <= 100
    assert isinstance(cache.begin(("org", 999), SIG, T0), Replay)  # the newest keys survive


def test_cache_capacity_never_evicts_in_flight_keys() -> None:
    cache = IdempotencyCache(capacity=10)
    pending = [started(cache, ("org", i)) for i in range(10)]
    started(cache, ("org", "extra"))
    assert all(isinstance(cache.begin(("org", i), SIG, T0), InFlight) for i in range(len(pending)))
