"""``ServerProcess``: the ``cuadra-emulator serve`` child the plugin starts with ``--cuadra-server subprocess``."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from emulator import Config
from emulator.cli import build_config, serve
from emulator.server_process import ServerProcess, serve_arguments


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(Config(), id="defaults"),
        pytest.param(Config(clock="manual", manual_waits="hold", file_processing="polls:2"), id="plugin"),
        pytest.param(
            Config(
                seed=7,
                fixtures_dir=Path("fx"),
                bundled_fixtures=False,
                auth="off",
                strict_requests=True,
                cors_origins=("http://a.test", "http://b.test"),
                rate_limit="off",
                rate_limit_per_user=2,
                rate_limit_per_org=9,
                scenarios=("flaky-5xx", "stream-cut"),
                scenarios_dir=Path("sc"),
                admin_token="s3cret",
                watch_scenarios=True,
                show_credentials=True,
                http_head_timeout=2.5,
            ),
            id="everything",
        ),
    ],
)
def test_server_process_arguments_rebuild_the_config_through_the_cli(config: Config) -> None:
    expected = config.with_(host="127.0.0.1", port=0)
    context = serve.make_context("serve", serve_arguments(expected))
    assert build_config(**context.params) == expected


def test_server_process_arguments_refuse_a_setting_serve_cannot_take() -> None:
    with pytest.raises(ValueError, match=r"Config.jwt_leeway has no `cuadra-emulator serve` option"):
        serve_arguments(Config(jwt_leeway=1.0))


@pytest.mark.slow  # starts a Python process (~1-2 s)
def test_server_process_serves_the_config_and_stops() -> None:
    with ServerProcess(Config(clock="manual", seed=3, port=8787)) as server:
        health = httpx.get(f"{server.url}/_emulator/health").json()
        assert (health["clock"], health["seed"]) == ("manual", 3)
        assert server.url.startswith("http://127.0.0.1:") and not server.url.endswith(":8787")  # a free port
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/_emulator/health", timeout=2)


@pytest.mark.slow
def test_server_process_that_cannot_start_quotes_its_error(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("organizations: [", encoding="utf-8")
    with pytest.raises(RuntimeError, match=r"exited with 2: .*broken\.yaml"):
        ServerProcess(Config(fixtures_dir=tmp_path)).start()
