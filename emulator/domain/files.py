"""File records (``FileOut``), their associations and their processing lifecycle.

A stored file record is the public ``FileOut`` plus private keys starting with ``_``: the uploaded
bytes (``_content``, immutable ``bytes`` so a store clone shares them), the processing outcome and
the inputs of the lazy lifecycle (``_startedAt``, ``_polls``, ``_finishedAt``). ``status`` in the
store is the status as last observed; :func:`observe` brings it up to date with a pure computation.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ..clock import isoformat
from ..errors import NotFound
from ..lifecycle import Lifecycle, phase
from ..store import Record, Store

KIND = "files"
#: Resource types a file may be associated with; only chats and datasets are checked for existence.
RESOURCE_KINDS = {"dataset": "datasets", "chat": "chats"}


def file_record(
    file_id: str,
    filename: str,
    content_type: str,
    content: bytes,
    *,
    now: float,
    duplicate: bool,
    error: str | None,
    associations: list[dict[str, Any]],
    lifecycle: Lifecycle,
    source: str = "api",
) -> Record:
    """A new file as stored; ``error`` not None means processing will end in ``failed``."""
    record: Record = {
        "id": file_id,
        "filename": filename,
        "contentType": content_type,
        "sizeBytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "status": "uploaded",
        "isDuplicate": duplicate,
        "storageCharged": 0 if duplicate else len(content),
        "createdAt": isoformat(now),
        "processingStatus": {"progress": 0, "error": None},
        "processedAt": None,
        "associations": associations,
        "source": source,
        "sourceDetail": None,
        "connectorMetadata": None,
        "_content": content,
        "_outcome": "failed" if error else "ready",
        "_error": error,
        "_startedAt": now,
        "_polls": 0,
        "_finishedAt": None,
    }
    return observe(record, lifecycle, now, count_poll=False)


def observe(record: Record, lifecycle: Lifecycle, now: float, *, count_poll: bool) -> Record:
    """A new record whose ``status`` is brought up to ``now`` (one more poll when ``count_poll``)."""
    polls = record["_polls"] + (1 if count_poll else 0)
    current = phase(lifecycle, started_at=record["_startedAt"], polls=polls, now=now, finished_at=record["_finishedAt"])
    updated = dict(record)
    updated["_polls"] = polls
    if current.done:
        updated["_finishedAt"] = current.finished_at
        updated["status"] = record["_outcome"]
        if record["_outcome"] == "ready":
            updated["processingStatus"] = {"progress": 100, "error": None}
            updated["processedAt"] = isoformat(current.finished_at or now)
        else:  # as the reference's example of a failed file: {"progress": 0, "error": "Failed to extract text from PDF"}
            updated["processingStatus"] = {"progress": 0, "error": record["_error"]}
            updated["processedAt"] = None
    else:
        # the documented lifecycle: "uploaded" (the upload response's example) until processing starts
        updated["status"] = "processing" if current.started else "uploaded"
        updated["processingStatus"] = {"progress": current.progress, "error": None}
    return updated


def render(record: Record) -> dict[str, Any]:
    """``FileOut``: the record without its private keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def content_of(record: Record) -> bytes:
    """The exact bytes that were uploaded."""
    content: bytes = record["_content"]
    return content


def association(resource_type: str, resource_id: str, now_iso: str) -> dict[str, Any]:
    return {"resourceType": resource_type, "resourceId": resource_id, "createdAt": now_iso}


def is_associated(record: Record, resource_type: str, resource_id: str) -> bool:
    return any(a["resourceType"] == resource_type and a["resourceId"] == resource_id for a in record.get("associations") or ())


def with_association(record: Record, resource_type: str, resource_id: str, now_iso: str) -> Record:
    """A new record associated with the resource (unchanged when it already is: associating is idempotent)."""
    if is_associated(record, resource_type, resource_id):
        return record
    updated = dict(record)
    updated["associations"] = [
        *(record.get("associations") or ()),
        association(resource_type, resource_id, now_iso),
    ]
    return updated


def without_association(record: Record, resource_type: str, resource_id: str) -> Record:
    updated = dict(record)
    updated["associations"] = [
        a for a in record.get("associations") or () if not (a["resourceType"] == resource_type and a["resourceId"] == resource_id)
    ]
    return updated


def require_resource(store: Store, org_id: str, resource_type: str, resource_id: str) -> None:
    """A 404 when a chat or dataset to associate with is not the organisation's; other types are free-form."""
    kind = RESOURCE_KINDS.get(resource_type)
    if kind is not None and store.get(org_id, kind, resource_id) is None:
        raise NotFound(f"{resource_type.capitalize()} not found: {resource_id}")


def is_duplicate(store: Store, org_id: str, sha256: str) -> bool:
    """Whether the organisation already stores these bytes (deduplication is per organisation)."""
    return any(f["sha256"] == sha256 for f in store.collection(org_id, KIND).values())


def files_for(store: Store, org_id: str, resource_type: str, resource_id: str) -> list[Record]:
    """Records of the organisation's files associated with one resource, in upload order."""
    return [f for f in store.collection(org_id, KIND).values() if is_associated(f, resource_type, resource_id)]


def files_in_dataset(store: Store, org_id: str, dataset_id: str) -> list[Record]:
    """Records of the files associated with a dataset (every status), in upload order.

    ``status`` is the status last observed; call :func:`observe` with the app's lifecycle and clock
    (``count_poll=False``) for the status as of now.
    """
    return files_for(store, org_id, "dataset", dataset_id)
