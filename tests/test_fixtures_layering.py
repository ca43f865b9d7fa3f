"""``--fixtures DIR`` layers over the bundled fixtures by file name; ``--no-bundled-fixtures`` replaces them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from emulator import EmulatorApp
from emulator.cli import EXIT_CONFIG_ERROR, build_config, main
from emulator.fixtures import fixture_files
from emulator.resources import bundled_dir
from tests.conftest import AUTH, SUPPORT_BOT

EXTRA_DATASET = "datasets:\n  - id: ds_extra\n    organization: org_default\n    name: Extra KB\n"
ONE_DATASET = "datasets:\n  - id: ds_only\n    organization: org_default\n    name: The Only KB\n"
OWN_ORG = "organizations:\n  - id: org_own\nusers:\n  - {id: u_own, organization: org_own}\ntokens:\n  - {token: own-token, user: u_own}\n"


def _dataset_ids(client: TestClient) -> list[str]:
    response = client.get("/v1/datasets")
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_fixtures_extra_file_adds_to_the_bundled_data(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    (tmp_path / "extra.yaml").write_text(EXTRA_DATASET)
    with TestClient(make_app(fixtures_dir=tmp_path), headers=AUTH) as client:  # the bundled token still works
        datasets = _dataset_ids(client)
        assert "ds_extra" in datasets and {"ds_product_docs", "ds_support_faq"} <= set(datasets)
        assert client.get(f"/v1/models/{SUPPORT_BOT}").status_code == 200  # bundled models untouched


def test_fixtures_file_of_the_same_name_overrides_the_bundled_one(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    (tmp_path / "datasets.yaml").write_text(ONE_DATASET)
    with TestClient(make_app(fixtures_dir=tmp_path), headers=AUTH) as client:
        assert _dataset_ids(client) == ["ds_only"]  # the bundled datasets.yaml is gone
        assert client.get(f"/v1/models/{SUPPORT_BOT}").status_code == 200  # the other bundled files stay


def test_fixtures_overridden_bundled_file_is_never_read(tmp_path: Path) -> None:
    (tmp_path / "datasets.yaml").write_text(ONE_DATASET)
    (tmp_path / "extra.yml").write_text(EXTRA_DATASET)
    files = fixture_files(tmp_path)
    bundled = bundled_dir("fixtures")
    assert (bundled / "datasets.yaml", False) not in files
    assert (tmp_path / "datasets.yaml", True) in files and (tmp_path / "extra.yml", True) in files
    assert (bundled / "models.yaml", False) in files  # bundled files skip the schema (start-up stays fast)
    assert fixture_files(tmp_path, bundled=False) == [(tmp_path / "datasets.yaml", True), (tmp_path / "extra.yml", True)]


def test_fixtures_no_bundled_gives_only_the_directory(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    (tmp_path / "own.yaml").write_text(OWN_ORG + ONE_DATASET.replace("org_default", "org_own"))
    with TestClient(make_app(fixtures_dir=tmp_path, bundled_fixtures=False)) as client:
        assert client.get("/v1/datasets", headers=AUTH).status_code == 401  # no bundled token
        own = {"Authorization": "Bearer own-token"}
        assert [d["id"] for d in client.get("/v1/datasets", headers=own).json()["items"]] == ["ds_only"]
        assert client.get(f"/v1/models/{SUPPORT_BOT}", headers=own).status_code == 404


def test_fixtures_layered_directory_sees_the_bundled_ids(make_app: Callable[..., EmulatorApp], tmp_path: Path) -> None:
    # a layered file may name bundled records; alone the same file is an error naming the unknown organisation
    (tmp_path / "extra.yaml").write_text(EXTRA_DATASET)
    make_app(fixtures_dir=tmp_path)
    from emulator.yamlsource import SourceError

    with pytest.raises(SourceError, match=r"extra\.yaml:3: datasets\[0\]\.organization: unknown organization 'org_default'"):
        make_app(fixtures_dir=tmp_path, bundled_fixtures=False)


@pytest.mark.parametrize(
    ("args", "env", "bundled"),
    [
        pytest.param([], {}, True, id="default-layers"),
        pytest.param(["--no-bundled-fixtures"], {}, False, id="flag"),
        pytest.param([], {"EMULATOR_NO_BUNDLED_FIXTURES": "1"}, False, id="env-twin"),
        pytest.param([], {"EMULATOR_NO_BUNDLED_FIXTURES": "false"}, True, id="env-twin-false"),
    ],
)
def test_cli_no_bundled_fixtures_reaches_the_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], env: dict[str, str], bundled: bool
) -> None:
    seen = {}

    def fake_create_app(config):  # stop before a server would start
        seen["config"] = config
        raise SystemExit(0)

    monkeypatch.setattr("emulator.app.create_app", fake_create_app)
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path), *args], env=env)
    assert result.exit_code == 0, result.output
    assert seen["config"].bundled_fixtures is bundled and seen["config"].fixtures_dir == tmp_path
    assert build_config(fixtures=str(tmp_path), no_bundled_fixtures=not bundled).bundled_fixtures is bundled


def test_cli_no_bundled_fixtures_without_a_directory_exit_2() -> None:
    result = CliRunner().invoke(main, ["serve", "--no-bundled-fixtures"])
    assert result.exit_code == EXIT_CONFIG_ERROR
    assert "--no-bundled-fixtures" in result.output and "--fixtures DIR" in result.output


def test_cli_layered_organizations_without_token_exit_2(tmp_path: Path) -> None:
    # overriding organizations.yaml (where the bundled tokens live) with a token-less one is still caught
    (tmp_path / "organizations.yaml").write_text(
        "organizations:\n  - id: org_default\n  - id: org_other\nusers:\n  - {id: member_default, organization: org_default}\n"
    )
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path)])
    assert result.exit_code == EXIT_CONFIG_ERROR, result.output
    assert f"{tmp_path} over the bundled fixtures define no token" in result.output


def test_cli_bad_file_in_layered_directory_names_file_line_and_key(tmp_path: Path) -> None:
    (tmp_path / "datasets.yaml").write_text("datasets:\n  - organization: org_default\n    name: KB\n    colour: red\n")
    result = CliRunner().invoke(main, ["serve", "--fixtures", str(tmp_path)])
    assert result.exit_code == EXIT_CONFIG_ERROR
    assert "datasets.yaml:4" in result.output and "datasets[0].colour" in result.output


PLUGIN_DOWNSTREAM = """
import pathlib

