"""RAG citations: the stored, ready files of a model's linked datasets, cited as ``Source`` objects."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from ..domain import datasets as datasets_domain
from ..domain import model_datasets as links_domain

if TYPE_CHECKING:
    from ..state import EmulatorState

MAX_SOURCES = 3
_CATEGORIES = (
    (("text/csv", "application/vnd.ms-excel", "spreadsheet", "tab-separated"), "tabular"),
    (("message/rfc822", "application/vnd.ms-outlook"), "email"),
    (("presentation", "powerpoint"), "presentation"),
    (("image/",), "image_ocr"),
    (("pdf", "text/", "json", "wordprocessing", "msword", "markdown"), "prose"),
)


def content_category(mime: str | None) -> str:
    """The documented ``Source.contentType`` category for a file's MIME type."""
    mime = (mime or "").lower()
    for needles, category in _CATEGORIES:
        if any(needle in mime for needle in needles):
            return category
    return "other"


Candidate = tuple[int, str, dict[str, Any]]  # (link priority, datasetId, file record)


def candidate_files(state: EmulatorState, org_id: str, model_id: str) -> list[Candidate]:
    """``(priority, datasetId, file)`` for every ready file the model may cite, highest priority first.

    A link pinned to a snapshot only sees the files that snapshot captured.
    """
    out: list[Candidate] = []
    for link in links_domain.links_of_model(state.store, org_id, model_id):
        dataset_id = link["datasetId"]
        files = datasets_domain.ready_files(state, org_id, dataset_id)
        if link.get("datasetSnapshotId"):
            snapshot = datasets_domain.find_snapshot(state.store, org_id, dataset_id, link["datasetSnapshotId"])
            pinned = set(snapshot["_fileIds"]) if snapshot is not None else set()
            files = [f for f in files if f["id"] in pinned]
        out.extend((int(link["priority"]), dataset_id, f) for f in files)
    return out


def pick_sources(candidates: list[Candidate], rng: random.Random) -> list[dict[str, Any]]:
    """Up to three citations, best score first, from the highest-priority datasets first.

    Within one priority the files are shuffled by ``rng`` (the conversation's), so a conversation
    always cites the same files while different questions cite different ones.
    """
    if not candidates:
        return []
    keyed = [(-priority, rng.random(), index) for index, (priority, _, _) in enumerate(candidates)]
    chosen = [candidates[index][1:] for _, _, index in sorted(keyed)[:MAX_SOURCES]]
    scores = sorted((round(rng.uniform(0.55, 0.98), 4) for _ in chosen), reverse=True)
    sources = []
    for (dataset_id, record), score in zip(chosen, scores, strict=True):
        chunk = rng.randrange(max(1, int(record.get("sizeBytes") or 0) // 1000 + 1))
        sources.append(
            {
                "sourceId": f"src_{record['id']}_{chunk}",
                "filename": record["filename"],
                "score": score,
                "chunkId": f"chunk_{record['id']}_{chunk}",
                "datasetId": dataset_id,
                "contentType": content_category(record.get("contentType")),
                "sourceUrl": f"/v1/files/{record['id']}/content",
            }
        )
    return sources
