"""Helpers for the scenario and control-plane tests (kept out of conftest.py, which is shared)."""

from __future__ import annotations

import json
from typing import Any

from starlette.testclient import TestClient

OTHER_ORG = {"Authorization": "Bearer other-org-token"}


def activate(client: TestClient, yaml_text: str, **extra: Any) -> dict[str, Any]:
    """Upload ``yaml_text`` through the control plane; asserts 201 and returns the summary."""
    response = client.post("/_emulator/scenarios", json={"yaml": yaml_text, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def native_chunks(text: str) -> tuple[list[dict[str, Any]], bool]:
    """The JSON chunks of a native SSE body and whether ``[DONE]`` arrived."""
    chunks, done = [], False
    for block in text.split("\n\n"):
        if not block.startswith("data: "):
            continue
        payload = block[len("data: ") :]
        if payload == "[DONE]":
            done = True
        else:
            chunks.append(json.loads(payload))
    return chunks, done
