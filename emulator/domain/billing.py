"""Billing periods and the two credit pools (guides.md §13.2), as pure functions plus one store record.

An organisation's period is derived from its billing anchor and the clock: monthly (or yearly) cycles
that start on the anchor's day and time (clamped to the end of shorter months) and end one second
before the next one starts. Subscription credits (``credits.limit``) are spent first and reset when
the clock passes ``periodEnd``; purchased credits are spent after them and never expire.
"""

from __future__ import annotations

import calendar
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from ..clock import isoformat
from ..store import Store

#: Store kind of the per-organisation balance record (one record, id :data:`BALANCE_ID`).
KIND = "billing"
BALANCE_ID = "balance"
#: Anchor of an organisation whose record names none: the fixtures' fixed date.
DEFAULT_ANCHOR = "2025-01-01T00:00:00Z"
_NONE: Mapping[str, Any] = MappingProxyType({})  # the credits of an organisation whose record has none


@dataclass(frozen=True)
class Period:
    """One billing period: ``start`` inclusive, ``end`` the last second of it (as the reference shows)."""

    start: float
    end: float

    def to_json(self) -> dict[str, str]:
        return {"periodStart": isoformat(self.start), "periodEnd": isoformat(self.end)}


def parse_instant(text: str) -> datetime:
    """An ISO 8601 timestamp (``Z`` or an offset) as an aware UTC datetime."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _add_months(anchor: datetime, months: int) -> datetime:
    index = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(index, 12)
    day = min(anchor.day, calendar.monthrange(year, month + 1)[1])
    return anchor.replace(year=year, month=month + 1, day=day)


def period_at(anchor: datetime, cycle: str, now: float) -> Period:
    """The billing period of ``cycle`` (``yearly``/``annual``, else monthly) anchored at ``anchor`` that
    contains ``now`` (periods extend before the anchor too)."""
    step = 12 if cycle in ("yearly", "annual") else 1
    moment = datetime.fromtimestamp(now, tz=UTC)
    k = ((moment.year - anchor.year) * 12 + moment.month - anchor.month) // step
    while _add_months(anchor, k * step).timestamp() > now:
        k -= 1
    while _add_months(anchor, (k + 1) * step).timestamp() <= now:
        k += 1
    start = _add_months(anchor, k * step).timestamp()
    return Period(start, _add_months(anchor, (k + 1) * step).timestamp() - 1)


def anchor_text(org: dict[str, Any]) -> str:
    """The organisation's billing anchor as written: ``billingAnchor``, else ``billingPeriod.start``."""
    return str(org.get("billingAnchor") or org.get("billingPeriod", {}).get("start") or DEFAULT_ANCHOR)


def org_period(org: dict[str, Any], now: float) -> Period:
    """The period of ``org`` that contains ``now`` (:func:`period_at`, looked up per clock second, then
    per calendar month)."""
    cycle = org.get("plan", {}).get("billingCycle", "monthly")
    anchor = anchor_text(org)
    period = _period_of_second(anchor, cycle, math.floor(now))
    return period if period is not None else _period_in_month(anchor, cycle, now)


@lru_cache(maxsize=256)
def _period_of_second(anchor: str, cycle: str, second: int) -> Period | None:
    """The period holding all of clock second ``second``, or None when a boundary falls inside it (an
    anchor with a fraction of a second). A busy server asks for the same second many times."""
    period = _period_in_month(anchor, cycle, second)
    return period if second <= period.end else None


def _period_in_month(anchor: str, cycle: str, now: float) -> Period:
    moment = time.gmtime(now)
    for period in _periods_near(anchor, cycle, moment.tm_year * 12 + moment.tm_mon - 1):
        if period.start <= now < period.end + 1:
            return period
    raise AssertionError("the three periods around a month cover it")


@lru_cache(maxsize=256)
def _periods_near(anchor: str, cycle: str, month_index: int) -> tuple[Period, Period, Period]:
    """The period containing the 15th of calendar month ``month_index`` (year * 12 + month - 1) and its
    two neighbours. Each calendar month holds at most one period boundary, so these cover the month; a
    chat turn reads its organisation's period, and this memo spares it the date arithmetic."""
    year, month = divmod(month_index, 12)
    start = parse_instant(anchor)
    middle = period_at(start, cycle, datetime(year, month + 1, 15, tzinfo=UTC).timestamp())
    before = period_at(start, cycle, middle.start - 1)
    after = period_at(start, cycle, middle.end + 1)
    return before, middle, after


def balance(store: Store, org: dict[str, Any], now: float) -> dict[str, Any]:
    """The organisation's ``{"periodStart", "used", "purchasedBalance"}`` for the period containing ``now``.

    The first read takes ``credits.used``/``credits.purchasedBalance`` from the organisation record (the
    fixture's usage belongs to the period the emulator starts in, see :func:`open_balance`); when the
    clock has left the stored period, subscription usage starts again at 0 (purchased credits stay) and
    the per-model ledger of the old period is dropped.
    """
    period = org_period(org, now)
    current = store.get(org["id"], KIND, BALANCE_ID)
    if current is None:
        current = store.insert(org["id"], KIND, BALANCE_ID, open_balance(org, period.start))
    if current["periodStart"] != period.start:
        current = store.replace(org["id"], KIND, BALANCE_ID, {**current, "periodStart": period.start, "used": 0})
        ledger = store.collection(org["id"], "usage")
        for model_id in [entry["modelId"] for entry in ledger.values()]:
            store.remove(org["id"], "usage", model_id)
    return current


def open_balance(org: dict[str, Any], period_start: float) -> dict[str, Any]:
    """The balance record an organisation starts with, for the period beginning at ``period_start``."""
    credits = org.get("credits", {})
    return {"periodStart": period_start, "used": credits.get("used", 0), "purchasedBalance": credits.get("purchasedBalance", 0)}


def available(org: dict[str, Any], current: dict[str, Any]) -> int:
    """Credits that can still be spent: what is left of the subscription, plus the purchased balance."""
    # conditional expressions, not max()/min(): in 3.11 those parse their arguments as keywords (~1.4k
    # instructions a call), and every chat turn checks and spends credits
    left = org.get("credits", _NONE).get("limit", 0) - current["used"]
    return int((left if left > 0 else 0) + current["purchasedBalance"])


def spend(org: dict[str, Any], current: dict[str, Any], amount: int) -> dict[str, Any]:
    """``current`` after spending ``amount`` (≥ 0): subscription credits first, then purchased credits;
    anything beyond both (never reached after the 402 check) counts as subscription overage."""
    used, purchased = current["used"], current["purchasedBalance"]
    left = org.get("credits", _NONE).get("limit", 0) - used  # as in available(): no min()/max()
    from_subscription = amount if amount < left else (left if left > 0 else 0)
    rest = amount - from_subscription
    from_purchased = rest if rest < purchased else purchased
    overage = rest - from_purchased
    return {**current, "used": used + from_subscription + overage, "purchasedBalance": purchased - from_purchased}


def charge(store: Store, org: dict[str, Any], amount: int, current: dict[str, Any]) -> None:
    """Spend ``amount`` credits of the organisation in the documented order (``current``: its
    :func:`balance`, just read by the caller)."""
    store.replace(org["id"], KIND, BALANCE_ID, spend(org, current, amount))
