"""The one frozen configuration object; only the CLI and the pytest plugin build it from flags/env."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

ClockMode = Literal["system", "manual"]
WaitMode = Literal["hold", "skip"]
AuthMode = Literal["strict", "off"]

#: The instant a manual clock starts at (2025-01-01T00:00:00Z); fixed so runs are reproducible.
MANUAL_CLOCK_START = 1735689600.0
#: Files go uploaded -> processing -> ready over two GETs (endpoints §2.9; ``immediate`` skips it).
DEFAULT_FILE_PROCESSING = "polls:2"


@dataclass(frozen=True)
class Config:
    """Every setting of one emulator instance. Immutable: derive variants with :meth:`with_`."""

    host: str = "127.0.0.1"
    port: int = 8787
    seed: int = 0
    fixtures_dir: Path | None = None  # files added to (or replacing by name) the bundled fixtures; None: bundled only
    bundled_fixtures: bool = True  # False: fixtures_dir replaces the bundled fixtures instead of layering over them
    clock: ClockMode = "system"
    clock_start: float = MANUAL_CLOCK_START
    # On a manual clock, what a scripted wait (a scenario delay or held answer, a first-token delay) does:
    # "hold" blocks until the caller's clock is moved past its end or the client hangs up (a client's
    # real read timeout fires); "skip" jumps virtual time at once (in-process transports cannot time out).
    manual_waits: WaitMode = "skip"
    auth: AuthMode = "strict"
    log_level: str = "warning"
    journal_size: int = 1000
    max_body_bytes: int = 1024 * 1024
    strict_requests: bool = False  # True: an unknown body field is a 422 (default: ignored, with a journal warning)
    stream_token_interval: float = 0.0  # seconds between stream deltas; 0 = no pacing
    jwt_leeway: float = 30.0  # seconds of clock skew tolerated on a JWT's exp/iat
    cors_origins: tuple[str, ...] = ()  # allowed browser origins ("*" = any); empty: any localhost origin
    rate_limit: Literal["on", "off"] = "on"  # off: no 429s and no X-RateLimit-* headers
    rate_limit_per_user: int | None = None  # requests/minute; None: the documented 60 (fixtures win)
    rate_limit_per_org: int | None = None  # requests/minute; None: the documented 300 (fixtures win)
    scenarios: tuple[str, ...] = ()  # names or YAML files activated at start-up (kept across resets)
    scenarios_dir: Path | None = None  # looked up before the bundled scenarios/ folder
    admin_token: str | None = None  # when set, /_emulator/* requires Authorization: Bearer <admin token>
    watch_scenarios: bool = False  # reload changed scenario files (mtime polling)
    watch_interval: float = 1.0  # seconds between polls
    connection_activation: str = "polls:1"  # OAuth connection turns active: immediate | polls:N | seconds:T
    sync_processing: str = "polls:2"  # sync job queued -> running -> completed: immediate | polls:N | seconds:T
    #: file lifecycle: immediate | polls:N | seconds:T. The default is the documented one: the upload answers
    #: ``uploaded``, the first GET shows ``processing``, the second ``ready`` (or ``failed``)
    file_processing: str = DEFAULT_FILE_PROCESSING
    state: str = "memory"  # memory | redis://host:port/db (shared by every worker and replica)
    state_namespace: str = "cuadra-emulator"  # key prefix in Redis: emulators sharing one Redis stay apart
    workers: int = 1  # uvicorn worker processes for `serve`; more than one requires a shared state
    # --- hardening: HTTP limits and credentials in journal output (docs/security.md) ---
    http_max_header_line: int = 8 * 1024  # bytes of one header line; longer => 431
    http_max_header_fields: int = 100  # header fields per request; more => 431
    http_max_head_bytes: int = 64 * 1024  # request line + headers; more => 431
    http_head_timeout: float = 10.0  # seconds to receive a complete request head, else 408 / close
    show_credentials: bool = False  # journal output shows Authorization, cookies, client secrets in full

    def with_(self, **changes: object) -> Config:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]
