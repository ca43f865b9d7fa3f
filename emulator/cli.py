"""The ``cuadra-emulator`` command line: a thin click layer that builds a :class:`Config`.

Every option has an ``EMULATOR_*`` environment-variable twin, so the Docker sidecar is configured
entirely through the environment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .config import DEFAULT_FILE_PROCESSING, Config
from .envvars import EnvironmentCommand

EXIT_OK = 0
EXIT_CONFIG_ERROR = 2  # a fixture or scenario file is invalid, or the options contradict each other
#: Where ``serve --workers N`` hands its options to the worker processes (JSON of the CLI options).
WORKER_OPTIONS_ENV = "CUADRA_WORKER_OPTIONS"
EXIT_CANNOT_BIND = 3  # the address is in use or cannot be bound


def build_config(**options: Any) -> Config:
    """Turn CLI options into a frozen :class:`Config` (kept separate so tests need no server)."""
    fixtures = options.get("fixtures")
    return Config(
        host=options.get("host", "127.0.0.1"),
        port=options.get("port", 8787),
        seed=options.get("seed", 0),
        fixtures_dir=Path(fixtures) if fixtures else None,
        bundled_fixtures=not options.get("no_bundled_fixtures", False),
        clock=options.get("clock", "system"),
        manual_waits=options.get("manual_waits", "hold"),
        auth=options.get("auth", "strict"),
        log_level=options.get("log_level", "warning"),
        scenarios=tuple(options.get("scenario") or ()),
        scenarios_dir=Path(options["scenarios_dir"]) if options.get("scenarios_dir") else None,
        admin_token=options.get("admin_token") or None,
        watch_scenarios=bool(options.get("watch", False)),
        connection_activation=options.get("connection_activation", "polls:1"),
        sync_processing=options.get("sync_processing", "polls:2"),
        rate_limit=options.get("rate_limit", "on"),
        rate_limit_per_user=options.get("rate_limit_per_user"),
        rate_limit_per_org=options.get("rate_limit_per_org"),
        cors_origins=tuple(o.strip() for o in (options.get("cors_origins") or "").split(",") if o.strip()),
        file_processing=options.get("file_processing", DEFAULT_FILE_PROCESSING),
        state=options.get("state") or "memory",
        state_namespace=options.get("state_namespace") or "cuadra-emulator",
        workers=options.get("workers") or 1,
        strict_requests=bool(options.get("strict_requests", False)),
        http_max_header_line=options.get("http_max_header_line", 8 * 1024),
        http_max_header_fields=options.get("http_max_header_fields", 100),
        http_max_head_bytes=options.get("http_max_head_bytes", 64 * 1024),
        http_head_timeout=options.get("http_head_timeout", 10.0),
        show_credentials=bool(options.get("show_credentials", False)),
    )


def _check_state(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .backend import check_state_option

    try:
        return check_state_option(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def workers_problem(config: Config) -> str | None:
    """Why ``config.workers`` cannot run (several workers on per-process state), or None."""
    if config.workers > 1 and config.state == "memory":
        return (
            f"--workers {config.workers} needs a shared state: add --state redis://host:port/db "
            "(with --state memory every worker would keep its own rate limits and Idempotency-Keys)"
        )
    return None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cuadra-emulator")
def main() -> None:
    """A local, deterministic emulator of the Cuadra AI REST API."""


@main.command(cls=EnvironmentCommand)
@click.option("--host", default="127.0.0.1", show_default=True, envvar="EMULATOR_HOST", help="Interface to bind.")
@click.option(
    "--port",
    default=8787,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="EMULATOR_PORT",
    help="Port to listen on (0 = any free port).",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    envvar="EMULATOR_SEED",
    help="Seed for ids, generated data and replies: same seed, same bytes.",
)
@click.option(
    "--fixtures",
    type=click.Path(file_okay=False, path_type=str),
    envvar="EMULATOR_FIXTURES",
    help="Directory of fixture YAML files, layered over the bundled ones: each file adds to them or replaces "
    "the bundled file of the same name.",
)
@click.option(
    "--no-bundled-fixtures",
    is_flag=True,
    default=False,
    envvar="EMULATOR_NO_BUNDLED_FIXTURES",
    help="--fixtures DIR replaces the bundled fixtures instead of layering over them.",
)
@click.option(
    "--clock",
    type=click.Choice(["system", "manual"]),
    default="system",
    show_default=True,
    envvar="EMULATOR_CLOCK",
    help="manual: virtual time that moves only when told.",
)
@click.option(
    "--manual-waits",
    type=click.Choice(["hold", "skip"]),
    default="hold",
    show_default=True,
    envvar="EMULATOR_MANUAL_WAITS",
    help="manual clock: scripted delays hold until the clock is moved past them (hold) or jump it (skip).",
)
@click.option(
    "--auth",
    type=click.Choice(["strict", "off"]),
    default="strict",
    show_default=True,
    envvar="EMULATOR_AUTH",
    help="off: accept any or no token as the default user.",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="warning",
    show_default=True,
    envvar="EMULATOR_LOG_LEVEL",
)
@click.option(
    "--scenario",
    "scenario",
    multiple=True,
    envvar="EMULATOR_SCENARIOS",
    callback=lambda ctx, param, value: _split_commas(value),
    help="Activate a scenario at start-up: a name or a YAML file (repeatable; env: comma-separated).",
)
@click.option(
    "--scenarios-dir",
    type=click.Path(file_okay=False, path_type=str),
    envvar="EMULATOR_SCENARIOS_DIR",
    help="Directory of scenario files, searched by name before the bundled ones.",
)
@click.option(
    "--admin-token",
    default=None,
    envvar="EMULATOR_ADMIN_TOKEN",
    help="Protect /_emulator/* with 'Authorization: Bearer <token>' (default: open, a local test tool).",
)
@click.option("--watch", is_flag=True, default=False, envvar="EMULATOR_WATCH", help="Reload scenario files when they change.")
@click.option(
    "--connection-activation",
    default="polls:1",
    show_default=True,
    envvar="EMULATOR_CONNECTION_ACTIVATION",
    callback=lambda ctx, param, value: __import__("emulator.lifecycle").lifecycle.check_option(value),
    help="OAuth connections become active: immediate | polls:N (N reads) | seconds:T (of the clock).",
)
@click.option(
    "--sync-processing",
    default="polls:2",
    show_default=True,
    envvar="EMULATOR_SYNC_PROCESSING",
    callback=lambda ctx, param, value: __import__("emulator.lifecycle").lifecycle.check_option(value),
    help="Sync jobs go queued -> running -> completed: immediate | polls:N | seconds:T.",
)
@click.option(
    "--rate-limit",
    type=click.Choice(["on", "off"]),
    default="on",
    show_default=True,
    envvar="EMULATOR_RATE_LIMIT",
    help="off: never answer 429 (no X-RateLimit-* headers).",
)
@click.option(
    "--rate-limit-per-user",
    type=click.IntRange(min=1),
    default=None,
    envvar="EMULATOR_RATE_LIMIT_PER_USER",
    help="Requests/minute per user (default: the documented 60; fixture rateLimits win).",
)
@click.option(
    "--rate-limit-per-org",
    type=click.IntRange(min=1),
    default=None,
    envvar="EMULATOR_RATE_LIMIT_PER_ORG",
    help="Requests/minute per organisation (default: the documented 300; fixture rateLimits win).",
)
@click.option(
    "--cors-origins",
    default="",
    envvar="EMULATOR_CORS_ORIGINS",
    help="Comma-separated browser origins allowed by CORS ('*' = any; default: any localhost origin).",
)
@click.option(
    "--file-processing",
    default=DEFAULT_FILE_PROCESSING,
    show_default=True,
    envvar="EMULATOR_FILE_PROCESSING",
    callback=lambda ctx, param, value: __import__("emulator.lifecycle").lifecycle.check_option(value),
    help="Uploaded files go uploaded -> processing -> ready: polls:N (the N-th GET is ready) | seconds:T (of the clock)"
    " | immediate (ready in the upload response).",
)
@click.option(
    "--state",
    default="memory",
    show_default=True,
    envvar="EMULATOR_STATE",
    callback=_check_state,
    help="Where shared state lives: memory (this process) | redis://host:port/db (every worker and replica).",
)
@click.option(
    "--state-namespace",
    default="cuadra-emulator",
    show_default=True,
    envvar="EMULATOR_STATE_NAMESPACE",
    help="Key prefix in Redis: replicas of one emulator share it; emulators sharing one Redis need their own.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    envvar="EMULATOR_WORKERS",
    help="Worker processes; more than one requires --state redis://...",
)
@click.option(
    "--strict-requests",
    is_flag=True,
    default=False,
    envvar="EMULATOR_STRICT_REQUESTS",
    help="Reject unknown body fields with a 422 (default: ignore them, as production does, with a journal warning).",
)
@click.option(
    "--http-max-header-line",
    type=click.IntRange(min=256),
    default=8 * 1024,
    show_default=True,
    envvar="EMULATOR_HTTP_MAX_HEADER_LINE",
    help="Longest header line in bytes (longer: 431).",
)
@click.option(
    "--http-max-header-fields",
    type=click.IntRange(min=8),
    default=100,
    show_default=True,
    envvar="EMULATOR_HTTP_MAX_HEADER_FIELDS",
    help="Most header fields per request (more: 431).",
)
@click.option(
    "--http-max-head-bytes",
    type=click.IntRange(min=1024),
    default=64 * 1024,
    show_default=True,
    envvar="EMULATOR_HTTP_MAX_HEAD_BYTES",
    help="Largest request head (request line and headers) in bytes (larger: 431).",
)
@click.option(
    "--http-head-timeout",
    type=click.FloatRange(min=0.1),
    default=10.0,
    show_default=True,
    envvar="EMULATOR_HTTP_HEAD_TIMEOUT",
    help="Seconds to receive a complete request head (then 408 and close).",
)
@click.option(
    "--show-credentials",
    is_flag=True,
    default=False,
    envvar="EMULATOR_SHOW_CREDENTIALS",
    help="Journal output shows Authorization, cookies and client secrets in full (default: redacted).",
)
def serve(**options: Any) -> None:
    """Serve the emulated API (default http://127.0.0.1:8787)."""
    from .app import create_app
    from .yamlsource import SourceError

    config = build_config(**options)
    problem = workers_problem(config)
    if problem is not None:
        click.echo(f"cuadra-emulator: {problem}", err=True)
        sys.exit(EXIT_CONFIG_ERROR)
    try:
        app = create_app(config)
    except SourceError as exc:
        click.echo(f"cuadra-emulator: invalid configuration: {exc}", err=True)
        sys.exit(EXIT_CONFIG_ERROR)
    fixtures = app.state.fixtures
    if config.auth == "strict" and not fixtures.tokens and not fixtures.oauth_clients:
        where = config.fixtures_dir or "the bundled fixtures"
        if config.fixtures_dir and config.bundled_fixtures:
            where = f"{config.fixtures_dir} over the bundled fixtures"
        click.echo(
            f"cuadra-emulator: invalid configuration: {where} define no token and no OAuth client, so every API "
            "call would get 401; add a `tokens:` section (see fixtures/organizations.yaml) or start with --auth off",
            err=True,
        )
        sys.exit(EXIT_CONFIG_ERROR)
    import uvicorn

    from .server import bind_socket, is_loopback, settle_heap, socket_url, uvicorn_config

    try:
        sock = bind_socket(config.host, config.port)
    except OSError as exc:
        click.echo(f"cuadra-emulator: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_CANNOT_BIND)
    if not is_loopback(config.host) and not config.admin_token:
        click.echo(_OPEN_CONTROL_PLANE.format(host=config.host), err=True)
    click.echo(
        f"cuadra-emulator listening on {socket_url(sock)} (seed {config.seed}, clock {config.clock}, auth {config.auth}, "
        f"state {config.state.split('@')[-1]}, workers {config.workers})",
        err=True,
    )
    port = sock.getsockname()[1]
    click.echo(f"web console: {console_url(config, port)}", err=True)
    if config.workers > 1:
        import json
        import os

        from uvicorn.supervisors import Multiprocess

        # each worker process builds its own app from the same options (see emulator/workers.py)
        os.environ[WORKER_OPTIONS_ENV] = json.dumps(options)
        shared = uvicorn.Config(
            "emulator.workers:app",
            factory=True,
            workers=config.workers,
            log_level=config.log_level,
            access_log=False,
            lifespan="on",
            http="emulator.workers:HttpProtocol",
        )
        Multiprocess(shared, sockets=[sock]).run()  # what uvicorn.run does, on the socket bound above
        return
    # timeout_graceful_shutdown: an open console's journal stream must not hold Ctrl-C forever
    server = uvicorn.Server(uvicorn_config(app, log_level=config.log_level, lifespan="on", timeout_graceful_shutdown=2))
    settle_heap()
    server.run(sockets=[sock])


_OPEN_CONTROL_PLANE = """\
WARNING: cuadra-emulator is bound to {host}, a non-loopback address, without --admin-token.
WARNING: anyone who can reach it can use /_emulator/*: mint tokens for any organisation, reset
WARNING: state and read every tenant's requests from the journal. Set --admin-token (or
WARNING: EMULATOR_ADMIN_TOKEN), or bind to 127.0.0.1. See docs/security.md."""


def console_url(config: Config, port: int | None = None) -> str:
    """Where a browser finds the web console (a wildcard bind address is shown as 127.0.0.1); ``port``:
    the port actually bound (default: the configured one)."""
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port if port is not None else config.port}/_emulator/console/"


def _split_commas(values: tuple[str, ...] | None) -> tuple[str, ...]:
    """``--scenario a --scenario b,c`` (and ``EMULATOR_SCENARIOS=a,b``) -> ``("a", "b", "c")``."""
    return tuple(part.strip() for value in values or () for part in value.split(",") if part.strip())


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=str))
def validate(files: tuple[str, ...]) -> None:
    """Check scenario FILES (schema and semantics); exit 1 naming file, line and key of each error."""
    from .scenarios.loader import load_file
    from .yamlsource import SourceError

    failed = 0
    for file in files:
        try:
            scenario = load_file(file)
        except SourceError as exc:
            failed += 1
            click.echo(f"error: {exc}", err=True)
            continue
        click.echo(f"ok: {file}: scenario '{scenario.name}' ({len(scenario.rules)} rules)")
    sys.exit(1 if failed else EXIT_OK)


@main.command("scenarios")
@click.option(
    "--scenarios-dir",
    type=click.Path(file_okay=False, path_type=str),
    envvar="EMULATOR_SCENARIOS_DIR",
    help="Also list the scenarios of this directory (they win over bundled ones of the same name).",
)
def list_scenarios(scenarios_dir: str | None) -> None:
    """List the ready-made scenarios with their descriptions."""
    from .scenarios.loader import available, search_dirs
    from .scenarios.model import Scenario

    found = available(search_dirs(scenarios_dir))
    width = max((len(name) for name in found), default=0)
    for name, scenario in sorted(found.items()):
        text = scenario.description if isinstance(scenario, Scenario) else f"(invalid: {scenario})"
        click.echo(f"{name.ljust(width)}  {text}")
