"""bench/faults.d/load.py: the load clients of bench/faults (Python standard library).

Each client thread keeps one keep-alive connection per instance and sends,
until the run ends, a mix of reads (GET /v1/partnerships/{id}) and creates
(POST /v1/partnerships/{id}/people with an Idempotency-Key; the key is in
the person's full_name, so a row can be matched to the request that made
it). Readers only read (the partnership, a page of its people). Pollers
long-poll a quiet partnership's change feed (?wait=N): slow requests, for
in-flight counts at a SIGTERM. Every request is written as one JSON line:

    c client, i instance index, k kind (read, list, create, poll), t0 t1
    start and end (Unix seconds), s status (0: no answer), ct content type,
    ra Retry-After, pt problem type, e error class (timeout, refused, reset,
    ...), key and body (creates), id (a 201's record), rep (replayed)

With --retry FILE it instead resends, one at a time and with the same key
and body, every create of FILE that got no definite answer (no answer, or a
5xx): the key says whether the first attempt had been written (a replay) or
not (created now).

The bearer token is read from the environment (BENCH_TOKEN), not argv.
"""

import argparse
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid

parser = argparse.ArgumentParser()
parser.add_argument("--targets", required=True, help="host:port,host:port (instance 0, 1, ...)")
parser.add_argument("--partnerships", default="", help="partnership ids, comma-separated")
parser.add_argument("--clients", type=int, default=0, help="mixed clients (reads and creates)")
parser.add_argument("--readers", type=int, default=0, help="clients that only read")
parser.add_argument("--write-percent", type=int, default=30)
parser.add_argument("--duration", type=float, default=10.0)
parser.add_argument("--timeout", type=float, default=5.0)
parser.add_argument("--tag", default="x", help="prefix of the Idempotency-Keys (and names) of this run")
parser.add_argument("--pollers", type=int, default=0)
parser.add_argument("--poll-partnership", default="")
parser.add_argument("--poll-wait", type=int, default=10)
parser.add_argument("--poll-target", type=int, default=0)
parser.add_argument("--failover", action="store_true",
                    help="a client whose instance refuses or drops a connection moves to the next one")
parser.add_argument("--stop-when-writes-fail", type=float, default=0.0,
                    help="end the run once no create has succeeded for this many seconds after one failed")
parser.add_argument("--pad", type=int, default=0, help="characters of job_title in each create (<= 300)")
parser.add_argument("--retry", default="", help="JSON lines of an earlier run: resend its unanswered creates")
parser.add_argument("--out", required=True)
args = parser.parse_args()

TOKEN = os.environ.get("BENCH_TOKEN", "")
if not TOKEN:
    sys.exit("load.py: BENCH_TOKEN is not set")
TARGETS = [(h, int(p)) for h, p in (t.rsplit(":", 1) for t in args.targets.split(","))]
PARTNERSHIPS = [p for p in args.partnerships.split(",") if p]

records, lock = [], threading.Lock()
stop = threading.Event()
end_at = time.time() + args.duration
# For --stop-when-writes-fail: when a create last succeeded, and when one
# first failed since.
writes = {"last_ok": time.time(), "first_fail": None}


def record(rec):
    with lock:
        records.append(rec)


def error_class(exc):
    if isinstance(exc, TimeoutError):
        return "timeout"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError,
                        http.client.IncompleteRead, http.client.RemoteDisconnected)):
        return "reset"
    return type(exc).__name__


class Client:
    """One caller: a keep-alive connection per instance, one request at a time."""

    def __init__(self, number, target, timeout):
        self.number, self.target, self.timeout = number, target, timeout
        self.conns = {}

    def conn(self):
        if self.target not in self.conns:
            host, port = TARGETS[self.target]
            self.conns[self.target] = http.client.HTTPConnection(host, port, timeout=self.timeout)
        return self.conns[self.target]

    def drop(self):
        conn = self.conns.pop(self.target, None)
        if conn is not None:
            conn.close()

    def send(self, kind, method, path, body=None, key=None, timeout=None):
        headers = {"Authorization": "Bearer " + TOKEN, "Accept": "application/json"}
        data = None
        if body is not None:
            data = body.encode()
            headers["Content-Type"] = "application/json"
        if key is not None:
            headers["Idempotency-Key"] = key
        rec = {"c": self.number, "i": self.target, "k": kind, "t0": time.time(), "s": 0}
        if key is not None:
            rec["key"], rec["body"], rec["path"] = key, body, path
        payload = b""
        try:
            conn = self.conn()
            conn.timeout = timeout or self.timeout
            if conn.sock is not None:
                conn.sock.settimeout(conn.timeout)
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            payload = response.read()
            rec["s"] = response.status
            rec["ct"] = response.getheader("Content-Type", "")
            if response.getheader("Retry-After"):
                rec["ra"] = response.getheader("Retry-After")
            if response.getheader("Idempotent-Replayed"):
                rec["rep"] = True
            if response.getheader("Connection", "").lower() == "close":
                self.drop()
        except (OSError, http.client.HTTPException) as exc:
            rec["e"] = error_class(exc)
            self.drop()
        rec["t1"] = time.time()
        if rec["s"]:
            try:
                answer = json.loads(payload) if payload else {}
            except ValueError:
                answer = {}
            if isinstance(answer, dict):
                if rec["s"] == 201 and "id" in answer:
                    rec["id"] = answer["id"]
                if "type" in answer and rec["s"] >= 400:
                    rec["pt"] = answer["type"].rsplit(":", 1)[-1]
            rec["answer"] = answer if kind == "poll0" else None
        record(rec)
        if rec.get("e") in ("refused", "reset", "timeout") and args.failover and len(TARGETS) > 1:
            self.target = (self.target + 1) % len(TARGETS)
        elif rec.get("e") == "refused":
            time.sleep(0.05)  # no hot loop on a closed port
        return rec


