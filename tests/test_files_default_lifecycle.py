"""The documented upload lifecycle is the default (endpoints §2.9: "return `uploaded` from the upload call;
then move through `processing` to `ready`"); ``--file-processing immediate`` keeps the shortcut."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from emulator import Config, EmulatorApp
from emulator.cli import build_config, main
from tests.conftest import AUTH


def upload(client: TestClient | httpx.Client, name: str = "notes.md", content: bytes = b"# Notes\n") -> dict[str, Any]:
    response = client.post("/v1/files", files={"file": (name, content, "text/markdown")})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def polls(client: TestClient | httpx.Client, file_id: str, count: int) -> list[tuple[str, dict[str, Any], str | None]]:
    bodies = [client.get(f"/v1/files/{file_id}").json() for _ in range(count)]
    return [(b["status"], b["processingStatus"], b["processedAt"]) for b in bodies]


def test_default_lifecycle_uploaded_processing_ready(client: TestClient) -> None:
    created = upload(client)
    assert (created["status"], created["processingStatus"], created["processedAt"]) == (
        "uploaded",
        {"progress": 0, "error": None},
        None,
    )
    assert polls(client, created["id"], 3) == [
        ("processing", {"progress": 50, "error": None}, None),
        ("ready", {"progress": 100, "error": None}, "2025-01-01T00:00:00Z"),
        ("ready", {"progress": 100, "error": None}, "2025-01-01T00:00:00Z"),
    ]


def test_default_lifecycle_failure_goes_through_processing(client: TestClient) -> None:
    created = upload(client, "empty.md", b"")
    assert created["status"] == "uploaded"
    assert polls(client, created["id"], 2) == [
        ("processing", {"progress": 50, "error": None}, None),
        ("failed", {"progress": 0, "error": "File is empty"}, None),
    ]


def test_default_lifecycle_immediate_is_kept(make_app: Callable[..., EmulatorApp]) -> None:
    with TestClient(make_app(file_processing="immediate"), headers=AUTH) as client:
        created = upload(client)
    assert (created["status"], created["processingStatus"]["progress"]) == ("ready", 100)


def test_default_lifecycle_is_the_default_of_config_and_serve() -> None:
    assert Config().file_processing == "polls:2"
    assert build_config().file_processing == "polls:2"
    assert build_config(file_processing="immediate").file_processing == "immediate"
    help_text = CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output
    assert "polls:2" in help_text and "immediate" in help_text


def test_default_lifecycle_is_the_plugins_stated_default(cuadra_config: Config, cuadra_client: httpx.Client) -> None:
    assert cuadra_config.file_processing == "polls:2"
    created = upload(cuadra_client)
    assert created["status"] == "uploaded"
    assert [status for status, _, _ in polls(cuadra_client, created["id"], 2)] == ["processing", "ready"]


@pytest.mark.cuadra(file_processing="immediate")
def test_default_lifecycle_plugin_marker_switches_to_immediate(cuadra_client: httpx.Client) -> None:
    assert upload(cuadra_client)["status"] == "ready"
