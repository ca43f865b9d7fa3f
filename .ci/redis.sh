# Sourced by .ci/run: a real Redis for the shared-state tests (issue 15).
# Installs redis-server (Debian) when missing, starts it on a free loopback port without persistence,
# exports CUADRA_TEST_REDIS_URL for the tests and stops it when .ci/run exits.
if ! command -v redis-server >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi
redis_dir=$(mktemp -d)
redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$redis_dir" --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log"
stop_redis() {
  if [ -f "$redis_dir/redis.pid" ]; then kill "$(cat "$redis_dir/redis.pid")" 2>/dev/null || true; fi
  rm -rf "$redis_dir"
}
trap stop_redis EXIT
python3 - "$redis_port" <<'PY'
import socket, sys, time
for _ in range(100):  # up to 5 s for the server to answer PING
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit("redis-server did not answer on port " + sys.argv[1])
PY
export CUADRA_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
echo "redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/') on $CUADRA_TEST_REDIS_URL"
