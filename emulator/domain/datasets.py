"""Dataset records, their snapshots and the files they hold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..compact import Layout
from ..store import Record, Store
from . import found

if TYPE_CHECKING:
    from ..state import EmulatorState

KIND = "datasets"
SNAPSHOT_KIND = "dataset_snapshots"
EXPAND_LIMIT = 100  # expand[]=items|snapshots returns at most this many of each

#: How the store keeps datasets (test suites create them in bulk): the keys of :func:`dataset_record` in
#: their order, so a stored dataset is one ``bytes`` value, cheaper to keep and to free on a reset (see
#: :mod:`emulator.compact`).
DATASET_LAYOUT = Layout(("id", "name", "description", "consentForTraining", "createdAt", "updatedAt"))


def dataset_record(dataset_id: str, fields: dict[str, Any], now: str) -> Record:
    """``DatasetOut`` as stored; ``items``/``snapshots`` are filled only on ``expand[]``."""
    return {
        "id": dataset_id,
        "name": fields["name"],
        "description": fields.get("description"),
        "consentForTraining": bool(fields.get("consentForTraining", False)),
        "createdAt": now,
        "updatedAt": now,
    }


def render(record: Record, items: list[Any] | None = None, snapshots: list[Any] | None = None) -> dict[str, Any]:
    out = {key: value for key, value in record.items() if key != "consentForTraining"}
    out["items"] = items
    out["snapshots"] = snapshots
    return out


def require_dataset(store: Store, org_id: str, dataset_id: str) -> Record:
    """The organisation's dataset; another organisation's is a 404, like a missing one."""
    return found(store.get(org_id, KIND, dataset_id), "Dataset", dataset_id)


def ready_files(state: EmulatorState, org_id: str, dataset_id: str) -> list[Record]:
    """The dataset's files whose processing has finished successfully, as of now."""
    return [f for f in current_files(state, org_id, dataset_id) if f["status"] == "ready"]


def current_files(state: EmulatorState, org_id: str, dataset_id: str) -> list[Record]:
    """The dataset's file records with ``status`` brought up to now (no poll is counted)."""
    from ..domain import files as files_domain
    from ..lifecycle import parse_lifecycle

    lifecycle = parse_lifecycle(state.config.file_processing)
    now = state.clock_for(org_id).now()
    return [
        files_domain.observe(f, lifecycle, now, count_poll=False)
        for f in files_domain.files_in_dataset(state.store, org_id, dataset_id)
    ]


def snapshot_record(snapshot_id: str, dataset_id: str, version: int, file_ids: list[str], now: str) -> Record:
    """``DatasetSnapshotOut`` plus the private ``_fileIds`` it captured."""
    return {
        "id": snapshot_id,
        "datasetId": dataset_id,
        "version": version,
        "recordCount": len(file_ids),
        "status": "active",
        "createdAt": now,
        "_fileIds": list(file_ids),
    }


def render_snapshot(record: Record) -> dict[str, Any]:
    return {key: value for key, value in record.items() if not key.startswith("_")}


def snapshots_of(store: Store, org_id: str, dataset_id: str) -> list[Record]:
    return [s for s in store.collection(org_id, SNAPSHOT_KIND).values() if s["datasetId"] == dataset_id]


def find_snapshot(store: Store, org_id: str, dataset_id: str, snapshot_id: str) -> Record | None:
    snapshot = store.get(org_id, SNAPSHOT_KIND, snapshot_id)
    return snapshot if snapshot is not None and snapshot["datasetId"] == dataset_id else None
