"""The pure sliding-window limiter: admission, exact Retry-After, headers, per-org overrides, memory."""

from __future__ import annotations

import asyncio
import random
from functools import partial
from operator import eq

import pytest

from emulator.backend.memory import MemoryBackend
from emulator.ratelimit import DEFAULT_PER_ORG, DEFAULT_PER_USER, Limits, RateLimiter, Verdict, limits_for

T0 = 1_735_689_600.0
USER = ("user", "org", "u1")
ORG = ("org", "org")


def fill(limiter: RateLimiter, buckets: list[tuple[object, int]], count: int, now: float) -> None:
    for _ in range(count):
        assert limiter.hit(buckets, now).allowed


def test_limiter_admits_up_to_the_limit_then_refuses() -> None:
    limiter = RateLimiter()
    verdicts = [limiter.hit([(USER, 3)], T0) for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]


def test_limiter_retry_after_is_exact_time_until_oldest_hit_leaves() -> None:
    limiter = RateLimiter()
    limiter.hit([(USER, 2)], T0)
    limiter.hit([(USER, 2)], T0 + 20)
    verdict = limiter.hit([(USER, 2)], T0 + 25)
    assert verdict == Verdict(False, 2, 0, 35, 35)
    assert not limiter.hit([(USER, 2)], T0 + 25 + 34).allowed
    assert limiter.hit([(USER, 2)], T0 + 25 + 35).allowed


def test_limiter_retry_after_rounds_fractions_up() -> None:
    limiter = RateLimiter()
    limiter.hit([(USER, 1)], T0)
    verdict = limiter.hit([(USER, 1)], T0 + 0.5)
    assert verdict.retry_after == 60  # 59.5 s rounded up: waiting that long always succeeds
    assert limiter.hit([(USER, 1)], T0 + 0.5 + verdict.retry_after).allowed


def test_limiter_refusals_consume_nothing() -> None:
    limiter = RateLimiter()
    fill(limiter, [(USER, 2)], 2, T0)
    for _ in range(50):
        assert not limiter.hit([(USER, 2)], T0 + 1).allowed
    assert limiter.hit([(USER, 2)], T0 + 60).allowed
    assert limiter.hit([(USER, 2)], T0 + 60).allowed
    assert not limiter.hit([(USER, 2)], T0 + 60).allowed


def test_limiter_window_slides_rather_than_resets() -> None:
    limiter = RateLimiter()
    limiter.hit([(USER, 2)], T0)
    limiter.hit([(USER, 2)], T0 + 59)
    assert limiter.hit([(USER, 2)], T0 + 60).allowed  # only the first hit left the window
    assert not limiter.hit([(USER, 2)], T0 + 60).allowed


def test_limiter_org_bucket_trips_for_users_each_under_their_limit() -> None:
    limiter = RateLimiter()
    for n in range(3):
        fill(limiter, [(("user", "org", n), 5), (ORG, 12)], 4, T0)
    verdict = limiter.hit([(("user", "org", 3), 5), (ORG, 12)], T0)
    assert not verdict.allowed
    assert verdict.limit == 12


def test_limiter_reports_the_most_restrictive_bucket() -> None:
    limiter = RateLimiter()
    fill(limiter, [(("user", "org", "other"), 100), (ORG, 10)], 8, T0)
    verdict = limiter.hit([(USER, 5), (ORG, 10)], T0 + 30)
    assert (verdict.limit, verdict.remaining, verdict.reset) == (10, 1, 30)


def test_limiter_refusal_reports_the_bucket_that_frees_last() -> None:
    limiter = RateLimiter()
    fill(limiter, [(("user", "org", "other"), 100), (ORG, 3)], 2, T0)
    limiter.hit([(USER, 1), (ORG, 3)], T0 + 40)
    verdict = limiter.hit([(USER, 1), (ORG, 3)], T0 + 50)
    assert (verdict.allowed, verdict.limit, verdict.retry_after) == (False, 1, 50)


