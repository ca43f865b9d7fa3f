"""``/_emulator/scenarios``: list, activate (by name or uploaded YAML) and deactivate scenarios.

Control routes skip the JSON body step (no ``body=`` schema): an upload may be raw YAML, so the
handler reads and parses the body itself.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from ..errors import BadRequest, NotFound, UnprocessableEntity, UnsupportedMediaType, invalid
from ..params import ORG, Param
from ..pipeline.body import is_json_type, parse_json
from ..responses import json_response, no_content
from ..routing import route
from ..scenarios.loader import available, find_file, load_file, load_text
from ..scenarios.model import Scenario
from ..scenarios.shared import shared_key
from ..yamlsource import SourceError, format_path

if TYPE_CHECKING:
    from ..context import RequestContext
    from ..scenarios.runtime import ScenarioRuntime

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
_ACTIVATE_KEYS = {"name", "yaml", "org", "seed"}


def _runtime(ctx: RequestContext) -> ScenarioRuntime:
    runtime = ctx.state.scenarios
    return runtime


def source_problem(exc: SourceError) -> UnprocessableEntity:
    """A 422 problem naming the file, line and key path of a bad scenario."""
    return UnprocessableEntity(
        str(exc),
        extensions={
            "errors": [
                {
                    "file": exc.filename,
                    "line": exc.line,
                    "path": format_path(exc.key_path),
                    "detail": exc.message,
                }
            ]
        },
    )


async def list_scenarios(ctx: RequestContext) -> Response:
    runtime = _runtime(ctx)
    listed: list[dict[str, Any]] = []
    for name, found in sorted(available(runtime.dirs).items()):
        if isinstance(found, Scenario):
            listed.append(found.summary())
        else:
            listed.append({"name": name, "source": found.filename, "error": str(found)})
    return json_response({"active": runtime.to_json(), "available": listed})


async def _activation_request(ctx: RequestContext) -> tuple[Scenario | None, str | None, str | None, int | None]:
    """(uploaded scenario, name to look up, organisation, seed) from a JSON or raw YAML body."""
    raw = await ctx.body()
    media = ctx.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in YAML_TYPES:
        return _parse_upload(raw), None, ctx.params.text("org"), None
    if raw.strip() and media and not is_json_type(media):
        raise UnsupportedMediaType(f"Content-Type must be application/json or application/yaml (got {media}).")
    data = parse_json(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise invalid("/", "expected an object with 'name' or 'yaml'.")
    unknown = sorted(set(data) - _ACTIVATE_KEYS)
    if unknown:
        raise invalid(f"/{unknown[0]}", "unknown field (expected name, yaml, org, seed).")
    seed = data.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise invalid("/seed", "expected an integer.")
    org = data.get("org", ctx.params.text("org"))
    if org is not None and not isinstance(org, str):
        raise invalid("/org", "expected a string.")
    if ("name" in data) == ("yaml" in data):
        raise invalid("/", "give exactly one of 'name' (a bundled scenario) or 'yaml' (its text).")
    value = data.get("name", data.get("yaml"))
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"/{'name' if 'name' in data else 'yaml'}", "expected a non-empty string.")
    if "yaml" in data:
        return _parse_upload(value.encode()), None, org or None, seed
    return None, value, org or None, seed


def _parse_upload(raw: bytes) -> Scenario:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The scenario is not valid UTF-8.") from None
    try:
        return load_text(text, "<upload>")
    except SourceError as exc:
        raise source_problem(exc) from None


async def activate(ctx: RequestContext) -> Response:
    runtime = _runtime(ctx)
    scenario, name, org, seed = await _activation_request(ctx)
    if scenario is None:
        assert name is not None
        path = find_file(name, runtime.dirs)
        if path is None:
            known = ", ".join(sorted(n for n, s in available(runtime.dirs).items() if isinstance(s, Scenario)))
            raise NotFound(f"No scenario named '{name}' (available: {known}).")
        try:
            scenario = load_file(path)
        except SourceError as exc:
            raise source_problem(exc) from None
    if seed is not None:  # seeds this activation's random choices (a per-tenant seed on a shared server)
        scenario = replace(scenario, seed=seed)
    entry = runtime.activate(scenario, "runtime", org)
    await ctx.state.backend.delete(shared_key(entry))  # its counters start over for every replica too
    await ctx.state.settings_sync.publish_scenarios()  # and every replica runs it
    return json_response(entry.to_json(), status=201)


async def validate(ctx: RequestContext) -> Response:
    """Check raw scenario YAML exactly as ``cuadra-emulator validate`` does, without activating it:
    200 ``{"valid": true, "scenario": {...}}`` or ``{"valid": false, "errors": [{file, line, path, detail, message}]}``."""
    raw = await ctx.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The scenario is not valid UTF-8.") from None
    name = ctx.params.text("filename") or "<editor>"
    try:
        scenario = load_text(text, name)
    except SourceError as exc:
        error = {"file": exc.filename, "line": exc.line, "path": format_path(exc.key_path), "detail": exc.message}
        return json_response({"valid": False, "errors": [error | {"message": str(exc)}]})
    return json_response({"valid": True, "scenario": scenario.summary()})


async def source(ctx: RequestContext) -> Response:
    """The YAML text of a ready-made (or ``--scenarios-dir``) scenario, to start an edited copy from."""
    name = ctx.path_params["name"]
    path = find_file(name, _runtime(ctx).dirs)
    if path is None:
        raise NotFound(f"No scenario named '{name}'.")
    return Response(path.read_bytes(), media_type="application/yaml")


async def deactivate(ctx: RequestContext) -> Response:
    name = ctx.path_params["name"]
    if not _runtime(ctx).deactivate(name, ctx.params.text("org")):
        raise NotFound(f"Scenario '{name}' is not active.")
    await ctx.state.settings_sync.publish_scenarios()
    return no_content()


ROUTES = [
    route("GET", "/_emulator/scenarios", list_scenarios, auth=False, summary="Active and available scenarios"),
    route(
        "POST",
        "/_emulator/scenarios",
        activate,
        auth=False,
        status=201,
        summary="Activate a scenario by name or upload one as YAML",
        query=(ORG,),
    ),
    route(
        "POST",
        "/_emulator/scenarios/validate",
        validate,
        auth=False,
        summary="Validate scenario YAML without activating it",
        query=(Param("filename", empty_is_absent=True, description="Named in errors (default: <editor>)"),),
    ),
    route("GET", "/_emulator/scenarios/{name}/source", source, auth=False, summary="A scenario's YAML text"),
    route(
        "DELETE", "/_emulator/scenarios/{name}", deactivate, auth=False, status=204, summary="Deactivate a scenario", query=(ORG,)
    ),
]
