"""System prompts: ordered compositions of particles (``SystemPromptOut``, ``SystemPromptParticleOut``).

A stored prompt keeps its particle associations in ``_particles`` (a tuple of
``{id, particleId, order, particleVersionId}``); names, categories, pinned version numbers and token
counts are derived when rendering, from the particles as they are now. Composition order is fixed:
category priority (role → tone → guardrails → constraints → format), then ``order``, then the order
the particles were added (guides §11.1, §4.0).
"""

from __future__ import annotations

from typing import Any

from ..errors import Conflict, Forbidden, NotFound, invalid
from ..store import Record, Store
from . import found
from . import particles as particles_domain
from .models import SYSTEM_ORG

KIND = "system-prompts"
SEPARATOR = "\n\n"


def prompt_record(
    prompt_id: str,
    fields: dict[str, Any],
    associations: tuple[dict[str, Any], ...],
    now: str,
    *,
    is_system: bool = False,
) -> Record:
    return {
        "id": prompt_id,
        "name": fields["name"],
        "enabled": fields.get("enabled", True) is not False,
        "isSystem": is_system,
        "createdAt": now,
        "updatedAt": now,
        "description": fields.get("description"),
        "_particles": associations,
    }


def association(association_id: str, particle: Record, order: int | None, version_id: str | None) -> dict[str, Any]:
    """A new association; a ``version_id`` that is not a version of ``particle`` is a 422."""
    if version_id is not None and particles_domain.find_version(particle, version_id=version_id) is None:
        raise invalid(
            "/particleVersionId",
            "unknown version of this particle",
            message=f"{version_id!r} is not a version of particle {particle['id']}.",
        )
    return {
        "id": association_id,
        "particleId": particle["id"],
        "order": order or 0,
        "particleVersionId": version_id,
    }


def associations(record: Record) -> tuple[dict[str, Any], ...]:
    result: tuple[dict[str, Any], ...] = record["_particles"]
    return result


def with_associations(record: Record, items: tuple[dict[str, Any], ...], now: str) -> Record:
    out = dict(record)
    out["_particles"] = items
    out["updatedAt"] = now
    return out


def find_association(record: Record, particle_or_association_id: str) -> dict[str, Any] | None:
    """The association for a particle id (``part_…``) or an association id (``spa_…``)."""
    for item in associations(record):
        if particle_or_association_id in (item["particleId"], item["id"]):
            return item
    return None


def require_absent(record: Record, particle_id: str) -> None:
    if any(item["particleId"] == particle_id for item in associations(record)):
        raise Conflict(f"Particle {particle_id} is already part of system prompt {record['id']}.")


def _resolved(store: Store, org_id: str, record: Record) -> list[tuple[dict[str, Any], Record, dict[str, Any]]]:
    """(association, particle, version in effect) for every association whose particle still exists."""
    out = []
    for item in associations(record):
        particle = particles_domain.find(store, org_id, item["particleId"])
        if particle is None:
            continue  # the particle was deleted: it drops out of the composition
        version = None
        if item["particleVersionId"] is not None:
            version = particles_domain.find_version(particle, version_id=item["particleVersionId"])
        if version is None:
            version = particles_domain.versions(particle)[-1]
        out.append((item, particle, version))
    return out


def _composition(store: Store, org_id: str, record: Record) -> list[tuple[dict[str, Any], Record, dict[str, Any]]]:
    resolved = [entry for entry in _resolved(store, org_id, record) if entry[1]["enabled"]]
    positions = {item["id"]: index for index, item in enumerate(associations(record))}
    resolved.sort(
        key=lambda e: (
            particles_domain.CATEGORY_RANK.get(e[1]["category"], 99),
            e[0]["order"],
            positions[e[0]["id"]],
        )
    )
    return resolved


def compose(store: Store, org_id: str, record: Record) -> dict[str, Any]:
    """``ComposeOut``: enabled particles in category order, then ``order``; pins select the version."""
    parts = _composition(store, org_id, record)
    return {
        "systemPromptId": record["id"],
        "composedContent": SEPARATOR.join(version["content"] for _, _, version in parts),
        "totalTokenCount": sum(version["tokenCount"] for _, _, version in parts),
        "particleCount": len(parts),
    }


def render_association(item: dict[str, Any], particle: Record, version: dict[str, Any]) -> dict[str, Any]:
    """``SystemPromptParticleOut``."""
    pinned = item["particleVersionId"] is not None
    return {
        "id": item["id"],
        "particleId": item["particleId"],
        "order": item["order"],
        "particleName": particle["name"],
        "particleCategory": particle["category"],
        "particleVersionId": item["particleVersionId"],
        "pinnedVersion": version["version"] if pinned else None,
        "tokenCount": version["tokenCount"],
    }


def render_one_association(store: Store, org_id: str, record: Record, item_id: str) -> dict[str, Any]:
    for item, particle, version in _resolved(store, org_id, record):
        if item["id"] == item_id:
            return render_association(item, particle, version)
    raise NotFound(f"Particle association not found: {item_id}")


def render(store: Store, org_id: str, record: Record, *, expand_particles: bool = False) -> dict[str, Any]:
    """``SystemPromptOut``; ``particles`` (in composition order) only when expanded, else null."""
    out = {key: value for key, value in record.items() if not key.startswith("_")}
    resolved = _resolved(store, org_id, record)
    composed = compose(store, org_id, record)
    out["totalTokenCount"] = composed["totalTokenCount"]
    out["particleCount"] = len(resolved)
    if expand_particles:
        positions = {item["id"]: index for index, item in enumerate(associations(record))}
        resolved.sort(
            key=lambda e: (
                particles_domain.CATEGORY_RANK.get(e[1]["category"], 99),
                e[0]["order"],
                positions[e[0]["id"]],
            )
        )
        out["particles"] = [render_association(*entry) for entry in resolved]
    else:
        out["particles"] = None
    return out


def find(store: Store, org_id: str, prompt_id: str) -> Record | None:
    """A prompt the organisation can see: its own or a system template."""
    return store.get(org_id, KIND, prompt_id) or store.get(SYSTEM_ORG, KIND, prompt_id)


def require(store: Store, org_id: str, prompt_id: str) -> Record:
    return found(find(store, org_id, prompt_id), "System prompt", prompt_id)


def require_own(store: Store, org_id: str, prompt_id: str) -> Record:
    """The organisation's own prompt; 403 for a system template (copy it first), 404 when unknown."""
    prompt = require(store, org_id, prompt_id)
    if prompt["isSystem"]:
        raise Forbidden(
            f"System template {prompt_id} cannot be modified; copy it first (POST /v1/system-prompts/{prompt_id}/copy)."
        )
    return prompt
