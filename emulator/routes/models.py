"""Models: the organisation's models (with the system catalog) and the catalog itself."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..domain import datasets as datasets_domain
from ..domain import model_datasets as links_domain
from ..domain import models as models_domain
from ..errors import Conflict, NotFound, invalid
from ..pagination import paginate
from ..params import PAGE, expansions, uuid_path
from ..responses import cached_json, json_response, no_content
from ..routing import route
from .common import now_iso


def _render(record: dict[str, object]) -> dict[str, object]:
    return record


async def list_models(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    collections = [store.collection(models_domain.SYSTEM_ORG, models_domain.KIND), store.collection(org_id, models_domain.KIND)]
    return cached_json(
        store,
        ("models", org_id, ctx.raw_query),
        collections,
        lambda: paginate(collections, ctx.params, ctx.state.secret, identity=(org_id, "models"), render=_render),
    )


async def list_catalog(ctx: RequestContext) -> Response:
    store = ctx.state.store
    catalog = store.collection(models_domain.SYSTEM_ORG, models_domain.KIND)
    return cached_json(
        store,
        ("catalog", ctx.raw_query),
        [catalog],
        lambda: paginate(catalog, ctx.params, ctx.state.secret, identity=(models_domain.SYSTEM_ORG, "catalog"), render=_render),
    )


async def create_model(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    parent = models_domain.require_parent(store, ctx.json["parentModelId"])
    model_id = ctx.ids.uuid()
    record = models_domain.custom_record(model_id, ctx.json, parent, now_iso(ctx))
    store.insert(org_id, models_domain.KIND, model_id, record)
    return json_response(record, status=201)


async def get_model(ctx: RequestContext) -> Response:
    return json_response(models_domain.require_model(ctx.state.store, ctx.org_id, ctx.path_params["model_id"]))


async def update_model(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.require_own(store, org_id, ctx.path_params["model_id"], "modified")
    changes = ctx.json
    new_parent_id = changes.get("parentModelId")
    reparent = new_parent_id is not None
    parent = (
        models_domain.require_parent(store, new_parent_id)
        if reparent
        else models_domain.find_catalog(store, model.get("parentModelId") or "")
    )
    record = models_domain.updated_record(model, changes, parent, now_iso(ctx), reparent=reparent)
    store.replace(org_id, models_domain.KIND, model["id"], record)
    return json_response(record)


async def delete_model(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.require_own(store, org_id, ctx.path_params["model_id"], "deleted")
    store.remove(org_id, models_domain.KIND, model["id"])
    links_domain.drop_links(store, org_id, model_id=model["id"])
    return no_content()


def _check_link_fields(ctx: RequestContext, fields: dict[str, object], pointer: str) -> None:
    """The dataset must be the organisation's (404) and a pinned snapshot one of its snapshots (422)."""
    dataset_id = str(fields["datasetId"])
    datasets_domain.require_dataset(ctx.state.store, ctx.org_id, dataset_id)
    snapshot_id = fields.get("datasetSnapshotId")
    if (
        snapshot_id is not None
        and datasets_domain.find_snapshot(ctx.state.store, ctx.org_id, dataset_id, str(snapshot_id)) is None
    ):
        detail = f"{snapshot_id!r} is not a snapshot of dataset {dataset_id}"
        raise invalid(f"{pointer}/datasetSnapshotId", detail, message=detail)


