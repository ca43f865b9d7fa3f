"""Channel records (multi-channel messaging endpoints) and their ``active ⇄ paused`` state machine.

A stored channel is the public ``ChannelOut`` plus private keys starting with ``_`` (the Telegram
``_botToken``, which the API never returns).
"""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, invalid
from ..store import Record, Store
from . import datasets as datasets_domain
from . import found
from . import models as models_domain

KIND = "channels"
CHANNEL_TYPES = ("sms", "whatsapp", "telegram", "slack")
STATUSES = ("active", "paused", "error")
#: The server default when a channel is created without one (``fallbackMessage`` is never null).
DEFAULT_FALLBACK = "Sorry, I couldn't process your message right now. Please try again later."
WEBHOOK_BASE = "https://api.cuadra.ai/v1/webhooks/channels"
#: Fields PATCH may change (``channelType`` is fixed at creation).
MUTABLE = ("name", "phoneNumber", "botToken", "systemPromptId", "modelId", "datasetIds", "welcomeMessage", "fallbackMessage")


def channel_record(channel_id: str, org_id: str, fields: dict[str, Any], now: str) -> Record:
    """A new channel as stored; it starts ``active`` with no traffic."""
    return {
        "id": channel_id,
        "organizationId": org_id,
        "name": fields["name"],
        "channelType": fields["channelType"],
        "webhookUrl": f"{WEBHOOK_BASE}/{channel_id}/{fields['channelType']}",
        "systemPromptId": fields.get("systemPromptId"),
        "modelId": fields.get("modelId"),
        "datasetIds": list(fields.get("datasetIds") or []),
        "welcomeMessage": fields.get("welcomeMessage"),
        "fallbackMessage": fields.get("fallbackMessage") or DEFAULT_FALLBACK,
        "status": "active",
        "lastError": None,
        "lastErrorAt": None,
        "conversationCount": 0,
        "messageCount": 0,
        "lastMessageAt": None,
        "createdAt": now,
        "updatedAt": now,
        "phoneNumber": fields.get("phoneNumber"),
        "_botToken": fields.get("botToken"),
    }


def updated_record(channel: Record, changes: dict[str, Any], now: str) -> Record:
    """``channel`` with the PATCH ``changes`` applied (``null`` clears an optional field)."""
    updated = dict(channel)
    for key in MUTABLE:
        if key not in changes:
            continue
        value = changes[key]
        if key == "botToken":
            updated["_botToken"] = value
        elif key == "datasetIds":
            updated[key] = list(value or [])
        elif key == "fallbackMessage":
            updated[key] = value or DEFAULT_FALLBACK
        else:
            updated[key] = value
    updated["updatedAt"] = now
    return updated


def check_credentials(channel: Record) -> None:
    """The per-type requirements of the create schema, re-checked after a PATCH (422 when broken)."""
    kind = channel["channelType"]
    if kind in ("sms", "whatsapp") and not channel.get("phoneNumber"):
        raise invalid("/phoneNumber", f"field required for {kind} channels")
    if kind == "telegram" and not channel.get("_botToken"):
        raise invalid("/botToken", "field required for telegram channels")


def check_references(store: Store, org_id: str, fields: dict[str, Any]) -> None:
    """``modelId`` and ``datasetIds`` must name the organisation's own resources (422 otherwise)."""
    model_id = fields.get("modelId")
    if model_id is not None and models_domain.find_model(store, org_id, model_id) is None:
        raise invalid("/modelId", f"unknown model {model_id!r}")
    for index, dataset_id in enumerate(fields.get("datasetIds") or []):
        if store.get(org_id, datasets_domain.KIND, dataset_id) is None:
            raise invalid(f"/datasetIds/{index}", f"unknown dataset {dataset_id!r}")


def transition(channel: Record, action: str, now: str) -> Record:
    """Apply ``pause`` or ``resume``; a channel already in the target state is a 409.

    ``pause``: ``active``/``error`` -> ``paused``. ``resume``: ``paused``/``error`` -> ``active``
    (resuming clears ``lastError``).
    """
    target = "paused" if action == "pause" else "active"
    if channel["status"] == target:
        raise Conflict(f"Channel {channel['id']} is already {target}.")
    updated = {**channel, "status": target, "updatedAt": now}
    if target == "active":
        updated["lastError"] = None
        updated["lastErrorAt"] = None
    return updated


def require_channel(store: Store, org_id: str, channel_id: str) -> Record:
    """The organisation's channel; another organisation's id is a 404 like a missing one."""
    return found(store.get(org_id, KIND, channel_id), "Channel", channel_id)


def matches(channel: Record, status: str | None, channel_type: str | None) -> bool:
    return (status is None or channel["status"] == status) and (channel_type is None or channel["channelType"] == channel_type)


def render(channel: Record) -> dict[str, Any]:
    """``ChannelOut``: the record without its private keys (the bot token is never returned)."""
    return {key: value for key, value in channel.items() if not key.startswith("_")}
