"""Chat artifacts: versioned documents an assistant message produced (``enableArtifacts``)."""

from __future__ import annotations

import re
from typing import Any

from ..errors import NotFound
from ..store import Record, Store

KIND = "artifacts"
EXTENSIONS = {
    "text/markdown": "md",
    "application/code": "txt",
    "text/html": "html",
    "image/svg+xml": "svg",
    "application/vnd.mermaid": "mmd",
}


def identifier_for(title: str) -> str:
    """A stable, slug-like key for an artifact title (the same title keeps the same identifier)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug[:60] or "artifact"


def artifact_record(
    artifact_id: str,
    chat_id: str,
    message_id: str,
    *,
    identifier: str,
    title: str,
    content: str,
    version: int,
    now: str,
    kind: str = "text/markdown",
    language: str | None = None,
) -> Record:
    """``ArtifactFull`` as stored."""
    return {
        "id": artifact_id,
        "chatId": chat_id,
        "messageId": message_id,
        "identifier": identifier,
        "title": title,
        "type": kind,
        "language": language,
        "version": version,
        "createdAt": now,
        "content": content,
    }


def of_chat(store: Store, org_id: str, chat_id: str) -> list[Record]:
    return [a for a in store.collection(org_id, KIND).values() if a["chatId"] == chat_id]


def next_version(store: Store, org_id: str, chat_id: str, identifier: str) -> int:
    versions = [a["version"] for a in of_chat(store, org_id, chat_id) if a["identifier"] == identifier]
    return max(versions, default=0) + 1


def latest_per_identifier(store: Store, org_id: str, chat_id: str) -> list[Record]:
    """The newest version of each identifier, in order of first appearance."""
    latest: dict[str, Record] = {}
    for artifact in of_chat(store, org_id, chat_id):
        current = latest.get(artifact["identifier"])
        if current is None or artifact["version"] > current["version"]:
            latest[artifact["identifier"]] = artifact
    return list(latest.values())


def render_item(record: Record) -> dict[str, Any]:
    """``ArtifactListItem``: everything but the content."""
    return {key: value for key, value in record.items() if key != "content"}


def require_artifact(store: Store, org_id: str, chat_id: str, artifact_id: str) -> Record:
    artifact = store.get(org_id, KIND, artifact_id)
    if artifact is None or artifact["chatId"] != chat_id:
        raise NotFound(f"Artifact not found: {artifact_id}")
    return artifact


def filename_for(record: Record) -> str:
    return f"{record['identifier']}.{EXTENSIONS.get(record['type'], 'txt')}"


def drop_chat(store: Store, org_id: str, chat_id: str) -> None:
    """Remove a deleted chat's artifacts."""
    for artifact in of_chat(store, org_id, chat_id):
        store.remove(org_id, KIND, artifact["id"])
