"""Fixture loading: bundled files are valid; bad files name file, line and key; gaps filled from the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.fixtures import _read_files, load_fixtures
from emulator.resources import bundled_dir
from emulator.yamlsource import SourceError


def test_fixtures_bundled_files_pass_the_schema() -> None:
    # start-up skips jsonschema for the bundled files; this test is what keeps them valid
    docs = _read_files(bundled_dir("fixtures"), validate=True)
    assert {p for d in docs for p in d.data} >= {"organizations", "users", "tokens", "catalog", "models", "datasets"}
    load_fixtures(bundled_dir("fixtures"), seed=0)


def test_fixtures_same_seed_same_filled_values(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text(
        "organizations:\n  - id: org_a\nusers:\n  - id: u1\n    organization: org_a\n"
        "datasets:\n  - organization: org_a\n    name: KB\n"
    )
    first, again, other = (load_fixtures(tmp_path, seed, bundled=False) for seed in (3, 3, 4))
    assert first == again
    user = first.users["u1"]
    assert "@" in user["email"] and user["name"] and first.organizations["org_a"]["name"]
    assert first.datasets[0]["id"].startswith("ds_") and first.datasets[0]["description"]
    assert user["email"] != other.users["u1"]["email"]
    assert first.datasets[0]["id"] != other.datasets[0]["id"]


def test_fixtures_each_load_returns_data_of_its_own(tmp_path: Path) -> None:
    # loads of unchanged files are served from a per-process cache: a caller changing its copy must not
    # change what the next app is built from
    (tmp_path / "people.yaml").write_text(BASE + "tokens:\n  - token: t1\n    user: u1\n")
    first = load_fixtures(tmp_path, 0, bundled=False)
    pristine = load_fixtures(tmp_path, 0, bundled=False)
    first.users["u1"]["name"] = "Changed"
    first.tokens["t1"]["scopes"].append("extra")
    first.organizations.clear()
    again = load_fixtures(tmp_path, 0, bundled=False)
    assert again == pristine and again.organizations and again.tokens["t1"]["scopes"] == ["*"]
    assert again.users["u1"] is not first.users["u1"]


def test_fixtures_a_changed_file_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(BASE)
    assert load_fixtures(tmp_path, 0, bundled=False).organizations["org_a"]["name"] != "Renamed"
    path.write_text(BASE.replace("  - id: org_a\n", "  - id: org_a\n    name: Renamed\n", 1))
    assert load_fixtures(tmp_path, 0, bundled=False).organizations["org_a"]["name"] == "Renamed"
    path.write_text(BASE + "  - id: u1\n    organization: org_a\n")
    for _ in range(2):  # a bad file fails every load, not only the first
        with pytest.raises(SourceError, match="duplicate id"):
            load_fixtures(tmp_path, 0, bundled=False)


def test_fixtures_bundled_files_need_no_faker() -> None:
    import subprocess
    import sys

    code = "import sys; from emulator.fixtures import load_fixtures; load_fixtures(None, 0); print('faker' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


BASE = "organizations:\n  - id: org_a\nusers:\n  - id: u1\n    organization: org_a\n"


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        pytest.param("organizations:\n  - id: org_a\n    colour: red\n", 3, "organizations[0].colour", id="unknown-key"),
        pytest.param("organizations:\n  - name: X\n", 2, "organizations[0]", id="missing-id"),
        pytest.param("organizations:\n  - id: 12\n", 2, "organizations[0].id", id="wrong-type"),
        pytest.param("organizations: [\n", 2, "", id="yaml-syntax"),
        pytest.param(BASE + "tokens:\n  - token: t\n    user: ghost\n", 8, "tokens[0].user", id="unknown-user"),
        pytest.param(BASE + "  - id: u1\n    organization: org_a\n", 6, "users[1].id", id="duplicate-id"),
        pytest.param("organizations:\n  - id: a\n  - id: a\n", 3, "organizations[1].id", id="duplicate-org"),
        pytest.param(
            "catalog:\n  - displayName: X\n    provider: p\n    modelName: m\n    contextWindow: 0\n",
            5,
            "catalog[0].contextWindow",
            id="out-of-range",
        ),
        pytest.param("- a\n- b\n", 1, "", id="not-a-mapping"),
        pytest.param("organizations:\n  - id: a\n    credits: {limit: -1}\n", 3, "organizations[0].credits.limit", id="negative"),
    ],
)
@pytest.mark.parametrize("bundled", [pytest.param(True, id="layered"), pytest.param(False, id="alone")])
def test_fixtures_bad_file_names_file_line_and_key(tmp_path: Path, text: str, line: int, key: str, bundled: bool) -> None:
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(SourceError) as info:
        load_fixtures(tmp_path, 0, bundled=bundled)
    message = str(info.value)
    assert f"bad.yaml:{line}" in message, message
    assert key in message, message


def test_fixtures_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        load_fixtures(tmp_path / "nope", 0)
