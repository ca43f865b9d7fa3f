"""Connectors: OAuth connections to Google Drive / Notion, their remote files, and sync configurations.

A connection is initiated ``pending`` and turns ``active`` by itself, moto style: after N client reads
or T seconds of the app clock (``Config.connection_activation``), so no control call is needed to
"complete" the OAuth dance. The remote side (folders, files, pages) is a small tree that is a pure
function of the seed and the connection id: the same seed always browses the same drive.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import urlencode

from ..clock import isoformat
from ..errors import Conflict, NotFound, invalid
from ..lifecycle import Lifecycle, phase
from ..store import Record, Store
from . import datasets as datasets_domain
from . import found

KIND = "connections"
CONFIG_KIND = "sync_configs"
STATE_TOKEN_TTL = 600.0  # seconds an authorizationUrl's state token stays valid (expiresAt)
_AUTHORIZE = {
    "google_drive": "https://accounts.google.com/o/oauth2/v2/auth",
    "notion": "https://api.notion.com/v1/oauth/authorize",
}
_DEFAULT_SCOPES = {"google_drive": ["https://www.googleapis.com/auth/drive.readonly"], "notion": []}
_PEOPLE = ("Alex Rivera", "Sam Taylor", "Jordan Lee", "Casey Morgan", "Robin Patel", "Kim Nakamura")
_FOLDERS = (
    "Marketing",
    "Engineering",
    "Finance",
    "Sales Playbooks",
    "HR Policies",
    "Product Specs",
    "Customer Research",
    "Legal",
)
_TOPICS = (
    "Q3 roadmap",
    "Onboarding guide",
    "Pricing FAQ",
    "Release notes",
    "Security overview",
    "Meeting notes",
    "Style guide",
    "Support macros",
    "Brand voice",
    "Incident review",
)
#: (suffix, mimeType) of remote documents; the Google Form cannot be synced (its sync item is skipped).
_DOC_TYPES = (
    (".md", "text/markdown"),
    (".txt", "text/plain"),
    (".csv", "text/csv"),
    ("", "application/vnd.google-apps.document"),
)
UNSUPPORTED_MIME = "application/vnd.google-apps.form"


def connection_record(connection_id: str, fields: dict[str, Any], rng: random.Random, now: float) -> Record:
    """A connection right after ``POST /v1/connections``: ``pending``, with the OAuth state token."""
    slug = fields["connectorSlug"]
    name = rng.choice(_PEOPLE)
    state_token = f"{rng.getrandbits(128):032x}"
    return {
        "id": connection_id,
        "connectorSlug": slug,
        "status": "pending",
        "createdAt": isoformat(now),
        "updatedAt": isoformat(now),
        "accountEmail": None,
        "accountName": None,
        "lastError": None,
        "_account": {"accountName": name, "accountEmail": name.lower().replace(" ", ".") + "@example.com"},
        "_state": state_token,
        "_redirectUrl": fields["redirectUrl"],
        "_scopes": list(fields.get("scopes") or _DEFAULT_SCOPES[slug]),
        "_startedAt": now,
        "_polls": 0,
        "_finishedAt": None,
    }


def initiation_out(record: Record) -> dict[str, Any]:
    """The ``POST /v1/connections`` response: where to send the user, and until when."""
    query = {
        "client_id": "cuadra-emulator",
        "response_type": "code",
        "redirect_uri": record["_redirectUrl"],
        "state": record["_state"],
        "scope": " ".join(record["_scopes"]),
    }
    return {
        "id": record["id"],
        "authorizationUrl": f"{_AUTHORIZE[record['connectorSlug']]}?{urlencode(query)}",
        "expiresAt": isoformat(record["_startedAt"] + STATE_TOKEN_TTL),
        "status": record["status"],
    }


def observe_connection(record: Record, lifecycle: Lifecycle, now: float, *, count_poll: bool) -> Record:
    """``record`` brought up to ``now``: ``pending`` turns ``active`` once the lifecycle is done."""
    if record["status"] != "pending":
        return record
    polls = record["_polls"] + (1 if count_poll else 0)
    current = phase(lifecycle, started_at=record["_startedAt"], polls=polls, now=now)
    updated = {**record, "_polls": polls}
    if current.done:
        finished = current.finished_at if current.finished_at is not None else now
        updated.update(record["_account"])
        updated.update(status="active", updatedAt=isoformat(finished), _finishedAt=finished)
    return updated


def require_connection(store: Store, org_id: str, connection_id: str) -> Record:
    return found(store.get(org_id, KIND, connection_id), "Connection", connection_id)


def require_active(connection: Record) -> None:
    """Browsing and syncing need a completed OAuth flow: anything but ``active`` is a 409."""
    if connection["status"] != "active":
        raise Conflict(
            f"Connection {connection['id']} is {connection['status']}, not active; complete the OAuth authorization first."
        )


def render(record: Record) -> dict[str, Any]:
    """``ConnectionOut`` (and any other record here): the record without its private keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


