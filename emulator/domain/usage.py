"""Usage accounting: tokens and credits per model, credit balance, storage."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import Any

from ..errors import InsufficientCredits
from ..store import Store
from . import billing, plans

KIND = "usage"
USD_PER_TOKEN = Decimal("0.000002")  # before the model's credit multiplier; see docs/fidelity.md
TOKENS_PER_CREDIT = 100
MICRO_USD_PER_TOKEN = 2  # USD_PER_TOKEN in millionths of a dollar


def credits_for(total_tokens: int, multiplier: float) -> int:
    """Credits a call costs: ceil(tokens x multiplier / 100), at least 1."""
    credits = math.ceil(total_tokens * multiplier / TOKENS_PER_CREDIT)
    return credits if credits > 1 else 1  # not max(): in 3.11 it parses its arguments as keywords


@lru_cache(maxsize=1024)
def cost_for(total_tokens: int, multiplier: float) -> str:
    """USD cost as the API's decimal string, six places.

    With a whole multiplier (the common case) the cost is a whole number of micro-dollars: integer
    arithmetic gives the same string; ``Decimal`` (half-up rounding) is kept for fractional multipliers.
    A pure function, memoised: every chat turn asks, for one of a few hundred token counts (the
    zero-padded formatting alone costs ~4k instructions).
    """
    if total_tokens >= 0 and multiplier >= 0 and float(multiplier).is_integer():
        micros = total_tokens * MICRO_USD_PER_TOKEN * int(multiplier)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
    value = Decimal(total_tokens) * USD_PER_TOKEN * Decimal(str(multiplier))
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def token_usage(input_tokens: int, output_tokens: int, multiplier: float) -> dict[str, Any]:
    total = input_tokens + output_tokens
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": total, "cost": cost_for(total, multiplier)}


def require_credits(store: Store, org: dict[str, Any], required: int, now: float) -> dict[str, Any]:
    """Raise the documented 402 when the organisation cannot pay ``required`` credits at ``now``.

    Returns the balance record it read (:func:`billing.balance`), for :func:`record` to charge.
    """
    current = billing.balance(store, org, now)
    available = billing.available(org, current)
    if required > available:
        raise InsufficientCredits(f"Insufficient credits. Required: {required} credits. Available: {available} credits.")
    return current


def record(
    store: Store,
    org: dict[str, Any],
    model_id: str,
    usage: dict[str, Any],
    credits: int,
    balance: dict[str, Any],
) -> None:
    """Charge one served call (:func:`billing.charge`) and add it to the period's per-model ledger.

    ``balance``: the record :func:`require_credits` returned for the call (no write to the
    organisation's balance in between), so the period and balance are not looked up twice.
    """
    billing.charge(store, org, credits, balance)
    org_id = org["id"]
    current = store.get(org_id, KIND, model_id)
    if current is None:
        store.insert(
            org_id,
            KIND,
            model_id,
            {
                "modelId": model_id,
                "requests": 0,
                "inputTokens": 0,
                "outputTokens": 0,
                "totalTokens": 0,
                "credits": 0,
                "cost": "0",
            },
        )
        current = store.get(org_id, KIND, model_id)
    assert current is not None
    store.replace(
        org_id,
        KIND,
        model_id,
        {
            "modelId": model_id,
            "requests": current["requests"] + 1,
            "inputTokens": current["inputTokens"] + usage["inputTokens"],
            "outputTokens": current["outputTokens"] + usage["outputTokens"],
            "totalTokens": current["totalTokens"] + usage["totalTokens"],
            "credits": current["credits"] + credits,
            "cost": str(Decimal(current["cost"]) + Decimal(usage["cost"])),
        },
    )


def usage_out(store: Store, org: dict[str, Any], now: float, *, admin: bool) -> dict[str, Any]:
    """``UsageOut`` for ``GET /v1/usage`` at ``now``, plus a ``models`` breakdown of the period (an
    emulator extension). ``purchasedBalance``/``totalAvailable`` are admin-only (guides.md §13.1)."""
    credits = org.get("credits", {})
    current = billing.balance(store, org, now)
    used, limit = current["used"], credits.get("limit", 0)
    storage = org.get("storage", {})
    plan = org.get("plan", {})
    credit_usage: dict[str, Any] = {
        "used": used,
        "limit": limit,
        "available": max(0, limit - used),
        "overageCredits": max(0, used - limit),
        "isInOverage": used > limit,
        "hardCap": credits.get("hardCap", False),
        "billingPeriod": plan.get("billingCycle", "monthly"),
        **billing.org_period(org, now).to_json(),
    }
    if admin:
        credit_usage["purchasedBalance"] = current["purchasedBalance"]
        credit_usage["totalAvailable"] = billing.available(org, current)
    return {
        "storage": {"used": storage.get("used", 0) + store_bytes(store, org["id"]), "limit": storage.get("limit", 0)},
        "credits": credit_usage,
        "plan": {
            "tier": plan.get("tier", "free"),
            "name": plan.get("name", "Free"),
            "billingCycle": plan.get("billingCycle", "monthly"),
        },
        "limits": {"modelTierAccess": plans.tier_access(plan.get("tier", "free"))},
        "models": [dict(entry) for entry in store.collection(org["id"], KIND).values()],
    }


def store_bytes(store: Store, org_id: str) -> int:
    """Bytes charged for uploaded files (a deduplicated re-upload is charged nothing)."""
    return sum(int(f.get("storageCharged", f.get("sizeBytes")) or 0) for f in store.collection(org_id, "files").values())
