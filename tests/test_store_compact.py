"""Compact stored records (emulator/compact.py) and the store that keeps chats packed."""

from __future__ import annotations

import gc
import marshal
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator import store as store_module
from emulator.chat.turn import run_turn
from emulator.compact import Codec, Layout, Strings
from emulator.domain import chats as chats_domain
from emulator.domain import datasets as datasets_domain
from emulator.ids import Ids
from emulator.store import HOT_RECORDS, Rendered, Store
from tests.conftest import SUPPORT_BOT, chat_body

MESSAGE = Layout(("id", "role", "content"))
CHAT = Layout(("id", "title", "messages", "createdAt"), {"messages": MESSAGE}, shared=("title",))


def chat(**extra: Any) -> dict[str, Any]:
    return {
        "id": "chat_1",
        "title": None,
        "messages": [
            {"id": "msg_1", "role": "user", "content": "Hé “quoted” ✓"},
            {"id": "msg_2", "role": "assistant", "content": None},
        ],
        "createdAt": "2026-01-01T00:00:00Z",
        **extra,
    }


@pytest.mark.parametrize(
    "record",
    [
        pytest.param(chat(), id="fits-the-layout"),
        pytest.param(chat(ephemeral=True, metadata={"a": [1, 2.5, None, True]}), id="extra-keys-after-the-layout"),
        pytest.param(
            {**chat(), "messages": [{"id": "m", "role": "assistant", "content": "x", "sources": [{"fileId": "f"}]}]},
            id="nested-record-with-extra-keys",
        ),
        pytest.param({"title": "t", "id": "chat_1", "messages": [], "createdAt": "x"}, id="keys-in-another-order"),
        pytest.param({"id": "chat_1"}, id="fewer-keys"),
        pytest.param({**chat(), "messages": [{"role": "user"}, "not a record"]}, id="nested-items-that-do-not-fit"),
        pytest.param(chat(title="shared"), id="shared-string"),
        pytest.param(chat(title=7), id="shared-key-holding-an-int"),
        pytest.param(chat(title=True), id="shared-key-holding-a-bool"),
        pytest.param(chat(title=["a", 1]), id="shared-key-holding-a-list"),
        pytest.param(chat(title="x" * 300), id="shared-key-holding-a-long-string"),
    ],
)
def test_compact_layout_gives_back_an_equal_record_with_its_key_order(record: dict[str, Any]) -> None:
    codec = Codec(CHAT)
    stored = codec.pack(record)
    assert isinstance(stored, bytes)
    back = codec.unpack(stored)
    assert back == record
    assert list(back) == list(record)
    nested = record.get("messages", [])
    assert [list(m) for m in back.get("messages", []) if isinstance(m, dict)] == [list(m) for m in nested if isinstance(m, dict)]


FLAT = Layout(("id", "name", "createdAt"))


@pytest.mark.parametrize(
    "record",
    [
        pytest.param({"id": "ds_1", "name": "Hé ✓", "createdAt": "2026-01-01T00:00:00Z"}, id="fits-the-layout"),
        pytest.param({"id": "ds_1", "name": None, "createdAt": "x", "extra": [1, {"a": 2.5}]}, id="extra-keys"),
        pytest.param({"name": "n", "id": "ds_1", "createdAt": "x"}, id="keys-in-another-order"),
        pytest.param({"id": "ds_1"}, id="fewer-keys"),
        pytest.param({"id": "ds_1", "name": ("a", 1), "createdAt": 3}, id="a-tuple-and-an-int"),
    ],
)
def test_compact_flat_layout_packs_as_the_general_path_does(record: dict[str, Any]) -> None:
    """A layout without shared or nested keys (datasets) packs by a shorter path: the same values as the
    general one, read back as an equal dict with the same key order."""
    strings = Strings()
    packed = FLAT.pack(record, strings)
    assert type(packed) is bytes and marshal.loads(packed) == FLAT.to_values(record, strings)
    assert FLAT.unpack(packed, strings) == FLAT.from_values(marshal.loads(packed), strings) == record
    assert list(FLAT.unpack(packed, strings)) == list(record)


def test_compact_layout_keeps_a_record_marshal_cannot_encode_as_it_is() -> None:
    record, codec = chat(metadata=object()), Codec(CHAT)
    assert codec.pack(record) is record
    assert codec.unpack(record) is record


def test_compact_strings_keep_each_repeated_value_once_and_stay_bounded() -> None:
    strings = Strings(limit=2, max_length=5)
    codes = [strings.code(v) for v in ("org_a", "org_a", "org_b", "org_c", "toolong", None, 3, (1,))]
    assert codes[:3] == [0, 0, 1]  # one entry per distinct value
    assert codes[3:5] == ["org_c", "toolong"]  # past the limit / too long: kept as they are
    assert [strings.value(code) for code in codes] == ["org_a", "org_a", "org_b", "org_c", "toolong", None, 3, (1,)]
    assert len(strings) == 2


