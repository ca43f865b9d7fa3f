"""Datasets: list, create, get (with ``expand[]``), update, delete, snapshots."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..domain import datasets as datasets_domain
from ..domain import files as files_domain
from ..domain import model_datasets as links_domain
from ..errors import BadRequest
from ..pagination import paginate
from ..params import PAGE, Param, expansions
from ..responses import json_response, no_content
from ..routing import route
from .common import expand, now_iso


async def list_datasets(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    collection = store.collection(org_id, datasets_domain.KIND)
    offset = ctx.params.optional_integer("offset")
    if offset is None:
        page = paginate(
            collection,
            ctx.params,
            ctx.state.secret,
            identity=(org_id, "datasets"),
            render=datasets_domain.render,
            total_count=True,
        )
        return json_response(page)
    # The official client pages datasets with ?limit=&offset= (see docs/fidelity.md).
    if ctx.params.text("cursor"):
        raise BadRequest("Use either cursor or offset, not both.")
    limit = ctx.params.integer("limit")
    total = len(collection)
    return json_response(
        {
            "items": [datasets_domain.render(r) for r in collection.window(offset, limit)],
            "hasMore": offset + limit < total,
            "nextCursor": None,
            "totalCount": total,
        }
    )


async def create_dataset(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    dataset_id = ctx.ids.prefixed("ds")
    record = datasets_domain.dataset_record(dataset_id, ctx.json, now_iso(ctx))
    store.insert(org_id, datasets_domain.KIND, dataset_id, record)
    return json_response(datasets_domain.render(record), status=201)


async def get_dataset(ctx: RequestContext) -> Response:
    state, org_id = ctx.state, ctx.org_id
    dataset = datasets_domain.require_dataset(state.store, org_id, ctx.path_params["dataset_id"])
    wanted = expand(ctx)
    items = snapshots = None
    if "items" in wanted:
        files = datasets_domain.current_files(state, org_id, dataset["id"])[: datasets_domain.EXPAND_LIMIT]
        items = [files_domain.render(f) for f in files]
    if "snapshots" in wanted:
        found = datasets_domain.snapshots_of(state.store, org_id, dataset["id"])[: datasets_domain.EXPAND_LIMIT]
        snapshots = [datasets_domain.render_snapshot(s) for s in found]
    return json_response(datasets_domain.render(dataset, items, snapshots))


async def update_dataset(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    dataset = datasets_domain.require_dataset(store, org_id, ctx.path_params["dataset_id"])
    changes = {key: value for key, value in ctx.json.items() if value is not None or key == "description"}
    updated = {**dataset, **changes, "updatedAt": now_iso(ctx)}
    store.replace(org_id, datasets_domain.KIND, dataset["id"], updated)
    return json_response(datasets_domain.render(updated))


async def delete_dataset(ctx: RequestContext) -> Response:
    """Delete the dataset, its snapshots and its model links (the files themselves stay)."""
    store, org_id = ctx.state.store, ctx.org_id
    dataset = datasets_domain.require_dataset(store, org_id, ctx.path_params["dataset_id"])
    store.remove(org_id, datasets_domain.KIND, dataset["id"])
    for snapshot in datasets_domain.snapshots_of(store, org_id, dataset["id"]):
        store.remove(org_id, datasets_domain.SNAPSHOT_KIND, snapshot["id"])
    links_domain.drop_links(store, org_id, dataset_id=dataset["id"])
    return no_content()


async def create_snapshot(ctx: RequestContext) -> Response:
    state, org_id = ctx.state, ctx.org_id
    dataset = datasets_domain.require_dataset(state.store, org_id, ctx.path_params["dataset_id"])
    existing = datasets_domain.snapshots_of(state.store, org_id, dataset["id"])
    version = max((s["version"] for s in existing), default=0) + 1
    file_ids = [f["id"] for f in datasets_domain.current_files(state, org_id, dataset["id"])]
    record = datasets_domain.snapshot_record(ctx.ids.prefixed("snap"), dataset["id"], version, file_ids, now_iso(ctx))
    state.store.insert(org_id, datasets_domain.SNAPSHOT_KIND, record["id"], record)
    return json_response(datasets_domain.render_snapshot(record), status=201)


async def list_snapshots(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    dataset = datasets_domain.require_dataset(store, org_id, ctx.path_params["dataset_id"])
    dataset_id = dataset["id"]
    page = paginate(
        store.collection(org_id, datasets_domain.SNAPSHOT_KIND),
        ctx.params,
        ctx.state.secret,
        identity=(org_id, "dataset_snapshots", dataset_id),
        render=datasets_domain.render_snapshot,
        predicate=lambda s: s["datasetId"] == dataset_id,
        total_count=True,
    )
    return json_response(page)


ROUTES = [
    route(
        "GET",
        "/v1/datasets",
        list_datasets,
        scope="datasets:read",
        response="dataset_list",
        summary="List datasets",
        query=(*PAGE, Param("offset", "integer", minimum=0, description="Offset paging (instead of cursor)")),
    ),
    route(
        "POST",
        "/v1/datasets",
        create_dataset,
        scope="datasets:write",
        body="dataset_create",
        idempotent=True,
        status=201,
        response="dataset",
        summary="Create Dataset",
    ),
    route(
        "GET",
        "/v1/datasets/{dataset_id}",
        get_dataset,
        scope="datasets:read",
        response="dataset",
        summary="Get Dataset",
        query=(expansions("items", "snapshots"),),
    ),
    route(
        "PATCH",
        "/v1/datasets/{dataset_id}",
        update_dataset,
        scope="datasets:write",
        body="dataset_update",
        response="dataset",
        documented=False,
        summary="Update Dataset",
    ),
    route(
        "DELETE",
        "/v1/datasets/{dataset_id}",
        delete_dataset,
        scope="datasets:write",
        status=204,
        documented=False,
        summary="Delete Dataset",
    ),
    route(
        "POST",
        "/v1/datasets/{dataset_id}/snapshots",
        create_snapshot,
        scope="datasets:write",
        body="dataset_snapshot_create",
        body_optional=True,
        idempotent=True,
        status=201,
        response="dataset_snapshot",
        summary="Create Dataset Snapshot",
    ),
    route(
        "GET",
        "/v1/datasets/{dataset_id}/snapshots",
        list_snapshots,
        scope="datasets:read",
        response="dataset_snapshot_list",
        summary="List Dataset Snapshots",
        query=PAGE,
    ),
]
