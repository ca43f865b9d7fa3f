"""Rate limits as a client meets them: 429 with exact Retry-After, X-RateLimit-* headers, per-org limits."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.cli import build_config, main
from emulator.domain.models import SYSTEM_ORG
from emulator.principal import Principal
from emulator.state import ORG_KIND
from tests.conftest import AUTH, chat_body

PROBLEM = "application/problem+json"
LIMIT_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


@pytest.fixture
def limited(make_app: Callable[..., EmulatorApp]) -> EmulatorApp:
    return make_app(rate_limit="on")


@pytest.fixture
def lclient(limited: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(limited, base_url="http://emulator", headers=AUTH) as client:
        yield client
    assert not limited.state.server_errors, limited.state.server_errors


def spend(client: TestClient, count: int, token: str = "test-token") -> None:
    for _ in range(count):
        response = client.get("/v1/datasets", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text


def assert_limited(response: Any, retry_after: int, limit: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"] == PROBLEM
    assert response.json() == {
        "type": "about:blank",
        "title": "Too Many Requests",
        "status": 429,
        "detail": f"Rate limit exceeded. Retry after {retry_after} seconds.",
    }
    assert response.headers["retry-after"] == str(retry_after)
    assert response.headers["x-ratelimit-limit"] == str(limit)
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.headers["x-ratelimit-reset"] == str(retry_after)


def mint_users(app: EmulatorApp, org_id: str, count: int) -> list[str]:
    """Extra callers of ``org_id``, each with its own user id and token."""
    tokens = []
    for n in range(count):
        token = f"{org_id}-user-{n}"
        app.state.tokens[token] = Principal(f"{org_id}_member_{n}", org_id, frozenset({"*"}))
        tokens.append(token)
    return tokens


def test_ratelimit_success_carries_limit_headers(lclient: TestClient) -> None:
    response = lclient.get("/v1/datasets")
    assert response.status_code == 200
    assert [response.headers[h] for h in LIMIT_HEADERS] == ["60", "59", "60"]
    assert "retry-after" not in response.headers


def test_ratelimit_61st_request_in_a_minute_is_429_with_exact_retry_after(limited: EmulatorApp, lclient: TestClient) -> None:
    spend(lclient, 60)
    limited.state.clock.advance(25)
    assert_limited(lclient.get("/v1/datasets"), retry_after=35, limit=60)


@pytest.mark.parametrize(
    "waited, status",
    [
        pytest.param(0, 200, id="honours-retry-after"),
        pytest.param(-1, 429, id="retries-one-second-early"),
    ],
)
def test_ratelimit_client_honouring_retry_after_succeeds_next_try(
    limited: EmulatorApp, lclient: TestClient, waited: int, status: int
) -> None:
    spend(lclient, 60)
    limited.state.clock.advance(25)
    retry_after = int(lclient.get("/v1/datasets").headers["retry-after"])
    limited.state.clock.advance(retry_after + waited)
    response = lclient.get("/v1/datasets")
    assert response.status_code == status
    if status == 429:
        assert_limited(response, retry_after=1, limit=60)
    else:
        assert response.headers["x-ratelimit-remaining"] == "59"  # the 60 earlier ones all left the window


def test_ratelimit_limited_requests_do_not_consume_budget(limited: EmulatorApp, lclient: TestClient) -> None:
    spend(lclient, 60)
    for _ in range(20):
        assert lclient.get("/v1/datasets").status_code == 429
    limited.state.clock.advance(60)
    spend(lclient, 60)  # the whole budget is back: the refused requests were never counted


def test_ratelimit_users_have_separate_budgets(lclient: TestClient) -> None:
    spend(lclient, 60)
    assert lclient.get("/v1/datasets").status_code == 429
    reader = lclient.get("/v1/datasets", headers={"Authorization": "Bearer read-only-token"})
    assert reader.status_code == 200 and reader.headers["x-ratelimit-remaining"] == "59"


def test_ratelimit_org_limit_trips_for_users_each_under_60(limited: EmulatorApp, lclient: TestClient) -> None:
    tokens = mint_users(limited, "org_default", 7)
    for token in tokens[:6]:
        spend(lclient, 50, token)  # 6 x 50 = 300, nobody above 50 of their own 60
    limited.state.clock.advance(10)
    response = lclient.get("/v1/datasets", headers={"Authorization": f"Bearer {tokens[6]}"})
    assert_limited(response, retry_after=50, limit=300)
    other = lclient.get("/v1/datasets", headers={"Authorization": "Bearer other-org-token"})
    assert other.status_code == 200  # another organisation is not affected


def test_ratelimit_headers_describe_the_tightest_bucket(limited: EmulatorApp, lclient: TestClient) -> None:
    for token in mint_users(limited, "org_default", 5):
        spend(lclient, 58, token)  # 290 of the org's 300
    response = lclient.get("/v1/datasets")
    assert [response.headers[h] for h in LIMIT_HEADERS] == ["300", "9", "60"]


def test_ratelimit_fixture_overrides_per_organisation(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    (tmp_path / "orgs.yaml").write_text(
        "organizations:\n"
        "  - id: org_small\n    rateLimits: {perUser: 2, perOrg: 3}\n"
        "  - id: org_plain\n"
        "users:\n"
        "  - {id: a, organization: org_small}\n  - {id: b, organization: org_small}\n"
        "  - {id: c, organization: org_plain}\n"
        "tokens:\n  - {token: ta, user: a}\n  - {token: tb, user: b}\n  - {token: tc, user: c}\n"
    )
    app = make_app(rate_limit="on", fixtures_dir=tmp_path, bundled_fixtures=False)
    with TestClient(app, base_url="http://emulator") as client:

        def get(token: str) -> Any:
            return client.get("/v1/datasets", headers={"Authorization": f"Bearer {token}"})

        assert [get("ta").status_code for _ in range(3)] == [200, 200, 429]
        assert get("tb").headers["x-ratelimit-remaining"] == "0"  # 3rd request of org_small
        assert_limited(get("tb"), retry_after=60, limit=3)
        assert get("tc").headers["x-ratelimit-limit"] == "60"  # the documented default


def test_ratelimit_limits_follow_settings_and_organisation_record_changes(limited: EmulatorApp, lclient: TestClient) -> None:
    def limit() -> str | None:
        response = lclient.get("/v1/datasets")
        assert response.status_code == 200, response.text
        return response.headers.get("x-ratelimit-limit")

    assert limit() == "60"
    assert lclient.post("/_emulator/tenants", json={"org": "org_default", "settings": {"rate_limit_per_user": 5}}).is_success
    assert limit() == "5"
    store = limited.state.store
    org = store.get(SYSTEM_ORG, ORG_KIND, "org_default")
    assert org is not None
    store.replace(SYSTEM_ORG, ORG_KIND, "org_default", {**org, "rateLimits": {"perUser": 4}})
    assert limit() == "4"  # the organisation's own limits win over settings
    assert lclient.post("/_emulator/tenants", json={"org": "org_default", "settings": {"rate_limit": "off"}}).is_success
    assert limit() is None
    assert lclient.post("/_emulator/reset").status_code == 204
    assert limit() == "60"


def test_ratelimit_config_overrides_documented_defaults(make_app: Callable[..., EmulatorApp]) -> None:
    app = make_app(rate_limit="on", rate_limit_per_user=5, rate_limit_per_org=1000)
    with TestClient(app, base_url="http://emulator", headers=AUTH) as client:
        spend(client, 5)
        assert_limited(client.get("/v1/datasets"), retry_after=60, limit=5)


def test_ratelimit_off_never_limits_and_sends_no_headers(client: TestClient) -> None:
    responses = [client.get("/v1/datasets") for _ in range(70)]
    assert {r.status_code for r in responses} == {200}
    assert not any(h in responses[-1].headers for h in LIMIT_HEADERS)


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/v1/health/liveness", id="health"),
        pytest.param("/_emulator/health", id="control-plane"),
    ],
)
def test_ratelimit_unauthenticated_routes_are_not_counted(lclient: TestClient, path: str) -> None:
    for _ in range(70):
        response = lclient.get(path)
        assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers
    assert lclient.get("/v1/datasets").headers["x-ratelimit-remaining"] == "59"


def test_ratelimit_rejected_tokens_are_not_counted(lclient: TestClient) -> None:
    for _ in range(70):
        assert lclient.get("/v1/datasets", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert lclient.get("/v1/datasets").headers["x-ratelimit-remaining"] == "59"


@pytest.mark.parametrize(
    "method, path, body, status",
    [
        pytest.param("GET", "/v1/chats/chat_missing", None, 404, id="not-found"),
        pytest.param("POST", "/v1/datasets", {"name": 1}, 422, id="validation"),
        pytest.param("POST", "/v1/chats", chat_body(stream=True), 200, id="stream"),
    ],
)
def test_ratelimit_headers_on_every_counted_answer(lclient: TestClient, method: str, path: str, body: Any, status: int) -> None:
    response = lclient.request(method, path, json=body)
    assert response.status_code == status
    assert [response.headers[h] for h in LIMIT_HEADERS] == ["60", "59", "60"]


def test_ratelimit_reset_clears_buckets(lclient: TestClient) -> None:
    spend(lclient, 60)
    assert lclient.get("/v1/datasets").status_code == 429
    assert lclient.post("/_emulator/reset").status_code == 204
    assert lclient.get("/v1/datasets").headers["x-ratelimit-remaining"] == "59"


def test_ratelimit_replayed_idempotent_request_counts(lclient: TestClient) -> None:
    headers = {"Idempotency-Key": "count-me"}
    first = lclient.post("/v1/datasets", json={"name": "Docs"}, headers=headers)
    again = lclient.post("/v1/datasets", json={"name": "Docs"}, headers=headers)
    assert again.headers["idempotent-replayed"] == "true"
    assert (first.headers["x-ratelimit-remaining"], again.headers["x-ratelimit-remaining"]) == ("59", "58")


def test_ratelimit_cli_flags_and_env_twins() -> None:
    config = build_config(rate_limit="off", rate_limit_per_user=10, rate_limit_per_org=100)
    assert (config.rate_limit, config.rate_limit_per_user, config.rate_limit_per_org) == ("off", 10, 100)
    assert build_config().rate_limit == "on"
    serve = main.commands["serve"]  # type: ignore[attr-defined]
    envvars = {param.name: param.envvar for param in serve.params}
    assert envvars["rate_limit"] == "EMULATOR_RATE_LIMIT"
    assert envvars["rate_limit_per_user"] == "EMULATOR_RATE_LIMIT_PER_USER"
    assert envvars["rate_limit_per_org"] == "EMULATOR_RATE_LIMIT_PER_ORG"
    result = CliRunner().invoke(main, ["serve", "--rate-limit", "sometimes"])
    assert result.exit_code == 2 and "--rate-limit" in result.output
