# An S3-compatible server for the papers' S3 test (tests/api/papers_s3.rs):
# moto, pinned in .ci/requirements-s3.txt, in a virtual environment of its
# own. Source it from the repository root and call start_s3: it starts the
# server on a free port, creates a bucket, and exports what the test reads
# (PAPERS_TEST_S3_URL and the AWS_* variables); stop_s3 stops it.
S3_VENV=${S3_VENV:-target/ci-tools/s3-venv}

start_s3() {
  [ -x "$S3_VENV/bin/python" ] || python3 -m venv "$S3_VENV"
  local want; want=$(sha256sum .ci/requirements-s3.txt | cut -d' ' -f1)
  if [ "$(cat "$S3_VENV/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
    "$S3_VENV/bin/pip" install --quiet --disable-pip-version-check -r .ci/requirements-s3.txt
    echo "$want" >"$S3_VENV/.requirements.sha256"
  fi
  local port; port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
  local log=${S3_LOG:-target/ci-tools/moto.log}
  "$S3_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
  S3_PID=$!
  local endpoint="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$endpoint/moto-api/" 2>/dev/null && break
    kill -0 "$S3_PID" 2>/dev/null || break
    sleep 0.1
  done
  if ! curl -fsS -o /dev/null "$endpoint/moto-api/"; then
    echo "the S3 server did not start; its log ($log):" >&2
    tail -n 40 "$log" >&2
    return 1
  fi
  # moto takes any credentials; it creates the bucket unsigned.
  curl -fsS -X PUT "$endpoint/papers" -o /dev/null
  export PAPERS_TEST_S3_URL=s3://papers AWS_ENDPOINT=$endpoint AWS_ALLOW_HTTP=true \
    AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=eu-west-2 S3_PID
  echo "S3 (moto $("$S3_VENV/bin/python" -c 'import moto; print(moto.__version__)')) at $endpoint"
}

stop_s3() {
  [ -n "${S3_PID:-}" ] && kill "$S3_PID" 2>/dev/null || true
}