def test_compact_clones_share_the_strings_table_without_changing_what_either_reads(two_hot: None) -> None:
    store = Store({"chats": CHAT})
    store.insert("org", "chats", "chat_1", chat(title="one"))
    copy = store.clone()
    for n in range(2, 5):
        copy.insert("org", "chats", f"chat_{n}", chat(id=f"chat_{n}", title=f"copy {n}"))
        store.insert("org", "chats", f"chat_{n}", chat(id=f"chat_{n}", title=f"store {n}"))
    assert [r["title"] for r in copy.collection("org", "chats").values()] == ["one", "copy 2", "copy 3", "copy 4"]
    assert [r["title"] for r in store.collection("org", "chats").values()] == ["one", "store 2", "store 3", "store 4"]


@pytest.fixture
def two_hot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the two most recently written records of a packed kind stay unpacked."""
    monkeypatch.setattr(store_module, "HOT_RECORDS", 2)


def test_store_with_a_codec_packs_all_but_the_most_recently_used_records(two_hot: None) -> None:
    store = Store({"chats": CHAT})
    for n in range(4):
        store.insert("org", "chats", f"chat_{n}", chat(id=f"chat_{n}"))
    store.replace("org", "chats", "chat_0", chat(id="chat_0", title="again"))  # written again: hot again
    stored = store.collection("org", "chats")._records
    assert [type(stored[f"chat_{n}"]) for n in range(4)] == [dict, bytes, bytes, dict]
    assert store.get("org", "chats", "chat_1") == chat(id="chat_1")  # read: hot, chat_3 cools down
    assert [type(stored[f"chat_{n}"]) for n in range(4)] == [dict, dict, bytes, bytes]
    assert [r["title"] for r in store.collection("org", "chats").values()] == ["again", None, None, None]
    assert store.get("org", "chats", "chat_1") == chat(id="chat_1")  # packed again from what was kept


def test_store_with_a_codec_lists_pages_windows_clones_and_removes_like_plain_dicts(two_hot: None) -> None:
    plain, packed = Store(), Store({"chats": CHAT})
    for store in (plain, packed):
        for n in range(6):
            store.insert("org", "chats", f"chat_{n}", chat(id=f"chat_{n}", title=str(n)))
        store.replace("org", "chats", "chat_2", chat(id="chat_2", title="two"))
        assert store.remove("org", "chats", "chat_3") == chat(id="chat_3", title="3")
        assert store.remove("org", "chats", "chat_3") is None
    for store in (plain, packed):
        col = store.collection("org", "chats")
        assert list(col.values()) == list(plain.collection("org", "chats").values())
        assert [r["title"] for r in col.values()] == ["0", "1", "two", "4", "5"]
        assert col.window(1, 2) == [chat(id="chat_1", title="1"), chat(id="chat_2", title="two")]
        items, more, last = col.page_after(None, 2, lambda r: r["title"] != "1")
        assert ([r["id"] for r in items], more) == (["chat_0", "chat_2"], True)
        rest, more, _ = col.page_after(last, 10)
        assert ([r["id"] for r in rest], more) == (["chat_4", "chat_5"], False)
        assert col.count(lambda r: r["title"] in ("two", "5")) == 2
        copy = store.clone()
        copy.insert("org", "chats", "chat_9", chat(id="chat_9"))
        assert len(copy.collection("org", "chats")) == 6 and len(col) == 5


@pytest.mark.parametrize("codecs", [pytest.param({}, id="plain"), pytest.param({"chats": CHAT}, id="packed")])
def test_store_removes_the_right_record_after_inserts_clones_and_removes(codecs: dict[str, Layout], two_hot: None) -> None:
    """A collection finds a removed record's position through an index built by its first removal (and
    kept up to date after it, never shared with a clone): random inserts, removes and clones against a list."""
    import random

    rng = random.Random(16)
    store, model = Store(codecs), []
    for n in range(5):  # a baseline, as fixtures make one
        store.insert("org", "chats", f"chat_b{n}", chat(id=f"chat_b{n}"))
        model.append(f"chat_b{n}")
    stores = [(store.clone(), list(model)), (store.clone(), list(model))]
    for step in range(400):
        index = rng.randrange(len(stores))
        live, ids = stores[index]
        action = rng.random()
        if action < 0.5 or not ids:
            live.insert("org", "chats", f"chat_{step}", chat(id=f"chat_{step}", title=str(step)))
            ids.append(f"chat_{step}")
        elif action < 0.95:
            victim = rng.choice(ids)
            assert live.remove("org", "chats", victim)["id"] == victim  # type: ignore[index]
            ids.remove(victim)
        else:
            stores.append((live.clone(), list(ids)))
    assert len(stores) > 3
    for live, ids in [*stores, (store, model)]:
        col = live.collection("org", "chats")
        assert [r["id"] for r in col.values()] == ids and len(col) == len(ids)
        first, _, last = col.page_after(None, 3)
        rest, more, _ = col.page_after(last, len(ids))
        assert [r["id"] for r in first + rest] == ids and not more


def test_rendered_cache_is_bounded_in_entries_and_bytes() -> None:
    cache = Rendered(max_entries=3, max_bytes=10)
    for n in range(3):
        cache.put((n,), b"ab")
    assert len(cache) == 3
    cache.put((3,), b"ab")  # a fourth entry: everything older is dropped
    assert (len(cache), cache.get((0,)), cache.get((3,))) == (1, None, b"ab")
    cache.put((4,), b"123456789")  # 2 + 9 bytes > 10
    assert (len(cache), cache.size) == (1, 9)
    assert cache.put((5,), b"x" * 11) == b"x" * 11  # larger than the whole bound: served, not kept
    assert cache.get((5,)) is None and cache.size == 9


def test_store_chats_round_trip_through_the_api_with_the_same_json(client: TestClient) -> None:
    created = client.post("/v1/chats", json=chat_body("Hello “there”"))
    assert created.status_code == 200
    chat_id = created.json()["id"]
    again = client.post("/v1/chats", json={"chatId": chat_id, "messages": [{"role": "user", "content": "More?"}]})
    assert again.status_code == 200
    got = client.get(f"/v1/chats/{chat_id}").json()
    assert [m["role"] for m in got["messages"]] == ["user", "assistant", "user", "assistant"]
    assert got["messages"][1] == created.json()["message"]
    assert got["messages"][3] == again.json()["message"]
    assert list(got)[:3] == ["id", "organizationId", "modelId"]


def _dataset_calls(client: TestClient) -> list[tuple[int, bytes]]:
    """Create, read, list, update and delete datasets, then reset: every answer, in order."""
    answers = []

    def keep(response: Any) -> Any:
        answers.append((response.status_code, response.content))
        return response

    ids = [keep(client.post("/v1/datasets", json={"name": f"Set “{n}”", "description": f"d{n}"})).json()["id"] for n in range(8)]
    keep(client.post("/v1/datasets", json={"name": "no description"}))
    for dataset_id in ids:
        keep(client.get(f"/v1/datasets/{dataset_id}"))
    keep(client.patch(f"/v1/datasets/{ids[1]}", json={"name": "renamed", "consentForTraining": True}))
    keep(client.delete(f"/v1/datasets/{ids[2]}"))
    keep(client.get(f"/v1/datasets/{ids[2]}"))
    cursor = None
    while True:
        page = keep(client.get("/v1/datasets", params={"limit": 3, **({"cursor": cursor} if cursor else {})})).json()
        if not page["hasMore"]:
            break
        cursor = page["nextCursor"]
    keep(client.get("/v1/datasets", params={"limit": 4, "offset": 2}))
    keep(client.get(f"/v1/datasets/{ids[0]}", params={"expand[]": ["items", "snapshots"]}))
    keep(client.post("/_emulator/reset"))
    keep(client.get("/v1/datasets"))
    keep(client.get(f"/v1/datasets/{ids[0]}"))
    return answers


def test_store_datasets_packed_answer_byte_for_byte_as_plain_dicts(
    make_app: Any, two_hot: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Datasets are kept packed (all but the two most recently used, here): every answer is the one the
    same calls get when datasets are kept as dicts."""
    from emulator import state as state_module

    assert datasets_domain.KIND in state_module.STORE_CODECS
    answers = {}
    for packed in (True, False):
        if not packed:
            codecs = {k: v for k, v in state_module.STORE_CODECS.items() if k != datasets_domain.KIND}
            monkeypatch.setattr(state_module, "STORE_CODECS", codecs)
        app = make_app()
        with TestClient(app, base_url="http://emulator", headers={"Authorization": "Bearer test-token"}) as client:
            answers[packed] = _dataset_calls(client)
        org_id = app.state.tokens["test-token"].org_id
        stored = app.state.store.collection(org_id, datasets_domain.KIND)._records
        assert (bytes in {type(v) for v in stored.values()}) == packed or len(stored) <= 2
    assert answers[True] == answers[False]
    statuses = [status for status, _ in answers[True]]
    assert statuses.count(201) == 9 and 404 in statuses and 204 in statuses


def test_store_growing_with_chats_adds_no_objects_the_cyclic_collector_tracks(app: EmulatorApp) -> None:
    state = app.state
    principal = next(iter(state.tokens.values()))

    def turn(n: int) -> None:
        body = {"modelId": SUPPORT_BOT, "messages": [{"role": "user", "content": f"Question {n}"}]}
        run_turn(state, principal, body, Ids(state.id_key, principal.org_id, state.request_numbers.next(principal.org_id)))

    for n in range(HOT_RECORDS):  # first-use caches, and the newest chats that stay unpacked
        turn(-n)
    gc.collect()
    before = len(gc.get_objects())
    for n in range(300):
        turn(n)
    gc.collect()
    assert len(state.store.collection(principal.org_id, chats_domain.KIND)) == HOT_RECORDS + 300
    assert len(gc.get_objects()) - before < 30  # 300 more chats, each with 2 messages: none of them tracked
