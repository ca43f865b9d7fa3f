"""Credentials in journal output: redacted by default, keeping a short fingerprint (see docs/security.md).

A fingerprint is the first 8 hex digits of the value's sha256: two requests with the same token show
the same fingerprint, different tokens (almost surely) different ones, and the token cannot be read back.
``--show-credentials`` (``Config.show_credentials``) turns redaction off.
"""

from __future__ import annotations

import hashlib
import re

#: Request and response headers whose values are credentials.
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-admin-token"})
#: Body fields whose values are credentials (form-encoded or JSON), compared case-insensitively.
_SECRET_FIELDS = r"client_secret|clientSecret|password|refresh_token|refreshToken|api_key|apiKey|token"
_FORM_FIELD = re.compile(rf"(?i)(^|&)({_SECRET_FIELDS})=([^&]*)")
_JSON_FIELD = re.compile(rf'(?i)("(?:{_SECRET_FIELDS})"\s*:\s*)"((?:[^"\\]|\\.)*)"')
_SCHEMES = ("bearer ", "basic ")


def fingerprint(value: str) -> str:
    """``[redacted sha256:xxxxxxxx]`` for ``value``."""
    return f"[redacted sha256:{hashlib.sha256(value.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}]"


def redact_header(name: str, value: str) -> str:
    """``value`` with its credential replaced by a fingerprint when ``name`` carries one (scheme kept)."""
    if name.lower() not in CREDENTIAL_HEADERS:
        return value
    for scheme in _SCHEMES:
        if value[: len(scheme)].lower() == scheme:
            return value[: len(scheme)] + fingerprint(value[len(scheme) :])
    return fingerprint(value)


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {name: redact_header(name, value) for name, value in headers.items()}


def redact_body(text: str) -> str:
    """A request body with secret fields (``client_secret``, ``password``, ...) fingerprinted."""
    if "=" in text:
        text = _FORM_FIELD.sub(lambda m: f"{m.group(1)}{m.group(2)}={fingerprint(m.group(3))}", text)
    if '"' in text:
        text = _JSON_FIELD.sub(lambda m: f'{m.group(1)}"{fingerprint(m.group(2))}"', text)
    return text
