"""bench/faults.d/report.py: the figures of bench/faults (Python standard library).

    report.py outage   REQUESTS STOPPED RESTORED          PostgreSQL stopped under load
    report.py sigterm  REQUESTS TERM_AT EXITED_AT TARGET  SIGTERM to instance TARGET under load
    report.py fill     REQUESTS                           SQLite on a full disk
    report.py rows     PART REQUESTS ROWS [RETRIES ROWS_AFTER]   acknowledged creates against the rows
    report.py sqlite-rows DB TAG OUT                      full names of TAG's people in a SQLite file
    report.py sqlite-check DB                             PRAGMA integrity_check
    report.py logs     PART NAME=LOG...                   what the instances logged
    report.py findings                                    every finding noted so far

REQUESTS are load.py's JSON lines. Findings (a 500, a slow answer while the
database is down, a lost write, a panic...) are appended to the file named
by FINDINGS and printed by `findings`; nothing here fails on a figure.
"""

import collections
import json
import os
import re
import sqlite3
import sys

NAMES = os.environ.get("INSTANCE_NAMES", "A,B").split(",")
SLOW = float(os.environ.get("SLOW_SECONDS", "1"))


def load(path):
    return [json.loads(line) for line in open(path) if line.strip()]


def finding(part, text):
    path = os.environ.get("FINDINGS")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"part": part, "text": text}) + "\n")


def ms(seconds):
    return "none" if seconds is None else f"{seconds * 1000:,.0f} ms"


def label(rec):
    if rec["s"]:
        return str(rec["s"])
    return f"no answer ({rec.get('e', '?')})"


def counts(rows):
    c = collections.Counter(label(r) for r in rows)
    return f"{len(rows):,}: " + (", ".join(f"{n:,} × {k}" for k, n in sorted(c.items())) or "none")


def problem_json(rec):
    return (rec.get("ct") or "").startswith("application/problem+json")


