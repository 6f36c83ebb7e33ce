#!/usr/bin/env bash
# Install Pilothouse in .venv, prepare the embedded database with the demo workspace,
# and start the server on http://127.0.0.1:8000.
#
#   ./scripts/start.sh            # data in ./.pilothouse (PILOTHOUSE_HOME to change)
#
# The first run prints the demo admin's sign-in password once.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=.venv

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! "$PYTHON" -c "import venv, ensurepip" >/dev/null 2>&1; then
    log "installing python3-venv (Debian)"
    if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
    "${SUDO[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq python3-venv >/dev/null
fi
if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtual environment in $VENV"
    "$PYTHON" -m venv "$VENV"
fi
# The embedded default (SQLite + DuckDB) needs no extra; a PostgreSQL app database
# needs the driver, pilothouse[postgresql] (README: "Which extras a team needs").
TARGET=.
case "${PILOTHOUSE_DATABASE_URL:-}" in
    postgres*) TARGET=".[postgresql]" ;;
esac
log "installing Pilothouse ($TARGET)"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$TARGET" 2>&1 \
    | grep -v "^WARNING: Location" || true

log "applying database migrations"
"$VENV/bin/pilothouse" db upgrade
log "loading the demo workspace"
"$VENV/bin/pilothouse" demo load
cat >&2 <<MSG

  Open http://${PILOTHOUSE_HOST:-127.0.0.1}:${PILOTHOUSE_PORT:-8000}/ and sign in as admin@pilothouse.example.
  The password was printed above on the first run; to set a new one:
      .venv/bin/pilothouse user set-password admin@pilothouse.example

MSG
exec "$VENV/bin/pilothouse" serve
