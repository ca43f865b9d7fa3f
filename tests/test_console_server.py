"""The console's server side without a browser: the way in, its files and headers, the journal's
detail and live stream, the bounded feed, the YAML check and the admin token."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson
import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from emulator import Config, create_app
from emulator.cli import main
from emulator.console.feed import JournalFeed
from emulator.journal import JournalEntry
from emulator.server import LiveServer

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
AUTH = {"Authorization": "Bearer test-token"}


@pytest.mark.parametrize(
    ("path", "target"),
    [
        pytest.param("/", "/_emulator/console/", id="root"),
        pytest.param("/docs", "/_emulator/console/#reference", id="docs"),
        pytest.param("/_emulator", "/_emulator/console/", id="control-prefix"),
    ],
)
def test_console_door_redirects_a_browser(client: TestClient, path: str, target: str) -> None:
    response = client.get(path, headers=HTML, follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == target


@pytest.mark.parametrize("accept", ["application/json", "*/*", None])
def test_console_door_api_clients_still_get_the_404_problem(client: TestClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    response = client.get("/", headers=headers, follow_redirects=False)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_console_index_is_html_with_a_content_security_policy(client: TestClient) -> None:
    for path in ("/_emulator/console/", "/_emulator/console"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/html")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "connect-src 'self'" in csp and "default-src 'none'" in csp
        assert '<script type="module" src="/_emulator/console/app.js">' in response.text


@pytest.mark.parametrize(
    ("name", "status", "media"),
    [
        pytest.param("app.js", 200, "text/javascript", id="module"),
        pytest.param("console.css", 200, "text/css", id="stylesheet"),
        pytest.param("nope.js", 404, "application/problem+json", id="missing"),
        pytest.param("..%2Fconsole%2F__init__.py", 404, "application/problem+json", id="traversal"),
        pytest.param("__init__.py", 404, "application/problem+json", id="python-source"),
    ],
)
def test_console_static_files(client: TestClient, name: str, status: int, media: str) -> None:
    response = client.get(f"/_emulator/console/{name}")
    assert response.status_code == status
    assert response.headers["content-type"].startswith(media)


def test_console_every_module_import_resolves_to_a_served_file(client: TestClient) -> None:
    import re

    from emulator.console.static_files import STATIC_DIR

    for path in STATIC_DIR.glob("*.js"):
        for name in re.findall(r'from "\./([\w-]+\.js)"', path.read_text()):
            assert client.get(f"/_emulator/console/{name}").status_code == 200, (path.name, name)


def test_console_request_detail_has_response_body(client: TestClient) -> None:
    client.get("/v1/chats/does-not-exist")
    seq = client.get("/_emulator/requests").json()["items"][-1]["seq"]
    detail = client.get(f"/_emulator/requests/{seq}").json()
    assert detail["status"] == 404
    assert orjson.loads(detail["responseBody"])["status"] == 404
    assert client.get("/_emulator/requests/999999").status_code == 404
    assert client.get("/_emulator/requests/abc").status_code == 404


def _entry(seq: int) -> JournalEntry:
    return JournalEntry(seq, 0.0, "GET", "/v1/models", "", [])


def test_console_feed_drops_oldest_for_a_slow_reader_and_counts_them() -> None:
    async def scenario() -> tuple[list[int], int, int]:
        feed = JournalFeed()
        subscriber = feed.subscribe(size=4)
        for seq in range(1, 11):
            feed.publish(_entry(seq))
        batch, dropped = subscriber.take()
        feed.unsubscribe(subscriber)
        return [e.seq for e in batch], dropped, len(feed.subscribers)

    seqs, dropped, left = asyncio.run(scenario())
    assert seqs == [7, 8, 9, 10]
    assert dropped == 6
    assert left == 0


async def _read_rows(url: str, headers: dict[str, str], wanted: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    async with httpx.AsyncClient() as http, http.stream("GET", f"{url}/_emulator/requests/stream", headers=headers) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        async for line in stream.aiter_lines():
            if line.startswith("data: "):
                rows.extend(orjson.loads(line[6:])["rows"])
                if len(rows) >= wanted:
                    return rows
    return rows


def test_console_stream_pushes_backlog_then_live_rows() -> None:
    app = create_app(Config(clock="manual"))
    with LiveServer(app) as server:
        httpx.get(f"{server.url}/v1/models", headers=AUTH)

        async def run() -> list[dict[str, Any]]:
            reader = asyncio.ensure_future(_read_rows(server.url, {}, 2))
            while not app.state.feed.subscribers:
                await asyncio.sleep(0.01)
            async with httpx.AsyncClient() as http:
                await http.post(f"{server.url}/v1/datasets", headers={**AUTH, "Idempotency-Key": "k1"}, json={"name": "x"})
            return await asyncio.wait_for(reader, 5)

        rows = asyncio.run(run())
    assert [(r["method"], r["path"], r["status"]) for r in rows] == [("GET", "/v1/models", 200), ("POST", "/v1/datasets", 201)]
    assert rows[0]["orgId"] == "org_default"
    assert rows[0]["rateLimitRemaining"] == "59"


def test_console_admin_token_guards_everything_but_the_page() -> None:
    app = create_app(Config(clock="manual", admin_token="s3cret"))
    with TestClient(app) as client:
        assert client.get("/_emulator/console/").status_code == 200
        assert client.get("/_emulator/console/app.js").status_code == 200
        assert client.get("/_emulator/requests/stream").status_code == 401
        assert client.get("/_emulator/requests/1").status_code == 401
        assert client.post("/_emulator/scenarios/validate", content=b"name: x").status_code == 401


def test_console_validate_reports_line_like_the_cli(client: TestClient, tmp_path: Any) -> None:
    text = "name: broken\ndescription: d\nrules:\n  - match: {path: /v1/chats}\n    error: {status: 99}\n"
    response = client.post("/_emulator/scenarios/validate", content=text.encode(), headers={"Content-Type": "application/yaml"})
    assert response.status_code == 200
    body = response.json()
    assert body["valid"] is False
    error = body["errors"][0]
    assert error["line"] == 5
    file = tmp_path / "broken.yaml"
    file.write_text(text)
    cli = CliRunner().invoke(main, ["validate", str(file)])
    assert cli.output.strip() == f"error: {error['message'].replace('<editor>', str(file))}"
    ok = client.post("/_emulator/scenarios/validate", content=b"name: fine\ndescription: d\nrules: []\n").json()
    assert ok["valid"] is True and ok["scenario"]["name"] == "fine"


def test_console_serve_prints_the_console_url(monkeypatch: pytest.MonkeyPatch) -> None:
    bound = []
    monkeypatch.setattr("uvicorn.Server.run", lambda server, sockets=None: bound.extend(sockets or []))
    result = CliRunner().invoke(main, ["serve", "--port", "0", "--clock", "manual"])
    assert result.exit_code == 0, result.output
    port = bound[0].getsockname()[1]
    bound[0].close()
    assert f"web console: http://127.0.0.1:{port}/_emulator/console/" in result.output


def test_console_lists_fixture_tokens_with_scopes(client: TestClient) -> None:
    items = {item["token"]: item for item in client.get("/_emulator/tokens").json()["items"]}
    assert items["test-token"] == {"token": "test-token", "user": "member_default", "org": "org_default", "scopes": ["*"]}
    assert "datasets:write" not in items["read-only-token"]["scopes"]
    assert "datasets:read" in items["read-only-token"]["scopes"]


def test_console_scenario_source_is_the_file_text(client: TestClient) -> None:
    response = client.get("/_emulator/scenarios/rate-limited/source")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/yaml")
    assert response.text.startswith("name: rate-limited")
    assert client.get("/_emulator/scenarios/no-such/source").status_code == 404


def test_console_reads_the_openapi_document_from_the_control_plane(client: TestClient) -> None:
    assert client.get("/_emulator/openapi.json").json() == client.get("/openapi.json").json()
    paths = [item["path"] for item in client.get("/_emulator/requests").json()["items"]]
    assert paths == ["/openapi.json"]  # the console's read is not in the journal


def test_console_state_tables_of_a_tenant(client: TestClient) -> None:
    made = client.post("/v1/datasets", json={"name": "Quarterly"}).json()
    body = client.get("/_emulator/state?org=org_default").json()
    assert body["orgs"] == ["org_default", "org_other"]
    assert list(body["tables"])[:4] == ["chats", "models", "datasets", "files"]
    rows = body["tables"]["datasets"]["rows"]
    assert {"id": made["id"], "name": "Quarterly"}.items() <= next(r for r in rows if r["id"] == made["id"]).items()
    assert body["usage"]["credits.limit"] > 0
    missing = client.get("/_emulator/state?org=org_nope")
    assert missing.status_code == 404
    assert "org_default" in missing.json()["detail"]


def test_console_journal_row_carries_warnings_and_detail_redacts_credentials(client: TestClient) -> None:
    from emulator.console.journal import detail, row

    client.post("/v1/datasets", json={"name": "x", "colour": "blue"})
    entry = list(client.app.state.journal)[-1]  # type: ignore[attr-defined]
    assert entry.status == 201
    assert row(entry)["warnings"] and "colour" in row(entry)["warnings"][0]
    shown = detail(entry)
    assert "test-token" not in str(shown["requestHeaders"])
    assert shown["requestHeaders"]["authorization"].startswith("Bearer [redacted sha256:")
