"""The ``cuadra-emulator`` command line: a thin click layer that builds a :class:`Config`.

Every option has an ``EMULATOR_*`` environment-variable twin, so the Docker sidecar is configured
entirely through the environment.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from .config import Config

EXIT_OK = 0
EXIT_CONFIG_ERROR = 2  # a fixture or scenario file is invalid


def build_config(**options: Any) -> Config:
    """Turn CLI options into a frozen :class:`Config` (kept separate so tests need no server)."""
    fixtures = options.get("fixtures")
    return Config(
        host=options.get("host", "127.0.0.1"),
        port=options.get("port", 8787),
        seed=options.get("seed", 0),
        fixtures_dir=Path(fixtures) if fixtures else None,
        clock=options.get("clock", "system"),
        auth=options.get("auth", "strict"),
        log_level=options.get("log_level", "warning"),
        # --- build_config: feature options (one block per feature) ---
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cuadra-emulator")
def main() -> None:
    """A local, deterministic emulator of the Cuadra AI REST API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, envvar="EMULATOR_HOST", help="Interface to bind.")
@click.option("--port", default=8787, show_default=True, type=click.IntRange(0, 65535), envvar="EMULATOR_PORT",
              help="Port to listen on (0 = any free port).")
@click.option("--seed", default=0, show_default=True, type=int, envvar="EMULATOR_SEED",
              help="Seed for ids, generated data and replies: same seed, same bytes.")
@click.option("--fixtures", type=click.Path(file_okay=False, path_type=str), envvar="EMULATOR_FIXTURES",
              help="Directory of fixture YAML files (default: the bundled fixtures).")
@click.option("--clock", type=click.Choice(["system", "manual"]), default="system", show_default=True,
              envvar="EMULATOR_CLOCK", help="manual: virtual time that moves only when told.")
@click.option("--auth", type=click.Choice(["strict", "off"]), default="strict", show_default=True,
              envvar="EMULATOR_AUTH", help="off: accept any or no token as the default user.")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="warning", show_default=True, envvar="EMULATOR_LOG_LEVEL")
# --- serve options: feature flags (one block per feature) ---
def serve(**options: Any) -> None:
    """Serve the emulated API (default http://127.0.0.1:8787)."""
    from .app import create_app
    from .yamlsource import SourceError

    config = build_config(**options)
    try:
        app = create_app(config)
    except SourceError as exc:
        click.echo(f"cuadra-emulator: invalid configuration: {exc}", err=True)
        sys.exit(EXIT_CONFIG_ERROR)
    import uvicorn

    click.echo(f"cuadra-emulator listening on http://{config.host}:{config.port} (seed {config.seed}, "
               f"clock {config.clock}, auth {config.auth})", err=True)
    uvicorn.run(app, host=config.host, port=config.port, log_level=config.log_level, access_log=False,
                lifespan="on")
