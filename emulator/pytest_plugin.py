"""pytest plugin for cuadra-emulator (registered through the ``pytest11`` entry point).

Fixtures only; the engine lives in :mod:`emulator.server` and :mod:`emulator.testing`.

- ``cuadra_emulator``: a running emulator for each test, in one of three modes:

  - in-process (the default, ``--cuadra-server in-process``): uvicorn in a thread of the pytest process,
    port 0, started once per session (per xdist worker) and reset before each test;
  - ``--cuadra-server subprocess``: a ``cuadra-emulator serve`` child process the plugin starts once per
    session from ``cuadra_config``; each session is a tenant of it, reset alone before each test;
  - ``--cuadra-url`` / ``CUADRA_EMULATOR_URL``: an already running emulator (a Docker sidecar), where each
    session is likewise a tenant.
- ``cuadra_app`` / ``cuadra_client``: an in-process app and a sync httpx client for content-only tests.
- ``cuadra_config``: override it (session scope) to change seed, fixtures, clock, limits.
- marker ``@pytest.mark.cuadra(scenario=..., seed=..., clock=..., auth=...)``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from .config import DEFAULT_FILE_PROCESSING, Config

if TYPE_CHECKING:  # the engine is imported lazily at run time: loading the plugin stays cheap for every pytest run
    from .app import EmulatorApp
    from .fixtures import FixtureSet
    from .server import LiveServer
    from .server_process import ServerProcess
    from .testing import EmulatorHandle

FixtureCache = dict[tuple[Any, bool, int], "FixtureSet"]

MARKER_HELP = (
    "cuadra(scenario=None, seed=None, clock=None, auth=None, strict=None, **config): configure the Cuadra "
    "emulator for this test — activate scenarios (a name, YAML text, a path or a list), strict=True to answer unknown body "
    "fields with a 422, and/or override Config fields (a test whose overrides differ from the session's "
    "gets its own server)."
)
#: Marker options that are not Config fields.
_MARKER_ONLY = {"scenario", "strict"}
DEFAULT_TOKEN = "test-token"
SERVER_MODES = ("in-process", "subprocess")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cuadra", "Cuadra emulator")
    group.addoption(
        "--cuadra-url",
        default=os.environ.get("CUADRA_EMULATOR_URL"),
        help="use an already running emulator (e.g. a Docker sidecar) instead of starting one [env CUADRA_EMULATOR_URL]",
    )
    group.addoption(
        "--cuadra-server",
        choices=SERVER_MODES,
        default=os.environ.get("CUADRA_EMULATOR_SERVER") or "in-process",
        help="without --cuadra-url: serve the emulator from a thread of the pytest process (in-process, the default) "
        "or from a `cuadra-emulator serve` child process the plugin starts (subprocess) [env CUADRA_EMULATOR_SERVER]",
    )
    group.addoption(
        "--cuadra-admin-token",
        default=os.environ.get("CUADRA_EMULATOR_ADMIN_TOKEN"),
        help="admin token for the remote emulator's control plane [env CUADRA_EMULATOR_ADMIN_TOKEN]",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


def _marker_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("cuadra")
    return dict(marker.kwargs) if marker else {}


def _config_overrides(options: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(Config)} - {"extra"}
    unknown = set(options) - names - _MARKER_ONLY
    if unknown:
        valid = ", ".join(sorted(names | _MARKER_ONLY))
        raise pytest.UsageError(f"@pytest.mark.cuadra: unknown option(s) {sorted(unknown)}; valid options: {valid}")
    return {k: v for k, v in options.items() if k in names}


def _scenarios(options: dict[str, Any]) -> list[str | os.PathLike[str]]:
    """``scenario=``: a name, YAML text, a path, or a list of them (activated in order)."""
    value = options.get("scenario")
    if value is None:
        return []
    specs = list(value) if isinstance(value, list | tuple) else [value]
    for spec in specs:
        if not isinstance(spec, str | os.PathLike):
            raise pytest.UsageError(f"@pytest.mark.cuadra(scenario=...): expected a name, YAML text or a path, got {spec!r}")
    return specs


def _process_settings(overrides: dict[str, Any], has_scenario: bool) -> list[str]:
    """The marker's settings that belong to the whole emulator process (not to one tenant), sorted."""
    from .tenants.settings import TENANT_FIELDS

    # with a scenario, ``seed`` seeds the scenario's choices, which is per tenant
    return sorted(name for name in overrides if name not in TENANT_FIELDS and not (name == "seed" and has_scenario))


def _tenant_overrides(overrides: dict[str, Any], has_scenario: bool) -> dict[str, Any]:
    """The marker's settings a tenant of a shared emulator can take (``--cuadra-url``); a UsageError names
    the first one that belongs to the whole process."""
    from .tenants.settings import TENANT_FIELDS

    process = _process_settings(overrides, has_scenario)
    if process:
        name = process[0]
        why = "the seed of generated data" if name == "seed" else f"{name!r}"
        raise pytest.UsageError(
            f"@pytest.mark.cuadra({name}=...): {why} is a setting of the whole emulator process, which "
            "--cuadra-url shares with other tests; run this test with a local emulator. Per tenant are: "
            f"scenario (and its seed), strict, {', '.join(TENANT_FIELDS)}."
        )
    return {name: value for name, value in overrides.items() if name in TENANT_FIELDS}


@pytest.fixture(scope="session")
def cuadra_config() -> Config:
    """The emulator configuration for this session: manual clock (waits held), seed 0, bundled fixtures,
    and the documented upload lifecycle (``uploaded`` -> ``processing`` -> ``ready`` over two GETs;
    override with ``@pytest.mark.cuadra(file_processing="immediate")`` or by redefining this fixture)."""
    return Config(clock="manual", manual_waits="hold", file_processing=DEFAULT_FILE_PROCESSING)


