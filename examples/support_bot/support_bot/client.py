"""``CuadraClient``: what a production client of the Cuadra API has to get right.

- retries 429 and 5xx, honouring ``Retry-After`` (with capped exponential backoff otherwise);
- sends an ``Idempotency-Key`` on every non-streaming POST, reused across the retries of one call, so a
  retry after a lost response never charges twice (a ``409`` "still in progress" on a keyed retry means
  the first attempt is still running: wait and retry);
- refreshes its OAuth client-credentials token on 401 (once) and before it expires;
- reassembles streamed replies, and when a stream dies halfway, recovers the full reply by polling
  ``GET /v1/chats/{id}`` (the API keeps generating after a disconnect).

``sleep`` and ``now`` are injectable so tests can run on the emulator's virtual clock.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRYABLE = {429, 500, 502, 503, 504}
#: Also retried when the request carries an Idempotency-Key: the first attempt is still in flight.
RETRYABLE_WITH_KEY = {409}


class CuadraError(Exception):
    """An API error, with the RFC 7807 problem the API sent."""

    def __init__(self, status: int, problem: dict[str, Any]) -> None:
        self.status = status
        self.problem = problem
        super().__init__(f"{status} {problem.get('title')}: {problem.get('detail')}")


class InsufficientCredits(CuadraError):
    """402 (or an in-band ``insufficient_credits`` stream error)."""


class StreamInterrupted(Exception):
    """A stream ended before ``[DONE]`` and the reply could not be recovered."""


@dataclass
class ChatReply:
    chat_id: str
    content: str
    message_id: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    recovered: bool = False  # True when the stream died and the reply came from polling


class CuadraClient:
    """A Cuadra API client for one backend service (M2M credentials or a static token)."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_url: str | None = None,
        max_retries: int = 4,
        sleep: Callable[[float], object] = time.sleep,
        now: Callable[[], float] = time.time,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._token_expires_at: float | None = None
        self._client_id, self._client_secret = client_id, client_secret
        self._token_url = token_url or f"{self.base_url}/v1/oauth2/token"
        self.max_retries = max_retries
        self._sleep, self._now = sleep, now
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    # --- auth -----------------------------------------------------------------------------------
    def _fetch_token(self) -> None:
        response = self._http.post(
            self._token_url,
            json={"client_id": self._client_id, "client_secret": self._client_secret, "grant_type": "client_credentials"},
        )
        if response.status_code != 200:  # RFC 6749 §5.2 body: {"error", "error_description"}
            try:
                error = response.json()
            except ValueError:
                error = {}
            problem = {
                "title": error.get("error", response.reason_phrase),
                "detail": error.get("error_description", response.text),
            }
            raise CuadraError(response.status_code, problem)
        body = response.json()
        self._token = body["access_token"]
        self._token_expires_at = self._now() + float(body.get("expires_in", 3600))

    def _auth_header(self) -> dict[str, str]:
        refresh_due = self._token_expires_at is not None and self._now() > self._token_expires_at - 60
        if self._client_id and (self._token is None or refresh_due):
            self._fetch_token()
        return {"Authorization": f"Bearer {self._token}"}

    # --- requests with retries --------------------------------------------------------------------
    def _delay(self, response: httpx.Response | None, attempt: int) -> float:
        if response is not None and "retry-after" in response.headers:
            try:
                return max(0.0, float(response.headers["retry-after"]))
            except ValueError:
                pass
        return min(8.0, 0.5 * 2.0**attempt)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send with retries; POSTs carry one Idempotency-Key for all attempts."""
        headers = dict(kwargs.pop("headers", {}))
        if method.upper() == "POST":
            headers.setdefault("Idempotency-Key", str(uuid.uuid4()))
        refreshed = False
        attempt = 0
        while True:
            response: httpx.Response | None
            try:
                response = self._http.request(method, path, headers={**headers, **self._auth_header()}, **kwargs)
            except httpx.TransportError:
                response = None  # connection lost: safe to retry thanks to the idempotency key
            if response is not None and response.status_code == 401 and self._client_id and not refreshed:
                self._fetch_token()
                refreshed = True
                continue
            retryable = (
                response is None
                or response.status_code in RETRYABLE
                or ("Idempotency-Key" in headers and response.status_code in RETRYABLE_WITH_KEY)
            )
            if not retryable or attempt >= self.max_retries:
                if response is None:
                    raise StreamInterrupted(f"{method} {path}: connection failed {attempt + 1} times")
                return self._check(response)
            self._sleep(self._delay(response, attempt))
            attempt += 1

    @staticmethod
    def _check(response: httpx.Response) -> httpx.Response:
        if response.status_code < 400:
            return response
        try:
            problem = response.json()
        except ValueError:
            problem = {"title": response.reason_phrase, "detail": response.text}
        if response.status_code == 402:
            raise InsufficientCredits(402, problem)
        raise CuadraError(response.status_code, problem)

    # --- chats ------------------------------------------------------------------------------------
    def ask(self, model_id: str, text: str, chat_id: str | None = None) -> ChatReply:
        """One non-streaming turn."""
        body: dict[str, Any] = {"modelId": model_id, "messages": [{"role": "user", "content": text}]}
        if chat_id:
            body["chatId"] = chat_id
        data = self.request("POST", "/v1/chats", json=body).json()
        return ChatReply(data["id"], data["message"]["content"], data["message"].get("id"), data.get("usage") or {})

    def ask_streaming(
        self, model_id: str, text: str, on_delta: Callable[[str], None] | None = None, poll_attempts: int = 10
    ) -> ChatReply:
        """One streamed turn; a stream that dies halfway is recovered by polling the chat."""
        body = {"modelId": model_id, "stream": True, "messages": [{"role": "user", "content": text}]}
        chat_id: str | None = None
        message_id: str | None = None
        parts: list[str] = []
        usage: dict[str, Any] = {}
        try:
            with self._http.stream(
                "POST", "/v1/chats", json=body, headers={**self._auth_header(), "Accept": "text/event-stream"}
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    self._check(response)
                for event in _sse(response.iter_lines()):
                    if event == "[DONE]":
                        return ChatReply(chat_id or "", "".join(parts), message_id, usage)
                    chunk = json.loads(event)
                    chat_id = chunk.get("id", chat_id)
                    message_id = chunk.get("messageId", message_id)
                    if chunk.get("error"):
                        code = chunk["error"].get("code")
                        problem = {"title": code, "detail": chunk["error"].get("message")}
                        raise (InsufficientCredits if code == "insufficient_credits" else CuadraError)(200, problem)
                    if chunk.get("delta"):
                        parts.append(chunk["delta"])
                        if on_delta:
                            on_delta(chunk["delta"])
                    usage = chunk.get("usage") or {}
        except (httpx.TransportError, json.JSONDecodeError):
            pass  # the stream died: fall through to recovery
        if chat_id is None:
            raise StreamInterrupted("the stream died before the chat id arrived")
        return self._recover(chat_id, poll_attempts)

    def _recover(self, chat_id: str, attempts: int) -> ChatReply:
        for attempt in range(attempts):
            chat = self.request("GET", f"/v1/chats/{chat_id}").json()
            if chat.get("status") is None and chat["messages"] and chat["messages"][-1]["role"] == "assistant":
                last = chat["messages"][-1]
                return ChatReply(chat_id, last["content"], last["id"], recovered=True)
            self._sleep(self._delay(None, attempt))
        raise StreamInterrupted(f"chat {chat_id} did not complete after {attempts} polls")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CuadraClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _sse(lines: Iterator[str]) -> Iterator[str]:
    for line in lines:
        if line.startswith("data: "):
            yield line[len("data: ") :]
