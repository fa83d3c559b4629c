# Shared by the contract steps of .ci/run: start the built service against a
# database, load the demo, mint tokens. Source it; call start_service URL.
#   start_service <DATABASE_URL> [EXTRA_ENV...]  sets BASE_URL, SERVICE_PID, ADMIN_TOKEN
#   stop_service
SERVICE_BIN=${SERVICE_BIN:-target/debug/safeguarding-api}
export JWT_SECRET=${JWT_SECRET:-contract-tests-secret-0123456789abcdef0123}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# listens_here PORT PID: whether PID is the process listening on PORT (true
# when `ss` cannot tell).
listens_here() {
  command -v ss >/dev/null || return 0
  local owners
  owners=$(ss -ltnpH "sport = :$1" 2>/dev/null) || return 0
  [ -z "$owners" ] && return 1
  case "$owners" in *"pid=$2,"*) return 0 ;; esac
  # Without the privilege to see pids, ss shows none: it cannot tell.
  case "$owners" in *"pid="*) return 1 ;; *) return 0 ;; esac
}

start_service() {
  local url=$1; shift
  local port; port=$(free_port)
  export DATABASE_URL=$url
  SERVICE_LOG=${SERVICE_LOG:-$(mktemp -t service.XXXXXX.log)}
  "$SERVICE_BIN" migrate >/dev/null
  "$SERVICE_BIN" demo >/dev/null
  # Rate limits out of reach, so the property-based run (one token, thousands
  # of requests) is never throttled; the header fields are still sent and
  # checked against the document. 429 is tested on its own
  # (tests/api/rate_limits.rs). EXTRA_ENV may override them.
  # A port found free can be taken by another service started at the same
  # moment (two contract runs at once): then this one exits at bind, and it
  # is started again on another port.
  local attempt
  for attempt in 1 2 3; do
    env RATE_LIMIT_PER_MINUTE=1000000000 RATE_LIMIT_BURST=1000000 "$@" \
      LISTEN_ADDR="127.0.0.1:$port" RUST_LOG=${RUST_LOG:-warn} "$SERVICE_BIN" serve >"$SERVICE_LOG" 2>&1 &
    SERVICE_PID=$!
    BASE_URL="http://127.0.0.1:$port"
    for _ in $(seq 1 100); do
      kill -0 "$SERVICE_PID" 2>/dev/null || break
      curl -fsS "$BASE_URL/readyz" >/dev/null 2>&1 && break
      sleep 0.1
    done
    # Ready, still running, and the process listening on the port is this
    # one (not another run's service that took the port first).
    if kill -0 "$SERVICE_PID" 2>/dev/null && curl -fsS "$BASE_URL/readyz" >/dev/null \
      && listens_here "$port" "$SERVICE_PID"; then
      break
    fi
    echo "service on port $port did not start (attempt $attempt):" >&2
    tail -n 5 "$SERVICE_LOG" >&2
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
    [ "$attempt" = 3 ] && return 1
    port=$(free_port)
  done
  ADMIN_TOKEN=$("$SERVICE_BIN" token --subject contract-admin --platform-admin --lifetime 7200)
  export BASE_URL SERVICE_PID ADMIN_TOKEN SERVICE_LOG
}

stop_service() {
  if [ -n "${SERVICE_PID:-}" ]; then
    kill "$SERVICE_PID" 2>/dev/null || true
    wait "$SERVICE_PID" 2>/dev/null || true
    SERVICE_PID=
  fi
}

# A fresh PostgreSQL database: prints its URL.
fresh_postgres() {
  local name="t_contract_$1_$$"
  psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
  psql -h 127.0.0.1 -U postgres -d postgres -qAt -c "CREATE DATABASE $name" >/dev/null
  echo "postgres://postgres@127.0.0.1:5432/$name"
}
