"""System prompts: CRUD, copy, compose, and the particles of a prompt (add, update, remove)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ..context import RequestContext
from ..domain import particles as particles_domain
from ..domain import system_prompts as prompts_domain
from ..domain.models import SYSTEM_ORG
from ..errors import NotFound
from ..pagination import paginate
from ..params import PAGE, Param, expansions
from ..responses import json_response, no_content
from ..routing import route
from .common import expand, now_iso

KIND = prompts_domain.KIND


def _render(ctx: RequestContext, record: dict[str, Any], expand_particles: bool = False) -> dict[str, Any]:
    return prompts_domain.render(ctx.state.store, ctx.org_id, record, expand_particles=expand_particles)


def _association(ctx: RequestContext, prompt: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    particle = particles_domain.require(ctx.state.store, ctx.org_id, spec["particleId"])
    prompts_domain.require_absent(prompt, particle["id"])
    return prompts_domain.association(ctx.ids.prefixed("spa"), particle, spec.get("order"), spec.get("particleVersionId"))


async def create_prompt(ctx: RequestContext) -> Response:
    fields = ctx.json
    prompt_id = ctx.ids.prefixed("sp")
    record = prompts_domain.prompt_record(prompt_id, fields, (), now_iso(ctx))
    for spec in fields.get("particles") or ():
        record = prompts_domain.with_associations(
            record,
            (*prompts_domain.associations(record), _association(ctx, record, spec)),
            record["updatedAt"],
        )
    ctx.state.store.insert(ctx.org_id, KIND, prompt_id, record)
    return json_response(_render(ctx, record, bool(fields.get("particles"))), status=201)


async def list_prompts(ctx: RequestContext) -> Response:
    is_system = ctx.params.flag("isSystem")
    enabled_only = ctx.params.flag("enabled")
    owner = SYSTEM_ORG if is_system else ctx.org_id
    expand_particles = "particles" in expand(ctx)
    page = paginate(
        ctx.state.store.collection(owner, KIND),
        ctx.params,
        ctx.state.secret,
        identity=(ctx.org_id, "system-prompts", is_system, enabled_only),
        render=lambda r: _render(ctx, r, expand_particles),
        predicate=(lambda r: r["enabled"]) if enabled_only else None,
    )
    return json_response(page)


async def get_prompt(ctx: RequestContext) -> Response:
    record = prompts_domain.require(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    return json_response(_render(ctx, record, "particles" in expand(ctx)))


async def update_prompt(ctx: RequestContext) -> Response:
    record = prompts_domain.require_own(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    fields = ctx.json
    updated = dict(record)
    if fields.get("name") is not None:
        updated["name"] = fields["name"]
    if "description" in fields:
        updated["description"] = fields["description"]
    if fields.get("enabled") is not None:
        updated["enabled"] = fields["enabled"]
    updated["updatedAt"] = now_iso(ctx)
    ctx.state.store.replace(ctx.org_id, KIND, record["id"], updated)
    return json_response(_render(ctx, updated))


async def delete_prompt(ctx: RequestContext) -> Response:
    record = prompts_domain.require_own(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    ctx.state.store.remove(ctx.org_id, KIND, record["id"])
    return no_content()


async def copy_prompt(ctx: RequestContext) -> Response:
    source = prompts_domain.require(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    name = (ctx.json or {}).get("name") or f"Copy of {source['name']}"
    prompt_id = ctx.ids.prefixed("sp")
    items = tuple(dict(item, id=ctx.ids.prefixed("spa")) for item in prompts_domain.associations(source))
    record = prompts_domain.prompt_record(
        prompt_id,
        {"name": name, "description": source["description"], "enabled": source["enabled"]},
        items,
        now_iso(ctx),
    )
    ctx.state.store.insert(ctx.org_id, KIND, prompt_id, record)
    return json_response(_render(ctx, record), status=201)


async def compose_prompt(ctx: RequestContext) -> Response:
    record = prompts_domain.require(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    return json_response(prompts_domain.compose(ctx.state.store, ctx.org_id, record))


async def add_particle(ctx: RequestContext) -> Response:
    record = prompts_domain.require_own(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    item = _association(ctx, record, ctx.json)
    updated = prompts_domain.with_associations(record, (*prompts_domain.associations(record), item), now_iso(ctx))
    ctx.state.store.replace(ctx.org_id, KIND, record["id"], updated)
    return json_response(prompts_domain.render_one_association(ctx.state.store, ctx.org_id, updated, item["id"]), status=201)


def _require_item(record: dict[str, Any], particle_id: str) -> dict[str, Any]:
    item = prompts_domain.find_association(record, particle_id)
    if item is None:
        raise NotFound(f"Particle {particle_id} is not part of system prompt {record['id']}.")
    return item


async def update_particle(ctx: RequestContext) -> Response:
    store = ctx.state.store
    record = prompts_domain.require_own(store, ctx.org_id, ctx.path_params["system_prompt_id"])
    item = _require_item(record, ctx.path_params["particle_id"])
    fields = ctx.json
    version_id = fields["particleVersionId"] if "particleVersionId" in fields else item["particleVersionId"]
    order = fields["order"] if fields.get("order") is not None else item["order"]
    particle = particles_domain.require(store, ctx.org_id, item["particleId"])
    new_item = prompts_domain.association(item["id"], particle, order, version_id)
    items = tuple(new_item if existing["id"] == item["id"] else existing for existing in prompts_domain.associations(record))
    updated = prompts_domain.with_associations(record, items, now_iso(ctx))
    store.replace(ctx.org_id, KIND, record["id"], updated)
    return json_response(prompts_domain.render_one_association(store, ctx.org_id, updated, item["id"]))


async def remove_particle(ctx: RequestContext) -> Response:
    record = prompts_domain.require_own(ctx.state.store, ctx.org_id, ctx.path_params["system_prompt_id"])
    item = _require_item(record, ctx.path_params["particle_id"])
    items = tuple(existing for existing in prompts_domain.associations(record) if existing["id"] != item["id"])
    ctx.state.store.replace(ctx.org_id, KIND, record["id"], prompts_domain.with_associations(record, items, now_iso(ctx)))
    return no_content()


_ITEM = "/v1/system-prompts/{system_prompt_id}"
_READ, _WRITE = "system-prompts:read", "system-prompts:write"
ROUTES = [
    route(
        "POST",
        "/v1/system-prompts",
        create_prompt,
        scope=_WRITE,
        body="system_prompt_create",
        idempotent=True,
        status=201,
        response="system_prompt",
        summary="Create System Prompt",
    ),
    route(
        "GET",
        "/v1/system-prompts",
        list_prompts,
        scope=_READ,
        response="system_prompt_list",
        summary="List System Prompts",
        query=(
            Param("enabled", "boolean", default=True, description="Filter to enabled system prompts only"),
            Param("isSystem", "boolean", default=False, description="true: system templates only; false: your own"),
            expansions("particles"),
            *PAGE,
        ),
    ),
    route(
        "GET",
        _ITEM,
        get_prompt,
        scope=_READ,
        response="system_prompt",
        summary="Get System Prompt",
        query=(expansions("particles"),),
    ),
    route(
        "PATCH",
        _ITEM,
        update_prompt,
        scope=_WRITE,
        body="system_prompt_update",
        idempotent=True,
        response="system_prompt",
        summary="Update System Prompt",
    ),
    route(
        "DELETE",
        _ITEM,
        delete_prompt,
        scope=_WRITE,
        status=204,
        documented=False,
        summary="Delete System Prompt",
    ),
    route(
        "POST",
        f"{_ITEM}/copy",
        copy_prompt,
        scope=_WRITE,
        body="system_prompt_copy",
        body_optional=True,
        status=201,
        response="system_prompt",
        summary="Copy System Prompt",
    ),
    route(
        "GET",
        f"{_ITEM}/compose",
        compose_prompt,
        scope=_READ,
        response="system_prompt_compose",
        summary="Compose System Prompt",
    ),
    route(
        "POST",
        f"{_ITEM}/particles",
        add_particle,
        scope=_WRITE,
        body="system_prompt_particle_add",
        idempotent=True,
        status=201,
        response="system_prompt_particle",
        summary="Add Particle to System Prompt",
    ),
    route(
        "PATCH",
        f"{_ITEM}/particles/{{particle_id}}",
        update_particle,
        scope=_WRITE,
        body="system_prompt_particle_update",
        idempotent=True,
        response="system_prompt_particle",
        summary="Update Particle in System Prompt",
    ),
    route(
        "DELETE",
        f"{_ITEM}/particles/{{particle_id}}",
        remove_particle,
        scope=_WRITE,
        status=204,
        documented=False,
        summary="Remove Particle from System Prompt",
    ),
]
