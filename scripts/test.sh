#!/usr/bin/env bash
# Run the whole test suite on a bare machine: sets up what the tests need, then pytest.
#
#   ./scripts/test.sh [pytest args...]
#
# 1. a virtual environment in .venv with Pilothouse and its test dependencies;
# 2. Debian's chromium for the browser tests (apt-get, when /usr/bin/chromium is missing);
# 3. a throwaway PostgreSQL cluster on 127.0.0.1 (initdb/pg_ctl; PostgreSQL 15 from
#    apt when missing), stopped and deleted at the end, whatever happens;
# 3b. a throwaway redis-server on 127.0.0.1 (apt when missing), likewise;
# 2c. Node (apt when missing) and oidc-provider from npm for the SSO tests.
# The suite then runs once, every data-layer test on SQLite and on PostgreSQL.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-python3}
VENV="$ROOT/.venv"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    log "installing Debian packages: $*"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# --- 1. virtual environment ----------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in .venv"
    "$PYTHON" -m venv "$VENV"
fi
log "installing Pilothouse with test dependencies"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[test]" 2>&1 \
    | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import pilothouse, pytest, playwright, xdist" \
    || { echo "installation failed" >&2; exit 1; }

# --- 2. chromium ---------------------------------------------------------------------
if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
fi

# --- 2b. Java for the Spark parity tests ---------------------------------------------
if ! command -v java >/dev/null 2>&1; then
    apt_install openjdk-17-jre-headless
fi

# --- 2c. Node and the OpenID provider for the SSO tests -------------------------------
# The certified `oidc-provider` package from the npm registry, exact version, in a
# git-ignored folder; tests/support/oidc/provider.mjs runs it on a loopback port.
OIDC_PROVIDER_VERSION=9.13.3
OIDC_DIR="$ROOT/.cache/oidc-provider"
if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi
if ! grep -qs "\"version\": \"$OIDC_PROVIDER_VERSION\"" \
        "$OIDC_DIR/node_modules/oidc-provider/package.json"; then
    log "installing oidc-provider $OIDC_PROVIDER_VERSION (npm) into .cache/oidc-provider"
    mkdir -p "$OIDC_DIR"
    printf '{"name": "pilothouse-test-oidc", "private": true}\n' >"$OIDC_DIR/package.json"
    npm install --prefix "$OIDC_DIR" --no-audit --no-fund --save-exact \
        "oidc-provider@$OIDC_PROVIDER_VERSION" >/dev/null
fi

# --- 3. throwaway PostgreSQL -----------------------------------------------------------
find_pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do
        [ -x "$dir/initdb" ] && { echo "$dir"; return; }
    done
    command -v initdb >/dev/null && dirname "$(command -v initdb)"
}
PG_BIN=$(find_pg_bin || true)
if [ -z "$PG_BIN" ]; then
    apt_install postgresql-15 || apt_install postgresql
    PG_BIN=$(find_pg_bin)
fi

PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pilothouse-pg.XXXXXX")
PG_PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
PG_USER=postgres
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    # initdb refuses to run as root: run the cluster as an unprivileged user.
    id -u postgres >/dev/null 2>&1 || as_root useradd --system --no-create-home postgres
    chown postgres "$PG_DIR"
    RUN_AS=(runuser -u postgres --)
fi

stop_pg() {
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_pg EXIT

log "starting a throwaway PostgreSQL ($("$PG_BIN/postgres" --version | awk '{print $3}')) on 127.0.0.1:$PG_PORT"
"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U "$PG_USER" --auth=trust -E UTF8 \
    --locale=C.UTF-8 >/dev/null
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null

export PILOTHOUSE_TEST_DATABASE_URL="postgresql+psycopg://$PG_USER@127.0.0.1:$PG_PORT/postgres"
export PILOTHOUSE_TEST_CHROMIUM=/usr/bin/chromium

# --- 3b. throwaway Redis for the Redis job queue -------------------------------------------
# No persistence (no RDB snapshots, no AOF), its own directory, stopped at exit.
if ! command -v redis-server >/dev/null 2>&1; then
    apt_install redis-server
fi
REDIS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/pilothouse-redis.XXXXXX")
REDIS_PORT=$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
stop_redis() {
    if [ -f "$REDIS_DIR/redis.pid" ]; then
        kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
    fi
    rm -rf "$REDIS_DIR"
}
trap 'stop_redis; stop_pg' EXIT
log "starting a throwaway Redis ($(redis-server --version | awk '{print $3}' | cut -d= -f2)) on 127.0.0.1:$REDIS_PORT"
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$REDIS_DIR" --daemonize yes --pidfile "$REDIS_DIR/redis.pid" \
    --logfile "$REDIS_DIR/redis.log"
for _ in $(seq 1 100); do
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    sleep 0.1
done
export PILOTHOUSE_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"

# --- 4. the suite ------------------------------------------------------------------------
# Two workers, a test file each at a time (module fixtures stay in one process; see
# tests/conftest.py for the files that must share a worker): many tests wait on
# subprocesses, PostgreSQL or the browser, so two workers keep both cores busy. PILOTHOUSE_TEST_WORKERS=0 runs everything in one process.
WORKERS="${PILOTHOUSE_TEST_WORKERS:-2}"
log "running the test suite (SQLite and PostgreSQL, $WORKERS workers)"
set +e
if [ "$WORKERS" = 0 ]; then
    "$VENV/bin/python" -m pytest "$@"
else
    "$VENV/bin/python" -m pytest -n "$WORKERS" --dist loadgroup "$@"
fi
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "pytest collected no tests: that is a failure here" >&2
    status=1
fi
exit "$status"
