"""The fused chain answers every request as the nested chain does: same responses, same journal."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from starlette.testclient import TestClient

from emulator import Config, create_app
from emulator.app import EmulatorApp
from emulator.pipeline import Chain, Inline, Stage

MODEL = "84d6f2f1-27a5-4b5c-8a53-e2f7f1f5b0a3"
AUTH = {"Authorization": "Bearer test-token"}
READER = {"Authorization": "Bearer read-only-token"}
OTHER = {"Authorization": "Bearer other-org-token"}
JSON = {"Content-Type": "application/json"}


def chat(content: str, **extra: Any) -> str:
    return json.dumps({"modelId": MODEL, "messages": [{"role": "user", "content": content}], **extra})


#: (method, path, headers, body): every outcome the front decides, on the fast path and off it.
REQUESTS: list[tuple[str, str, dict[str, str], str | None]] = [
    ("GET", "/v1/models", AUTH, None),
    ("GET", "/v1/models", {}, None),  # 401
    ("GET", "/v1/models", {"Authorization": "Bearer nope"}, None),  # 401
    ("POST", "/v1/chats", READER | JSON, chat("Hello 1")),  # 403
    ("GET", "/v1/nothing-here", AUTH, None),  # 404
    ("DELETE", "/v1/models", AUTH, None),  # 405
    ("POST", "/v1/chats", AUTH | JSON, chat("Hello 2")),
    ("POST", "/v1/chats", AUTH | JSON, "{not json"),  # 400
    ("POST", "/v1/chats", AUTH | JSON, '{"messages": 3}'),  # 422
    ("POST", "/v1/chats", AUTH | JSON, ""),  # 422: a body is required
    ("POST", "/v1/chats", AUTH | {"Content-Type": "text/plain"}, chat("Hello 3")),  # 415
    ("POST", "/v1/chats", AUTH | JSON, chat("x", zz=1)),
    ("POST", "/v1/chats", AUTH | JSON, chat("s", stream=True)),
    ("GET", "/v1/chats?limit=abc", AUTH, None),  # 422 from the query
    ("GET", "/v1/chats?limit=2", AUTH, None),
    ("GET", "/v1/health/liveness", {}, None),
    ("GET", "/v1/models", AUTH | {"Origin": "http://localhost:3000"}, None),  # CORS: off the fast path
    ("OPTIONS", "/v1/models", {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "GET"}, None),
    ("POST", "/v1/chats", AUTH | JSON | {"Idempotency-Key": "k-1"}, chat("Hello 4")),
    ("POST", "/v1/chats", AUTH | JSON | {"Idempotency-Key": "k-1"}, chat("Hello 4")),  # replayed
    ("POST", "/v1/chats", AUTH | JSON | {"Idempotency-Key": "k-1"}, chat("Hello 5")),  # 422: another body
    ("GET", "/_tenant/org_t1/v1/models", AUTH, None),
    ("GET", "/_emulator/health", {}, None),
    ("GET", "/_emulator/nope", {}, None),
    *[("GET", "/v1/models", OTHER, None)] * 22,  # the last ones are 429 (20 a minute)
    ("POST", "/_emulator/scenarios", JSON, '{"yaml": "name: t\\nrules:\\n  - match: {path: /v1/datasets}\\n    error: 503\\n"}'),
    ("GET", "/v1/datasets", AUTH, None),  # a scenario answers: off the fast path
    ("GET", "/v1/models", AUTH, None),  # a scenario is active, no rule matches
]


def _exchange(app: EmulatorApp) -> tuple[list[tuple[int, list[tuple[str, str]], bytes]], Any]:
    answers = []
    admin = {"Authorization": f"Bearer {app.config.admin_token}"} if app.config.admin_token else {}
    with TestClient(app, base_url="http://emulator") as client:
        for method, path, headers, body in REQUESTS:
            response = client.request(method, path, headers=headers, content=body)
            answers.append((response.status_code, list(response.headers.multi_items()), response.content))
        journal = client.get("/_emulator/requests", headers=admin).json()
        details = [client.get(f"/_emulator/requests/{item['seq']}", headers=admin).json() for item in journal["items"]]
    assert not app.state.server_errors
    return answers, (journal, details)


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({"rate_limit": "on", "rate_limit_per_user": 20}, id="limits-on"),
        pytest.param({"rate_limit": "off"}, id="limits-off"),
        pytest.param({"rate_limit": "on", "rate_limit_per_user": 20, "admin_token": "s3cret"}, id="admin-token"),
    ],
)
def test_fused_chain_answers_and_journals_like_the_nested_chain(options: dict[str, Any]) -> None:
    fused = create_app(Config(clock="manual", **options))
    nested = create_app(Config(clock="manual", **options))
    nested.recompose(fuse=False)
    fused_answers, fused_journal = _exchange(fused)
    nested_answers, nested_journal = _exchange(nested)
    statuses = [status for status, _, _ in fused_answers]
    assert {200, 204, 400, 401, 403, 404, 405, 415, 422} <= set(statuses)
    assert (429 in statuses) == (options["rate_limit"] == "on")
    assert (503 in statuses) == (options.get("admin_token") is None)  # the scenario upload needs the admin token
    for sent, fused_answer, nested_answer in zip(REQUESTS, fused_answers, nested_answers, strict=True):
        assert fused_answer == nested_answer, sent
    assert fused_journal == nested_journal
    assert len(fused_journal[0]["items"]) == len(REQUESTS) - 4  # the control plane and a preflight are not journaled


def _tripwired(app: EmulatorApp, calls: list[str]) -> None:
    """Replace the nested step of every inline stage by one that records its name, then recompose."""

    def wire(stage: Stage) -> Stage:
        if stage.inline is None:
            return stage
        inner = stage.step

        async def recorded(ctx: Any, call_next: Any) -> Any:
            calls.append(stage.name)
            return await inner(ctx, call_next)

        return replace(stage, step=recorded)

    chain = app.api_chain
    app.api_chain = Chain(tuple(map(wire, chain.before)), tuple(map(wire, chain.after)))
    app.recompose()


def test_fused_chain_runs_a_default_request_without_the_nested_steps() -> None:
    app = create_app(Config(clock="manual", rate_limit="on"))
    calls: list[str] = []
    _tripwired(app, calls)
    with TestClient(app, base_url="http://emulator") as client:
        assert client.get("/v1/models", headers=AUTH).status_code == 200
        assert client.post("/v1/chats", headers=AUTH | JSON, content=chat("Hello 1")).status_code == 200
        assert calls == []  # nothing optional applied: one coroutine, inline forms only
        assert (
            client.post("/v1/chats", headers=AUTH | JSON | {"Idempotency-Key": "k"}, content=chat("Hello 2")).status_code == 200
        )
        assert calls == ["body"]  # the nested chain from the idempotency step on
        calls.clear()
        assert client.get("/v1/models", headers=AUTH | {"Origin": "http://localhost:1"}).status_code == 200
        assert calls == ["journal", "auth", "ratelimit", "query"]  # CORS has work: the whole nested chain


@pytest.mark.parametrize("fuse", [pytest.param(True, id="fused"), pytest.param(False, id="nested")])
def test_route_chain_is_composed_when_its_route_first_serves_a_request(fuse: bool) -> None:
    """Building an app composes no route's chain (most apps serve few of their ~100 routes); a route's
    chain is composed once, by its first request, and serves every later one."""
    app = create_app(Config(clock="manual", rate_limit="off"))
    composed: list[str] = []

    def counted(stage: Stage) -> Stage:
        applies = stage.applies

        def recorded(route: Any) -> bool:
            composed.append(f"{route.method} {route.path}")
            return applies(route)

        return replace(stage, applies=recorded)

    first = app.api_chain.after[0]
    app.api_chain = Chain(app.api_chain.before, (counted(first), *app.api_chain.after[1:]))
    app.recompose(fuse=fuse)
    assert composed == []
    with TestClient(app, base_url="http://emulator") as client:
        for _ in range(3):
            assert client.get("/v1/models", headers=AUTH).status_code == 200
        assert composed == ["GET /v1/models"]
        assert client.get("/v1/nothing-here", headers=AUTH).status_code == 404
        assert client.get("/v1/datasets", headers=AUTH).status_code == 200
        assert client.get("/v1/datasets", headers=AUTH).status_code == 200
    assert composed == ["GET /v1/models", "GET /v1/datasets"]


@pytest.mark.parametrize("fuse", [pytest.param(True, id="fused"), pytest.param(False, id="nested")])
def test_an_idle_stage_with_a_leave_acts_only_when_it_has_work(fuse: bool) -> None:
    """A stage with an idle predicate and an inline ``leave`` (idle: its step would change nothing): the
    fused chain skips it, its leave included, and the stages around it still run theirs."""

    def unmarked(ctx: Any) -> bool:
        return ctx.headers.get("x-mark") is None

    def marked(ctx: Any, response: Any) -> Any:
        if unmarked(ctx):
            raise AssertionError("the leave of a stage that had nothing to do ran")
        response.raw_headers.append((b"x-marked", b"1"))
        return response

    app = create_app(Config(clock="manual", rate_limit="on"))
    mark = replace(Stage.of("mark", Inline(leave=marked)), idle=unmarked)
    app.api_chain = app.api_chain.with_stage(mark, after="auth")
    app.recompose(fuse=fuse)
    with TestClient(app, base_url="http://emulator") as client:
        if fuse:
            plain = client.get("/v1/models", headers=AUTH)
            assert plain.status_code == 200 and "x-marked" not in plain.headers
            assert plain.headers["x-ratelimit-remaining"] == "59"
        answer = client.get("/v1/models", headers=AUTH | {"X-Mark": "yes"})
    assert answer.status_code == 200 and answer.headers["x-marked"] == "1"
    assert answer.headers["x-ratelimit-remaining"] == ("58" if fuse else "59")
