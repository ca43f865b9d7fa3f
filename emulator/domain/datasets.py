"""Dataset records."""

from __future__ import annotations

from typing import Any

from ..store import Record

KIND = "datasets"


def dataset_record(dataset_id: str, fields: dict[str, Any], now: str) -> Record:
    """``DatasetOut`` as stored; ``items``/``snapshots`` are filled only on ``expand[]``."""
    return {
        "id": dataset_id,
        "name": fields["name"],
        "description": fields.get("description"),
        "consentForTraining": bool(fields.get("consentForTraining", False)),
        "createdAt": now,
        "updatedAt": now,
    }


def render(record: Record) -> dict[str, Any]:
    out = {key: value for key, value in record.items() if key != "consentForTraining"}
    out["items"] = None
    out["snapshots"] = None
    return out
