"""Property-based hostile input (issue 11): hypothesis for JSON bodies, multipart parts and query strings,
sent over a real socket to one shared server.

Each generated request must get an answer (no dropped connection), never a 5xx, and every error must be
an RFC 7807 document of at most 8 KiB whose ``status`` is the response's. The server must be healthy
afterwards, with nothing in ``server_errors``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator import Config, EmulatorApp, create_app
from emulator.bounds import MAX_PROBLEM_BYTES
from emulator.server import LiveServer

#: ~6 s of CPU, but 25+ s of wall time on a loaded two-core machine: in the CI step for slow tests.
pytestmark = pytest.mark.slow
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
AUTH = {"Authorization": "Bearer test-token"}
JSON_POSTS = ["/v1/chats", "/v1/datasets", "/v1/models", "/v1/system-prompts", "/v1/oauth2/token", "/_emulator/tokens"]
LISTS = ["/v1/chats", "/v1/files", "/v1/datasets", "/v1/models", "/v1/system-prompts", "/_emulator/requests"]


@pytest.fixture(scope="module")
def fuzz_app() -> EmulatorApp:
    return create_app(Config(clock="manual", rate_limit="off"))


@pytest.fixture(scope="module")
def http(fuzz_app: EmulatorApp) -> Iterator[httpx.Client]:
    with LiveServer(fuzz_app) as live, httpx.Client(base_url=live.url, headers=AUTH, timeout=30) as client:
        yield client
        health = client.get("/_emulator/health")
        assert health.status_code == 200, health.text
    assert not fuzz_app.state.server_errors, fuzz_app.state.server_errors


def assert_sound(response: httpx.Response) -> None:
    """No 5xx; an error is a bounded RFC 7807 document (the OAuth endpoint's RFC 6749 errors aside)."""
    assert response.status_code < 500, (response.status_code, response.text[:500])
    if response.status_code < 400:
        return
    assert len(response.content) <= MAX_PROBLEM_BYTES, len(response.content)
    doc: dict[str, Any] = response.json()
    if response.url.path == "/v1/oauth2/token" and "error" in doc:
        return
    assert response.headers["content-type"] == "application/problem+json", response.headers
    assert doc["status"] == response.status_code and isinstance(doc["title"], str) and isinstance(doc["detail"], str)


def text(max_size: int) -> st.SearchStrategy[str]:
    """Any text a client can encode (lone surrogates cannot be sent as UTF-8)."""
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | text(40),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(text(12), children, max_size=6),
    max_leaves=40,
)
# Shapes near the real request bodies, with hostile values in the fields that matter.
hostile_text = text(80) | st.sampled_from(["\x00", "a\x01b", "\ud7ff", "‮", "x" * 20_000, "{{}}", "%00"])
chat_like = st.fixed_dictionaries(
    {
        "modelId": hostile_text,
        "messages": st.lists(st.fixed_dictionaries({"role": hostile_text, "content": json_values}), max_size=4),
    },
    optional={"stream": st.booleans(), "chatId": hostile_text, "temperature": json_values},
)
named_like = st.fixed_dictionaries({"name": hostile_text}, optional={"description": json_values, "content": hostile_text})
deep = st.integers(min_value=1, max_value=3000).map(lambda depth: "[" * depth + "]" * depth)


@FUZZ
@given(path=st.sampled_from(JSON_POSTS), body=json_values | chat_like | named_like)
def test_fuzz_json_bodies(http: httpx.Client, path: str, body: object) -> None:
    assert_sound(http.post(path, json=body))


@FUZZ
@given(
    path=st.sampled_from(JSON_POSTS),
    raw=st.binary(max_size=300) | deep.map(str.encode) | deep.map(lambda d: f'{{"name":"x","description":{d}}}'.encode()),
    content_type=st.sampled_from(
        ["application/json", "application/json; charset=latin-1", "text/plain", "application/x-www-form-urlencoded", ""]
    ),
)
def test_fuzz_raw_bodies(http: httpx.Client, path: str, raw: bytes, content_type: str) -> None:
    assert_sound(http.post(path, content=raw, headers={"Content-Type": content_type}))


BOUNDARY = "fuzz-boundary"
filenames = text(40) | st.sampled_from(["a\x00b.txt", "../../etc/passwd", "C:\\x\\y.txt", "é.md", '"q".txt', "x" * 300 + ".txt"])
part_types = st.sampled_from(["text/plain", "application/pdf", "application/zip", "image/png", "", "text/plain; x=\x01"]) | text(
    20
)


@FUZZ
@given(
    path=st.sampled_from(["/v1/files", "/v1/files/expand"]),
    filename=filenames,
    part_type=part_types,
    content=st.binary(max_size=200),
    fields=st.dictionaries(st.sampled_from(["resource_type", "resource_id", "resourceType", "other"]), text(20), max_size=3),
)
def test_fuzz_multipart(
    http: httpx.Client, path: str, filename: str, part_type: str, content: bytes, fields: dict[str, str]
) -> None:
    body = b"".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode("utf-8", "surrogatepass")
        for name, value in fields.items()
    )
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\nContent-Type: {part_type}\r\n\r\n'
    )
    body += head.encode("utf-8", "surrogatepass") + content + f"\r\n--{BOUNDARY}--\r\n".encode()
    response = http.post(path, content=body, headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"})
    assert_sound(response)
    if path == "/v1/files" and response.status_code == 201:  # whatever was stored can be downloaded again
        assert_sound(http.get(f"/v1/files/{response.json()['id']}/content"))


query_values = text(30) | st.sampled_from(["-1", "0", "101", "1e9", "99999999999999999999", "null", "%", "\x00", "NaN"])


@FUZZ
@given(
    path=st.sampled_from(LISTS),
    params=st.lists(
        st.tuples(st.sampled_from(["limit", "cursor", "offset", "status", "orgId", "q", "x"]) | text(8), query_values), max_size=4
    ),
    raw_suffix=st.sampled_from(["", "&", "&&=", "%zz", "%00=%00", "a=%C0%80", "=" * 3]),
)
def test_fuzz_query_strings(http: httpx.Client, path: str, params: list[tuple[str, str]], raw_suffix: str) -> None:
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
    response = http.get(f"{path}?{query}{raw_suffix}")
    assert_sound(response)
    if response.status_code == 200:
        json.loads(response.content)
