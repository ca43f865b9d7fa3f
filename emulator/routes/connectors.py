"""Connectors: OAuth connections, remote resources, sync configurations, sync jobs and their items.

Reads of a connection or a job count as polls for the managed lifecycles (see
``emulator/domain/connectors.py`` and ``emulator/domain/sync_jobs.py``).
"""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..domain import connectors as conn_domain
from ..domain import sync_jobs as jobs_domain
from ..errors import Conflict
from ..pagination import whole_list
from ..params import Param, limit
from ..responses import json_response, no_content
from ..routing import route
from ..store import Record
from .common import now_iso

READ, WRITE = "connections:read", "connections:write"


def _connection(ctx: RequestContext, *, count_poll: bool, record: Record | None = None) -> Record:
    """The path's connection (or ``record``) brought up to date and stored."""
    state, org_id = ctx.state, ctx.org_id
    current = record or conn_domain.require_connection(state.store, org_id, ctx.path_params["connection_id"])
    updated = conn_domain.observe_connection(current, state.lifecycles.connections, ctx.clock.now(), count_poll=count_poll)
    if updated is not current:
        state.store.replace(org_id, conn_domain.KIND, current["id"], updated)
    return updated


def _job(ctx: RequestContext, job: Record, *, count_poll: bool) -> Record:
    """``job`` brought up to date and stored; a job seen completed for the first time creates its files."""
    state, org_id = ctx.state, ctx.org_id
    now = ctx.clock.now()
    updated = jobs_domain.observe(job, state.lifecycles.sync_jobs, now, count_poll=count_poll)
    if updated["status"] == "completed" and updated["_fileIds"] is None:
        config = state.store.get(org_id, conn_domain.CONFIG_KIND, updated["syncConfigId"])
        connection = state.store.get(org_id, conn_domain.KIND, config["connectionId"]) if config else None
        updated = jobs_domain.materialise(
            state.store,
            org_id,
            updated,
            ids=ctx.ids,
            now=now,
            file_lifecycle=state.file_lifecycle(ctx.org_id),
            connector=connection["connectorSlug"] if connection else "unknown",
        )
    if updated is not job:
        state.store.replace(org_id, jobs_domain.KIND, job["id"], updated)
    return updated


def _tree(ctx: RequestContext, connection: Record) -> dict[str, dict[str, object]]:
    return conn_domain.remote_tree(ctx.state.config.seed, connection["id"], connection["connectorSlug"])


async def create_connection(ctx: RequestContext) -> Response:
    state, org_id = ctx.state, ctx.org_id
    connection_id = ctx.ids.prefixed("conn")
    record = conn_domain.connection_record(connection_id, ctx.json, ctx.ids.rng("connection"), ctx.clock.now())
    record = conn_domain.observe_connection(record, state.lifecycles.connections, ctx.clock.now(), count_poll=False)
    state.store.insert(org_id, conn_domain.KIND, connection_id, record)
    return json_response(conn_domain.initiation_out(record), status=201)


async def list_connections(ctx: RequestContext) -> Response:
    provider = ctx.params.text("provider")
    collection = ctx.state.store.collection(ctx.org_id, conn_domain.KIND)
    items = [
        conn_domain.render(_connection(ctx, count_poll=True, record=c))
        for c in list(collection.values())
        if provider is None or c["connectorSlug"] == provider
    ]
    return json_response(whole_list(items))


async def get_connection(ctx: RequestContext) -> Response:
    return json_response(conn_domain.render(_connection(ctx, count_poll=True)))


