# cuadra-emulator as a CI sidecar: configure it entirely with EMULATOR_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8787 \
    EMULATOR_SCENARIOS_DIR=/etc/cuadra/scenarios

WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
COPY scenarios ./scenarios
# --compile (pip's default, spelled out): the package's bytecode is written at install time, so each start
# loads it instead of compiling ~140 modules from source (PYTHONDONTWRITEBYTECODE stops any write later).
RUN pip install --no-cache-dir --compile . \
    && useradd --create-home --uid 10001 emulator

USER 10001:10001
EXPOSE 8787
# /_emulator/health: scenarios never act on it, the journal does not record it, the admin token does not guard it
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ.get('EMULATOR_PORT', '8787') + '/_emulator/health', timeout=2)"]
ENTRYPOINT ["cuadra-emulator", "serve"]
