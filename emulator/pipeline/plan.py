"""The order of the pipeline, in one place: the API and control-plane step lists from the config."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..backend import MEMORY
from . import Chain, Stage
from .admin import admin_check
from .auth import AUTH
from .body import body_reader
from .cors import make_cors_step, no_origin, origin_matcher
from .idempotency import idempotency_step, no_key
from .journal import JOURNAL, shared_journal_step
from .query import QUERY
from .ratelimit import limiter
from .scenarios import no_scenario, scenario_step
from .store import control_store_step, store_step

if TYPE_CHECKING:
    from ..config import Config
    from ..routing import Route, Router
    from ..validation import Validators


def _needs_auth(route: Route) -> bool:
    return route.auth


def _idempotent(route: Route) -> bool:
    return bool(route.idempotent)


def _has_body(route: Route) -> bool:
    return route.body is not None


def _has_query(route: Route) -> bool:
    return bool(route.query or route.path_params)


def plan(config: Config, api: Router, control: Router, validators: Validators) -> tuple[Chain, Chain]:
    """The API chain and the control-plane chain, outermost step first.

    API: cors -> journal -> route -> auth -> rate limit (unless ``rate_limit="off"``) -> idempotency ->
    store (shared backend only) -> scenario rules -> body (lenient: unknown fields ignored with a
    warning) -> query -> handler. Health and other ``auth=False`` routes skip auth, limits and the
    store step; only idempotent routes get the idempotency step, only routes with a body schema the
    body step and only routes with declared query or typed path parameters the query step.
    Control plane: cors -> admin token (when ``admin_token`` is set) -> route -> store (shared backend
    only) -> body (strict) -> query -> handler (no journal, auth or limits).
    """
    origins = origin_matcher(config.cors_origins)
    body = Stage.of("body", body_reader(validators, lenient=True), _has_body)
    query = Stage.of("query", QUERY, _has_query)
    api_after = [Stage.of("auth", AUTH, _needs_auth)]
    if config.rate_limit == "on":
        shared = config.state != MEMORY  # in memory the count is a plain call, no await
        api_after.append(Stage.of("ratelimit", limiter(shared), _needs_auth))
    api_after.append(Stage("idempotency", idempotency_step, _idempotent, idle=no_key))
    if config.state != MEMORY:  # resources shared through per-tenant logs (emulator/backend/shared_store.py)
        api_after.append(Stage("store", store_step, _needs_auth))
    api_after += [Stage("scenarios", scenario_step, idle=no_scenario), body, query]
    # with a shared backend the journal is shared too (a Redis stream): its step awaits the append
    journal = Stage.of("journal", JOURNAL) if config.state == MEMORY else Stage("journal", shared_journal_step)
    api_before = (Stage("cors", make_cors_step(origins, api), idle=no_origin), journal)
    control_before = [Stage("cors", make_cors_step(origins, control), idle=no_origin)]
    if config.admin_token:
        control_before.append(Stage.of("admin", admin_check(config.admin_token)))
    control_body = Stage.of("body", body_reader(validators), _has_body)  # the control plane stays strict
    control_after: tuple[Stage, ...] = (control_body, query)
    if config.state != MEMORY:
        control_after = (Stage("store", control_store_step), *control_after)
    return Chain(api_before, tuple(api_after)), Chain(tuple(control_before), control_after)
