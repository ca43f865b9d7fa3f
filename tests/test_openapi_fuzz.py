"""schemathesis against the emulator's own ``/openapi.json``, in-process and bounded.

Every operation gets a few generated requests, schema-valid ones and schema-violating ones; each
response must not be a 5xx and must conform to the document (status code, content type, body
schema). Rate limits are off so the run exercises handlers rather than 429s. schemathesis' pytest
integration (``from_fixture``) does not run on pytest 9, so operations are driven here directly.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from schemathesis import GenerationMode, checks  # noqa: E402

from emulator import Config, create_app  # noqa: E402

AUTH = {"Authorization": "Bearer test-token"}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
EXAMPLES = 5
#: Multipart uploads are exercised by the files tests; generated multipart bodies add time, not coverage.
SKIP = {("POST", "/v1/files"), ("POST", "/v1/files/expand")}


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings of every fuzz run: reproducible (derandomized, no example database), no deadline."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _fuzz(operation: Any) -> None:
    strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=strategy)
    @fuzz_settings(EXAMPLES)
    def run(case: Any) -> None:
        headers = dict(case.headers or {})
        headers.setdefault("Authorization", AUTH["Authorization"])
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_openapi_fuzz_every_operation_conforms_to_the_document() -> None:
    app = create_app(Config(clock="manual", rate_limit="off"))  # type: ignore[call-arg]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    operations = 0
    timings: list[tuple[float, str]] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in SKIP or operation.path.startswith("/_emulator"):  # the API only
            continue
        operations += 1
        started = time.perf_counter()
        try:
            _fuzz(operation)
        except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure, not just the first
            failures.append(f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {str(exc)[:600]}")
        timings.append((time.perf_counter() - started, operation.label))
    print("\nslowest:", ", ".join(f"{label} {seconds:.1f}s" for seconds, label in sorted(timings)[-5:]))
    assert operations > 50
    assert not app.state.server_errors, app.state.server_errors
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