import httpx
import pytest

from emulator import Config

FIXTURES = pathlib.Path(__file__).parent / "fx"


@pytest.fixture(scope="session")
def cuadra_config():
    return Config(clock="manual", fixtures_dir=FIXTURES)


def _datasets(url, token):
    response = httpx.get(url + "/v1/datasets", headers={"Authorization": "Bearer " + token})
    return response.status_code, [d["id"] for d in response.json().get("items", [])]


def test_layered(cuadra_emulator):
    assert _datasets(cuadra_emulator.url, "own-token") == (200, ["ds_only"])
    status, bundled = _datasets(cuadra_emulator.url, "test-token")
    assert status == 200 and "ds_product_docs" in bundled and "ds_only" not in bundled


@pytest.mark.cuadra(bundled_fixtures=False)
def test_replaced(cuadra_emulator, cuadra_app):
    assert cuadra_app.config.bundled_fixtures is False
    assert _datasets(cuadra_emulator.url, "own-token") == (200, ["ds_only"])
    assert _datasets(cuadra_emulator.url, "test-token")[0] == 401
"""


def test_pytest_plugin_config_and_marker_layer_or_replace(pytester: pytest.Pytester) -> None:
    fixtures = pytester.mkdir("fx")
    (fixtures / "own.yaml").write_text(OWN_ORG + ONE_DATASET.replace("org_default", "org_own"))
    pytester.makepyfile(test_downstream=PLUGIN_DOWNSTREAM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--strict-markers", "-W", "error")
    result.assert_outcomes(passed=2)
