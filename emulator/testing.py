"""Client-side helpers for tests: a handle on a running emulator and a sync in-process transport.

The pytest plugin (:mod:`emulator.pytest_plugin`) only wires these into fixtures; everything here
works without pytest, against a local thread server or a remote sidecar, through the control plane.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx

from .app import EmulatorApp


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


def _template_regex(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$")


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
        self._control = httpx.Client(base_url=self.control_url, headers=headers, timeout=10, verify=self._tls)
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
    def for_tenant(cls, server_url: str, org: str, *, admin_token: str | None = None) -> EmulatorHandle:
        """A handle on tenant ``org`` of a shared emulator (minted as a copy of the fixtures if new).

        ``url`` is the tenant's base URL (``/_tenant/{org}``), where fixture tokens and OAuth clients act
        in the tenant; ``token`` is a JWT for the fixture user in the tenant.
        """
        root = server_url.rstrip("/")
        handle = cls(f"{root}/_tenant/{org}", "", admin_token=admin_token, org=org, control_url=root)
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

    def use_scenario(self, name_or_yaml: str) -> dict[str, Any]:
        """Activate a bundled scenario by name, or upload one as YAML text."""
        body = {"yaml": name_or_yaml} if "\n" in name_or_yaml or ":" in name_or_yaml else {"name": name_or_yaml}
        if self.org:
            body["org"] = self.org
        result: dict[str, Any] = _ok(self._control.post("/_emulator/scenarios", json=body)).json()
        return result

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal (this test's organisation only, when isolated by organisation)."""
        items: list[dict[str, Any]] = _ok(self._control.get("/_emulator/requests")).json()["items"]
        if self.org:  # a shared server: only this test's organisation (unauthenticated calls are nobody's)
            items = [entry for entry in items if entry.get("orgId") == self.org]
        return items

    def calls(self, method: str, path: str) -> Iterator[dict[str, Any]]:
        pattern = _template_regex(path)
        for entry in self.requests:
            if entry["method"] == method.upper() and pattern.match(entry["path"]):
                yield entry

    def assert_called(self, method: str, path: str, times: int | None = None) -> list[dict[str, Any]]:
        """Assert ``method path`` (templates like ``/v1/chats/{id}`` allowed) was called (``times`` times)."""
        found = list(self.calls(method, path))
        if times is None and not found:
            raise AssertionError(f"{method} {path} was never called; journal: {self._summary()}")
        if times is not None and len(found) != times:
            raise AssertionError(f"{method} {path} was called {len(found)} times, expected {times}; journal: {self._summary()}")
        return found

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
