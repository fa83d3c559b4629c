# The pinned test tools, installed on first use and again when a pin file
# changes: Python ones into $VENV from .ci/requirements.txt, npm ones into
# $JS/node_modules by `npm ci` from its package-lock.json. Source it from the
# repository root; call python_tools and npm_tools.
TOOLS=${TOOLS:-target/ci-tools}
VENV=${VENV:-$TOOLS/venv}
JS=${JS:-tests/contract/js}
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true NO_UPDATE_NOTIFIER=1

python_tools() {
  python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
    { echo "python3 >= 3.11 is needed (the generated client uses typing.Self)" >&2; return 1; }
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  local want; want=$(sha256sum .ci/requirements.txt | cut -d' ' -f1)
  if [ "$(cat "$VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r .ci/requirements.txt
    echo "$want" >"$VENV/.requirements.sha256"
  fi
  "$VENV/bin/openapi-python-client" --version
  "$VENV/bin/schemathesis" --version
}

npm_tools() {
  local want; want=$(sha256sum "$JS/package-lock.json" | cut -d' ' -f1)
  if [ "$(cat "$JS/node_modules/.package-lock.sha256" 2>/dev/null)" != "$want" ]; then
    npm ci --prefix "$JS" --no-audit --no-fund --loglevel=error
    echo "$want" >"$JS/node_modules/.package-lock.sha256"
  fi
  echo "node $(node --version); redocly $("$JS/node_modules/.bin/redocly" --version 2>/dev/null | tail -n1);" \
    "openapi-typescript $(node -p "require('./$JS/node_modules/openapi-typescript/package.json').version");" \
    "tsc $("$JS/node_modules/.bin/tsc" --version)"
}

