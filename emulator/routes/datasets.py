"""Datasets: list and create (the rest of the group arrives with the full-surface issue)."""

from __future__ import annotations

from starlette.responses import Response

from ..context import RequestContext
from ..domain import datasets as datasets_domain
from ..errors import BadRequest, UnprocessableEntity
from ..ids import prefixed_id
from ..pagination import paginate, parse_limit
from ..responses import json_response
from ..routing import route
from .common import now_iso


async def list_datasets(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    collection = store.collection(org_id, datasets_domain.KIND)
    offset_text = ctx.query.get("offset")
    if offset_text is None:
        page = paginate(collection, ctx.query, ctx.state.secret, identity=(org_id, "datasets"),
                        render=datasets_domain.render, total_count=True)
        return json_response(page)
    # The official client pages datasets with ?limit=&offset= (see docs/fidelity.md).
    if ctx.query.get("cursor"):
        raise BadRequest("Use either cursor or offset, not both.")
    if not offset_text.isdigit():
        raise UnprocessableEntity("offset: must be a non-negative integer",
                                  extensions={"errors": [{"pointer": "#/query/offset", "detail": "must be a non-negative integer"}]})
    offset, limit = int(offset_text), parse_limit(ctx.query)
    records = list(collection.values())
    window = records[offset:offset + limit]
    return json_response({
        "items": [datasets_domain.render(r) for r in window],
        "hasMore": offset + limit < len(records),
        "nextCursor": None,
        "totalCount": len(records),
    })


async def create_dataset(ctx: RequestContext) -> Response:
    store, org_id = ctx.state.store, ctx.org_id
    dataset_id = prefixed_id(ctx.state.rng, "ds")
    record = datasets_domain.dataset_record(dataset_id, ctx.json, now_iso(ctx))
    store.insert(org_id, datasets_domain.KIND, dataset_id, record)
    return json_response(datasets_domain.render(record), status=201)


ROUTES = [
    route("GET", "/v1/datasets", list_datasets, scope="datasets:read", summary="List datasets"),
    route("POST", "/v1/datasets", create_dataset, scope="datasets:write", body="dataset_create", idempotent=True,
          summary="Create Dataset"),
]
