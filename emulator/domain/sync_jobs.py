"""Sync jobs and their items: ``queued -> running -> completed``, driven by the clock or by polls.

Nothing runs in the background. A job stores when it was triggered, how often it was read and the
documents it covers (its plan); its visible status, counters and items are a pure function of those
and the time (``Config.sync_processing``: ``immediate``, ``polls:N`` or ``seconds:T``). When a job is
first seen ``completed``, the route layer materialises the synced documents as files of the target
dataset (:func:`materialise`), so ``fileId`` names a real ``FileOut``.
"""

from __future__ import annotations

import hashlib
import random
from typing import TYPE_CHECKING, Any

from ..clock import isoformat
from ..errors import Conflict
from ..lifecycle import Lifecycle, phase
from ..store import Record, Store
from . import files as files_domain
from . import found
from .connectors import UNSUPPORTED_MIME

if TYPE_CHECKING:
    from ..ids import Ids

KIND = "sync_jobs"
JOB_STATUSES = ("queued", "running", "completed", "failed", "cancelled")
ITEM_STATUSES = ("pending", "completed", "skipped", "failed")
_WORDS = (
    "policy",
    "customer",
    "release",
    "roadmap",
    "support",
    "pricing",
    "team",
    "quarter",
    "guide",
    "metric",
    "launch",
    "budget",
    "review",
    "feedback",
    "process",
    "security",
    "account",
    "onboarding",
    "report",
)


def job_record(job_id: str, config: Record, documents: list[dict[str, Any]], now: float, lifecycle: Lifecycle) -> Record:
    """A job just triggered on ``config``; ``documents`` are the remote nodes it will sync."""
    plan = [
        {
            "id": f"item_{job_id.removeprefix('job_')}_{index:04d}",
            "remoteResourceId": doc["id"],
            "remoteResourceName": doc["name"],
            "remoteResourceType": doc["type"],
            "mimeType": doc["mimeType"],
            "sizeBytes": doc["sizeBytes"] or 0,
            "outcome": "skipped" if doc["mimeType"] == UNSUPPORTED_MIME else "completed",
        }
        for index, doc in enumerate(documents)
    ]
    record: Record = {
        "id": job_id,
        "syncConfigId": config["id"],
        "status": "queued",
        "triggeredBy": "manual",
        "createdAt": isoformat(now),
        "startedAt": None,
        "completedAt": None,
        "itemsTotal": None,
        "itemsCompleted": 0,
        "itemsFailed": 0,
        "itemsSkipped": 0,
        "creditsConsumed": 0,
        "bytesProcessed": 0,
        "errorMessage": None,
        "progress": 0,
        "_plan": plan,
        "_datasetId": config["targetDatasetId"],
        "_startedAt": now,
        "_polls": 0,
        "_finishedAt": None,
        "_fileIds": None,  # remoteResourceId -> fileId, set by materialise()
    }
    return observe(record, lifecycle, now, count_poll=False)


def _processed(record: Record) -> int:
    """How many plan entries are done, given the job's progress (all of them once completed)."""
    total = len(record["_plan"])
    return total if record["status"] == "completed" else total * record["progress"] // 100


def observe(record: Record, lifecycle: Lifecycle, now: float, *, count_poll: bool) -> Record:
    """A new record whose status and counters are brought up to ``now`` (one more poll if ``count_poll``)."""
    if record["_finishedAt"] is not None:
        return record
    polls = record["_polls"] + (1 if count_poll else 0)
    current = phase(lifecycle, started_at=record["_startedAt"], polls=polls, now=now, finished_at=record["_finishedAt"])
    updated = {**record, "_polls": polls, "progress": current.progress}
    if current.done:
        updated.update(status="completed", _finishedAt=current.finished_at, progress=100)
    elif polls == 0 and now <= record["_startedAt"]:
        updated["status"] = "queued"
    else:
        updated["status"] = "running"
    if updated["status"] != "queued":
        plan = record["_plan"]
        done = plan[: _processed(updated)]
        updated.update(
            startedAt=isoformat(record["_startedAt"]),
            itemsTotal=len(plan),
            itemsCompleted=sum(1 for p in done if p["outcome"] == "completed"),
            itemsSkipped=sum(1 for p in done if p["outcome"] == "skipped"),
            bytesProcessed=sum(p["sizeBytes"] for p in done if p["outcome"] == "completed"),
        )
    if updated["status"] == "completed":
        updated["completedAt"] = isoformat(updated["_finishedAt"])
    return updated


