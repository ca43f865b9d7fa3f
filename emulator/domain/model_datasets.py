"""Model–dataset links (``ModelDatasetOut``): which datasets a model retrieves from (RAG)."""

from __future__ import annotations

from typing import Any

from ..errors import NotFound
from ..store import Record, Store

KIND = "model_datasets"
ALREADY_LINKED = "Already associated with this model"


def link_key(model_id: str, dataset_id: str) -> str:
    return f"{model_id}/{dataset_id}"


def link_record(model_id: str, fields: dict[str, Any], now: str) -> Record:
    """A new link from a ``ModelDatasetCreate`` body (defaults: ``usageType`` rag, ``priority`` 0)."""
    return {
        "modelId": model_id,
        "datasetId": fields["datasetId"],
        "usageType": fields.get("usageType") or "rag",
        "priority": fields.get("priority") if fields.get("priority") is not None else 0,
        "datasetSnapshotId": fields.get("datasetSnapshotId"),
        "createdAt": now,
        "updatedAt": now,
    }


def find_link(store: Store, org_id: str, model_id: str, dataset_id: str) -> Record | None:
    return store.get(org_id, KIND, link_key(model_id, dataset_id))


def require_link(store: Store, org_id: str, model_id: str, dataset_id: str) -> Record:
    link = find_link(store, org_id, model_id, dataset_id)
    if link is None:
        raise NotFound(f"Dataset {dataset_id} is not associated with model {model_id}.")
    return link


def links_of_model(store: Store, org_id: str, model_id: str) -> list[Record]:
    """The model's links, highest ``priority`` first (then oldest first)."""
    links = []
    for link in store.collection(org_id, KIND).values():  # a loop: every chat turn asks (no comprehension frame)
        if link["modelId"] == model_id:
            links.append(link)
    if len(links) > 1:
        links.sort(key=lambda link: -int(link["priority"]))  # stable, as sorted() was
    return links


def drop_links(store: Store, org_id: str, *, model_id: str | None = None, dataset_id: str | None = None) -> int:
    """Remove every link of a deleted model or dataset; returns how many went."""
    doomed = [
        link
        for link in store.collection(org_id, KIND).values()
        if (model_id is not None and link["modelId"] == model_id) or (dataset_id is not None and link["datasetId"] == dataset_id)
    ]
    for link in doomed:
        store.remove(org_id, KIND, link_key(link["modelId"], link["datasetId"]))
    return len(doomed)
