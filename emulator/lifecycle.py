"""Managed state transitions, moto style: ``immediate``, ``polls:N`` or ``seconds:T``.

A resource that "processes in the background" (an uploaded file) never runs a background task here:
its visible status is a pure function of when it started, how often it was polled and what time it
is now. The same inputs always give the same status, so tests drive it with the manual clock or by
polling, and a reset needs nothing but the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

LifecycleMode = Literal["immediate", "polls", "seconds"]


@dataclass(frozen=True)
class Lifecycle:
    """How long a resource stays in its transient state: ``amount`` polls or seconds."""

    mode: LifecycleMode = "immediate"
    amount: float = 0.0

    def __str__(self) -> str:
        if self.mode == "immediate":
            return "immediate"
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{self.mode}:{amount}"


def parse_lifecycle(text: str) -> Lifecycle:
    """Parse ``immediate``, ``polls:N`` (integer N >= 0) or ``seconds:T`` (T >= 0).

    Raises ``ValueError`` with a message naming the accepted forms.
    """
    value = text.strip().lower()
    if value == "immediate":
        return Lifecycle()
    mode, sep, amount_text = value.partition(":")
    usage = f"invalid lifecycle {text!r}: use 'immediate', 'polls:N' or 'seconds:T'"
    if not sep or mode not in ("polls", "seconds"):
        raise ValueError(usage)
    try:
        amount = int(amount_text) if mode == "polls" else float(amount_text)
    except ValueError:
        raise ValueError(usage) from None
    if amount < 0 or not math.isfinite(amount):
        raise ValueError(usage)
    return Lifecycle(mode, float(amount))  # type: ignore[arg-type]


@dataclass(frozen=True)
class Phase:
    """Where a resource is: ``done`` or not, ``progress`` 0–100, and when it finished (epoch s)."""

    done: bool
    progress: int
    finished_at: float | None
    started: bool = True  # False until the first poll (``polls``) or the first instant after the start


def phase(lifecycle: Lifecycle, *, started_at: float, polls: int, now: float, finished_at: float | None = None) -> Phase:
    """The phase after ``polls`` observations at time ``now`` of a resource started at ``started_at``.

    ``finished_at`` is a completion time already recorded (a poll-driven resource finishes at the
    instant of the N-th poll, which only the caller knows); it wins when given.
    """
    if finished_at is not None:
        return Phase(True, 100, finished_at)
    if lifecycle.mode == "immediate" or lifecycle.amount <= 0:
        return Phase(True, 100, started_at)
    if lifecycle.mode == "polls":
        if polls >= lifecycle.amount:
            return Phase(True, 100, now)
        return Phase(False, int(100 * polls / lifecycle.amount), None, polls > 0)
    elapsed = now - started_at
    if elapsed >= lifecycle.amount:
        return Phase(True, 100, started_at + lifecycle.amount)
    return Phase(False, int(100 * max(0.0, elapsed) / lifecycle.amount), None, elapsed > 0)


def check_option(value: str) -> str:
    """Click callback for ``--file-processing``: a bad value is a usage error naming the forms."""
    import click  # only the CLI calls this

    try:
        parse_lifecycle(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@dataclass(frozen=True)
class Lifecycles:
    """The app's parsed lifecycle settings (``Config.file_processing`` and friends)."""

    files: Lifecycle
    connections: Lifecycle
    sync_jobs: Lifecycle

    @classmethod
    def parse(cls, file_processing: str, connection_activation: str, sync_processing: str) -> Lifecycles:
        """Parse the three settings; raises ``ValueError`` as :func:`parse_lifecycle` does."""
        return cls(parse_lifecycle(file_processing), parse_lifecycle(connection_activation), parse_lifecycle(sync_processing))