@pytest.fixture(scope="session")
def _cuadra_fixture_cache() -> FixtureCache:
    return {}


def _build_app(config: Config, cache: FixtureCache) -> EmulatorApp:
    from .app import create_app
    from .fixtures import load_fixtures

    key = (config.fixtures_dir, config.bundled_fixtures, config.seed)
    if key not in cache:
        cache[key] = load_fixtures(config.fixtures_dir, config.seed, bundled=config.bundled_fixtures)
    return create_app(config, fixtures=cache[key])


@pytest.fixture(scope="session")
def _cuadra_session_server(
    request: pytest.FixtureRequest, cuadra_config: Config, _cuadra_fixture_cache: FixtureCache
) -> Iterator[LiveServer | ServerProcess | None]:
    if request.config.getoption("cuadra_url"):
        yield None
        return
    server: LiveServer | ServerProcess
    if request.config.getoption("cuadra_server") == "subprocess":
        from .server_process import ServerProcess

        server = ServerProcess(cuadra_config).start()
    else:
        from .server import LiveServer

        server = LiveServer(_build_app(cuadra_config, _cuadra_fixture_cache)).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _cuadra_tenant() -> str:
    """This session's (xdist worker's) tenant on a shared emulator, reset before each test."""
    return f"org_pytest_{secrets.token_hex(6)}"


@pytest.fixture
def cuadra_emulator(
    request: pytest.FixtureRequest,
    cuadra_config: Config,
    _cuadra_session_server: LiveServer | ServerProcess | None,
    _cuadra_fixture_cache: FixtureCache,
    _cuadra_tenant: str,
) -> Iterator[EmulatorHandle]:
    """A running emulator for this test: ``.url``, ``.token``, ``.mint_token()``, ``.use_scenario()``,
    ``.clock.advance()``, ``.requests``, ``.assert_called()``."""
    from .testing import EmulatorHandle

    options = _marker_options(request)
    overrides = _config_overrides(options)
    scenarios = _scenarios(options)
    remote_url = request.config.getoption("cuadra_url")
    server = _cuadra_session_server
    own_server: LiveServer | ServerProcess | None = None
    scenario_seed = None
    mode = "sidecar" if remote_url else request.config.getoption("cuadra_server")
    if mode != "in-process":
        # a shared emulator (sidecar) or the plugin's child process: this session is a tenant of it
        config = cuadra_config.with_(**overrides) if overrides else cuadra_config
        if mode == "subprocess" and _process_settings(overrides, bool(scenarios)):
            from .server_process import ServerProcess

            own_server = ServerProcess(config).start()  # a process setting: a child process of its own
            handle = EmulatorHandle(own_server.url, DEFAULT_TOKEN, admin_token=config.admin_token)
        else:
            settings = _tenant_overrides(overrides, bool(scenarios))
            scenario_seed = overrides.get("seed")
            if remote_url:
                url = remote_url
            else:
                assert server is not None, "without --cuadra-url the session server is started"
                url = server.url
            admin = request.config.getoption("cuadra_admin_token") if remote_url else cuadra_config.admin_token
            # this session's tenant, back to the fixtures (other tests on the emulator are untouched)
            handle = EmulatorHandle.for_tenant(url, _cuadra_tenant, admin_token=admin, fresh=True)
            if settings:
                handle.configure(**settings)
    else:
        from .server import LiveServer

        assert isinstance(server, LiveServer), "without --cuadra-url the session server is started"
        config = cuadra_config.with_(**overrides) if overrides else cuadra_config
        local = server
        if config != cuadra_config:
            local = own_server = LiveServer(_build_app(config, _cuadra_fixture_cache)).start()
        local.app.state.reset()
        handle = EmulatorHandle(local.url, DEFAULT_TOKEN, app=local.app)
    try:
        for scenario in scenarios:
            handle.use_scenario(scenario, seed=scenario_seed)
        if options.get("strict") is not None:  # per tenant on a shared server: no server of its own needed
            handle.strict_requests(bool(options["strict"]))
        yield handle
        if handle.app is not None and handle.app.state.server_errors:
            error = handle.app.state.server_errors[0]
            handle.app.state.server_errors.clear()
            raise error  # an exception inside the emulator fails the test that caused it
    finally:
        handle.close()
        if own_server is not None:
            own_server.stop()


@pytest.fixture
def cuadra_app(request: pytest.FixtureRequest, cuadra_config: Config, _cuadra_fixture_cache: FixtureCache) -> EmulatorApp:
    """A fresh in-process emulator app (no socket) for fast content-only tests."""
    options = _marker_options(request)
    overrides = _config_overrides(options)
    if options.get("strict") is not None:
        overrides["strict_requests"] = bool(options["strict"])
    # an in-process transport buffers and cannot time out: scripted waits jump virtual time instead
    config = cuadra_config.with_(**overrides, manual_waits="skip")
    return _build_app(config, _cuadra_fixture_cache)


@pytest.fixture
def cuadra_client(cuadra_app: EmulatorApp) -> Iterator[httpx.Client]:
    """A sync httpx client wired to ``cuadra_app`` in-process, authenticated with ``test-token``."""
    from .testing import SyncASGITransport

    transport = SyncASGITransport(cuadra_app)
    with httpx.Client(
        transport=transport, base_url="http://cuadra-emulator", headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"}
    ) as client:
        yield client
    transport.close()
    if cuadra_app.state.server_errors:
        raise cuadra_app.state.server_errors[0]
