"""Plan tiers and the model tiers they open (endpoints, ``ModelOut.modelTier``: "`standard` models work on
every plan; `premium` needs Pro or Enterprise")."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import Forbidden

if TYPE_CHECKING:
    from ..state import EmulatorState

#: Plan tiers whose organisations may use ``premium`` models.
PREMIUM_PLANS = frozenset({"pro", "enterprise"})
PLAN_NAMES = {"free": "Free", "pro": "Pro", "enterprise": "Enterprise"}
#: The in-band stream error code the official client knows for this refusal.
UPGRADE_CODE = "premium_model_requires_upgrade"


def tier_access(plan_tier: str) -> str:
    """``limits.modelTierAccess`` of ``GET /v1/usage``: the model tiers a plan may use, comma-separated."""
    return "standard,premium" if plan_tier in PREMIUM_PLANS else "standard"


def organization(state: EmulatorState, org_id: str) -> dict[str, Any]:
    """The organisation record with the plan an active scenario puts it on (``plan:``), if any."""
    org = state.organization(org_id)
    tier = state.scenarios.plan_for(org_id)
    if tier is None or tier == org.get("plan", {}).get("tier"):
        return org
    plan = {**org.get("plan", {}), "tier": tier, "name": PLAN_NAMES.get(tier, tier.title())}
    return {**org, "plan": plan}


def model_tier(model: dict[str, Any], effective: dict[str, Any]) -> str:
    """A model's tier; a custom model has its parent's (the parent answers and bills for it).

    ``effective``: what :func:`emulator.domain.models.effective` gives for ``model``."""
    return str(effective.get("modelTier") or model.get("modelTier") or "standard")


def upgrade_detail(model: dict[str, Any], plan: dict[str, Any]) -> str:
    """The 403 detail: names the model and the plan, and says "premium" and "upgrade" (the words the
    official client classifies this refusal by) but not "credit" (which it reads as a 402)."""
    name = model.get("displayName") or model["id"]
    current = plan.get("name") or PLAN_NAMES.get(plan.get("tier", "free"), "Free")
    return f"Model {name} is a premium model and requires a Pro or Enterprise plan (current plan: {current}). Upgrade to use it."


def require_tier(org: dict[str, Any], model: dict[str, Any], effective: dict[str, Any]) -> None:
    """Raise the 403 ``premium_model_requires_upgrade`` problem when ``org``'s plan cannot use ``model``
    (``effective`` as for :func:`model_tier`)."""
    plan = org.get("plan", {})
    if model_tier(model, effective) == "premium" and plan.get("tier", "free") not in PREMIUM_PLANS:
        raise Forbidden(upgrade_detail(model, plan), extensions={"code": UPGRADE_CODE, "modelId": model["id"]})