def test_verdict_headers() -> None:
    assert Verdict(True, 60, 59, 60).headers() == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "59",
        "X-RateLimit-Reset": "60",
    }
    assert Verdict(False, 60, 0, 7, 7).headers()["Retry-After"] == "7"
    resets = [Verdict(True, 10**9, 10**9 - 1, reset) for reset in (-1, 0, 1, 59, 60, 61, 3600)]
    for verdict in (Verdict(True, 60, 59, 60), Verdict(False, 60, 0, 7, 7), *resets):
        assert verdict.raw_headers() == [(k.lower().encode(), v.encode()) for k, v in verdict.headers().items()]


def test_limiter_forgets_idle_buckets() -> None:
    limiter = RateLimiter()
    for n in range(100):
        limiter.hit([(("user", "org", n), 5)], T0)
    limiter.hit([(USER, 5)], T0 + 61)
    assert len(limiter) == 1


def test_limiter_clear_restores_budget() -> None:
    limiter = RateLimiter()
    fill(limiter, [(USER, 1)], 1, T0)
    limiter.clear()
    assert limiter.hit([(USER, 1)], T0).allowed


@pytest.mark.parametrize(
    "org, per_user, per_org, expected",
    [
        pytest.param({}, None, None, Limits(DEFAULT_PER_USER, DEFAULT_PER_ORG), id="documented-defaults"),
        pytest.param({}, 5, 50, Limits(5, 50), id="config-overrides"),
        pytest.param({"rateLimits": {"perUser": 2}}, 5, 50, Limits(2, 50), id="fixture-per-user-wins"),
        pytest.param({"rateLimits": {"perOrg": 9}}, None, None, Limits(DEFAULT_PER_USER, 9), id="fixture-per-org"),
    ],
)
def test_limits_for_precedence(org: dict[str, object], per_user: int | None, per_org: int | None, expected: Limits) -> None:
    assert limits_for(org, per_user, per_org) == expected


@pytest.mark.parametrize(
    "per_user, per_org",
    [
        pytest.param(4, 9, id="org-binds"),
        pytest.param(3, 30, id="user-binds"),
        pytest.param(5, 5, id="tie"),
        pytest.param(0, 9, id="zero-limit"),
    ],
)
@pytest.mark.parametrize("window", [60.0, 2.5], ids=["window-60", "window-2.5"])
def test_limiter_lanes_give_the_verdicts_of_hit(per_user: int, per_org: int, window: float) -> None:
    general, lanes = RateLimiter(window), RateLimiter(window)
    rng = random.Random(11)
    now = T0
    for _ in range(600):
        now += rng.choice([0.0, 0.0, 0.3, 1.0, 2.5, 7.0, 61.0, -0.4, -3.0])  # a tenant's clock may be set back
        n = rng.randrange(3)
        user = ("user", "org", n)
        expected = general.hit([(user, per_user), (ORG, per_org)], now)
        verdict = lanes.hit_lane(n, per_user, per_org, now)
        if verdict is None:
            lanes.open_lane(n, user, ORG)
            verdict = lanes.hit_lane(n, per_user, per_org, now)
        assert verdict == expected, now - T0
        if rng.random() < 0.02:  # a per-tenant reset drops buckets (and with them every lane)
            for limiter in (general, lanes):
                limiter.forget(partial(eq, user))
    assert len(lanes) == len(general)


def test_memory_backend_rate_hit_now_shares_the_windows_of_rate_hit() -> None:
    asyncio.run(_rate_hit_now_shares_the_windows())


async def _rate_hit_now_shares_the_windows() -> None:
    backend = MemoryBackend()
    for _ in range(3):
        assert backend.rate_hit_now("org", "u1", 4, 10, T0)[0]  # admitted
    assert await backend.rate_hit([("u:org:u1", 4), ("o:org", 10)], T0) == Verdict(True, 4, 0, 60)
    refused = Verdict(*backend.rate_hit_now("org", "u1", 4, 10, T0 + 1))
    assert (refused.allowed, refused.retry_after) == (False, 59)
    await backend.forget_org("org")
    assert backend.rate_hit_now("org", "u1", 4, 10, T0 + 1) == Verdict(True, 4, 3, 60)
