"""The pipeline's order comes from one function of the config (emulator/pipeline/plan.py)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from emulator.config import Config
from emulator.control import CONTROL_ROUTES
from emulator.pipeline.plan import plan
from emulator.routes import API_ROUTES
from emulator.routing import Router
from emulator.validation import Validators

API_FULL = ["cors", "journal", "route", "auth", "ratelimit", "idempotency", "scenarios", "body", "query"]


@pytest.mark.parametrize(
    ("config", "api", "control"),
    [
        pytest.param(Config(), API_FULL, ["cors", "route", "body", "query"], id="defaults"),
        pytest.param(
            Config(rate_limit="off"),
            [name for name in API_FULL if name != "ratelimit"],
            ["cors", "route", "body", "query"],
            id="rate-limit-off",
        ),
        pytest.param(Config(admin_token="s3cret"), API_FULL, ["cors", "admin", "route", "body", "query"], id="admin-token"),
        pytest.param(  # resources shared through per-tenant logs: a store step on both chains, memory has none
            Config(state="redis://127.0.0.1:1/0"),
            [*API_FULL[:6], "store", *API_FULL[6:]],
            ["cors", "route", "store", "body", "query"],
            id="shared-state",
        ),
    ],
)
def test_plan_orders_the_steps_from_the_config(config: Config, api: list[str], control: list[str]) -> None:
    api_chain, control_chain = plan(config, Router(API_ROUTES), Router(CONTROL_ROUTES), Validators())
    assert api_chain.names() == api
    assert control_chain.names() == control


def test_plan_leaves_auth_limits_and_body_out_of_health(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app(rate_limit="on")
    health = next(r for r in app.api_router.routes if r.path == "/v1/health/liveness")
    after = [stage.name for stage in app.api_chain.after if stage.applies(health)]
    assert after == ["scenarios"]


def test_add_step_runs_after_the_named_stage(make_app) -> None:  # type: ignore[no-untyped-def]
    app = make_app()
    seen: list[str | None] = []

    async def probe(ctx, call_next):  # type: ignore[no-untyped-def]
        seen.append(ctx.principal.user_id if ctx.principal else None)
        return await call_next(ctx)

    app.add_step(probe, after="auth", name="probe")
    names = app.api_chain.names()
    assert names.index("probe") == names.index("auth") + 1
    with TestClient(app, base_url="http://emulator") as client:
        assert client.get("/v1/models").status_code == 401  # auth answered: the probe never ran
        assert client.get("/v1/models", headers={"Authorization": "Bearer test-token"}).status_code == 200
    assert len(seen) == 1 and seen[0] is not None


def test_plan_memory_store_records_nothing(make_app) -> None:  # type: ignore[no-untyped-def]
    """Memory mode pays nothing for shared resources: no write log on the store, no shared store."""
    app = make_app()
    assert app.state.shared_store is None and app.state.store.log is None
