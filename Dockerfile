# cuadra-emulator as a CI sidecar: configure it entirely with EMULATOR_* variables.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    EMULATOR_HOST=0.0.0.0 \
    EMULATOR_PORT=8787

WORKDIR /app
COPY pyproject.toml README.md ./
COPY emulator ./emulator
COPY fixtures ./fixtures
COPY scenarios ./scenarios
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 emulator

USER 10001:10001
EXPOSE 8787
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=3 \
    CMD ["python", "-c", "import urllib.request,os; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('EMULATOR_PORT', '8787') + '/v1/health/liveness', timeout=2)"]
ENTRYPOINT ["cuadra-emulator", "serve", "--host", "0.0.0.0"]
