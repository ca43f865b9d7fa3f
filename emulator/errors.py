"""The one error type of the emulator and the one place that renders it (RFC 7807).

Handlers and pipeline steps raise a subclass of :class:`ApiError`; :func:`problem_response`
turns any of them into an ``application/problem+json`` response. Nothing else writes error bodies.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from types import MappingProxyType
from typing import Any, ClassVar

from starlette.responses import Response

from .bounds import bound_problem
from .responses import dumps

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApiError(Exception):
    """An error a client sees. Subclasses set ``status``, ``title`` and a default ``detail``."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal Server Error"
    default_detail: ClassVar[str] = "An unexpected error occurred."
    type: ClassVar[str] = "about:blank"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
        status: int | None = None,
        title: str | None = None,
    ) -> None:
        self.detail = detail if detail is not None else self.default_detail
        self.headers = dict(headers or {})
        self.extensions = dict(extensions or {})
        self.status_override = status
        self.title_override = title
        super().__init__(self.detail)

    @property
    def status_code(self) -> int:
        return self.status_override or self.status

    def body(self) -> dict[str, Any]:
        """The problem document, RFC 7807 members first, then extensions."""
        doc: dict[str, Any] = {
            "type": self.type,
            "title": self.title_override or self.title,
            "status": self.status_code,
            "detail": self.detail,
        }
        doc.update(self.extensions)
        return doc


class BadRequest(ApiError):
    status = 400
    title = "Bad Request"
    default_detail = "Invalid request format."


class Unauthorized(ApiError):
    status = 401
    title = "Unauthorized"
    default_detail = "Invalid or expired token."

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("headers", {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        super().__init__(detail, **kwargs)


class InsufficientCredits(ApiError):
    status = 402
    title = "Insufficient Credits"
    default_detail = "Insufficient credits."


class Forbidden(ApiError):
    status = 403
    title = "Forbidden"
    default_detail = "Valid token, insufficient permissions."


class NotFound(ApiError):
    status = 404
    title = "Not Found"
    default_detail = "The requested resource was not found."


class MethodNotAllowed(ApiError):
    status = 405
    title = "Method Not Allowed"
    default_detail = "Method not allowed for this path."


class Conflict(ApiError):
    status = 409
    title = "Conflict"
    default_detail = "Resource already exists."


class PayloadTooLarge(ApiError):
    status = 413
    title = "Payload Too Large"
    default_detail = "Request body too large."


class UnsupportedMediaType(ApiError):
    status = 415
    title = "Unsupported Media Type"
    default_detail = "Unsupported content type."


class RequestTimeout(ApiError):
    status = 408
    title = "Request Timeout"
    default_detail = "The request head was not received in time."


class ExpectationFailed(ApiError):
    status = 417
    title = "Expectation Failed"
    default_detail = "The expectation was not met."


class UnprocessableEntity(ApiError):
    status = 422
    title = "Unprocessable Entity"
    default_detail = "Validation failed."


class HeaderFieldsTooLarge(ApiError):
    status = 431
    title = "Request Header Fields Too Large"
    default_detail = "The request's header fields are too large."


class TooManyRequests(ApiError):
    status = 429
    title = "Too Many Requests"
    default_detail = "Rate limit exceeded."


class InternalError(ApiError):
    status = 500
    title = "Internal Server Error"
    default_detail = "An unexpected error occurred."


class ServiceUnavailable(ApiError):
    status = 503
    title = "Service Unavailable"
    default_detail = "The service is temporarily unavailable."


def field_name(pointer: str) -> str:
    """How a problem detail names the value at ``pointer``: ``/tools/0/type`` -> ``tools.0.type``,
    ``#/query/limit`` -> ``limit``, ``/`` -> ``body``."""
    if pointer.startswith("#/"):
        return pointer.rsplit("/", 1)[-1]
    return pointer.strip("/").replace("/", ".") or "body"


def invalid(pointer: str, detail: str, *, message: str | None = None) -> UnprocessableEntity:
    """The 422 for one bad value: ``errors: [{pointer, detail}]`` and the detail ``"<field>: <message>"``
    (``message`` defaults to ``detail``). Raise what it returns."""
    return unprocessable([{"pointer": pointer, "detail": detail}], message=message)


def unprocessable(errors: list[dict[str, Any]], *, message: str | None = None) -> UnprocessableEntity:
    """The 422 for several bad values (``errors: [{pointer, detail}, ...]``), described by the first."""
    first = errors[0]
    return UnprocessableEntity(f"{field_name(first['pointer'])}: {message or first['detail']}", extensions={"errors": errors})


def problem_response(error: ApiError) -> Response:
    """Render ``error`` as an RFC 7807 response (the only error renderer), at most 8 KiB of JSON."""
    body = bound_problem(error.body(), dumps)
    return Response(body, status_code=error.status_code, headers=error.headers, media_type=PROBLEM_CONTENT_TYPE)


class OAuthError(ApiError):
    """An error of the OAuth token endpoint: RFC 6749 §5.2 ``{"error", "error_description"}``, not RFC 7807.

    Rendered by :func:`problem_response` like every other error; its ``Content-Type`` header
    (``application/json``) takes precedence over the problem media type.
    """

    status = 400
    title = "Bad Request"

    def __init__(self, error: str, description: str, *, status: int = 400, headers: dict[str, str] | None = None) -> None:
        merged = {"Content-Type": "application/json", "Cache-Control": "no-store", "Pragma": "no-cache", **(headers or {})}
        super().__init__(description, headers=merged, status=status)
        self.error = error

    def body(self) -> dict[str, Any]:
        return {"error": self.error, "error_description": self.detail}


def _by_status() -> dict[int, type[ApiError]]:
    classes: dict[int, type[ApiError]] = {}
    for cls in ApiError.__subclasses__():
        if cls is not OAuthError:  # RFC 6749 body, only for the token endpoint
            classes.setdefault(cls.status, cls)
    return classes


#: The problem class for each status, derived from the subclasses above (scenarios raise them, the
#: OpenAPI document takes their titles).
STATUS_CLASSES: Mapping[int, type[ApiError]] = MappingProxyType(_by_status())


def status_title(status: int) -> str:
    """The problem title for ``status``: its class's title, else the HTTP reason phrase."""
    cls = STATUS_CLASSES.get(status)
    if cls is not None:
        return cls.title
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error" if status >= 400 else "Response"
