"""Particles: create, list, get (``?version=``, ``expand[]=versions``), update (PUT/PATCH), versions."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..context import RequestContext
from ..domain import particles as particles_domain
from ..domain.models import SYSTEM_ORG
from ..errors import NotFound
from ..pagination import paginate
from ..params import PAGE, Param, expansions
from ..responses import json_response, no_content
from ..routing import route
from .common import expand, now_iso


def _new_version(ctx: RequestContext, number: int, content: str) -> dict[str, Any]:
    assert ctx.principal is not None
    return particles_domain.version_record(ctx.ids.prefixed("pv"), number, content, ctx.principal.user_id, now_iso(ctx))


async def create_particle(ctx: RequestContext) -> Response:
    fields = ctx.json
    particle_id = ctx.ids.prefixed("part")
    record = particles_domain.particle_record(particle_id, fields, _new_version(ctx, 1, fields["content"]), now_iso(ctx))
    ctx.state.store.insert(ctx.org_id, particles_domain.KIND, particle_id, record)
    return json_response(particles_domain.render(record), status=201)


async def list_particles(ctx: RequestContext) -> Response:
    category = ctx.params.text("category")
    enabled_only = ctx.params.flag("enabled")

    def keep(record: dict[str, Any]) -> bool:
        return (category is None or record["category"] == category) and (not enabled_only or record["enabled"])

    store = ctx.state.store
    collections = [
        store.collection(SYSTEM_ORG, particles_domain.KIND),
        store.collection(ctx.org_id, particles_domain.KIND),
    ]
    page = paginate(
        collections,
        ctx.params,
        ctx.state.secret,
        identity=(ctx.org_id, "particles", category, enabled_only),
        render=particles_domain.render,
        predicate=keep,
    )
    return json_response(page)


async def get_particle(ctx: RequestContext) -> Response:
    record = particles_domain.require(ctx.state.store, ctx.org_id, ctx.path_params["particle_id"])
    number = ctx.params.optional_integer("version")
    version = None
    if number is not None:
        version = particles_domain.find_version(record, number=number)
        if version is None:
            raise NotFound(f"Particle {record['id']} has no version {number}.")
    return json_response(particles_domain.render(record, version=version, expand_versions="versions" in expand(ctx)))


async def update_particle(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    record = particles_domain.require_own(store, org_id, ctx.path_params["particle_id"])
    fields = ctx.json
    content = fields.get("content")
    new_version = None
    if content is not None and content != record["content"]:
        new_version = _new_version(ctx, record["currentVersion"] + 1, content)
    updated = particles_domain.updated(record, fields, new_version, now_iso(ctx))
    store.replace(org_id, particles_domain.KIND, record["id"], updated)
    return json_response(particles_domain.render(updated))


async def delete_particle(ctx: RequestContext) -> Response:
    record = particles_domain.require_own(ctx.state.store, ctx.org_id, ctx.path_params["particle_id"])
    ctx.state.store.remove(ctx.org_id, particles_domain.KIND, record["id"])
    return no_content()


async def list_versions(ctx: RequestContext) -> Response:
    record = particles_domain.require(ctx.state.store, ctx.org_id, ctx.path_params["particle_id"])
    return json_response([particles_domain.render_version(record, v) for v in particles_domain.versions(record)])


_ITEM = "/v1/particles/{particle_id}"
ROUTES = [
    route(
        "POST",
        "/v1/particles",
        create_particle,
        scope="particles:write",
        body="particle_create",
        idempotent=True,
        status=201,
        response="particle",
        summary="Create Particle",
    ),
    route(
        "GET",
        "/v1/particles",
        list_particles,
        scope="particles:read",
        response="particle_list",
        summary="List Particles",
        query=(
            *PAGE,
            Param("category", enum=particles_domain.CATEGORIES, description="Filter by particle category"),
            Param("enabled", "boolean", default=True, description="Filter to enabled particles only"),
        ),
    ),
    route(
        "GET",
        _ITEM,
        get_particle,
        scope="particles:read",
        response="particle",
        summary="Get Particle",
        query=(expansions("versions"), Param("version", "integer", minimum=1, description="A specific version's content")),
    ),
    route(
        "PUT",
        _ITEM,
        update_particle,
        scope="particles:write",
        body="particle_update",
        idempotent=True,
        response="particle",
        summary="Update Particle",
    ),
    route(
        "PATCH",
        _ITEM,
        update_particle,
        scope="particles:write",
        body="particle_update",
        idempotent=True,
        documented=False,
        response="particle",
        summary="Update Particle (PATCH, as in the guides)",
    ),
    route(
        "DELETE",
        _ITEM,
        delete_particle,
        scope="particles:write",
        idempotent=True,
        status=204,
        summary="Delete Particle",
    ),
    route(
        "GET",
        f"{_ITEM}/versions",
        list_versions,
        scope="particles:read",
        response="particle_version_list",
        summary="List Particle Versions",
    ),
]
