"""Model records: the system catalog and an organisation's custom models."""

from __future__ import annotations

from typing import Any

from ..errors import Forbidden, NotFound, invalid
from ..store import Record, Store
from . import found

SYSTEM_ORG = "__system__"
KIND = "models"

_INHERITED = (
    "contextWindow",
    "maxTokensPerRequest",
    "supportsStreaming",
    "supportsTools",
    "supportsVision",
    "supportsReasoning",
    "modelTier",
)


def catalog_record(entry: dict[str, Any], now: str) -> Record:
    """A system model as ``ModelOut``."""
    return {
        "id": entry["id"],
        "displayName": entry["displayName"],
        "description": entry.get("description"),
        "provider": entry["provider"],
        "modelName": entry["modelName"],
        "contextWindow": entry["contextWindow"],
        "maxTokensPerRequest": entry.get("maxTokensPerRequest"),
        "supportsStreaming": entry.get("supportsStreaming", True),
        "supportsTools": entry.get("supportsTools", False),
        "supportsVision": entry.get("supportsVision", False),
        "supportsReasoning": entry.get("supportsReasoning", False),
        "enabled": entry.get("enabled", True),
        "isSystemModel": True,
        "creditMultiplier": entry.get("creditMultiplier", 1),
        "modelTier": entry.get("modelTier", "standard"),
        "lifecycleState": entry.get("lifecycleState", "active"),
        "endOfLifeAt": None,
        "isRecommended": entry.get("isRecommended", False),
        "metadata": {},
        "parentModelId": None,
        "createdAt": now,
        "updatedAt": now,
    }


def custom_record(model_id: str, fields: dict[str, Any], parent: Record, now: str) -> Record:
    """A user model derived from ``parent``; capability fields left out are inherited."""
    record: Record = {
        "id": model_id,
        "displayName": fields["displayName"],
        "description": fields.get("description"),
        "provider": None,
        "modelName": None,
        "enabled": fields.get("enabled", True) if fields.get("enabled") is not None else True,
        "isSystemModel": False,
        "creditMultiplier": None,
        "lifecycleState": "active",
        "endOfLifeAt": None,
        "isRecommended": False,
        "metadata": fields.get("metadata") if fields.get("metadata") is not None else {},
        "parentModelId": parent["id"],
        "systemPromptId": fields.get("systemPromptId"),
        "systemPrompt": fields.get("systemPrompt"),
        "createdAt": now,
        "updatedAt": now,
    }
    for key in _INHERITED:
        value = fields.get(key)
        record[key] = parent.get(key) if value is None else value
    return record


def find_catalog(store: Store, model_id: str) -> Record | None:
    return store.get(SYSTEM_ORG, KIND, model_id)


def find_model(store: Store, org_id: str, model_id: str) -> Record | None:
    """A model the organisation can use: its own custom model or a catalog model."""
    return store.get(org_id, KIND, model_id) or store.get(SYSTEM_ORG, KIND, model_id)


def require_model(store: Store, org_id: str, model_id: str) -> Record:
    return found(find_model(store, org_id, model_id), "Model", model_id)


def require_parent(store: Store, parent_id: str) -> Record:
    parent = find_catalog(store, parent_id)
    if parent is None:
        raise invalid(
            "/parentModelId",
            "unknown catalog model",
            message=f"{parent_id!r} is not a model of the system catalog (GET /v1/models/catalog).",
        )
    return parent


def effective(store: Store, model: Record) -> Record:
    """The catalog entry that bills and answers for ``model`` (itself for a system model)."""
    if model.get("isSystemModel") or not model.get("parentModelId"):
        return model
    return find_catalog(store, model["parentModelId"]) or model


def require_own(store: Store, org_id: str, model_id: str, action: str) -> Record:
    """The organisation's custom model, for a change; a catalog model is a 403, anything else a 404."""
    model = store.get(org_id, KIND, model_id)
    if model is not None:
        return model
    if find_catalog(store, model_id) is not None:
        raise Forbidden(f"System models cannot be {action}; create a custom model from it with POST /v1/models.")
    raise NotFound(f"Model not found: {model_id}")


_UPDATABLE = (
    "displayName",
    "description",
    "contextWindow",
    "maxTokensPerRequest",
    "supportsStreaming",
    "enabled",
    "metadata",
    "systemPromptId",
    "systemPrompt",
)


def updated_record(model: Record, changes: dict[str, Any], parent: Record | None, now: str, *, reparent: bool) -> Record:
    """``model`` after a ``ModelUpdate``.

    With ``reparent`` the model moves to ``parent`` and re-inherits every capability the update leaves
    out. ``null`` for an inherited field re-inherits it from the (new or current) parent; ``null`` for
    ``displayName`` or ``enabled`` leaves it unchanged; for the other fields it clears the value.
    """
    record = dict(model)
    if reparent and parent is not None:
        record["parentModelId"] = parent["id"]
        for key in _INHERITED:
            record[key] = parent.get(key)
    for key in _UPDATABLE:
        if key not in changes:
            continue
        value = changes[key]
        if value is None:
            if key in _INHERITED:
                value = parent.get(key) if parent is not None else record.get(key)
            elif key in ("displayName", "enabled"):
                continue
            elif key == "metadata":
                value = {}
        record[key] = value
    record["updatedAt"] = now
    return record
