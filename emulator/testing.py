"""Client-side helpers for tests: a handle on a running emulator and a sync in-process transport.

The pytest plugin (:mod:`emulator.pytest_plugin`) only wires these into fixtures; everything here
works without pytest, against a local thread server or a remote sidecar, through the control plane.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from .app import EmulatorApp

#: Control-plane calls may be slow on a loaded machine without anything being wrong: a server's first JWT
#: (``POST /_emulator/tenants`` mints one) derives the RSA signing key, ~1 s of CPU that a busy CI box can
#: stretch past 10 s. A slow answer must stay slow, not fail the test's setup.
CONTROL_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


class SyncASGITransport(httpx.BaseTransport):
    """Serve httpx's *sync* client from an ASGI app running on a private event-loop thread.

    Responses are buffered (fine for content tests; use a real socket for timing and stream faults).
    """

    def __init__(self, app: EmulatorApp) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cuadra-asgi", daemon=True)
        self._thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            body = request.read()
            async_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._inner.handle_async_request(async_request)
            content = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
            return response.status_code, response.headers.raw, content

        status, headers, content = asyncio.run_coroutine_threadsafe(call(), self._loop).result()
        return httpx.Response(status, headers=headers, content=content, request=request)

    def close(self) -> None:
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        self._loop.close()


class Clock:
    """The emulator's clock, seen through the control plane (``org``: that organisation's own clock)."""

    def __init__(self, control: httpx.Client, org: str | None = None) -> None:
        self._control = control
        self._org = org

    def now(self) -> float:
        params = {"org": self._org} if self._org else None
        return float(_ok(self._control.get("/_emulator/clock", params=params)).json()["epoch"])

    def advance(self, seconds: float) -> float:
        """Move the clock forward (only this test's organisation on a shared server); returns the new epoch time."""
        return self._move({"advance": seconds})

    def set(self, iso8601: str) -> float:
        return self._move({"set": iso8601})

    def _move(self, body: dict[str, object]) -> float:
        if self._org:
            body["org"] = self._org
        return float(_ok(self._control.post("/_emulator/clock", json=body)).json()["epoch"])


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise AssertionError(
            f"emulator control plane: {response.request.method} {response.request.url.path} "
            f"-> {response.status_code}: {response.text}"
        )
    return response


def _is_upload(scenario: str | os.PathLike[str]) -> bool:
    """A path or YAML text (uploaded), rather than the name of a scenario the server knows."""
    if not isinstance(scenario, str):
        return True
    return "\n" in scenario or ":" in scenario or (scenario.endswith((".yaml", ".yml")) and Path(scenario).is_file())


def _scenario_text(scenario: str | os.PathLike[str]) -> str:
    if isinstance(scenario, str) and ("\n" in scenario or (":" in scenario and not Path(scenario).is_file())):
        return scenario
    return Path(scenario).read_text(encoding="utf-8")


class EmulatorHandle:
    """What a test holds: the emulator's URL, a token, and control-plane conveniences.

    ``org`` set means requests are attributed to that organisation only (isolation on a shared
    server); the journal helpers then only look at that organisation's requests.
    """

    def __init__(
        self,
        url: str,
        token: str,
        *,
        admin_token: str | None = None,
        org: str | None = None,
        app: EmulatorApp | None = None,
        control_url: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.org = org
        self.app = app
        headers = {"Authorization": f"Bearer {admin_token}"} if admin_token else {}
        # Plain-HTTP emulators need no TLS context; building httpx's default one costs ~20 ms per client,
        # which would dominate the per-test cost of the pytest plugin.
        self._tls = not self.url.startswith("http://")
        self.control_url = (control_url or url).rstrip("/")
        self._control = httpx.Client(base_url=self.control_url, headers=headers, timeout=CONTROL_TIMEOUT, verify=self._tls)
        self.clock = Clock(self._control, org)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client for the API, authenticated as this test's caller."""
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("verify", self._tls)
        return httpx.Client(base_url=self.url, headers=self.headers, **kwargs)

    def reset(self) -> None:
        """Back to the fixtures: this test's tenant only on a shared server, else the whole emulator."""
        _ok(self._control.post("/_emulator/reset", json={"org": self.org} if self.org else {}))

    @classmethod
    def for_tenant(cls, server_url: str, org: str, *, admin_token: str | None = None, fresh: bool = False) -> EmulatorHandle:
        """A handle on tenant ``org`` of a shared emulator (minted as a copy of the fixtures if new;
        ``fresh``: reset to the fixtures first, so its clock, data and journal start over).

        ``url`` is the tenant's base URL (``/_tenant/{org}``), where fixture tokens and OAuth clients act
        in the tenant; ``token`` is a JWT for the fixture user in the tenant, dated by its clock.
        """
        root = server_url.rstrip("/")
        handle = cls(f"{root}/_tenant/{org}", "", admin_token=admin_token, org=org, control_url=root)
        if fresh:
            response = handle._control.post("/_emulator/reset", json={"org": org})
            if response.status_code != 404:  # 404: a new tenant, nothing to reset
                _ok(response)
        handle.token = str(_ok(handle._control.post("/_emulator/tenants", json={"org": org})).json()["token"])
        return handle

    def mint_token(
        self, scopes: list[str] | None = None, user: str | None = None, org: str | None = None, expires_in: float | None = None
    ) -> str:
        """A new JWT (default: this test's organisation) with the given scopes and lifetime."""
        body: dict[str, Any] = {"org": org or self.org} if (org or self.org) else {}
        if scopes is not None:
            body["scopes"] = scopes
        if user is not None:
            body["user"] = user
        if expires_in is not None:
            body["expiresIn"] = expires_in
        return str(_ok(self._control.post("/_emulator/tokens", json=body)).json()["token"])

    def use_scenario(self, scenario: str | os.PathLike[str], *, seed: int | None = None) -> dict[str, Any]:
        """Activate a scenario: a bundled (or ``--scenarios-dir``) name, YAML text, or a file path
        (``pathlib.Path`` or a string naming an existing ``.yaml``/``.yml`` file). ``seed`` seeds its
        random choices (default: the server's seed). Only this test's organisation on a shared server."""
        body: dict[str, Any] = {"yaml": _scenario_text(scenario)} if _is_upload(scenario) else {"name": str(scenario)}
        if seed is not None:
            body["seed"] = seed
        if self.org:
            body["org"] = self.org
        result: dict[str, Any] = _ok(self._control.post("/_emulator/scenarios", json=body)).json()
        return result

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Override per-tenant settings of this test's organisation on a shared server (until its reset):
        ``rate_limit``, ``rate_limit_per_user``, ``rate_limit_per_org``, ``file_processing``, ``clock``."""
        if not self.org:
            raise ValueError("configure() is for a tenant of a shared emulator; locally, use @pytest.mark.cuadra")
        body = {"org": self.org, "settings": settings}
        result: dict[str, Any] = _ok(self._control.post("/_emulator/tenants", json=body)).json()["settings"]
        return result

    def journal(self, method: str | None = None, path: str | None = None, status: int | None = None) -> list[dict[str, Any]]:
        """Journal entries, oldest first, filtered by the server: ``method``, ``path`` (exact, a template
        such as ``/v1/chats/{id}``, or ``regex:...``), ``status``; this test's organisation only on a shared one."""
        params: dict[str, Any] = {"method": method, "path": path, "status": status, "org": self.org}
        query = {key: value for key, value in params.items() if value is not None}
        items: list[dict[str, Any]] = _ok(self._control.get("/_emulator/requests", params=query)).json()["items"]
        return items

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal (this test's organisation only, when isolated by organisation)."""
        return self.journal()

    def calls(self, method: str, path: str) -> Iterator[dict[str, Any]]:
        yield from self.journal(method.upper(), path)

    def last_request(self, method: str | None = None, path: str | None = None) -> dict[str, Any] | None:
        """The newest journal entry (matching ``method``/``path`` when given), or None."""
        found = self.journal(method.upper() if method else None, path)
        return found[-1] if found else None

    def clear_requests(self) -> None:
        """Forget the journal (this test's organisation's entries only on a shared server)."""
        _ok(self._control.delete("/_emulator/requests", params={"org": self.org} if self.org else None))

    def assert_called(
        self, method: str, path: str, times: int | None = None, *, count: int | None = None
    ) -> list[dict[str, Any]]:
        """Assert ``method path`` (templates like ``/v1/chats/{id}`` allowed) was called: at least once, or
        exactly ``count`` (alias ``times``) times. Returns the matching journal entries."""
        expected = count if count is not None else times
        found = list(self.calls(method, path))
        if expected is None and not found:
            raise AssertionError(f"{method} {path} was never called; journal: {self._summary()}")
        if expected is not None and len(found) != expected:
            raise AssertionError(
                f"{method} {path} was called {len(found)} times, expected {expected}; journal: {self._summary()}"
            )
        return found

    def assert_not_called(self, method: str, path: str) -> None:
        """Assert ``method path`` was never called."""
        self.assert_called(method, path, count=0)

    @property
    def warnings(self) -> list[str]:
        """What the emulator accepted but warned about, oldest first (this test's organisation only, when
        isolated by organisation): ``"POST /v1/datasets: body.extra: unknown field, ignored"``."""
        params = {"warnings": "true", **({"org": self.org} if self.org else {})}
        items = _ok(self._control.get("/_emulator/requests", params=params)).json()["items"]
        return [f"{entry['method']} {entry['path']}: {warning}" for entry in items for warning in entry["warnings"]]

    def assert_no_warnings(self) -> None:
        """Fail if the emulator warned about any request of this test (e.g. an unknown body field it ignored)."""
        found = self.warnings
        if found:
            raise AssertionError(
                f"the emulator warned about {len(found)} thing(s) your client sent (production ignores them too; "
                "@pytest.mark.cuadra(strict=True) makes them fail at once):\n  " + "\n  ".join(found)
            )

    def strict_requests(self, strict: bool | None = True) -> None:
        """Answer an unknown body field with a 422 (``False``: ignore it with a warning; ``None``: the server's
        setting), for this test's organisation on a shared server, else for the whole emulator until its reset."""
        body: dict[str, Any] = {"strict": strict, **({"org": self.org} if self.org else {})}
        _ok(self._control.post("/_emulator/strict-requests", json=body))

    def _summary(self) -> list[str]:
        return [f"{e['method']} {e['path']} -> {e['status']}" for e in self.requests[-20:]]

    def close(self) -> None:
        self._control.close()
