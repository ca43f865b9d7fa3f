"""Resource logic: record builders and rules, independent of HTTP."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound


def found(record: dict[str, Any] | None, label: str, record_id: str) -> dict[str, Any]:
    """``record``, or the 404 problem ``"<label> not found: <id>"`` when it is None."""
    if record is None:
        raise NotFound(f"{label} not found: {record_id}")
    return record
