"""Particles: versioned prompt fragments (``ParticleOut``, ``ParticleVersionOut``).

A stored particle is the public ``ParticleOut`` (without ``versions``) plus ``_versions``, a tuple of
immutable version dicts, oldest first. Updating content appends a version to a new record; nothing
is ever edited in place. System particles (``isSystem: true``) live under :data:`SYSTEM_ORG`, are
visible to every organisation and have their content hidden when rendered (guides §11.2).
"""

from __future__ import annotations

from typing import Any

from ..chat.generate import count_tokens
from ..errors import Forbidden
from ..store import Record, Store
from . import found
from .models import SYSTEM_ORG

KIND = "particles"
#: Composition order is fixed by category (guides §11.1), then ``order`` within a category.
CATEGORIES = ("role", "tone", "guardrails", "constraints", "format")
CATEGORY_RANK = {name: rank for rank, name in enumerate(CATEGORIES)}


def version_record(version_id: str, number: int, content: str, created_by: str | None, now: str) -> dict[str, Any]:
    """``ParticleVersionOut`` as stored."""
    return {
        "id": version_id,
        "version": number,
        "tokenCount": count_tokens(content),
        "createdAt": now,
        "content": content,
        "createdBy": created_by,
    }


def particle_record(
    particle_id: str, fields: dict[str, Any], version: dict[str, Any], now: str, *, is_system: bool = False
) -> Record:
    """A new particle at version 1."""
    return {
        "id": particle_id,
        "name": fields["name"],
        "category": fields["category"],
        "isSystem": is_system,
        "enabled": fields.get("enabled", True) is not False,
        "createdAt": now,
        "updatedAt": now,
        "description": fields.get("description"),
        "currentVersion": version["version"],
        "tokenCount": version["tokenCount"],
        "content": version["content"],
        "_versions": (version,),
    }


def updated(record: Record, fields: dict[str, Any], new_version: dict[str, Any] | None, now: str) -> Record:
    """A new record with the changed metadata and, when ``new_version`` is given, a new current version."""
    out = dict(record)
    for key in ("name", "description"):
        if key in fields and (fields[key] is not None or key == "description"):
            out[key] = fields[key]
    if fields.get("enabled") is not None:
        out["enabled"] = fields["enabled"]
    if new_version is not None:
        out["_versions"] = (*record["_versions"], new_version)
        out["currentVersion"] = new_version["version"]
        out["tokenCount"] = new_version["tokenCount"]
        out["content"] = new_version["content"]
    out["updatedAt"] = now
    return out


def versions(record: Record) -> tuple[dict[str, Any], ...]:
    result: tuple[dict[str, Any], ...] = record["_versions"]
    return result


def find_version(record: Record, *, number: int | None = None, version_id: str | None = None) -> dict[str, Any] | None:
    for version in versions(record):
        if version["version"] == number or version["id"] == version_id:
            return version
    return None


def render_version(record: Record, version: dict[str, Any]) -> dict[str, Any]:
    out = dict(version)
    if record["isSystem"]:
        out["content"] = None  # hidden for system particles (MOAT protection)
    return out


def render(record: Record, *, version: dict[str, Any] | None = None, expand_versions: bool = False) -> dict[str, Any]:
    """``ParticleOut``; ``version`` shows that version's content and token count (``?version=``)."""
    out = {key: value for key, value in record.items() if not key.startswith("_")}
    if version is not None:
        out["content"] = version["content"]
        out["tokenCount"] = version["tokenCount"]
    if record["isSystem"]:
        out["content"] = None
    out["versions"] = [render_version(record, v) for v in versions(record)] if expand_versions else None
    return out


def find(store: Store, org_id: str, particle_id: str) -> Record | None:
    """A particle the organisation can see: its own or a system particle."""
    return store.get(org_id, KIND, particle_id) or store.get(SYSTEM_ORG, KIND, particle_id)


def require(store: Store, org_id: str, particle_id: str) -> Record:
    return found(find(store, org_id, particle_id), "Particle", particle_id)


def require_own(store: Store, org_id: str, particle_id: str) -> Record:
    """The organisation's own particle: 403 for a system particle (read-only), 404 when unknown."""
    particle = require(store, org_id, particle_id)
    if particle["isSystem"]:
        raise Forbidden(f"System particle {particle_id} cannot be modified.")
    return particle