def items(record: Record) -> list[dict[str, Any]]:
    """``SyncItemOut`` for every document the job has discovered (none while ``queued``)."""
    if record["status"] == "queued":
        return []
    processed = _processed(record)
    file_ids = record["_fileIds"] or {}
    out = []
    for index, entry in enumerate(record["_plan"]):
        done = index < processed
        status = entry["outcome"] if done else "pending"
        out.append(
            {
                "id": entry["id"],
                "remoteResourceId": entry["remoteResourceId"],
                "status": status,
                "remoteResourceName": entry["remoteResourceName"],
                "remoteResourceType": entry["remoteResourceType"],
                "fileId": file_ids.get(entry["remoteResourceId"]) if status == "completed" else None,
                "errorMessage": f"Unsupported file type: {entry['mimeType']}" if status == "skipped" else None,
                "retryCount": 0,
                "processedAt": (record["completedAt"] or record["startedAt"]) if done else None,
            }
        )
    return out


def materialise(
    store: Store, org_id: str, record: Record, *, ids: Ids, now: float, file_lifecycle: Lifecycle, connector: str
) -> Record:
    """Create the synced documents as files of the target dataset; returns the job with ``_fileIds``.

    Call once, when the job is first observed ``completed``. A dataset deleted meanwhile gets no
    association (the files are still created, like an upload without a dataset).
    """
    dataset_id = record["_datasetId"]
    has_dataset = store.get(org_id, "datasets", dataset_id) is not None
    file_ids: dict[str, str] = {}
    for entry in record["_plan"]:
        if entry["outcome"] != "completed":
            continue
        content = document_bytes(entry)
        file_id = ids.prefixed("file")
        associations = [files_domain.association("dataset", dataset_id, isoformat(now))] if has_dataset else []
        duplicate = files_domain.is_duplicate(store, org_id, _sha256(content))
        file = files_domain.file_record(
            file_id,
            _filename(entry),
            entry["mimeType"] if entry["mimeType"].startswith("text/") else "text/markdown",
            content,
            now=now,
            duplicate=duplicate,
            error=None,
            associations=associations,
            lifecycle=file_lifecycle,
            source="connector",
        )
        file["connectorMetadata"] = {
            "externalId": entry["remoteResourceId"],
            "externalUrl": None,
            "externalPath": entry["remoteResourceName"],
            "connector": connector,
        }
        store.insert(org_id, files_domain.KIND, file_id, file)
        file_ids[entry["remoteResourceId"]] = file_id
    return {**record, "_fileIds": file_ids}


def document_bytes(entry: dict[str, Any]) -> bytes:
    """The deterministic text of a remote document, exactly ``sizeBytes`` long."""
    rng = random.Random(f"doc:{entry['remoteResourceId']}")
    head = f"# {entry['remoteResourceName']}\n\n"
    words: list[str] = []
    size = len(head)
    while size < entry["sizeBytes"]:
        word = rng.choice(_WORDS)
        words.append(word)
        size += len(word) + 1
    return (head + " ".join(words)).encode()[: entry["sizeBytes"]].ljust(entry["sizeBytes"], b".")


def _filename(entry: dict[str, Any]) -> str:
    name = entry["remoteResourceName"]
    return name if "." in name else f"{name}.md"


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def require_job(store: Store, org_id: str, job_id: str) -> Record:
    return found(store.get(org_id, KIND, job_id), "Sync job", job_id)


def require_idle(store: Store, org_id: str, config_id: str) -> None:
    """A config with a queued or running job cannot start another (409)."""
    for job in store.collection(org_id, KIND).values():
        if job["syncConfigId"] == config_id and job["status"] in ("queued", "running"):
            raise Conflict(f"A sync for configuration {config_id} is already {job['status']} (job {job['id']}).")


def render(record: Record) -> dict[str, Any]:
    """``SyncJobOut``: the record without its private keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}