def new_create_body(rng):
    key = f"{args.tag}-{uuid.uuid4().hex[:20]}"
    initials = rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + "".join(
        rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7))
    body = {"full_name": f"Fault {key}", "initials": initials}
    if args.pad:
        body["job_title"] = ("pad " * 100)[: min(args.pad, 300)].strip() or None
    return key, json.dumps(body, separators=(",", ":"))


def note_write(rec):
    now = time.time()
    with lock:
        if rec["s"] == 201:
            writes["last_ok"], writes["first_fail"] = now, None
        elif writes["first_fail"] is None:
            writes["first_fail"] = now


def mixed(number):
    rng = random.Random(f"{args.tag}-{number}")
    client = Client(number, number % len(TARGETS), args.timeout)
    partnership = PARTNERSHIPS[number % len(PARTNERSHIPS)]
    while time.time() < end_at and not stop.is_set():
        if rng.randrange(100) < args.write_percent:
            key, body = new_create_body(rng)
            rec = client.send("create", "POST", f"/v1/partnerships/{partnership}/people", body, key)
            note_write(rec)
        else:
            client.send("read", "GET", f"/v1/partnerships/{partnership}")


def reader(number):
    client = Client(number, number % len(TARGETS), args.timeout)
    partnership = PARTNERSHIPS[number % len(PARTNERSHIPS)]
    turn = 0
    while time.time() < end_at and not stop.is_set():
        if turn % 2:
            client.send("list", "GET", f"/v1/partnerships/{partnership}/people?limit=20")
        else:
            client.send("read", "GET", f"/v1/partnerships/{partnership}")
        turn += 1


def poller(number):
    client = Client(number, args.poll_target % len(TARGETS), args.timeout)
    base = f"/v1/partnerships/{args.poll_partnership}/changes"
    after = None
    while time.time() < end_at and not stop.is_set():
        if after is None:
            rec = client.send("poll0", "GET", f"{base}?after_seq=0&limit=500")
            if rec["s"] == 200 and isinstance(rec.get("answer"), dict):
                after = rec["answer"].get("next_after_seq")
            if after is None:
                time.sleep(0.1)
            continue
        wait = min(args.poll_wait, int(end_at - time.time()))
        if wait < 1:
            break
        rec = client.send("poll", "GET", f"{base}?after_seq={after}&wait={wait}",
                          timeout=wait + args.timeout)
        if rec["s"] != 200:
            after = None


def watchdog():
    while time.time() < end_at and not stop.is_set():
        time.sleep(0.1)
        with lock:
            failing = writes["first_fail"]
            quiet = time.time() - writes["last_ok"]
        if failing is not None and quiet >= args.stop_when_writes_fail:
            stop.set()


def retry():
    client = Client(0, 0, args.timeout)
    earlier = [json.loads(line) for line in open(args.retry) if line.strip()]
    for rec in earlier:
        if rec["k"] != "create" or not (rec["s"] == 0 or rec["s"] >= 500):
            continue
        for attempt in range(10):
            again = client.send("retry", "POST", rec["path"], rec["body"], rec["key"])
            # Busy (a share, or still down): wait as told, a little.
            if again["s"] in (0, 503) or (again["s"] == 409 and again.get("pt") == "conflict"):
                time.sleep(min(float(again.get("ra", 1)), 1.0))
                continue
            break


def main():
    if args.retry:
        retry()
    else:
        threads = [threading.Thread(target=mixed, args=(n,)) for n in range(args.clients)]
        threads += [threading.Thread(target=reader, args=(args.clients + n,)) for n in range(args.readers)]
        threads += [threading.Thread(target=poller, args=(1000 + n,)) for n in range(args.pollers)]
        if args.stop_when_writes_fail > 0:
            threads.append(threading.Thread(target=watchdog))
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    with open(args.out, "w") as out:
        for rec in sorted(records, key=lambda r: r["t0"]):
            rec.pop("answer", None)
            out.write(json.dumps(rec) + "\n")


main()