def table(rows):
    print()
    print("| measure | value |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()


def name(i):
    return NAMES[i] if i < len(NAMES) else str(i)


def common_findings(part, rows, where):
    five_hundreds = [r for r in rows if r["s"] == 500]
    if five_hundreds:
        kinds = collections.Counter(r["k"] for r in five_hundreds)
        finding(part, f"{len(five_hundreds)} × 500 {where} ({', '.join(f'{n} {k}' for k, n in kinds.items())})")
    other = [r for r in rows if r["s"] >= 500 and r["s"] != 500 and not problem_json(r)]
    if other:
        finding(part, f"{len(other)} × 5xx without application/problem+json {where}")


# ---------------------------------------------------------------- outage
def outage(path, stopped, restored):
    stopped, restored = float(stopped), float(restored)
    everything = load(path)
    rows = [r for r in everything if r["k"] in ("read", "create")]
    polls = [r for r in everything if r["k"] == "poll"]
    down = [r for r in rows if r["t1"] >= stopped and r["t0"] < restored]
    slow = [r for r in down if r["t1"] - r["t0"] > SLOW]
    instances = sorted({r["i"] for r in rows})

    def first(pred, after):
        return min((r["t1"] for r in rows if pred(r) and r["t1"] >= after), default=None)

    def longest(kind):
        return max((r["t1"] - r["t0"] for r in down if r["k"] == kind), default=None)

    out = [
        ("requests (whole run, reads and creates)", counts(rows)),
        *[(f"instance {name(i)}", counts([r for r in rows if r["i"] == i])) for i in instances],
        ("reads while down (answered after the stop, sent before the restart)",
         counts([r for r in down if r["k"] == "read"])),
        ("creates while down", counts([r for r in down if r["k"] == "create"])),
        ("stop → first 503", " / ".join(
            f"{name(i)} {ms(None if (t := first(lambda r, i=i: r['s'] == 503 and r['i'] == i, stopped)) is None else t - stopped)}"
            for i in instances)),
        ("longest answer while down: read / create", f"{ms(longest('read'))} / {ms(longest('create'))}"),
        (f"answers over {SLOW:g} s while down", f"{len(slow):,}"),
        ("500s (whole run)", f"{sum(r['s'] == 500 for r in rows):,}"),
        ("5xx not application/problem+json", f"{sum(r['s'] >= 500 and not problem_json(r) for r in rows):,}"),
        ("503s: Retry-After 5 (database) / 1 (share)",
         f"{sum(r['s'] == 503 and r.get('ra') == '5' for r in rows):,} / {sum(r['s'] == 503 and r.get('ra') == '1' for r in rows):,}"),
        ("client timeouts / resets / refused",
         " / ".join(f"{sum(r.get('e') == e for r in rows):,}" for e in ("timeout", "reset", "refused"))),
        ("restart → first 200 (a read sent after it)", ms(
            None if (t := min((r["t1"] for r in rows if r["s"] == 200 and r["t0"] >= restored), default=None)) is None
            else t - restored)),
        ("restart → first 201 (a create sent after it)", ms(
            None if (t := min((r["t1"] for r in rows if r["s"] == 201 and r["t0"] >= restored), default=None)) is None
            else t - restored)),
        ("after the restart: reads / creates", f"{counts([r for r in rows if r['t0'] >= restored and r['k'] == 'read'])}"
         f" / {counts([r for r in rows if r['t0'] >= restored and r['k'] == 'create'])}"),
    ]
    if polls:
        out.append(("long polls of the change feed (whole run)", counts(polls)))
    table(out)
    common_findings("PostgreSQL stopped", rows + polls, "with PostgreSQL stopped under load")
    if slow:
        worst = max(slow, key=lambda r: r["t1"] - r["t0"])
        finding("PostgreSQL stopped",
                f"{len(slow)} answers slower than {SLOW:g} s while the database was down "
                f"(worst {ms(worst['t1'] - worst['t0'])}: {worst['k']} on {name(worst['i'])} → {label(worst)})")
    lost = [r for r in down if r["s"] == 0]
    if lost:
        finding("PostgreSQL stopped", f"{len(lost)} requests got no answer while the database was down "
                f"({collections.Counter(r.get('e') for r in lost)})")


# ---------------------------------------------------------------- sigterm
def sigterm(path, term_at, exited_at, target):
    term_at, exited_at, target = float(term_at), float(exited_at), int(target)
    everything = load(path)
    on_target = [r for r in everything if r["i"] == target]
    in_flight = [r for r in on_target if r["t0"] < term_at <= r["t1"]]
    after = [r for r in on_target if r["t0"] >= term_at]
    other = [r for r in everything if r["i"] != target and r["t0"] >= term_at]
    rows = [r for r in everything if r["k"] in ("read", "create", "list", "poll")]

    def split(selected):
        by_kind = collections.defaultdict(list)
        for r in selected:
            by_kind[r["k"]].append(r)
        return "; ".join(f"{k}: {counts(v)}" for k, v in sorted(by_kind.items())) or "none"

    answered = [r for r in in_flight if r["s"]]
    broken = [r for r in in_flight if not r["s"]]
    out = [
        ("requests (whole run)", counts(rows)),
        (f"in flight on {name(target)} at the SIGTERM", split(in_flight)),
        ("... completed with an answer / without (reset, timeout)", f"{len(answered):,} / {len(broken):,}"),
        ("... longest wait for its answer after the SIGTERM",
         ms(max((r["t1"] - term_at for r in answered), default=None))),
        (f"sent to {name(target)} after the SIGTERM", split(after)),
        ("... of which answered", f"{sum(1 for r in after if r['s']):,}"),
        (f"answered by the other instance after the SIGTERM", split(other)),
        ("SIGTERM → process exited (shutdown)", ms(exited_at - term_at)),
        ("500s (whole run)", f"{sum(r['s'] == 500 for r in rows):,}"),
    ]
    table(out)
    common_findings("SIGTERM", rows, "around the SIGTERM")
    if broken:
        finding("SIGTERM", f"{len(broken)} requests in flight at the SIGTERM ended without an answer "
                f"({split(broken)})")
    if exited_at - term_at > 30.5:
        finding("SIGTERM", f"shutdown took {ms(exited_at - term_at)} (over the 30 s shutdown timeout)")


# ---------------------------------------------------------------- fill
def fill(path):
    rows = load(path)
    creates = [r for r in rows if r["k"] == "create"]
    reads = [r for r in rows if r["k"] in ("read", "list")]
    failed = [r for r in creates if r["s"] != 201]
    # A 503 with Retry-After 1 is the partnership's share being busy, not the disk.
    first_fail = min((r["t1"] for r in failed if not (r["s"] == 503 and r.get("ra") == "1")), default=None)
    start = min((r["t0"] for r in rows), default=0)

    def described(selected):
        c = collections.Counter(
            (label(r), r.get("pt", "-"), (r.get("ct") or "-").split(";")[0], r.get("ra", "-")) for r in selected)
        return "; ".join(f"{n:,} × {s} {pt} ({ct}, Retry-After {ra})" for (s, pt, ct, ra), n in c.most_common()) or "none"

    after = [r for r in reads if first_fail is not None and r["t0"] >= first_fail]
    out = [
        ("creates", counts(creates)),
        ("first failed create (not a busy share) after", "none" if first_fail is None else f"{first_fail - start:.1f} s, "
         f"{sum(1 for r in creates if r['s'] == 201 and r['t1'] <= first_fail):,} creates acknowledged before it"),
        ("failed creates: status, problem type (content type, Retry-After)", described(failed)),
        ("creates acknowledged after the first failure", f"{sum(1 for r in creates if r['s'] == 201 and first_fail and r['t0'] >= first_fail):,}"),
        ("reads (whole run)", counts(reads)),
        ("reads sent after the first failed create", counts(after)),
        ("longest answer: create / read", f"{ms(max((r['t1'] - r['t0'] for r in creates), default=None))} / "
         f"{ms(max((r['t1'] - r['t0'] for r in reads), default=None))}"),
    ]
    table(out)
    common_findings("SQLite full disk", rows, "on the full disk")
    wrong = [r for r in failed if not (r["s"] in (503, 507) and problem_json(r))]
    if wrong:
        finding("SQLite full disk", f"{len(wrong)} failed creates were not 507/503 problem+json: {described(wrong)}")
    if first_fail is None:
        finding("SQLite full disk", "the disk never filled: no create failed (raise the load or lower DISK_MB)")
    bad_reads = [r for r in after if r["s"] != 200]
    if bad_reads:
        finding("SQLite full disk", f"{len(bad_reads)} reads did not answer 200 once the disk was full: {described(bad_reads)}")


# ---------------------------------------------------------------- rows
def key_of(full_name):
    parts = full_name.split()
    return parts[1] if len(parts) > 1 and parts[0] == "Fault" else None


def rows_report(part, path, rows_path, retries=None, rows_after=None):
    creates = [r for r in load(path) if r["k"] == "create"]
    row_keys = collections.Counter(k for k in map(key_of, open(rows_path).read().splitlines()) if k)
    acked = {r["key"] for r in creates if r["s"] == 201}
    sent = {r["key"] for r in creates}
    lost = sorted(acked - set(row_keys))
    unanswered = [r for r in creates if r["s"] == 0 or r["s"] >= 500]
    by_outcome = collections.Counter(label(r) for r in unanswered if r["key"] in row_keys)
    refused_written = [r for r in creates if 400 <= r["s"] < 500 and r["key"] in row_keys]
    strangers = [k for k in row_keys if k not in sent]
    duplicates = [k for k, n in row_keys.items() if n > 1]
    out = [
        ("creates sent", f"{len(creates):,}"),
        ("acknowledged (201)", f"{len(acked):,}"),
        ("... found in the database", f"{len(acked & set(row_keys)):,}"),
        ("... lost", f"{len(lost):,}" + (f" (e.g. {', '.join(lost[:3])})" if lost else "")),
        ("no definite answer (no answer, 5xx)", counts(unanswered)),
        ("... written all the same (allowed)", (", ".join(f"{n:,} × {k}" for k, n in sorted(by_outcome.items())) or "0")),
        ("refused (4xx) but written", f"{len(refused_written):,}"),
        ("rows with a key never sent / keys with more than one row", f"{len(strangers):,} / {len(duplicates):,}"),
    ]
    if lost:
        finding(part, f"{len(lost)} acknowledged creates (201) are not in the database, e.g. {lost[:3]}")
    if refused_written:
        finding(part, f"{len(refused_written)} creates answered 4xx were written")
    if duplicates:
        finding(part, f"{len(duplicates)} Idempotency-Keys have more than one row")
    if retries:
        attempts = [r for r in load(retries) if r["k"] == "retry"]
        last = {}
        for r in attempts:
            last[r["key"]] = r
        replayed = [r for r in last.values() if r["s"] == 201 and r.get("rep")]
        fresh = [r for r in last.values() if r["s"] == 201 and not r.get("rep")]
        other = [r for r in last.values() if r["s"] != 201]
        after = collections.Counter(k for k in map(key_of, open(rows_after).read().splitlines()) if k)
        expected_replays = {r["key"] for r in unanswered if r["key"] in row_keys}
        mismatched = {r["key"] for r in replayed} ^ expected_replays
        out += [
            ("those resent once the database answers, same key and body",
             f"{len(last):,}: {len(replayed):,} replayed (had been written), {len(fresh):,} created now"
             + (f", {counts(other)}" if other else "")),
            ("... replays that match the rows found before / mismatches",
             f"{len(expected_replays) - len(mismatched & expected_replays):,} / {len(mismatched):,}"),
            ("... keys with more than one row afterwards", f"{sum(1 for n in after.values() if n > 1):,}"),
            ("... resent keys still without a row", f"{sum(1 for k in last if after[k] == 0):,}"),
        ]
        if other:
            finding(part, f"{len(other)} creates resent with their Idempotency-Key did not get 201: {counts(other)}")
        if mismatched:
            finding(part, f"{len(mismatched)} resent keys disagree with the rows (replayed without a row, or a row without a replay)")
        if any(n > 1 for n in after.values()):
            finding(part, "a key resent after the fault made a second row")
    table(out)


# ---------------------------------------------------------------- sqlite
def sqlite_rows(db, tag, out):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    names = [n for (n,) in conn.execute("SELECT full_name FROM people WHERE full_name LIKE ?", (f"Fault {tag}-%",))]
    conn.close()
    with open(out, "w") as f:
        f.write("\n".join(names) + "\n")


def sqlite_check(db):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    result = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    conn.close()
    print(f"PRAGMA integrity_check: {', '.join(result[:5])}")
    if result != ["ok"]:
        finding("SQLite full disk", f"integrity_check: {result[:5]}")


# ---------------------------------------------------------------- logs
LEVEL = re.compile(r"\b(ERROR|WARN|INFO|DEBUG|TRACE)\b")


def normalise(line):
    line = re.sub(r"^\[[^\]]*\]\s*", "", line.strip())
    line = re.sub(r"^\S*\d{4}-\d\d-\d\dT\S+\s*", "", line)
    line = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", line)
    line = re.sub(r"\d+(\.\d+)?", "N", line)
    return line[:220]


def logs(part, named):
    print()
    for item in named:
        who, path = item.split("=", 1)
        try:
            lines = open(path, errors="replace").read().splitlines()
        except OSError:
            continue
        levels = collections.Counter(m.group(1) for l in lines if (m := LEVEL.search(l[:80])))
        panics = [l for l in lines if "panicked" in l]
        # r2d2 logs each failed attempt to open a connection at ERROR: expected
        # while the database is away, shown above, not a finding.
        errors = [l for l in lines if LEVEL.search(l[:80]) and LEVEL.search(l[:80]).group(1) == "ERROR"
                  and " r2d2]" not in l[:80]]
        print(f"log of {who}: {len(lines):,} lines ({', '.join(f'{n:,} {k}' for k, n in sorted(levels.items())) or 'empty'}), "
              f"{len(panics)} panics")
        for text, n in collections.Counter(normalise(l) for l in lines if l.strip()).most_common(6):
            print(f"    {n:>6,} × {text}")
        if panics:
            finding(part, f"{len(panics)} panics in the log of {who}, first: {panics[0].strip()[:300]}")
        if errors:
            top = collections.Counter(normalise(l) for l in errors).most_common(3)
            finding(part, f"{len(errors)} ERROR lines in the log of {who}: "
                    + "; ".join(f"{n} × {t}" for t, n in top))


def findings():
    path = os.environ.get("FINDINGS")
    items = load(path) if path and os.path.exists(path) else []
    print()
    print(f"FINDINGS ({len(items)})")
    for item in items:
        print(f"- [{item['part']}] {item['text']}")
    if not items:
        print("- none: no 500, no slow answer while the database was down, nothing acknowledged lost, no panic")


def main():
    command, rest = sys.argv[1], sys.argv[2:]
    if command == "outage":
        outage(*rest)
    elif command == "sigterm":
        sigterm(*rest)
    elif command == "fill":
        fill(*rest)
    elif command == "rows":
        rows_report(*rest)
    elif command == "sqlite-rows":
        sqlite_rows(*rest)
    elif command == "sqlite-check":
        sqlite_check(*rest)
    elif command == "logs":
        logs(rest[0], rest[1:])
    elif command == "findings":
        findings()
    else:
        sys.exit(f"report.py: unknown command {command}")


main()
