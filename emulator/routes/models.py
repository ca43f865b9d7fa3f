"""Models: the organisation's models (with the system catalog) and the catalog itself."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..domain import models as models_domain
from ..ids import uuid_id
from ..pagination import paginate
from ..responses import json_response
from ..routing import route
from .common import now_iso


def _render(record: dict[str, object]) -> dict[str, object]:
    return record


async def list_models(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    collections = [store.collection(models_domain.SYSTEM_ORG, models_domain.KIND),
                   store.collection(org_id, models_domain.KIND)]
    page = paginate(collections, ctx.query, ctx.state.secret, identity=(org_id, "models"), render=_render)
    return json_response(page)


async def list_catalog(ctx: RequestContext) -> Response:
    store = ctx.state.store
    page = paginate(store.collection(models_domain.SYSTEM_ORG, models_domain.KIND), ctx.query, ctx.state.secret,
                    identity=(models_domain.SYSTEM_ORG, "catalog"), render=_render)
    return json_response(page)


async def create_model(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    parent = models_domain.require_parent(store, ctx.json["parentModelId"])
    model_id = uuid_id(ctx.state.rng)
    record = models_domain.custom_record(model_id, ctx.json, parent, now_iso(ctx))
    store.insert(org_id, models_domain.KIND, model_id, record)
    return json_response(record, status=201)


ROUTES = [
    route("GET", "/v1/models", list_models, scope="models:read", summary="List Models"),
    route("POST", "/v1/models", create_model, scope="models:write", body="model_create", idempotent=True,
          summary="Create Model"),
    route("GET", "/v1/models/catalog", list_catalog, scope="models:read", summary="List System Model Catalog"),
]