# --- the remote side -------------------------------------------------------------------------------


def remote_tree(seed: int, connection_id: str, slug: str) -> dict[str, dict[str, Any]]:
    """Every remote folder/file (Drive) or database/page (Notion) of a connection, by id.

    Root (``parentId`` null): 3 containers and 2 documents; each container holds 3 documents and,
    on Drive, one sub-folder of 2 documents. Drive's root also holds one Google Form (unsyncable).
    """
    rng = random.Random(f"remote:{seed}:{connection_id}")
    nodes: dict[str, dict[str, Any]] = {}
    container = "folder" if slug == "google_drive" else "database"

    def add(kind: str, name: str, parent: str | None, mime: str | None = None) -> str:
        prefix = {"folder": "folder", "database": "db", "page": "page"}.get(kind, "doc")
        node_id = f"{prefix}_{rng.getrandbits(48):012x}"
        node: dict[str, Any] = {
            "id": node_id,
            "name": name,
            "type": kind,
            "parentId": parent,
            "mimeType": mime,
            "sizeBytes": None,
            "modifiedAt": isoformat(1735689600 - rng.randrange(86400 * 365)),
        }
        if kind in ("file", "page"):
            node["sizeBytes"] = rng.randrange(2_000, 40_000)
        nodes[node_id] = node
        return node_id

    def document(parent: str | None) -> str:
        topic = rng.choice(_TOPICS)
        if slug == "notion":
            return add("page", topic, parent, "text/markdown")
        suffix, mime = rng.choice(_DOC_TYPES)
        return add("file", topic + suffix, parent, mime)

    for name in rng.sample(_FOLDERS, 3):
        folder = add(container, name, None)
        for _ in range(3):
            document(folder)
        if slug == "google_drive":
            sub = add("folder", "Archive", folder)
            document(sub)
            document(sub)
    document(None)
    document(None)
    if slug == "google_drive":
        add("file", "Feedback survey", None, UNSUPPORTED_MIME)
    for node in nodes.values():
        node["hasChildren"] = node["type"] in ("folder", "database")
    return nodes


def children(tree: dict[str, dict[str, Any]], parent_id: str | None) -> list[dict[str, Any]]:
    """The direct children of ``parent_id`` (the root when None); an unknown or non-container id is a 404."""
    if parent_id is not None:
        parent = tree.get(parent_id)
        if parent is None or not parent["hasChildren"]:
            raise NotFound(f"Remote folder not found: {parent_id}")
    return [dict(node) for node in tree.values() if node["parentId"] == parent_id]


def documents_under(tree: dict[str, dict[str, Any]], resource_id: str) -> list[dict[str, Any]]:
    """The documents a sync of ``resource_id`` covers: itself if a document, else all below it."""
    node = tree[resource_id]
    if not node["hasChildren"]:
        return [node]
    found: list[dict[str, Any]] = []
    for child in tree.values():
        if child["parentId"] == resource_id:
            found.extend(documents_under(tree, child["id"]))
    return found


# --- sync configurations ---------------------------------------------------------------------------


def sync_config_record(config_id: str, connection_id: str, fields: dict[str, Any], now: str) -> Record:
    return {
        "id": config_id,
        "connectionId": connection_id,
        "name": fields["name"],
        "remoteResourceId": fields["remoteResourceId"],
        "remoteResourceType": fields["remoteResourceType"],
        "targetDatasetId": fields["targetDatasetId"],
        "syncFrequency": fields.get("syncFrequency") or "manual",
        "status": "active",
        "lastSyncJobId": None,
        "createdAt": now,
        "updatedAt": now,
    }


def check_sync_target(store: Store, org_id: str, tree: dict[str, dict[str, Any]], fields: dict[str, Any]) -> None:
    """The remote resource must exist with the stated type, the dataset must be the org's (else 422)."""
    resource_id = fields.get("remoteResourceId")
    if resource_id is not None:
        node = tree.get(resource_id)
        if node is None:
            raise invalid("/remoteResourceId", f"no remote resource {resource_id!r} on this connection")
        kind = fields.get("remoteResourceType")
        if kind is not None and kind != node["type"]:
            raise invalid("/remoteResourceType", f"{resource_id!r} is a {node['type']}, not a {kind}")
    dataset_id = fields.get("targetDatasetId")
    if dataset_id is not None and store.get(org_id, datasets_domain.KIND, dataset_id) is None:
        raise invalid("/targetDatasetId", f"unknown dataset {dataset_id!r}")


def require_sync_config(store: Store, org_id: str, config_id: str) -> Record:
    return found(store.get(org_id, CONFIG_KIND, config_id), "Sync configuration", config_id)