async def delete_connection(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    connection = conn_domain.require_connection(store, org_id, ctx.path_params["connection_id"])
    configs = store.collection(org_id, conn_domain.CONFIG_KIND)
    for config in [c for c in configs.values() if c["connectionId"] == connection["id"]]:
        store.remove(org_id, conn_domain.CONFIG_KIND, config["id"])
    store.remove(org_id, conn_domain.KIND, connection["id"])
    return no_content()


async def browse_resources(ctx: RequestContext) -> Response:
    connection = _connection(ctx, count_poll=True)
    conn_domain.require_active(connection)
    items = conn_domain.children(_tree(ctx, connection), ctx.params.text("parentId"))
    return json_response(whole_list(items))


async def create_sync_config(ctx: RequestContext) -> Response:
    state, org_id = ctx.state, ctx.org_id
    connection = _connection(ctx, count_poll=False)
    conn_domain.require_active(connection)
    conn_domain.check_sync_target(state.store, org_id, _tree(ctx, connection), ctx.json)
    config_id = ctx.ids.prefixed("config")
    record = conn_domain.sync_config_record(config_id, connection["id"], ctx.json, now_iso(ctx))
    state.store.insert(org_id, conn_domain.CONFIG_KIND, config_id, record)
    return json_response(conn_domain.render(record), status=201)


async def list_sync_configs(ctx: RequestContext) -> Response:
    connection = conn_domain.require_connection(ctx.state.store, ctx.org_id, ctx.path_params["connection_id"])
    configs = ctx.state.store.collection(ctx.org_id, conn_domain.CONFIG_KIND).values()
    items = [conn_domain.render(c) for c in configs if c["connectionId"] == connection["id"]]
    return json_response(whole_list(items))


async def get_sync_config(ctx: RequestContext) -> Response:
    config = conn_domain.require_sync_config(ctx.state.store, ctx.org_id, ctx.path_params["config_id"])
    return json_response(conn_domain.render(config))


async def update_sync_config(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    config = conn_domain.require_sync_config(store, org_id, ctx.path_params["config_id"])
    conn_domain.check_sync_target(store, org_id, {}, ctx.json)
    updated = {**config, **ctx.json, "updatedAt": now_iso(ctx)}
    store.replace(org_id, conn_domain.CONFIG_KIND, config["id"], updated)
    return json_response(conn_domain.render(updated))


async def delete_sync_config(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    config = conn_domain.require_sync_config(store, org_id, ctx.path_params["config_id"])
    store.remove(org_id, conn_domain.CONFIG_KIND, config["id"])
    return no_content()


async def trigger_sync(ctx: RequestContext) -> Response:
    state, org_id = ctx.state, ctx.org_id
    config = conn_domain.require_sync_config(state.store, org_id, ctx.path_params["config_id"])
    if config["status"] != "active":
        raise Conflict(f"Sync configuration {config['id']} is {config['status']}; set it active to sync.")
    connection = _connection(
        ctx, count_poll=False, record=conn_domain.require_connection(state.store, org_id, config["connectionId"])
    )
    conn_domain.require_active(connection)
    for job in list(state.store.collection(org_id, jobs_domain.KIND).values()):
        if job["syncConfigId"] == config["id"]:
            _job(ctx, job, count_poll=False)
    jobs_domain.require_idle(state.store, org_id, config["id"])
    documents = conn_domain.documents_under(_tree(ctx, connection), config["remoteResourceId"])
    job_id = ctx.ids.prefixed("job")
    record = jobs_domain.job_record(job_id, config, documents, ctx.clock.now(), state.lifecycles.sync_jobs)
    state.store.insert(org_id, jobs_domain.KIND, job_id, record)
    record = _job(ctx, record, count_poll=False)  # an immediate lifecycle completes (and materialises) at once
    state.store.replace(
        org_id, conn_domain.CONFIG_KIND, config["id"], {**config, "lastSyncJobId": job_id, "updatedAt": now_iso(ctx)}
    )
    return json_response(jobs_domain.render(record))


async def list_sync_jobs(ctx: RequestContext) -> Response:
    config_id = ctx.params.text("syncConfigId")
    status = ctx.params.text("status")
    limit = ctx.params.integer("limit")
    jobs = [
        j
        for j in ctx.state.store.collection(ctx.org_id, jobs_domain.KIND).values()
        if config_id is None or j["syncConfigId"] == config_id
    ]
    observed = [_job(ctx, job, count_poll=True) for job in reversed(jobs)]  # newest first
    matching = [jobs_domain.render(j) for j in observed if status is None or j["status"] == status]
    return json_response({"items": matching[:limit], "nextCursor": None, "hasMore": len(matching) > limit})


async def get_sync_job(ctx: RequestContext) -> Response:
    job = jobs_domain.require_job(ctx.state.store, ctx.org_id, ctx.path_params["job_id"])
    return json_response(jobs_domain.render(_job(ctx, job, count_poll=True)))


async def list_sync_items(ctx: RequestContext) -> Response:
    status = ctx.params.text("status")
    limit = ctx.params.integer("limit")
    offset = ctx.params.integer("offset")
    job = jobs_domain.require_job(ctx.state.store, ctx.org_id, ctx.path_params["job_id"])
    found = [i for i in jobs_domain.items(_job(ctx, job, count_poll=True)) if status is None or i["status"] == status]
    window = found[offset : offset + limit]
    return json_response({"items": window, "nextCursor": None, "hasMore": offset + limit < len(found)})


ROUTES = [
    route(
        "POST",
        "/v1/connections",
        create_connection,
        scope=WRITE,
        body="connection_create",
        idempotent=True,
        status=201,
        response="connection_initiate",
        summary="Initiate OAuth connection",
    ),
    route(
        "GET",
        "/v1/connections",
        list_connections,
        scope=READ,
        response="connection_list",
        summary="List connections",
        query=(Param("provider", description="Filter by provider"),),
    ),
    route("GET", "/v1/connections/{connection_id}", get_connection, scope=READ, response="connection", summary="Get connection"),
    route(
        "DELETE",
        "/v1/connections/{connection_id}",
        delete_connection,
        scope=WRITE,
        status=204,
        documented=False,
        summary="Delete connection",
    ),
    route(
        "GET",
        "/v1/connections/{connection_id}/resources",
        browse_resources,
        scope=READ,
        response="remote_resource_list",
        summary="Browse remote resources",
        query=(
            Param("parentId", empty_is_absent=True, description="Remote folder/database to list (absent or empty: the root)"),
        ),
    ),
    route(
        "POST",
        "/v1/connections/{connection_id}/sync-configs",
        create_sync_config,
        scope=WRITE,
        body="sync_config_create",
        idempotent=True,
        status=201,
        response="sync_config",
        summary="Create sync configuration",
    ),
    route(
        "GET",
        "/v1/connections/{connection_id}/sync-configs",
        list_sync_configs,
        scope=READ,
        response="sync_config_list",
        documented=False,
        summary="List sync configurations",
    ),
    route(
        "GET",
        "/v1/sync-configs/{config_id}",
        get_sync_config,
        scope=READ,
        response="sync_config",
        documented=False,
        summary="Get sync configuration",
    ),
    route(
        "PATCH",
        "/v1/sync-configs/{config_id}",
        update_sync_config,
        scope=WRITE,
        body="sync_config_update",
        response="sync_config",
        documented=False,
        summary="Update sync configuration",
    ),
    route(
        "DELETE",
        "/v1/sync-configs/{config_id}",
        delete_sync_config,
        scope=WRITE,
        status=204,
        documented=False,
        summary="Delete sync configuration",
    ),
    route(
        "POST",
        "/v1/sync-configs/{config_id}/sync",
        trigger_sync,
        scope=WRITE,
        idempotent=True,
        response="sync_job",
        summary="Trigger sync",
    ),
    route(
        "GET",
        "/v1/sync-jobs",
        list_sync_jobs,
        scope=READ,
        response="sync_job_list",
        summary="List sync jobs",
        query=(
            Param("syncConfigId", description="Filter by sync config"),
            Param("status", enum=jobs_domain.JOB_STATUSES, description="Filter by status"),
            limit(50, description="Maximum results"),
        ),
    ),
    route(
        "GET", "/v1/sync-jobs/{job_id}", get_sync_job, scope=READ, response="sync_job", documented=False, summary="Get sync job"
    ),
    route(
        "GET",
        "/v1/sync-jobs/{job_id}/items",
        list_sync_items,
        scope=READ,
        response="sync_item_list",
        summary="List sync items",
        query=(
            Param("status", enum=jobs_domain.ITEM_STATUSES, description="Filter by status"),
            limit(100, 1000, description="Maximum results"),
            Param("offset", "integer", minimum=0, default=0, description="Offset for pagination"),
        ),
    ),
]
