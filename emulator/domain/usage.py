"""Usage accounting: tokens and credits per model, credit balance, storage."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..errors import InsufficientCredits
from ..store import Store

KIND = "usage"
USD_PER_TOKEN = Decimal("0.000002")  # before the model's credit multiplier; see docs/fidelity.md
TOKENS_PER_CREDIT = 100


def credits_for(total_tokens: int, multiplier: float) -> int:
    """Credits a call costs: ceil(tokens x multiplier / 100), at least 1."""
    return max(1, math.ceil(total_tokens * multiplier / TOKENS_PER_CREDIT))


def cost_for(total_tokens: int, multiplier: float) -> str:
    """USD cost as the API's decimal string, six places."""
    value = Decimal(total_tokens) * USD_PER_TOKEN * Decimal(str(multiplier))
    return str(value.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP))


def token_usage(input_tokens: int, output_tokens: int, multiplier: float) -> dict[str, Any]:
    total = input_tokens + output_tokens
    return {"inputTokens": input_tokens, "outputTokens": output_tokens, "totalTokens": total, "cost": cost_for(total, multiplier)}


def charged_credits(store: Store, org_id: str) -> int:
    return sum(entry["credits"] for entry in store.collection(org_id, KIND).values())


def available_credits(store: Store, org: dict[str, Any]) -> int:
    credits = org.get("credits", {})
    used = credits.get("used", 0) + charged_credits(store, org["id"])
    return int(max(0, credits.get("limit", 0) - used) + credits.get("purchasedBalance", 0))


def require_credits(store: Store, org: dict[str, Any], required: int) -> None:
    """Raise the documented 402 when the organisation cannot pay ``required`` credits."""
    available = available_credits(store, org)
    if required > available:
        raise InsufficientCredits(f"Insufficient credits. Required: {required} credits. Available: {available} credits.")


def record(store: Store, org_id: str, model_id: str, usage: dict[str, Any], credits: int) -> None:
    """Add one served call to the organisation's per-model ledger."""
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


def usage_out(store: Store, org: dict[str, Any]) -> dict[str, Any]:
    """``UsageOut`` for ``GET /v1/usage``, plus a ``models`` breakdown (an emulator extension)."""
    credits = org.get("credits", {})
    charged = charged_credits(store, org["id"])
    used = credits.get("used", 0) + charged
    limit = credits.get("limit", 0)
    purchased = credits.get("purchasedBalance", 0)
    period = org.get("billingPeriod", {"start": "2025-01-01T00:00:00Z", "end": "2025-01-31T23:59:59Z"})
    storage = org.get("storage", {})
    plan = org.get("plan", {})
    return {
        "storage": {"used": storage.get("used", 0) + store_bytes(store, org["id"]), "limit": storage.get("limit", 0)},
        "credits": {
            "used": used,
            "limit": limit,
            "available": max(0, limit - used),
            "overageCredits": max(0, used - limit),
            "isInOverage": used > limit,
            "hardCap": credits.get("hardCap", False),
            "billingPeriod": plan.get("billingCycle", "monthly"),
            "periodStart": period["start"],
            "periodEnd": period["end"],
            "purchasedBalance": purchased,
            "totalAvailable": max(0, limit - used) + purchased,
        },
        "plan": {
            "tier": plan.get("tier", "free"),
            "name": plan.get("name", "Free"),
            "billingCycle": plan.get("billingCycle", "monthly"),
        },
        "limits": {"modelTierAccess": "standard,premium" if plan.get("tier") in ("pro", "enterprise") else "standard"},
        "models": [dict(entry) for entry in store.collection(org["id"], KIND).values()],
    }


def store_bytes(store: Store, org_id: str) -> int:
    """Bytes charged for uploaded files (a deduplicated re-upload is charged nothing)."""
    return sum(int(f.get("storageCharged", f.get("sizeBytes")) or 0) for f in store.collection(org_id, "files").values())