async def list_model_datasets(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.require_model(store, org_id, ctx.path_params["model_id"])
    model_id = model["id"]
    page = paginate(
        store.collection(org_id, links_domain.KIND),
        ctx.params,
        ctx.state.secret,
        identity=(org_id, "model_datasets", model_id),
        render=dict,
        predicate=lambda link: link["modelId"] == model_id,
        total_count=True,
    )
    return json_response(page)


async def associate_dataset(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.require_own(store, org_id, ctx.path_params["model_id"], "linked to datasets")
    _check_link_fields(ctx, ctx.json, "")
    if links_domain.find_link(store, org_id, model["id"], ctx.json["datasetId"]) is not None:
        raise Conflict(f"Dataset {ctx.json['datasetId']} is already associated with this model.")
    link = links_domain.link_record(model["id"], ctx.json, now_iso(ctx))
    store.insert(org_id, links_domain.KIND, links_domain.link_key(model["id"], link["datasetId"]), link)
    return json_response(link, status=201)


async def batch_associate(ctx: RequestContext) -> Response:
    """All-or-nothing validation first (an unknown dataset is a 404 and links nothing), then link."""
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.require_own(store, org_id, ctx.path_params["model_id"], "linked to datasets")
    for index, fields in enumerate(ctx.json["datasets"]):
        _check_link_fields(ctx, fields, f"/datasets/{index}")
    created, skipped = [], []
    now = now_iso(ctx)
    for fields in ctx.json["datasets"]:
        key = links_domain.link_key(model["id"], fields["datasetId"])
        if store.get(org_id, links_domain.KIND, key) is not None:
            skipped.append({"datasetId": fields["datasetId"], "reason": links_domain.ALREADY_LINKED})
            continue
        link = links_domain.link_record(model["id"], fields, now)
        store.insert(org_id, links_domain.KIND, key, link)
        created.append(link)
    return json_response({"created": created, "skipped": skipped}, status=201)


async def update_model_dataset(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.require_own(store, org_id, ctx.path_params["model_id"], "linked to datasets")
    link = links_domain.require_link(store, org_id, model["id"], ctx.path_params["dataset_id"])
    changes = {key: ctx.json[key] for key in ("usageType", "datasetSnapshotId", "priority") if key in ctx.json}
    if changes.get("usageType") is None:
        changes.pop("usageType", None)
    if "priority" in changes and changes["priority"] is None:
        changes.pop("priority")
    if changes.get("datasetSnapshotId") is not None:
        _check_link_fields(ctx, {"datasetId": link["datasetId"], **changes}, "")
    updated = {**link, **changes, "updatedAt": now_iso(ctx)}
    store.replace(org_id, links_domain.KIND, links_domain.link_key(model["id"], link["datasetId"]), updated)
    return json_response(updated)


async def remove_model_dataset(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    model = models_domain.find_model(store, org_id, ctx.path_params["model_id"])
    if model is None:
        raise NotFound(f"Model not found: {ctx.path_params['model_id']}")
    link = links_domain.require_link(store, org_id, model["id"], ctx.path_params["dataset_id"])
    store.remove(org_id, links_domain.KIND, links_domain.link_key(model["id"], link["datasetId"]))
    return no_content()


#: Typed ``string<uuid>`` on Get/Update Model (and the inferred Delete, same path item in the reference);
#: the dataset-link pages type ``model_id`` as a plain string (example ``model_abc123``).
MODEL_ID = uuid_path("model_id", "Unique identifier for the model")

ROUTES = [
    route(
        "GET",
        "/v1/models",
        list_models,
        scope="models:read",
        response="model_list",
        summary="List Models",
        query=(*PAGE, expansions()),
    ),
    route(
        "POST",
        "/v1/models",
        create_model,
        scope="models:write",
        body="model_create",
        idempotent=True,
        status=201,
        response="model",
        summary="Create Model",
    ),
    route(
        "GET",
        "/v1/models/catalog",
        list_catalog,
        scope="models:read",
        response="model_list",
        summary="List System Model Catalog",
        query=PAGE,
    ),
    route(
        "GET",
        "/v1/models/{model_id}",
        get_model,
        scope="models:read",
        response="model",
        summary="Get Model",
        path_params=(MODEL_ID,),
    ),
    route(
        "PATCH",
        "/v1/models/{model_id}",
        update_model,
        scope="models:write",
        body="model_update",
        response="model",
        summary="Update Model",
        path_params=(MODEL_ID,),
    ),
    route(
        "DELETE",
        "/v1/models/{model_id}",
        delete_model,
        scope="models:write",
        status=204,
        summary="Delete Model",
        path_params=(MODEL_ID,),
    ),
    route(
        "GET",
        "/v1/models/{model_id}/datasets",
        list_model_datasets,
        scope="models:read",
        response="model_dataset_list",
        summary="List Model Datasets",
        query=PAGE,
    ),
    route(
        "POST",
        "/v1/models/{model_id}/datasets",
        associate_dataset,
        scope="models:write",
        body="model_dataset_create",
        idempotent=True,
        status=201,
        response="model_dataset",
        summary="Associate Dataset With Model",
    ),
    route(
        "POST",
        "/v1/models/{model_id}/datasets/batch",
        batch_associate,
        scope="models:write",
        body="model_dataset_batch",
        idempotent=True,
        status=201,
        response="model_dataset_batch",
        summary="Batch Associate Datasets With Model",
    ),
    route(
        "PATCH",
        "/v1/models/{model_id}/datasets/{dataset_id}",
        update_model_dataset,
        scope="models:write",
        body="model_dataset_update",
        idempotent=True,
        response="model_dataset",
        summary="Update Model-Dataset Association",
    ),
    route(
        "DELETE",
        "/v1/models/{model_id}/datasets/{dataset_id}",
        remove_model_dataset,
        scope="models:write",
        status=204,
        documented=False,
        summary="Remove Dataset From Model",
    ),
]
